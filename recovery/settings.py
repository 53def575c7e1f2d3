"""Settings for the Deficit Recovery and RAG monitoring app.

Everything that differs between machines comes from the environment (see `.env.example`).
The defaults are safe for production: DEBUG is off and a secret key must be given, unless
`DJANGO_DEBUG=1` says this is a developer's machine.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable ("1", "true", "yes", "on" are yes)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable as a list of non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def oidc_origins(*urls: str) -> list[str]:
    """The scheme://host[:port] of each URL given (empty ones skipped), without repeats."""
    origins: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
        if origin and origin not in origins:
            origins.append(origin)
    return origins


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(see .env.example); set DJANGO_DEBUG=1 on a development machine."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "recovery.jobs",
    "recovery.operations",
    "recovery",
    "plans",
    "monitoring",
    "recovery.reporting",
    "recovery.accounts",
    "recovery.worklist",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "recovery.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recovery.context_processors.site",
                "plans.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "recovery.wsgi.application"

# Database: PostgreSQL when DATABASE_URL is set, otherwise an SQLite file under var/.
# SQLite is tuned for a small multi-user server: WAL lets readers and one writer work at once,
# IMMEDIATE transactions take the write lock up front (no "database is locked" half-way
# through a transaction) and the busy timeout makes a second writer wait rather than fail.
SQLITE_PATH = VAR_DIR / "db.sqlite3"
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    # Username and password; with DJANGO_LOCAL_LOGIN=superusers only for superusers.
    "recovery.accounts.backends.LocalPasswordBackend",
    # OpenID Connect single sign-on (mozilla-django-oidc); inert unless OIDC_ISSUER is set.
    "recovery.accounts.backends.SingleSignOnBackend",
]

# Who may sign in with a password: "all" (the default) or "superusers" (break-glass accounts
# only, when everyone else signs in with the council's identity provider).
LOCAL_LOGIN = os.environ.get("DJANGO_LOCAL_LOGIN", "all").strip().lower() or "all"
if LOCAL_LOGIN not in {"all", "superusers"}:
    raise ImproperlyConfigured(f'DJANGO_LOCAL_LOGIN must be "all" or "superusers", not "{LOCAL_LOGIN}".')

# Single sign-on by OpenID Connect (see README "Signing in with the council's accounts"). Off
# unless OIDC_ISSUER and OIDC_CLIENT_ID are set; then the provider's endpoints are read from its
# discovery document (OIDC_DISCOVERY_URL, by default <issuer>/.well-known/openid-configuration).
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").strip()
OIDC_DISCOVERY_URL = os.environ.get("OIDC_DISCOVERY_URL", "").strip()
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "").strip()
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
if bool(OIDC_ISSUER) != bool(OIDC_RP_CLIENT_ID):
    raise ImproperlyConfigured("Single sign-on needs both OIDC_ISSUER and OIDC_CLIENT_ID (or neither).")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
# The ID-token (or userinfo) claim that lists the user's groups, and which groups give each role:
# comma-separated group names or IDs as the provider sends them (Entra ID: object IDs or app roles).
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups").strip()
OIDC_ROLE_GROUPS = {
    "Service manager": env_list("OIDC_GROUPS_SERVICE_MANAGER"),
    "Finance officer": env_list("OIDC_GROUPS_FINANCE_OFFICER"),
    "Executive": env_list("OIDC_GROUPS_EXECUTIVE"),
    "Administrator": env_list("OIDC_GROUPS_ADMINISTRATOR"),
}
# "Sign in with <this>" on the sign-in page.
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "").strip()
# Fixed by this app (the library's names): state and nonce checked, PKCE (S256) used, the ID token
# kept in the session for the provider's sign-out, a timeout on every call to the provider.
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_STORE_ID_TOKEN = True
OIDC_TIMEOUT = int(os.environ.get("OIDC_TIMEOUT_SECONDS", 10))
OIDC_TOKEN_USE_BASIC_AUTH = env_bool("OIDC_TOKEN_USE_BASIC_AUTH")
OIDC_CALLBACK_CLASS = "recovery.accounts.views.SingleSignOnCallbackView"
OIDC_AUTHENTICATE_CLASS = "recovery.accounts.views.SingleSignOnStartView"
OIDC_OP_LOGOUT_URL_METHOD = "recovery.accounts.views.provider_logout_url"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_SECONDS", 8 * 60 * 60))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# The reverse proxies in front of the app (addresses or networks) and how many there are in
# line: the client's address is then read from the X-Forwarded-For they append to, and only
# from them (recovery.lockout.client_ip). Unset: the connection's own address.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")
PROXY_COUNT = int(os.environ.get("DJANGO_PROXY_COUNT", 1 if TRUSTED_PROXIES else 0))

