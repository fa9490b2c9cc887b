"""Settings for the Couple Face-Swap site, read from the environment.

Every variable is documented in `.env.example`. The defaults give a working local run: SQLite, files
under ./media, the embedded Redis-compatible server started by `make run`, console e-mail. Production
(DEBUG=False) must set the variables that `faceswap_site.checks` enforces.
"""

from pathlib import Path

import environ

from faceswap_site.observability import logging_config, sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
# Written by `make run` (faceswap_site/devrun.py) while its embedded server is up.
EMBEDDED_REDIS_URL_FILE = VAR_DIR / "embedded-redis.url"
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "accounts.apps.AllauthAccountConfig",
    "taggit",
    "django_rq",
    "django_guid",
    "faceswap_site",
    "accounts",
    "gallery",
    "templates.apps.CoupleTemplatesConfig",
    "swaps",
]

MIDDLEWARE = [
    # Before everything: an upload from a sender known to be at its limit is refused here, unread, without
    # a query (gallery/middleware.py), so a flood of them costs the other visitors nothing.
    "gallery.middleware.UploadGateMiddleware",
    # First, so every log line of the request (and the response's X-Request-ID) carries its id.
    "django_guid.middleware.guid_middleware",
    # The client's address (behind our proxies) on every log line of the request.
    "faceswap_site.observability.ClientIpMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files with hashed names and far-future cache headers, before sessions and the like.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous gallery pages straight from the shared cache, before sessions and the rest (templates/cache.py).
    "templates.cache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The visitor's language: the footer's choice (a cookie), else the browser's Accept-Language. The page
    # cache above works it out the same way, so each language has its own cached pages (templates/cache.py).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the signed-in person's row kept in the shared cache between requests.
    "accounts.cached_user.CachedUserAuthenticationMiddleware",
    # A signed-in person's pages (and any page carrying a CSRF token) are never kept by shared caches.
    "faceswap_site.limits.PrivatePagesMiddleware",
    # django-rq's staff pages: a queue, job or worker not found is a 404, not a 500.
    "faceswap_site.limits.StaffQueuePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A shared demo account's password, e-mail and the account itself stay as they are.
    "accounts.middleware.DemoAccountReadOnlyMiddleware",
    # Signed-in visitors: the cached gallery page with their own parts filled in (templates/personal.py).
    "templates.personal.SharedPagePersonalMiddleware",
]

ROOT_URLCONF = "faceswap_site.urls"
WSGI_APPLICATION = "faceswap_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "faceswap_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "faceswap_site.context_processors.site",
                "templates.context_processors.favourites",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections in production: a request reuses its process's connection instead of paying
# PostgreSQL's connection setup (a few ms) every time; the health check drops a broken one first.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The seed schema uses SERIAL (integer) keys, so foreign keys are INTEGER too.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# --- Redis: queue, cache (allauth rate limits) -------------------------------------------------------


def _embedded_redis_url() -> str:
    try:
        return EMBEDDED_REDIS_URL_FILE.read_text().strip()
    except OSError:
        return "redis://127.0.0.1:6379/0"


# True when REDIS_URL names a server; otherwise the embedded one from `make run` is used.
REDIS_CONFIGURED = bool(env.str("REDIS_URL", default=""))
REDIS_URL = env.str("REDIS_URL", default="") or _embedded_redis_url()

if REDIS_CONFIGURED:
    # A shared cache, so rate limits hold across web processes.
    CACHES = {
        "default": {
            "BACKEND": "faceswap_site.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "faceswap",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "faceswap_site.cache.LocalCache"}}

# Sessions read from the shared cache, written to both (the database keeps them through a cache flush or a
# Redis restart): a signed-in request reads its session without a query, and a cached gallery or template
# page is answered for a signed-in person from the cache alone (templates/personal.py).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

SWAP_JOB_TIMEOUT = env.int("SWAP_JOB_TIMEOUT", default=180)
CRAWL_JOB_TIMEOUT = env.int("CRAWL_JOB_TIMEOUT", default=3600)  # one whole crawl
# WORKER_CLASS loads the face models once per worker process, before the first job (swaps/worker.py).
# COMMIT_MODE auto: services call transaction.on_commit themselves, and must see a queue error at once.
RQ = {"WORKER_CLASS": "swaps.worker.SwapWorker", "COMMIT_MODE": "auto"}
RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 360},
    "swaps": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": SWAP_JOB_TIMEOUT},
    # Template crawls: a queue and worker of their own, so a long crawl never delays a swap.
    "crawl": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": CRAWL_JOB_TIMEOUT},
}

