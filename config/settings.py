"""safetrain settings: one env-driven module.

Embedded default (no variables set): SQLite, in-memory channel layer, local
memory cache, in-process background work. ``DATABASE_URL`` selects PostgreSQL;
``REDIS_URL`` selects channels-redis, the Redis cache and Celery.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_int,
    env_list,
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
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "core",
    "accounts",
    "organizations",
    "question_bank",
    "training",
    "exams",
    "proctoring",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
    "config.middleware.ApiJsonErrorsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
# HTTP requests one server process works on at once; the rest wait their turn in the
# event loop (config/concurrency.py). 0 turns the bound off.
ASGI_HTTP_CONCURRENCY = env_int("ASGI_HTTP_CONCURRENCY", 12, minimum=0)
# Threads per server process that serve the examinee's start, autosave and submit
# for token clients, each keeping its database connection (exams/fastlane.py).
# With DATABASE_POOL_MAX set, at most half the pool is used. 0 sends those calls
# through Django's request handling like every other route.
EXAM_FAST_LANE_THREADS = env_int("EXAM_FAST_LANE_THREADS", 4, minimum=0)
WSGI_APPLICATION = None

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
                "organizations.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# DATABASE_URL: postgres://… or sqlite:///relative/path (to the project directory)
# or sqlite:////absolute/path. Without it, SQLITE_PATH (default db.sqlite3 here).
DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
if DATABASE_URL and not DATABASE_URL.startswith("sqlite:"):
    DATABASES = {"default": postgres_settings(DATABASE_URL, pool_max=env_int("DATABASE_POOL_MAX", 0, minimum=0))}
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
            "BACKEND": "config.cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("REDIS_PREFIX", "safetrain"),
        }
    }
    # Every websocket connect and page view reads the session: from Redis, with the
    # database behind it (sessions survive a Redis restart).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TIMEZONE = "Asia/Shanghai"
# Background work runs on Celery only when Redis is configured; otherwise a
# pool of threads inside the server process takes it (config.background).
BACKGROUND_BACKEND = "celery" if REDIS_URL else "threads"
BACKGROUND_THREADS = env_int("BACKGROUND_THREADS", 2, minimum=1)

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
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
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "safetrain"
# Roles whose members must enrol TOTP before using the site.
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", [] if DEBUG else ["platform_admin", "bureau_official"])

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous or bad-token call then gets 401 with
    # "WWW-Authenticate: Token" instead of a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": env_str("TOKEN_RATE_LIMIT", "10/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "safetrain API",
    "DESCRIPTION": "Safety training and exam platform (培考一体).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several apps have a field called "type"; name their choice sets so the
    # schema's component names stay stable and spectacular does not warn.
    "ENUM_NAME_OVERRIDES": {
        "QuestionTypeEnum": "question_bank.models.QuestionType",
    },
    # The ".json" suffix routes of the DRF router duplicate every operation: left out of the schema.
    "PREPROCESSING_HOOKS": ["drf_spectacular.hooks.preprocess_exclude_path_format"],
    # The error answers (400/401/403/404/429 with {"detail", "errors"}) are documented on every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.document_error_responses",
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Private files (face photos, uploads) live outside any URL-served directory;
# they are streamed only by views that check permissions.
PRIVATE_STORAGE_ROOT = Path(env_str("PRIVATE_STORAGE_ROOT", str(BASE_DIR / "var" / "private")))
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "/media/"

UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
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
REFERRER_POLICY = "same-origin"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "safetrain@localhost")

# --- Regulatory defaults (DESIGN.md); logic reads them, never literals --------
MINUTES_PER_CREDIT_HOUR = env_int("MINUTES_PER_CREDIT_HOUR", 45, minimum=1)
NEW_HIRE_WINDOW_DAYS = env_int("NEW_HIRE_WINDOW_DAYS", 90, minimum=0)

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
# Credit ledger retention in years, by post (3 for principals and safety
# managers, 6 for special operators, per the regulators' requests).
TRAINING_LEDGER_RETENTION_YEARS = {
    "principal": env_int("TRAINING_RETENTION_YEARS_PRINCIPAL", 3, minimum=1),
    "safety_manager": env_int("TRAINING_RETENTION_YEARS_SAFETY_MANAGER", 3, minimum=1),
    "special_operator": env_int("TRAINING_RETENTION_YEARS_SPECIAL_OPERATOR", 6, minimum=1),
    "employee": env_int("TRAINING_RETENTION_YEARS_EMPLOYEE", 3, minimum=1),
    "public": env_int("TRAINING_RETENTION_YEARS_PUBLIC", 3, minimum=1),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}},
}

# --- Exams (exams.services, exams.scheduler) -----------------------------------
# Papers are prepared this long before a session opens, so that starting is cheap.
EXAMS_PREPARE_AHEAD_MINUTES = env_int("EXAMS_PREPARE_AHEAD_MINUTES", 30, minimum=1)
# The deadline job (auto-submit, preparing papers, certificate reminders) runs
# this often: on Celery beat when REDIS_URL is set, otherwise on a daemon
# thread in the ASGI server process. EXAMS_SCHEDULER=off disables the thread
# (e.g. when a separate process runs `manage.py exams_tick --loop`).
EXAMS_TICK_SECONDS = env_int("EXAMS_TICK_SECONDS", 15, minimum=1)
EXAMS_SCHEDULER = env_str("EXAMS_SCHEDULER", "auto")
EXAMS_CERTIFICATE_REMINDER_DAYS = env_int("EXAMS_CERTIFICATE_REMINDER_DAYS", 60, minimum=1)
EXAMS_SPOT_TEST_QUESTIONS = env_int("EXAMS_SPOT_TEST_QUESTIONS", 5, minimum=1)
EXAMS_SPOT_TEST_MINUTES = env_int("EXAMS_SPOT_TEST_MINUTES", 10, minimum=1)

# --- Proctoring (proctoring.services) ------------------------------------------
# Version of the face-processing consent text shown to examinees; a new text
# version means new consents are recorded against it.
PROCTORING_CONSENT_VERSION = env_str("PROCTORING_CONSENT_VERSION", "2026-01")
# Snapshots, identity-check captures and reference photos older than this are
# deleted by `manage.py purge_proctoring_media` (decisions, distances and event
# logs stay); it runs every PROCTORING_PURGE_HOURS on Celery beat or a thread.
PROCTORING_RETENTION_DAYS = env_int("PROCTORING_RETENTION_DAYS", 30, minimum=1)
PROCTORING_PURGE_HOURS = env_int("PROCTORING_PURGE_HOURS", 24, minimum=1)
# A binary websocket frame (one downscaled JPEG snapshot) over this is refused.
PROCTORING_SNAPSHOT_MAX_BYTES = env_int("PROCTORING_SNAPSHOT_MAX_BYTES", 256 * 1024, minimum=1024)
# A JSON websocket frame (one browser event) over this is refused.
PROCTORING_EVENT_MAX_BYTES = env_int("PROCTORING_EVENT_MAX_BYTES", 4096, minimum=256)
# Enrolment and identity-check photos (an ID photo scan may be a few MB).
PROCTORING_PHOTO_MAX_BYTES = env_int("PROCTORING_PHOTO_MAX_BYTES", 8 * 1024 * 1024, minimum=1024)
# Phone-aware policies ignore a hidden page shorter than this (system pop-ups).
PROCTORING_PHONE_GRACE_SECONDS = env_int("PROCTORING_PHONE_GRACE_SECONDS", 8, minimum=0)