# django-axes: lock an account out from an address after repeated failed log-ins, and an address
# out of every account after many (password spraying), for a cool-off (recovery.lockout).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_IP_FAILURE_LIMIT = int(os.environ.get("AXES_IP_FAILURE_LIMIT", 30))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "recovery.lockout.client_ip"
AXES_HANDLER = "recovery.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Single sign-on checks no password here (the provider does its own lockout): axes leaves it alone.
AXES_WHITELIST_CALLABLE = "recovery.accounts.backends.is_not_a_password_attempt"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"  # attachments are only served through a permission check
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploads (attachments, trackers awaiting confirmation) go through Django's storage API. With
# several servers, keep them in S3-compatible storage shared by all: install the extra
# (`pip install -e ".[s3]"`) and set DJANGO_S3_BUCKET (and the usual AWS_* variables, or
# DJANGO_S3_ENDPOINT_URL for a non-AWS store). Files are private: served only through the app.
if os.environ.get("DJANGO_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["DJANGO_S3_BUCKET"],
            "endpoint_url": os.environ.get("DJANGO_S3_ENDPOINT_URL") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Uploads: attachments are checked for type and size in plans.services; these bound the request.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The tracker import's confirm sends one tick box per scheme it would change: up to
# monitoring.tracker.MAX_ROWS (60,000). Django's default of 1,000 fields refused a 5,000-row
# tracker's confirm with a 400.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 61_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Background jobs (large report PDFs, imports) are queued in the database and run by
# `manage.py run_jobs` (`make worker`; `make run` starts one). DJANGO_JOBS_IMMEDIATE=1 runs them in
# the request instead. A running job whose worker has not beaten for JOBS_LEASE_SECONDS is
# requeued (or failed after its last attempt); pages warn when no worker has been seen for
# JOBS_WORKER_MISSING_SECONDS.
JOBS_RUN_IMMEDIATELY = env_bool("DJANGO_JOBS_IMMEDIATE") or env_bool("DJANGO_TASKS_IMMEDIATE")
JOBS_LEASE_SECONDS = int(os.environ.get("JOBS_LEASE_SECONDS", 60))
JOBS_WORKER_MISSING_SECONDS = int(os.environ.get("JOBS_WORKER_MISSING_SECONDS", 60))
# A report with more rows than this is rendered to PDF in the background.
REPORT_PDF_BACKGROUND_ROWS = int(os.environ.get("REPORT_PDF_BACKGROUND_ROWS", 300))
# An uploaded savings tracker with more rows than this is checked, and then imported, in the
# background, with a page showing its progress; smaller ones are checked in the request.
TRACKER_BACKGROUND_ROWS = int(os.environ.get("TRACKER_BACKGROUND_ROWS", 2000))

# The cache holds rendered PDFs, so it must be shared by the web processes and the worker: files
# under var/cache on one server, Redis (REDIS_URL) when several servers share the work.
CACHES: dict[str, dict[str, Any]]
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "recovery.filecache.FileCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 500},
        }
    }

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", 25))
# Seconds to wait for the mail server before giving up (Django's default is to wait for ever).
EMAIL_TIMEOUT = int(os.environ.get("DJANGO_EMAIL_TIMEOUT", 10))
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "recovery-plans@localhost")

ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", "Example Council")

# Security headers. HTTPS settings default on in production; behind a TLS-terminating proxy
# set DJANGO_SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", not DEBUG)
# Monitoring may poll the health endpoint over plain HTTP inside the network (it shows no secrets).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)

# Content Security Policy: everything from this site only, and no inline script at all (every
# script is a static file). Styles also only from static files; htmx is told not to inject its
# own <style> (see base.html). Reports are served as downloads, not pages.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # The identity provider's host too: signing out redirects there to end its session.
        "form-action": ["'self'", *oidc_origins(OIDC_ISSUER, OIDC_DISCOVERY_URL)],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs go to standard output; DJANGO_LOG_FORMAT=json writes one JSON object a line (time, level,
# logger, message, request path and user where known) for a log collector.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "recovery.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if os.environ.get("DJANGO_LOG_FORMAT") == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