# --- Auth and accounts (django-allauth) ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# What "My account" shows, provided by the apps that own it (accounts imports no other app of ours).
ACCOUNT_SUMMARY_PARTS = ["gallery.selectors.account_photo_summary", "swaps.selectors.account_swap_summary"]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Shared demo accounts (their password is public): their password, e-mail addresses and the account itself
# cannot be changed or deleted (accounts.middleware); `manage.py reset_demo` puts them back each night.
DEMO_USERNAMES = env.list("DEMO_USERNAMES", default=["demo"])
# The site's wording on allauth's forms (labels, placeholders).
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "signup": "accounts.forms.SignupForm",
    "change_password": "accounts.forms.ChangePasswordForm",
}
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_RATE_LIMITS = {
    # Per client IP, and per (account, client IP), tiered (a longer window after the short one): a backoff
    # for attackers that none of them can turn against the owner elsewhere; and from a browser the owner
    # logged in from before only the per-IP limits apply (accounts.adapter). A lock lasts no longer than
    # its window after the last refused attempt counted (refused attempts are not counted).
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,60/h/ip,5/5m/key,20/h/key"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="20/m/ip"),
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
}

# --- E-mail ------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Couple Face-Swap <noreply@localhost>")
# The site's name in its e-mails (greeting, subject, signature), rather than the host name they were sent from.
SITE_NAME = env.str("SITE_NAME", default="Couple Face-Swap")

# --- Files and storage -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]

# "local" or "s3"; also the first part of every storage key (seed path format).
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Never served directly: private photos go through gallery's access-checked view.
MEDIA_URL = "/media/"

# Public (template) pictures' base URL, e.g. a CDN in front of the bucket; default: endpoint/bucket.
AWS_S3_PUBLIC_URL = env.str("AWS_S3_PUBLIC_URL", default="")
# A CDN in front of the public pictures: the dotted path of a function called with the URLs of pictures
# that stopped being public (a template taken down), to purge them; none by default.
PUBLIC_PICTURE_PURGE = env.str("PUBLIC_PICTURE_PURGE", default="")

if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "gallery.s3.MediaStorage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME", default=""),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            # No object ACLs (buckets with ACLs disabled refuse them): objects are private, and the
            # bucket policy set by `manage.py storage_setup` makes the template prefix readable.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
            "file_overwrite": False,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),
            "signature_version": "s3v4",
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }

# Production serves collected static files with content-hashed names (whitenoise: compressed, cached
# for a year); that needs `collectstatic` first, so development and tests keep the plain storage.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
# Without collected files (development, tests) whitenoise finds them where the apps keep them.
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Upload limits and retention of people's photos.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=15 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=40_000_000)
UPLOAD_RETENTION_DAYS = env.int("UPLOAD_RETENTION_DAYS", default=30)
# Heavy picture work in web processes (gallery/services/heavy.py): decoding, face checks and turns run at
# most HEAVY_WORK_PER_USER at once per person across all web processes (slots in the shared cache, each
# freed after HEAVY_WORK_LEASE_SECONDS if its process died); the pictures decoded at once in one process
# take at most DECODE_MEMORY_BUDGET_BYTES (width x height x 4 each, from the header; 0: no bound). Work
# that cannot start within HEAVY_WORK_WAIT_SECONDS is answered "busy, try again in a moment". Uploads in
# flight per person (or address) are limited to HEAVY_WORK_PER_USER as well (gallery/middleware.py).
HEAVY_WORK_PER_USER = env.int("HEAVY_WORK_PER_USER", default=2)
HEAVY_WORK_LEASE_SECONDS = env.int("HEAVY_WORK_LEASE_SECONDS", default=120)
HEAVY_WORK_WAIT_SECONDS = env.float("HEAVY_WORK_WAIT_SECONDS", default=5.0)
# Uploads (from reading the body to the stored photo) run in threads this much below the pages' scheduling
# priority (nice), so a flood of large pictures leaves the processor to other people's pages first
# (gallery/services/heavy.py); 0 runs them in the request's thread at the same priority.
HEAVY_WORK_NICE = env.int("HEAVY_WORK_NICE", default=15)
# Uploads (request bodies over 256 KB) a person, or an address when signed out, may start per minute.
UPLOADS_PER_MINUTE = env.int("UPLOADS_PER_MINUTE", default=30)
DECODE_MEMORY_BUDGET_BYTES = env.int("DECODE_MEMORY_BUDGET_BYTES", default=6 * UPLOAD_MAX_PIXELS)
# The content gate every incoming picture passes (gallery/content_gate.py, README "Content gate"): the model
# (nudenet, chosen by measurement; or opennsfw) and its thresholds, refused at or above CONTENT_GATE_REFUSE_AT,
# held for review (own templates) at or above CONTENT_GATE_REVIEW_AT; unset: the model's defaults
# (nudenet 0.6 / 0.4, opennsfw 0.97 / 0.8; NaN here). ONNX threads per check (web processes share the cores).
CONTENT_GATE_MODEL = env.str("CONTENT_GATE_MODEL", default="nudenet")
CONTENT_GATE_REFUSE_AT = float(env.str("CONTENT_GATE_REFUSE_AT", default="") or "nan")
CONTENT_GATE_REVIEW_AT = float(env.str("CONTENT_GATE_REVIEW_AT", default="") or "nan")
CONTENT_GATE_THREADS = env.int("CONTENT_GATE_THREADS", default=1)
# A person's own templates (README "Own templates"): how many may wait for their face search at once, and
# how long that search (a job on the swaps queue) may run before it counts as failed.
OWN_TEMPLATE_MAX_PENDING = env.int("OWN_TEMPLATE_MAX_PENDING", default=2)
OWN_TEMPLATE_JOB_TIMEOUT = env.int("OWN_TEMPLATE_JOB_TIMEOUT", default=60)
# "Report this picture" on shared pages: at most this many reports per IP address per hour.
REPORTS_PER_IP_PER_HOUR = env.int("REPORTS_PER_IP_PER_HOUR", default=5)
# Partner consent: a swap with a partner's face waits until the partner agreed through their invitation
# link, valid for PARTNER_CONSENT_DAYS days (README "Partner consent").
PARTNER_CONSENT_REQUIRED = env.bool("PARTNER_CONSENT_REQUIRED", default=True)
PARTNER_CONSENT_DAYS = env.int("PARTNER_CONSENT_DAYS", default=7)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Face engine -------------------------------------------------------------------------------------
FACESWAP_ENGINE = env.str("FACESWAP_ENGINE", default="auto")
FACESWAP_INSIGHTFACE_DIR = env.str("FACESWAP_INSIGHTFACE_DIR", default="")
# ONNX execution providers for ONNX backends, best first: "auto" (TensorRT, CUDA when this onnxruntime
# has them, else the CPU) or a list such as "cuda,cpu"; the CPU is always the last resort.
FACESWAP_ONNX_PROVIDERS = env.str("FACESWAP_ONNX_PROVIDERS", default="auto")
FACESWAP_COMMERCIAL_USE = env.bool("FACESWAP_COMMERCIAL_USE", default=False)

