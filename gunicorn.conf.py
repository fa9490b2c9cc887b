"""gunicorn settings for the production start (`gunicorn -c gunicorn.conf.py faceswap_site.wsgi`).

Each value can be set from the environment; see docs/deploy.md for sizing. Pages are quick (most are
served from the shared cache) and pictures never pass through here in production, so a few workers per
core carry the site.
"""

import json
import multiprocessing
import os

from gunicorn import glogging

bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
# gthread: keep-alive connections (a browser fetches a page and its files over a few of them), and a
# worker thread free while another waits on Redis or PostgreSQL. `make bench-web`: 2-3 times the requests
# per second of sync workers, which close every connection. GUNICORN_THREADS=1 gives sync workers.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
# Uploads are read within this; swaps run in the workers, never in a request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then (slow leaks), at different moments so they never all restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "2000"))
# Load the app before forking: a broken configuration stops the master at once (wsgi.py refuses to start
# without the production settings), and workers share the imported code.
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicornc's control socket only when a path is given: its default path is shared by every gunicorn
# of the same user, so two sites (or a test beside a running site) would take each other's.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# One JSON object per access, on stdout like the application's logs, with the request id of the response.
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "true").lower() in ("1", "true", "yes") else None


class Logger(glogging.Logger):
    """gunicorn's logger, except that GUNICORN_ACCESS_LOG=false really turns access lines off.

    gunicorn writes access lines whenever a logconfig_dict is set, whatever `accesslog` says, and formatting
    them costs a tenth of a cached page's time."""

    def access(self, resp, req, environ, request_time):
        if accesslog:
            super().access(resp, req, environ, request_time)


logger_class = Logger
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = json.dumps(
    {
        "logger": "gunicorn.access",
        "remote": "%(h)s",
        # Behind proxies the peer is the proxy: the client is TRUSTED_PROXY_COUNT entries from the end.
        "forwarded_for": "%({x-forwarded-for}i)s",
        "method": "%(m)s",
        "path": "%(U)s",
        "query": "%(q)s",
        "status": "%(s)s",
        "bytes": "%(B)s",
        "ms": "%(M)s",
        "user_agent": "%(a)s",
        "request_id": "%({x-request-id}o)s",
    }
)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        # An access line is already a JSON object.
        "raw": {"format": "%(message)s"},
    },
    "handlers": {
        "error": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"},
        "access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "raw"},
    },
    # Replaced by the site's own logging (settings.LOGGING) once Django is set up.
    "root": {"handlers": ["error"], "level": "WARNING"},
    "loggers": {
        "gunicorn.error": {"handlers": ["error"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}


def post_fork(server, worker):
    """Each worker opens its own database connections: none may be shared with the master's preload."""
    from django.conf import settings

    if settings.configured:  # the app may be another WSGI app (make bench-web's limit line)
        from django.db import connections

        connections.close_all()
