"""Structured logs and error reporting: one JSON object per line on stdout, optional Sentry.

Every record carries the request id (django-guid: the X-Request-ID a proxy sent, or a new one, also
returned in the response), the client's address as the trusted proxies tell it (the same one the rate
limits use) and, inside an RQ job, the job's id and the swap task's id, so one request or one swap can be
followed across the web and worker processes.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from typing import Any

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(client_ip)s %(job_id)s %(task_id)s"

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


class ClientIpMiddleware:
    """Keeps the request's client address (allauth's adapter: TRUSTED_PROXY_COUNT or
    TRUSTED_CLIENT_IP_HEADER, else the peer) for the log lines written while it is answered."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        from allauth.account.adapter import get_adapter

        token = _client_ip.set(get_adapter(request).get_client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)


class ClientIpFilter(logging.Filter):
    """Adds `client_ip`: the address of the client whose request is being answered, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.client_ip = _client_ip.get()
        return True


class TaskIdFilter(logging.Filter):
    """Adds `job_id` and `task_id` (the job's first argument, a task id) of the RQ job being run, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = None
        try:
            from rq import get_current_job

            job = get_current_job()
        except Exception:  # outside a worker, or no connection: no job
            job = None
        record.job_id = job.id if job is not None else None
        args = getattr(job, "args", None) if job is not None else None
        record.task_id = args[0] if args and isinstance(args[0], int) else None
        return True


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """LOGGING for settings.py: `fmt` "json" (production) or "plain" (a developer's terminal)."""
    formatters = {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(client_ip)s %(task_id)s]: %(message)s"
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"},
            "task_id": {"()": "faceswap_site.observability.TaskIdFilter"},
            "client_ip": {"()": "faceswap_site.observability.ClientIpFilter"},
        },
        "formatters": {"output": formatters[fmt]},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "output",
                "filters": ["request_id", "task_id", "client_ip"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # It says at INFO that each request came without an X-Request-ID (most do).
            "django_guid": {"level": "WARNING"},
            # RQ configures its own handler on "rq.worker"; ours only, so each line is JSON once.
            "rq.worker": {"handlers": ["stdout"], "level": level, "propagate": False},
        },
    }


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    """Report errors of the web and worker processes to Sentry (only called when SENTRY_DSN is set).

    No personal data is sent (send_default_pii=False): people's photos and e-mail addresses stay here.
    """
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), RqIntegration(), LoggingIntegration(event_level=logging.ERROR)],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
    )