# --- Template crawling (templates/crawlers, templates/crawl_services.py) --------------------------------
# An honest User-Agent: who is asking, and where to read about it.
CRAWL_USER_AGENT = env.str(
    "CRAWL_USER_AGENT", default="CoupleFaceSwapBot/1.0 (+template collection for the Couple Face-Swap site)"
)
CRAWL_DELAY = env.float("CRAWL_DELAY", default=1.0)  # seconds between two requests, politeness
CRAWL_CONNECT_TIMEOUT = env.float("CRAWL_CONNECT_TIMEOUT", default=5.0)
CRAWL_READ_TIMEOUT = env.float("CRAWL_READ_TIMEOUT", default=30.0)
CRAWL_DOWNLOAD_DEADLINE = env.float("CRAWL_DOWNLOAD_DEADLINE", default=120.0)  # one picture, start to end
CRAWL_RETRIES = env.int("CRAWL_RETRIES", default=3)
CRAWL_BACKOFF = env.float("CRAWL_BACKOFF", default=1.0)
CRAWL_RETRY_AFTER_MAX = env.float("CRAWL_RETRY_AFTER_MAX", default=120.0)  # longest Retry-After we wait
CRAWL_MAX_BYTES = env.int("CRAWL_MAX_BYTES", default=UPLOAD_MAX_BYTES)
CRAWL_MAX_IMAGES = env.int("CRAWL_MAX_IMAGES", default=50)  # new templates per crawl unless told otherwise
# Tests and a local mirror only: production crawls must never reach the site's own network.
CRAWL_ALLOW_PRIVATE_NETWORKS = env.bool("CRAWL_ALLOW_PRIVATE_NETWORKS", default=False)
# Networks a crawl may reach although they are not public (a local mirror), e.g. 10.1.2.0/24; none by default.
CRAWL_ALLOWED_NETWORKS = env.list("CRAWL_ALLOWED_NETWORKS", default=[])
# JSON answers of a source's API: bytes on the wire and after decompression (a gzip bomb is cut while it
# inflates). Danbooru's page of 100 posts is about 200 KB.
CRAWL_API_MAX_BYTES = env.int("CRAWL_API_MAX_BYTES", default=8 * 1024 * 1024)
CRAWL_API_MAX_DECODED_BYTES = env.int("CRAWL_API_MAX_DECODED_BYTES", default=32 * 1024 * 1024)
# Content rules: small pictures make small results; the blocklist keeps adult and minor-related art out.
CRAWL_MIN_SHORT_SIDE = env.int("CRAWL_MIN_SHORT_SIDE", default=800)
CRAWL_RATINGS = env.list("CRAWL_RATINGS", default=["g"])  # Danbooru's general rating only
CRAWL_TAG_BLOCKLIST = env.list(
    "CRAWL_TAG_BLOCKLIST",
    default=[
        *("loli", "shota", "lolicon", "shotacon", "toddlercon", "child", "children", "kindergarten", "aged_down"),
        *("female_child", "male_child", "young", "underage", "baby", "school_swimsuit", "randoseru"),
        *("nsfw", "r-18", "r-18g", "r18", "nude", "nudity", "completely_nude", "sex", "nipples", "breasts_out"),
        *("pussy", "penis", "cum", "underwear", "panties", "lingerie", "bra", "see-through", "pantyshot"),
        *("erection", "hentai", "guro", "gore", "blood", "bondage", "swimsuit", "bikini"),
    ],
)
# Perceptual hashes (imagehash.phash, 64 bits) this close are the same picture resized or re-encoded.
CRAWL_PHASH_DISTANCE = env.int("CRAWL_PHASH_DISTANCE", default=6)
# Folders on the server a "custom" crawl may read (one absolute path per entry); none by default.
CRAWL_FOLDER_ROOTS = env.list("CRAWL_FOLDER_ROOTS", default=[])
DANBOORU_URL = env.str("DANBOORU_URL", default="https://danbooru.donmai.us")
DANBOORU_LOGIN = env.str("DANBOORU_LOGIN", default="")
DANBOORU_API_KEY = env.str("DANBOORU_API_KEY", default="")
PIXIV_REFRESH_TOKEN = env.str("PIXIV_REFRESH_TOKEN", default="")
PIXIV_API_URL = env.str("PIXIV_API_URL", default="https://app-api.pixiv.net")

# --- Provenance: a signed C2PA manifest and an invisible mark on every result --------------------
# The signing key and its certificate chain (end-entity first), each a PEM file's path or the PEM text.
# Unset: a throwaway development chain is made in C2PA_DEV_DIR, unless C2PA_REQUIRED (then nothing starts).
C2PA_SIGNING_KEY = env.str("C2PA_SIGNING_KEY", default="")
C2PA_CERT_CHAIN = env.str("C2PA_CERT_CHAIN", default="")
C2PA_SIGNING_ALG = env.str("C2PA_SIGNING_ALG", default="es256")
# Roots `verify_result` and the provenance details trust (the chain's own root, when it is private).
C2PA_TRUST_ANCHORS = env.str("C2PA_TRUST_ANCHORS", default="")
C2PA_REQUIRED = env.bool("C2PA_REQUIRED", default=False)
C2PA_DEV_DIR = env.path("C2PA_DEV_DIR", default=VAR_DIR / "c2pa-dev")

