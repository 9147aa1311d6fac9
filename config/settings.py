"""safetrain settings: one env-driven module.

Embedded default (no variables set): SQLite, in-memory channel layer, local
memory cache, in-process background work. ``DATABASE_URL`` selects PostgreSQL;
``REDIS_URL`` selects channels-redis, the Redis cache and Celery.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_int,
    env_list,
    env_proxy_ssl_header,
    env_rate,
    env_report_uri,
    env_str,
    env_url,
    postgres_settings,
    sqlite_path_from_url,
    sqlite_settings,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-deploy"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "allauth",
    "accounts.apps.AllauthAccountConfig",
    "accounts.apps.AllauthMFAConfig",
    "axes",
    "core",
    "accounts",
    "organizations",
    "question_bank",
    "training",
    "exams",
    "proctoring",
    "classroom",
    "analytics",
    "demo",
]

MIDDLEWARE = [
    # First: the request id and the one JSON log line cover every answer, refusals included.
    "core.request_log.RequestLogMiddleware",
    # Next: a database that cannot be reached answers 503 + Retry-After, and the log says 503.
    "core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.AccountObligationsMiddleware",
    "core.middleware.ApiJsonErrorsMiddleware",
    # Last, as axes asks: turns a login refused for a locked account into the
    # lockout answer (accounts.lockout.lockout_response).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
# HTTP requests one ASGI server process works on at once; the rest wait their turn in
# the event loop (core/concurrency.py). 0 turns the bound off. Under gunicorn
# (config/gunicorn.py) the bound is its thread pool, GUNICORN_THREADS per worker.
ASGI_HTTP_CONCURRENCY = env_int("ASGI_HTTP_CONCURRENCY", 12, minimum=0)
# The scaled-out topology serves HTTP from gunicorn (config/gunicorn.py), websockets from daphne.
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "core.navigation.navigation",
                "core.navigation.ui_strings",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# DATABASE_URL: postgres://… or sqlite:///relative/path (to the project directory)
# or sqlite:////absolute/path. Without it, SQLITE_PATH (default db.sqlite3 here).
DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
if DATABASE_URL and not DATABASE_URL.startswith("sqlite:"):
    DATABASES = {
        "default": postgres_settings(
            DATABASE_URL,
            pool_max=env_int("DATABASE_POOL_MAX", 0, minimum=0),
            parallel_workers=env_int("DATABASE_PARALLEL_WORKERS", 1, minimum=0),
        )
    }
elif DATABASE_URL:
    sqlite_path = sqlite_path_from_url(DATABASE_URL, base_dir=BASE_DIR)
    other_path = env_str("SQLITE_PATH", "")
    if other_path and Path(other_path).resolve() != Path(sqlite_path).resolve():
        raise ImproperlyConfigured("DATABASE_URL and SQLITE_PATH name different SQLite files: set only one of them")
    DATABASES = {"default": sqlite_settings(sqlite_path)}
else:
    DATABASES = {"default": sqlite_settings(env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery -------------------------------------
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py's async pool refuses a 101st concurrent connection by default; a class of
            # examinees connecting at once needs more (bench/bench_ws.py found it).
            "CONFIG": {
                "hosts": [
                    {"address": REDIS_URL, "max_connections": env_int("REDIS_MAX_CONNECTIONS", 2000, minimum=10)}
                ],
                "prefix": env_str("REDIS_PREFIX", "safetrain"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("REDIS_PREFIX", "safetrain"),
        }
    }
    # Every websocket connect and page view reads the session: from Redis, with the
    # database behind it (sessions survive a Redis restart, and are read from the
    # database while Redis is down: core.sessions).
    SESSION_ENGINE = "core.sessions"
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
# A task leaves the queue only once it ran (late acks): a worker killed mid-task must not
# take its task (a snapshot's face check, an import) with it. If only the pool process
# running it dies, the worker puts it back at once (reject on worker lost; every task of
# ours is idempotent: claimed by a conditional UPDATE). If the whole worker dies, Redis
# still holds the task as unacknowledged, and any worker puts it back in the queue once it
# has been out for CELERY_VISIBILITY_TIMEOUT seconds (drill: tests/drills/test_worker_killed.py).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any task runs (a district's import or export), or a task still running is
    # handed to a second worker too; it is how late a dead worker's tasks are taken up again.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
    # How often a worker looks for such tasks; kombu's default (10 s × a throttle of 10)
    # would add up to 100 s more. One ZRANGE on Redis each time.
    "unacked_restore_interval": env_int("CELERY_RESTORE_INTERVAL", 10, minimum=1),
    "unacked_restore_throttle": 1,
}
CELERY_TIMEZONE = "Asia/Shanghai"
# Background work runs on Celery only when Redis is configured; otherwise a
# pool of threads inside the server process takes it (core.background).
BACKGROUND_BACKEND = "celery" if REDIS_URL else "threads"
BACKGROUND_THREADS = env_int("BACKGROUND_THREADS", 2, minimum=1)
# The queue the web processes send tasks to and the workers take them from. Two deployments
# (or a test run and a demo) sharing one Redis database need different names.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
# /healthz (core.health) answers 503 when the oldest task waiting in that queue has waited
# longer than this: no worker is taking tasks, or too few for the load. 0: report, never 503.
WORKER_QUEUE_MAX_WAIT_SECONDS = env_int("WORKER_QUEUE_MAX_WAIT_SECONDS", 300, minimum=0)

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every authenticate() of a locked account before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # Initial passwords of imported accounts only (see accounts/hashers.py).
    "accounts.hashers.OneTimePasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Messages such as "以 … 成功登录" name the person (User.__str__: the display name), not an
# imported worker's generated username.
ACCOUNT_USER_DISPLAY = "accounts.models.user_display"
ACCOUNT_LOGIN_METHODS = {"username", "email", "phone"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_PHONE_VERIFICATION_ENABLED = False
ACCOUNT_EMAIL_VERIFICATION = "none"
# Accounts are created by enterprise admins (roster import) or by platform
# admins; self-service sign-up arrives with public learners.
ACCOUNT_ALLOW_SIGNUPS = env_bool("ACCOUNT_ALLOW_SIGNUPS", False)
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login": env_str("LOGIN_RATE_LIMIT", "30/m/ip"),
    "login_failed": env_str("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key"),
    "change_password": "5/m/user",
    "reset_password": "20/m/ip,5/m/key",
}
# Text messages (accounts.sms): password reset by phone sends its code through this backend.
# The demo prints messages on the server console; without DEBUG nothing is sent until a real
# provider's adapter is configured (docs/SMS.md).
SMS_BACKEND = env_str("SMS_BACKEND", "accounts.sms.ConsoleBackend" if DEBUG else "accounts.sms.DisabledBackend")
PHONE_RESET_CODE_MINUTES = env_int("PHONE_RESET_CODE_MINUTES", 10, minimum=1)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "safetrain"
# Roles whose members must enrol TOTP before using the site or getting an API token.
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", [] if DEBUG else ["platform_admin", "bureau_official"])

# Which client address to believe (accounts.network.client_ip): by default
# REMOTE_ADDR, and X-Forwarded-For is ignored. Used by axes, allauth's rate
# limits (AccountAdapter.get_client_ip) and the token throttle. Behind a reverse proxy, either
# list the proxies (TRUSTED_PROXIES: addresses or networks; the header is
# believed only when REMOTE_ADDR is one of them) or give their number
# (NUM_PROXIES: that many entries from the right of the header are proxies).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
        ) from None
NUM_PROXIES = env_int("NUM_PROXIES", 0, minimum=0)

# Per-account lockout on every login door (allauth's form, to which the Django
# admin's login sends people, and the API token endpoint), by django-axes: after
# AXES_FAILURE_LIMIT failures for one account within the cool-off, the account
# is refused, even with the right password, until LOGIN_LOCKOUT_MINUTES after the
# last failure. Counted per account only, not per address: whole enterprises and
# training centres share one address, and an attacker rotates addresses anyway
# (allauth's own per-address limit, ACCOUNT_RATE_LIMITS, still applies).
# Platform admins unlock an account early in the admin (Axes › Access attempts).
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for the address among the lockout parameters. Deliberately not:
# one failure limit for both would lock a whole enterprise or exam hall behind
# one NAT after a few typos. Guessing across many accounts from one address is
# held by the per-address limits instead: allauth's login_failed "10/m/ip" and
# the token endpoint's throttle, both on the address accounts.network trusts.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # models.W040: the analytics fact tables' covering indexes (Index.include) are PostgreSQL's;
    # on the embedded SQLite they are plain indexes, which is all it needs. Never silenced on PostgreSQL.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
# The username, email or phone typed, resolved to the account it names.
AXES_USERNAME_CALLABLE = "accounts.lockout.account_key"
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Attempts while locked are refused without being recorded, so the lock ends
# when it said it would (a success never ends it early: AXES_RESET_ON_SUCCESS).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
AXES_HTTP_RESPONSE_CODE = 429
# Failures are kept for the cool-off only (axes deletes older ones); successful
# sign-ins are not logged by axes at all: no address trail without a retention rule.
AXES_DISABLE_ACCESS_LOG = True
# Its own log lines carry no usernames or addresses (the admin shows them).
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "login", "code"]

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous or bad-token call then gets 401 with
    # "WWW-Authenticate: Token" instead of a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "organizations.authentication.TokenAuthentication",
        "core.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": env_str("TOKEN_RATE_LIMIT", "10/min")},
    # DRF would otherwise key throttles on the whole X-Forwarded-For header, which
    # the client writes; 0 means REMOTE_ADDR (see TRUSTED_PROXIES above).
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    # Lazy: the docs page and the schema speak the reader's language (Chinese by default).
    "TITLE": _("safetrain API"),
    "DESCRIPTION": _(
        "The API of the safety training and exam platform (培考一体): sign in with a token from /api/v1/auth/token/."
    ),
    # The schema and its docs page are for signed-in users (a session or a token); the token route stays open.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several apps have a field called "type"; name their choice sets so the
    # schema's component names stay stable and spectacular does not warn.
    "ENUM_NAME_OVERRIDES": {
        "QuestionTypeEnum": "question_bank.models.QuestionType",
        "BankPurposeEnum": "question_bank.models.Bank.Purpose",
        "LivenessPurposeEnum": "proctoring.models.LivenessCheck.Purpose",
        "LivenessStatusEnum": "proctoring.models.LivenessCheck.Status",
        "PostEnum": "organizations.models.Person.Post",
        "ClassLevelEnum": "classroom.models.TrainingClass.Level",
        "ClassStatusEnum": "classroom.models.TrainingClass.Status",
        "SignStatusEnum": ["invited", "signed_in", "signed_out"],
        "PlanLevelEnum": "training.models.PlanLevel",
    },
    # The ".json" suffix routes of the DRF router duplicate every operation: left out of the schema.
    "PREPROCESSING_HOOKS": ["drf_spectacular.hooks.preprocess_exclude_path_format"],
    # The error answers (400/401/403/404/429 with {"detail", "errors"}) are documented on every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api_errors.document_error_responses",
    ],
}

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
# WhiteNoise serves from the finders in the embedded default; it only warns
# when STATIC_ROOT is missing, so make sure it exists.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Django's form templates with one of ours: a checkbox inside its label (core.form_rendering).
FORM_RENDERER = "core.form_rendering.FormRenderer"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Private files (face photos, uploads) live outside any URL-served directory;
# they are streamed only by views that check permissions.
PRIVATE_STORAGE_ROOT = Path(env_str("PRIVATE_STORAGE_ROOT", str(BASE_DIR / "var" / "private")))
# Several hosts share one S3-compatible bucket instead (core.private_files): private objects, never a URL.
# Credentials come from boto3's usual sources (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, an instance role).
PRIVATE_STORAGE_BACKEND = env_str("PRIVATE_STORAGE_BACKEND", "filesystem")
if PRIVATE_STORAGE_BACKEND not in {"filesystem", "s3"}:
    raise ImproperlyConfigured(f"PRIVATE_STORAGE_BACKEND={PRIVATE_STORAGE_BACKEND!r}: use filesystem or s3")
if PRIVATE_STORAGE_BACKEND == "s3":
    _private_bucket = env_str("PRIVATE_S3_BUCKET", "")
    if not _private_bucket:
        raise ImproperlyConfigured("PRIVATE_STORAGE_BACKEND=s3 needs PRIVATE_S3_BUCKET")
    _private_endpoint = env_url("PRIVATE_S3_ENDPOINT_URL", schemes=("http", "https"))
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _private_bucket,
            "endpoint_url": _private_endpoint,
            "region_name": env_str("PRIVATE_S3_REGION", "us-east-1"),
            "location": env_str("PRIVATE_S3_PREFIX", ""),
            # MinIO and most self-hosted stores want bucket-in-path addresses.
            "addressing_style": env_str("PRIVATE_S3_ADDRESSING_STYLE", "path" if _private_endpoint else "auto"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": True,
        },
    }
# Face images are Fernet-encrypted at rest with these keys (the first encrypts, all decrypt: rotation).
# From the environment (comma-separated) or a key file (one key a line), never from the database.
_biometric_key_file = env_str("BIOMETRIC_ENCRYPTION_KEY_FILE", "")
if _biometric_key_file and env_str("BIOMETRIC_ENCRYPTION_KEY", ""):
    raise ImproperlyConfigured("set BIOMETRIC_ENCRYPTION_KEY or BIOMETRIC_ENCRYPTION_KEY_FILE, not both")
if _biometric_key_file:
    try:
        _key_lines = Path(_biometric_key_file).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as _exc:
        raise ImproperlyConfigured(f"BIOMETRIC_ENCRYPTION_KEY_FILE={_biometric_key_file!r}: {_exc}") from None
    BIOMETRIC_ENCRYPTION_KEYS = [k.strip() for k in _key_lines if k.strip() and not k.lstrip().startswith("#")]
    if not BIOMETRIC_ENCRYPTION_KEYS:
        raise ImproperlyConfigured(f"BIOMETRIC_ENCRYPTION_KEY_FILE={_biometric_key_file!r} holds no key")
else:
    BIOMETRIC_ENCRYPTION_KEYS = env_list("BIOMETRIC_ENCRYPTION_KEY", [])
for _number, _key in enumerate(BIOMETRIC_ENCRYPTION_KEYS, start=1):
    try:
        Fernet(_key)
    except (ValueError, TypeError):
        # A typo stops start-up rather than every face upload (the key itself is never printed).
        raise ImproperlyConfigured(f"BIOMETRIC_ENCRYPTION_KEY: key {_number} is not a Fernet key") from None
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "/media/"

UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
# import_data: a larger file is imported by a background job with a progress page (core.import_jobs).
IMPORT_INLINE_MAX_BYTES = env_int("IMPORT_INLINE_MAX_BYTES", 512 * 1024, minimum=0)
# An import's list of every error (core.import_errors): how long its uploader may download it,
# and how often the expired ones are deleted.
IMPORT_ERRORS_KEPT_SECONDS = env_int("IMPORT_ERRORS_KEPT_SECONDS", 3600, minimum=60)
IMPORT_ERRORS_PURGE_SECONDS = env_int("IMPORT_ERRORS_PURGE_SECONDS", 600, minimum=5)
# A background import queued or running longer than this was stopped with its worker: it is failed and its
# file (people's ID numbers) emptied by the same periodic tidy (core.import_jobs.import_records_purge).
IMPORT_JOB_STUCK_SECONDS = env_int("IMPORT_JOB_STUCK_SECONDS", 6 * 3600, minimum=600)
# A spreadsheet whose parts inflate past this is refused before parsing.
UPLOAD_MAX_UNCOMPRESSED_BYTES = env_int("UPLOAD_MAX_UNCOMPRESSED_BYTES", 400 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# HTTPS. Outside DEBUG: plain http is redirected (except the load balancer's
# health probe) and browsers are told to use https only, for a year, on
# subdomains too. SECURE_HSTS_PRELOAD only adds the header's "preload" token;
# the domain enters browsers' lists only when someone submits it.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Behind a TLS-terminating proxy that overwrites the header on every request:
# TRUSTED_PROXY_SSL_HEADER=X-Forwarded-Proto. Unset, no header is believed.
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("TRUSTED_PROXY_SSL_HEADER")

# Content-Security-Policy (django-csp). Only our own scripts and styles, no
# inline script or style (JSON data blocks are not executed, so they are fine);
# camera frames and QR codes are data:/blob: images; 'self' in connect-src also
# covers ws:/wss: of the same host (CSP Level 3) for the proctoring websockets.
# CSP_REPORT_ONLY=true sends the same policy as Content-Security-Policy-Report-Only
# (to try a change on a live site); CSP_REPORT_URI collects the browsers' reports.
_CSP_DIRECTIVES: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'none'"],  # no page of ours frames anything (PDFs are shown as page images)
    "worker-src": ["'self'"],
    "manifest-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
_CSP_REPORT_URI = env_report_uri("CSP_REPORT_URI")
if _CSP_REPORT_URI:
    _CSP_DIRECTIVES["report-uri"] = [_CSP_REPORT_URI]
# (Not a setting called CSP_REPORT_ONLY: django-csp's check takes CSP_* names for its old format.)
_csp_report_only = env_bool("CSP_REPORT_ONLY", False)
CONTENT_SECURITY_POLICY = None if _csp_report_only else {"DIRECTIVES": _CSP_DIRECTIVES}
CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES} if _csp_report_only else None

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "safetrain@localhost")

# --- Regulatory defaults (DESIGN.md); logic reads them, never literals --------
MINUTES_PER_CREDIT_HOUR = env_int("MINUTES_PER_CREDIT_HOUR", 45, minimum=1)
NEW_HIRE_WINDOW_DAYS = env_int("NEW_HIRE_WINDOW_DAYS", 90, minimum=0)
# The longest period one statistics question may cover (analytics.queries).
ANALYTICS_MAX_PERIOD_DAYS = env_int("ANALYTICS_MAX_PERIOD_DAYS", 3 * 366, minimum=31)
# Exports (analytics.exports): a people list longer than this is written by a background job
# with a progress page; shorter ones and tables are sent at once. Files are deleted after the retention.
ANALYTICS_EXPORT_INLINE_ROWS = env_int("ANALYTICS_EXPORT_INLINE_ROWS", 5000, minimum=0)
ANALYTICS_EXPORT_RETENTION_HOURS = env_int("ANALYTICS_EXPORT_RETENTION_HOURS", 72, minimum=1)
ANALYTICS_EXPORT_PURGE_SECONDS = env_int("ANALYTICS_EXPORT_PURGE_SECONDS", 6 * 3600, minimum=60)
# A statistics table of more rows than this (by enterprise, a district's tens of thousands)
# is sorted, searched and paged on the server, this many rows a page.
ANALYTICS_TABLE_ROWS_PER_PAGE = env_int("ANALYTICS_TABLE_ROWS_PER_PAGE", 200, minimum=1)
# Pre-aggregated facts (analytics.facts): the periodic refresh of the facts written rows touched,
# and the most pending markers a statistics question refreshes itself before reading the facts
# (more than that and it reads the live SQL until the periodic refresh has caught up).
ANALYTICS_FACTS_REFRESH_SECONDS = env_int("ANALYTICS_FACTS_REFRESH_SECONDS", 60, minimum=5)
ANALYTICS_FACTS_INLINE_REFRESH = env_int("ANALYTICS_FACTS_INLINE_REFRESH", 5000, minimum=0)
# The calendar years annual_retraining_rate keeps facts for: this year and the ones before it.
ANALYTICS_FACTS_ANNUAL_YEARS = env_int("ANALYTICS_FACTS_ANNUAL_YEARS", 3, minimum=1)

# --- Training: server-counted credit (training.services.heartbeat_record) -----
# The player sends a heartbeat every TRAINING_HEARTBEAT_SECONDS; the server
# credits at most TRAINING_HEARTBEAT_MAX_GAP_SECONDS per heartbeat, ignores
# ones closer together than the minimum interval, locks a lesson after the idle
# limit until "are you still there?" is answered, and refuses playback faster
# than the rate cap (in percent: 150 = 1.5x).
TRAINING_HEARTBEAT_SECONDS = env_int("TRAINING_HEARTBEAT_SECONDS", 15, minimum=1)
TRAINING_HEARTBEAT_MIN_INTERVAL_SECONDS = env_int("TRAINING_HEARTBEAT_MIN_INTERVAL_SECONDS", 5, minimum=0)
TRAINING_HEARTBEAT_MAX_GAP_SECONDS = env_int("TRAINING_HEARTBEAT_MAX_GAP_SECONDS", 45, minimum=1)
TRAINING_IDLE_LOCK_SECONDS = env_int("TRAINING_IDLE_LOCK_SECONDS", 600, minimum=5)
TRAINING_MAX_PLAYBACK_RATE_PERCENT = env_int("TRAINING_MAX_PLAYBACK_RATE_PERCENT", 150, minimum=100)
TRAINING_CLOCK_SKEW_SECONDS = env_int("TRAINING_CLOCK_SKEW_SECONDS", 30, minimum=0)
# One lesson at a time per learner: the lease expires this long after the last heartbeat.
TRAINING_LEASE_SECONDS = env_int("TRAINING_LEASE_SECONDS", 60, minimum=5)
TRAINING_ONBOARDING_DUE_DAYS = env_int("TRAINING_ONBOARDING_DUE_DAYS", 30, minimum=1)
TRAINING_REMINDER_DAYS = env_int("TRAINING_REMINDER_DAYS", 7, minimum=0)
# The daily job (annual retraining assignment, reminders) runs this often: on
# Celery beat with REDIS_URL, otherwise on a thread of the server (training.scheduler).
TRAINING_DAILY_JOB_HOURS = env_int("TRAINING_DAILY_JOB_HOURS", 24, minimum=1)
TRAINING_MEDIA_MAX_BYTES = env_int("TRAINING_MEDIA_MAX_BYTES", 500 * 1024 * 1024, minimum=1024)
# The largest lesson plan (教案: pdf, docx, pptx) the library accepts.
LIBRARY_MAX_BYTES = env_int("LIBRARY_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
# Credit ledger retention in years, by post (3 for principals and safety
# managers, 6 for special operators, per the regulators' requests).
TRAINING_LEDGER_RETENTION_YEARS = {
    "principal": env_int("TRAINING_RETENTION_YEARS_PRINCIPAL", 3, minimum=1),
    "safety_manager": env_int("TRAINING_RETENTION_YEARS_SAFETY_MANAGER", 3, minimum=1),
    "special_operator": env_int("TRAINING_RETENTION_YEARS_SPECIAL_OPERATOR", 6, minimum=1),
    "employee": env_int("TRAINING_RETENTION_YEARS_EMPLOYEE", 3, minimum=1),
    "public": env_int("TRAINING_RETENTION_YEARS_PUBLIC", 3, minimum=1),
}

# One JSON line per HTTP request on stderr (core.request_log): request id, user id, route, status, duration.
REQUEST_LOG = env_bool("REQUEST_LOG", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json_line": {"format": "%(message)s"},
    },
    "filters": {"quiet_403": {"()": "config.logfilters.PermissionDeniedWithoutTraceback"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "requests": {"class": "logging.StreamHandler", "formatter": "json_line"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "daphne": {"level": "WARNING"},
        "django.request": {"filters": ["quiet_403"]},
        # core.request_log: one JSON object a line, nothing else on it (docs/OPERATIONS.md).
        "safetrain.request": {"handlers": ["requests"], "level": "INFO", "propagate": False},
    },
}

# --- Question bank: sibling (near-duplicate) questions (question_bank.siblings) ---
# Two questions whose character 2/3-gram Jaccard reaches this many percent are suggested as
# siblings (calibrated on the real banks in tests/question_bank/real_world: docs/SIBLINGS.md).
QUESTION_BANK_SIBLING_PERCENT = env_int("QUESTION_BANK_SIBLING_PERCENT", 60, minimum=1)
# An import (and the siblings page's button) re-scans a bank of at most this many active
# questions at once (about a second per 3,000 here); a larger bank is scanned in the background.
QUESTION_BANK_SIBLING_AUTO_SCAN_MAX = env_int("QUESTION_BANK_SIBLING_AUTO_SCAN_MAX", 3000, minimum=0)

# --- Exams (exams.services, exams.scheduler) -----------------------------------
# Papers are prepared this long before a session opens, so that starting is cheap.
EXAMS_PREPARE_AHEAD_MINUTES = env_int("EXAMS_PREPARE_AHEAD_MINUTES", 30, minimum=1)
# The deadline job (auto-submit, preparing papers, certificate reminders) runs
# this often: on Celery beat when REDIS_URL is set, otherwise on a daemon
# thread in the ASGI server process. PERIODIC_JOBS=off disables the thread
# (e.g. when a separate process runs `manage.py exams_tick --loop`).
EXAMS_TICK_SECONDS = env_int("EXAMS_TICK_SECONDS", 15, minimum=1)
# Whether this process runs the embedded periodic jobs of every app (core.background.periodic_jobs_wanted):
# "auto" (only an ASGI/dev server process), "on" or "off". EXAMS_SCHEDULER is its older name, still read.
PERIODIC_JOBS = env_str("PERIODIC_JOBS", env_str("EXAMS_SCHEDULER", "auto"))
EXAMS_CERTIFICATE_REMINDER_DAYS = env_int("EXAMS_CERTIFICATE_REMINDER_DAYS", 60, minimum=1)
EXAMS_SPOT_TEST_QUESTIONS = env_int("EXAMS_SPOT_TEST_QUESTIONS", 5, minimum=1)
EXAMS_SPOT_TEST_MINUTES = env_int("EXAMS_SPOT_TEST_MINUTES", 10, minimum=1)
# The public certificate lookup (page and API together): lookups per client address a minute, found or not.
EXAMS_CERTIFICATE_LOOKUPS_PER_MINUTE = env_int("EXAMS_CERTIFICATE_LOOKUPS_PER_MINUTE", 10, minimum=1)

# --- Proctoring (proctoring.services) ------------------------------------------
# Version of the face-processing consent text shown to examinees; a new text
# version means new consents are recorded against it. 2026-12: the text says that liveness is checked.
PROCTORING_CONSENT_VERSION = env_str("PROCTORING_CONSENT_VERSION", "2026-12")
# Snapshots, identity-check captures and reference photos older than this are
# deleted by `manage.py purge_proctoring_media` (decisions, distances and event
# logs stay); it runs every PROCTORING_PURGE_HOURS on Celery beat or a thread.
PROCTORING_RETENTION_DAYS = env_int("PROCTORING_RETENTION_DAYS", 30, minimum=1)
PROCTORING_PURGE_HOURS = env_int("PROCTORING_PURGE_HOURS", 24, minimum=1)
# A binary websocket frame (one downscaled JPEG snapshot) over this is refused.
PROCTORING_SNAPSHOT_MAX_BYTES = env_int("PROCTORING_SNAPSHOT_MAX_BYTES", 256 * 1024, minimum=1024)
# A JSON websocket frame (one browser event) over this is refused.
PROCTORING_EVENT_MAX_BYTES = env_int("PROCTORING_EVENT_MAX_BYTES", 4096, minimum=256)
# Enrolment and identity-check photos each cost a face encoding: at most this many
# per person in a window (COUNT/PERIOD, unit s/m/h/d), counted by
# proctoring.services.photo_upload_allow on every door, unreadable photos included.
# The setting holds (count, seconds), e.g. (10, 600).
PROCTORING_PHOTO_RATE = env_rate("PROCTORING_PHOTO_RATE", "10/10m")
# Enrolment and identity-check photos (an ID photo scan may be a few MB).
PROCTORING_PHOTO_MAX_BYTES = env_int("PROCTORING_PHOTO_MAX_BYTES", 8 * 1024 * 1024, minimum=1024)
# Phone-aware policies ignore a hidden page shorter than this (system pop-ups).
PROCTORING_PHONE_GRACE_SECONDS = env_int("PROCTORING_PHONE_GRACE_SECONDS", 8, minimum=0)
# Snapshot floods (proctoring.services.snapshot_receive, every door): frames come at most one per
# policy snapshot_min_seconds, plus PROCTORING_SNAPSHOT_BURST frames early (the first frame of a
# reloaded page); a frame must decode as a JPEG/PNG of at most PROCTORING_SNAPSHOT_MAX_SIDE pixels a
# side; an attempt stores at most PROCTORING_ATTEMPT_MAX_BYTES of snapshots (32 MB: a 4-hour exam at
# the default one frame per 20 s is 720 frames, ~45 KB each; the client sends 320-pixel JPEGs of
# 10-30 KB). The examinee socket closes (4429) after PROCTORING_SNAPSHOT_MAX_REFUSALS refusals in a row.
PROCTORING_SNAPSHOT_BURST = env_int("PROCTORING_SNAPSHOT_BURST", 1, minimum=0)
PROCTORING_SNAPSHOT_MAX_SIDE = env_int("PROCTORING_SNAPSHOT_MAX_SIDE", 1920, minimum=64)
PROCTORING_ATTEMPT_MAX_BYTES = env_int("PROCTORING_ATTEMPT_MAX_BYTES", 32 * 1024 * 1024, minimum=1024 * 1024)
PROCTORING_SNAPSHOT_MAX_REFUSALS = env_int("PROCTORING_SNAPSHOT_MAX_REFUSALS", 20, minimum=1)
# The missing-snapshot check (proctoring.scheduler.tick, `manage.py proctoring_tick`) runs this
# often: on Celery beat with REDIS_URL, otherwise on a thread of the server process.
PROCTORING_TICK_SECONDS = env_int("PROCTORING_TICK_SECONDS", 15, minimum=1)

# clcore (issue 18): how often the classroom reminder job runs (classroom.scheduler, classroom_reminders --loop).
CLASSROOM_REMINDER_SECONDS = env_int("CLASSROOM_REMINDER_SECONDS", 900, minimum=60)
# Days after a class ends within which its end-of-class quiz makes the class count toward the onboarding
# stage; after that the attended minutes are credited as other training (classroom.services.attendance).
CLASSROOM_QUIZ_DAYS = env_int("CLASSROOM_QUIZ_DAYS", 7, minimum=0)
