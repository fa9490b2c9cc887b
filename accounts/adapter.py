import logging
from types import SimpleNamespace
from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from allauth.core.internal.httpkit import clean_client_ip
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Q
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

# A browser someone has logged in from before carries this signed cookie (their user id). Wrong passwords
# throttle an account per (account, client IP), so an attacker elsewhere never locks its owner out; from
# a trusted browser only the per-IP limits apply. The reset e-mail clears the account's limits (allauth).
logger = logging.getLogger(__name__)

TRUSTED_COOKIE = "trusted_login"
TRUSTED_SALT = "accounts.trusted-login"
TRUSTED_MAX_AGE = 90 * 24 * 3600


def _account_id(credentials: dict) -> int | None:
    """The id of the account a log-in names (by username or e-mail address), if there is one."""
    login = credentials.get("email") or credentials.get("username") or ""
    return (
        get_user_model()
        .objects.filter(Q(username__iexact=login) | Q(email__iexact=login))
        .values_list("pk", flat=True)
        .first()
    )


class AccountAdapter(DefaultAccountAdapter):
    """allauth hooks: where people land after account changes, and log-in throttling."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Every e-mail names the site as SITE_NAME says, not by the host name the request came in on.
        host = context["request"].get_host() if context.get("request") else ""
        site = SimpleNamespace(name=settings.SITE_NAME, domain=host)
        super().send_mail(template_prefix, email, {"current_site": site, "site_name": settings.SITE_NAME, **context})

    def format_email_subject(self, subject: str) -> str:
        return f"{settings.SITE_NAME}: {subject}"

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        """The confirmation link, carrying the page the person signed up from (e.g. the template they
        wanted to use): confirming takes them back there instead of the home page."""
        url = super().get_email_confirmation_url(request, emailconfirmation)
        back = (request.POST.get("next") or request.GET.get("next") or "") if request is not None else ""
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            url = f"{url}?{urlencode({'next': back})}"
        return url

    def get_password_change_redirect_url(self, request) -> str:
        # Back to "My account", where the change password link is, rather than the empty form again.
        return reverse("accounts:profile")

    def pre_authenticate(self, request, **credentials) -> None:
        if not self._from_trusted_browser(request, credentials):
            return super().pre_authenticate(request, **credentials)
        rates = settings.ACCOUNT_RATE_LIMITS.get("login_failed") or ""
        per_ip = ",".join(rate for rate in rates.split(",") if rate.strip().endswith("/ip"))
        self._login_failed_rl_usage = ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed",
            config={"login_failed": per_ip},
            key=self._get_login_attempts_cache_key(request, **credentials),
        )
        if not self._login_failed_rl_usage:
            raise self.validation_error("too_many_login_attempts")
        return None

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # Per account, not per typed name: allauth keys by what was typed, so alternating the username and
        # the e-mail address would double an attacker's attempts. And per client: failures from one
        # address never throttle the account for anyone else.
        user_id = _account_id(credentials)
        account = (
            f"account:{user_id}"
            if user_id is not None
            else super()._get_login_attempts_cache_key(request, **credentials)
        )
        return f"{account}|client:{self.get_client_ip(request)}"

    def authentication_failed(self, request, **credentials) -> None:
        # Each log line carries the client's address: what an operator's ban list or alert reads.
        logger.info("A log-in failed (wrong password or unknown account)")
        super().authentication_failed(request, **credentials)

    def get_client_ip(self, request) -> str:
        """The client's address: TRUSTED_CLIENT_IP_HEADER, else the entry of X-Forwarded-For that our
        TRUSTED_PROXY_COUNT proxies put there, else the peer's address. Never refuses the request."""
        try:
            return super().get_client_ip(request)
        except (ImproperlyConfigured, PermissionDenied):
            # Fewer X-Forwarded-For entries than trusted proxies, or an unreadable one: the request came
            # past our proxies, so its own peer address is what is known about it.
            return clean_client_ip(request.META.get("REMOTE_ADDR") or "") or "0.0.0.0"

    def _from_trusted_browser(self, request, credentials) -> bool:
        try:
            user_id = int(request.get_signed_cookie(TRUSTED_COOKIE, salt=TRUSTED_SALT, max_age=TRUSTED_MAX_AGE))
        except (KeyError, ValueError, signing.BadSignature):
            return False
        return user_id == _account_id(credentials)

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        response.set_signed_cookie(
            TRUSTED_COOKIE,
            str(user.pk),
            salt=TRUSTED_SALT,
            max_age=TRUSTED_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response
