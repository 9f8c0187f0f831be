"""Settings shared by every environment. Everything configurable comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

REPO_ROOT = Path(__file__).resolve().parents[3]
STATE_DIR = Path(os.environ.get("LARSPAR_STATE_DIR", REPO_ROOT / ".state"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)

# The vendor side answers on the bare platform host; municipality N on "<slug>.<PLATFORM_DOMAIN>".
PLATFORM_DOMAIN = env("PLATFORM_DOMAIN", "localhost")
PLATFORM_SCHEME = env("PLATFORM_SCHEME", "http")
PLATFORM_PORT = env("PLATFORM_PORT", "")
ALLOWED_HOSTS = [PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}"]

# --- Tenancy -----------------------------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "accounts",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "vendor",
    "core",
    "worker",
    "curriculum",
]
# auth and sessions live in every tenant schema as well (django-tenants #52): a session of one
# municipality can never resolve to a user of another, because the user table is per schema.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "accounts",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "municipal",
    "register",
    "access",
    "integrations",
    "documentation.textguard",
    "documentation.plans",
    "documentation.assessments",
    "documentation.talks",
    "portal",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Municipality"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
# New municipalities are cloned from this migrated template schema (a tenant row with status
# "template", so `migrate_schemas` keeps it current); see tenants/services/onboarding.py.
TENANT_BASE_SCHEMA = "tpl_base"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Never on: django-tenants would skip SET search_path on reused connections, which breaks as soon
# as a pooler hands the session to someone else (django-tenants #545, #732, #1112).
TENANT_LIMIT_SET_CALLS = False
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/larspar"),
        engine="django_tenants.postgresql_backend",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Requests ----------------------------------------------------------------------------------
MIDDLEWARE = [
    "tenants.middleware.MunicipalityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.IdleSessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [REPO_ROOT / "platform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "portal.navigation.navigation",
            ],
        },
    }
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

# --- Internationalisation: Swedish first, English second --------------------------------------
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [REPO_ROOT / "platform" / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

# --- Static and media files (media is per tenant: see STORAGES) --------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(REPO_ROOT / "staticfiles")))
STATICFILES_DIRS = [REPO_ROOT / "platform" / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(STATE_DIR / "media")))
MEDIA_URL = "/media/"
# File storage keeps each municipality's files under its own schema-named folder.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Cache: keys carry the schema name so tenants never read each other's entries -------------
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL", REDIS_URL),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "KEY_PREFIX": "larspar",
    }
}

# --- Sessions ---------------------------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # idle timeout rather than absolute timeout
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Mail --------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Lärspår <no-reply@larspar.example>")

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lärspår API",
    "DESCRIPTION": "Pedagogical documentation for Swedish municipalities.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Celery (see platform/config/celery.py and docs/architecture.md) --------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TIMEZONE = TIME_ZONE
# Fairness on the imports queue (integrations/services/locks.py): how many large imports may run
# at once across all workers (the queue's processes minus those kept free for small runs), and
# what counts as large.
IMPORTS_LARGE_RUN_SLOTS = env_int("IMPORTS_LARGE_RUN_SLOTS", 1)
IMPORTS_LARGE_RUN_PERSONS = env_int("IMPORTS_LARGE_RUN_PERSONS", 20_000)
IMPORTS_LARGE_RUN_BYTES = env_int("IMPORTS_LARGE_RUN_BYTES", 25 << 20)
# How long an import's bulk load waits for readers of its tables before applying row by row
# (integrations/pipeline/bulk.py).
IMPORTS_BULK_LOCK_TIMEOUT_MS = env_int("IMPORTS_BULK_LOCK_TIMEOUT_MS", 3000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s [%(schema)s %(request_id)s] %(name)s: %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Sign-in, lockout, two-factor and API tokens (platform/accounts, docs/authentication.md) ---
# Lockout, counted per municipality: this many failed sign-ins for one user name within the
# window lock that user name for the cool-down. Failures per client address (password spraying)
# lock that address after SIGN_IN_IP_FAILURES; keep it high, a whole school may share one address.
SIGN_IN_LOCKOUT_FAILURES = env_int("SIGN_IN_LOCKOUT_FAILURES", 5)
SIGN_IN_LOCKOUT_WINDOW_MINUTES = env_int("SIGN_IN_LOCKOUT_WINDOW_MINUTES", 15)
SIGN_IN_LOCKOUT_MINUTES = env_int("SIGN_IN_LOCKOUT_MINUTES", 15)
SIGN_IN_IP_FAILURES = env_int("SIGN_IN_IP_FAILURES", 100)
# Reverse proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)


def _totp_issuer(device: object) -> str:
    # Authenticator apps show "Lärspår (<municipality>)" next to the account.
    from accounts.services.two_factor import totp_issuer

    return totp_issuer()


OTP_TOTP_ISSUER = _totp_issuer
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds, doubled after every wrong code
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "rest_framework.authentication.SessionAuthentication",
    "accounts.authentication.ApiTokenAuthentication",
]