# --- Security ----------------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# A load balancer probes /healthz over plain HTTP on the process itself: a 301 to https would fail it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
# Who the client is behind proxies: the number of proxies of ours in front of the site (each appends the
# address it was reached from to X-Forwarded-For, so the client is that many entries from the end), or a
# header one trusted proxy sets (X-Real-IP, CF-Connecting-IP). Every rate limit (allauth's) and every log
# line use it; with neither set, the peer's address (REMOTE_ADDR) is the client, which behind a proxy is
# the proxy itself for everyone (`check --deploy` warns).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default="") or None
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = TRUSTED_CLIENT_IP_HEADER
# Only once the whole site is served over HTTPS for good: browsers then refuse plain HTTP for this long.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation ----------------------------------------------------------------------------
# English, Simplified Chinese and Japanese: the catalogue's anime art is first read in Chinese and Japanese.
# Translations are ours, in locale/<lang>/LC_MESSAGES (the compiled .mo files are committed next to them).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "Simplified Chinese"), ("ja", "Japanese")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and numbers in each language's own way (Django's formats), English short dates as "7 Dec 2026".
FORMAT_MODULE_PATH = ["faceswap_site.formats"]
# The footer's choice is remembered for a year, in a cookie (no session needed: pages stay cacheable).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Logs and error reports --------------------------------------------------------------------------
# json: one object per line on stdout with request_id / job_id / task_id (production); plain: readable.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
DJANGO_GUID = {"GUID_HEADER_NAME": "X-Request-ID", "RETURN_HEADER": True, "EXPOSE_HEADER": False}

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )


# --- Safety under real use: request limits, fair use, outages ----------------------------
# Photos one request may carry (the gallery's multi-file upload); with UPLOAD_MAX_BYTES it bounds the
# body size, checked before the body is read (faceswap_site/limits.py).
UPLOAD_MAX_FILES_PER_REQUEST = env.int("UPLOAD_MAX_FILES_PER_REQUEST", default=10)
FILE_UPLOAD_HANDLERS = [
    "faceswap_site.limits.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Before the CSRF middleware, which would otherwise read the whole body of anonymous requests first.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.csrf.CsrfViewMiddleware"), "faceswap_site.limits.RequestLimitsMiddleware"
)
# Before the body is read: one person's uploads in flight at once (gallery/middleware.py).
MIDDLEWARE.insert(
    MIDDLEWARE.index("faceswap_site.limits.RequestLimitsMiddleware"), "gallery.middleware.UploadsInFlightMiddleware"
)
# Fair use, per person: swaps waiting or being made at once, swaps started per hour, and photo space.
SWAPS_MAX_ACTIVE_PER_USER = env.int("SWAPS_MAX_ACTIVE_PER_USER", default=5)
SWAPS_MAX_PER_HOUR = env.int("SWAPS_MAX_PER_HOUR", default=30)
# Working share links per swap at once (a revoked or expired one no longer counts).
SHARE_LINKS_MAX_PER_SWAP = env.int("SHARE_LINKS_MAX_PER_SWAP", default=5)
PHOTO_QUOTA_COUNT = env.int("PHOTO_QUOTA_COUNT", default=300)
PHOTO_QUOTA_BYTES = env.int("PHOTO_QUOTA_BYTES", default=500 * 1024 * 1024)
# Redis down: log-in, sign-up (allauth's rate limits live in the cache) and pages keep working on a
# per-process local cache, logged (faceswap_site/cache.py); short timeouts so a request never hangs on it.
for _cache in CACHES.values():
    if _cache["BACKEND"] in ("faceswap_site.cache.RedisCache", "django.core.cache.backends.redis.RedisCache"):
        _cache["BACKEND"] = "faceswap_site.cache.RedisWithLocalFallbackCache"
        _cache.setdefault("OPTIONS", {}).update(socket_connect_timeout=2, socket_timeout=2)
# Content-Security-Policy (django-csp): scripts, styles and everything else from this site only, no inline
# script. Inline style *attributes* are allowed: face markers and crops are positioned per picture.
# django-rq's admin pages (staff only) use inline scripts, so they go without the header.
from csp.constants import NONE, SELF  # noqa: E402

_image_sources = [SELF, "data:", "blob:"]
if STORAGE_BACKEND == "s3":
    # Private photos are shown through short-lived signed URLs on the bucket's own host.
    _endpoint = env.str("AWS_S3_ENDPOINT_URL", default="")
    _image_sources.append("/".join(_endpoint.split("/")[:3]) if _endpoint else "https://*.amazonaws.com")
    # Template pictures at their public URL: a CDN or another host in front of the bucket (docs/deploy.md).
    if AWS_S3_PUBLIC_URL and "/".join(AWS_S3_PUBLIC_URL.split("/")[:3]) not in _image_sources:
        _image_sources.append("/".join(AWS_S3_PUBLIC_URL.split("/")[:3]))
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/django-rq/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": _image_sources,
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
MIDDLEWARE.append("csp.middleware.CSPMiddleware")
# Sign-up and password reset do not tell whether an address is registered. allauth can only keep that
# promise on sign-up with e-mail verification mandatory (the address's owner is mailed instead), so that
# is the default in production.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional" if DEBUG else "mandatory")
