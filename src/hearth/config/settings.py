"""Hearth settings. Everything deployment-specific comes from the environment.

Embedded default: SQLite in ``var/``, the in-memory channel layer, a local-memory
cache and the task worker inside the server process. Production: set
``DATABASE_URL`` (PostgreSQL), ``REDIS_URL``, ``HEARTH_SECRET_KEY``,
``HEARTH_ALLOWED_HOSTS``, ``HEARTH_HTTPS=true`` and a keyring.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from hearth.config.env import env, envbool, envint, local_secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("HEARTH_VAR_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = envbool("HEARTH_DEBUG", False)
# Production passes HEARTH_SECRET_KEY or HEARTH_SECRET_KEY_FILE; the embedded default
# generates its own into var/ on first start and keeps it there (never committed).
SECRET_KEY = env("HEARTH_SECRET_KEY") or local_secret(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env("HEARTH_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in env("HEARTH_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_NAME = env("HEARTH_SITE_NAME", "Hearth")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    # Before allauth so that Hearth's layout wraps allauth's pages.
    "hearth.web",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "hearth.accounts",
    "hearth.governance",
    "hearth.clients",
    "hearth.scheduling",
    "hearth.calls",
    "hearth.messaging",
    "hearth.records",
    "hearth.measures",
    "hearth.safety",
    "hearth.platform",
    "hearth.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "hearth.web.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hearth.governance.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "hearth.accounts.middleware.SessionLifetimeMiddleware",
    "hearth.accounts.middleware.ActiveOrganisationMiddleware",
    "hearth.accounts.middleware.StaffMFAMiddleware",
]

ROOT_URLCONF = "hearth.config.urls"
ASGI_APPLICATION = "hearth.config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hearth.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'hearth.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers continue while one writer commits; IMMEDIATE takes the write
        # lock at BEGIN so two writers queue instead of failing on lock upgrade.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-hearth.sqlite3")}
elif envint("HEARTH_DB_POOL_MAX", 0) > 0:
    # A psycopg connection pool per process: a database call borrows an open connection
    # instead of opening one (every WebSocket frame that touches the database would
    # otherwise pay a connection set-up). Off unless sized; see deploy/hearth.env.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": envint("HEARTH_DB_POOL_MAX", 0),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer and cache ----------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, which cuts the
                # layer's blocking receive (BZPOPMIN, 5 s server-side) and closes every
                # idle WebSocket every few seconds. A longer timeout still notices a dead
                # Redis connection.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                # Messages waiting for one process (all its sockets share one list) before
                # further ones are dropped: the default 100 lost signalling under load.
                "capacity": envint("HEARTH_CHANNEL_CAPACITY", 1500),
                "prefix": env("HEARTH_CHANNEL_PREFIX", "hearth"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("HEARTH_CACHE_PREFIX", "hearth"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Tasks ----------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
HEARTH_WORKER_HEARTBEAT_SECONDS = envint("HEARTH_WORKER_HEARTBEAT_SECONDS", 10)
HEARTH_WORKER_STALE_SECONDS = envint("HEARTH_WORKER_STALE_SECONDS", 60)

# --- Accounts, sign-in and sessions ---------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["email", "full_name"]},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env("HEARTH_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = envint("HEARTH_REAUTHENTICATION_SECONDS", 300)
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_ADAPTER = "hearth.accounts.adapters.AccountAdapter"
# Self-registration happens per organisation (accounts.views.client_register), never here.
ACCOUNT_SIGNUP_FORM_CLASS = None
HEARTH_LOGIN_FAILURES_BEFORE_LOCKOUT = envint("HEARTH_LOGIN_FAILURES_BEFORE_LOCKOUT", 5)
HEARTH_LOCKOUT_MINUTES = envint("HEARTH_LOCKOUT_MINUTES", 15)
ACCOUNT_RATE_LIMITS = {
    # Per-account lockout after repeated failures, plus a looser per-address limit.
    "login_failed": (
        f"{HEARTH_LOGIN_FAILURES_BEFORE_LOCKOUT}/{HEARTH_LOCKOUT_MINUTES}m/key,"
        f"{HEARTH_LOGIN_FAILURES_BEFORE_LOCKOUT * 6}/{HEARTH_LOCKOUT_MINUTES}m/ip"
    ),
    "login": "60/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
MFA_RECOVERY_CODE_COUNT = 10
USERSESSIONS_TRACK_ACTIVITY = True

HEARTH_STAFF_IDLE_MINUTES = envint("HEARTH_STAFF_IDLE_MINUTES", 30)
HEARTH_CLIENT_IDLE_MINUTES = envint("HEARTH_CLIENT_IDLE_MINUTES", 60)
HEARTH_SESSION_MAX_HOURS = envint("HEARTH_SESSION_MAX_HOURS", 12)
HEARTH_INVITATION_DAYS = envint("HEARTH_INVITATION_DAYS", 7)
SESSION_COOKIE_AGE = HEARTH_SESSION_MAX_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- HTTPS and security headers -------------------------------------------------------
HTTPS = envbool("HEARTH_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and envbool("HEARTH_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("HEARTH_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin": no URL ever leaves the site in a Referer header. Not "no-referrer":
# under it Chromium sends `Origin: null` on same-origin form posts (Fetch spec), which
# Django's CSRF origin check must refuse, so nobody could sign in.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "media-src": [SELF, "blob:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Encryption at rest ---------------------------------------------------------------
# A JSON keyring {"active": "<id>", "keys": {"<id>": "<base64 32 bytes>"}} from the
# environment, or the file it names; the embedded default keeps one in var/.
HEARTH_KEYRING = env("HEARTH_KEYRING")
HEARTH_KEYRING_PATH = Path(env("HEARTH_KEYRING_PATH", str(VAR_DIR / "keyring.json")))

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = env("HEARTH_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("HEARTH_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = envint("HEARTH_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("HEARTH_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("HEARTH_EMAIL_PASSWORD")
EMAIL_USE_TLS = envbool("HEARTH_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env("HEARTH_FROM_EMAIL", "Hearth <no-reply@hearth.invalid>")

# Absolute links in emails and texts sent by the worker (no request to take them from).
HEARTH_SITE_URL = env("HEARTH_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Calls ----------------------------------------------------------------------------
HEARTH_CALL_OPENS_MINUTES = envint("HEARTH_CALL_OPENS_MINUTES", 15)
HEARTH_CALL_CLOSES_MINUTES = envint("HEARTH_CALL_CLOSES_MINUTES", 60)  # after the end
HEARTH_STUN_URLS = [u for u in env("HEARTH_STUN_URLS", "").split(",") if u]
HEARTH_TURN_URLS = [u for u in env("HEARTH_TURN_URLS", "").split(",") if u]
HEARTH_TURN_SECRET = env("HEARTH_TURN_SECRET")  # coturn static-auth-secret
HEARTH_TURN_TTL_SECONDS = envint("HEARTH_TURN_TTL_SECONDS", 4 * 3600)
HEARTH_ICE_TRANSPORT_POLICY = env("HEARTH_ICE_TRANSPORT_POLICY", "all")  # or "relay"
HEARTH_SIGNAL_MAX_BYTES = envint("HEARTH_SIGNAL_MAX_BYTES", 65536)
HEARTH_SIGNAL_RATE_PER_SECOND = envint("HEARTH_SIGNAL_RATE_PER_SECOND", 50)

# --- Text messages --------------------------------------------------------------------
HEARTH_SMS_BACKEND = env("HEARTH_SMS_BACKEND", "file")
HEARTH_SMS_FILE = env("HEARTH_SMS_FILE", str(VAR_DIR / "sms.jsonl"))
HEARTH_TWILIO_ACCOUNT_SID = env("HEARTH_TWILIO_ACCOUNT_SID")
HEARTH_TWILIO_AUTH_TOKEN = env("HEARTH_TWILIO_AUTH_TOKEN")
HEARTH_TWILIO_FROM = env("HEARTH_TWILIO_FROM")
HEARTH_TWILIO_BASE_URL = env("HEARTH_TWILIO_BASE_URL", "https://api.twilio.com")
HEARTH_REMINDER_SECONDS = envint("HEARTH_REMINDER_SECONDS", 30)
# How often the worker moves unacknowledged risk alerts on to the next person.
HEARTH_ESCALATION_CHECK_SECONDS = envint("HEARTH_ESCALATION_CHECK_SECONDS", 15)

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hearth.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["hearth.api.permissions.IsMemberWithMFA"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "hearth.api.pagination.CappedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "hearth.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hearth API",
    "DESCRIPTION": "Remote-therapy platform API. Every clinical object is permission-checked "
    "and every read and write of clinical data is audited.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set the safety endpoints share, instead of generated ones.
    "ENUM_NAME_OVERRIDES": {
        "ModalityEnum": "hearth.scheduling.models.Modality",
        "RiskLevelEnum": "hearth.safety.models.RiskLevel",
        "RiskTypeEnum": "hearth.safety.models.RiskType",
        "IncidentKindEnum": "hearth.safety.models.Incident.Kind",
        "IncidentStatusEnum": "hearth.safety.models.Incident.Status",
        "IncidentActionEnum": "hearth.safety.models.IncidentStep.Action",
    },
}

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
HEARTH_DEFAULT_TIME_ZONE = env("HEARTH_DEFAULT_TIME_ZONE", "Europe/London")

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Logs carry no clinical content: request bodies are never logged, and errors show
# no locals (DEBUG stays off outside development).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("HEARTH_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "WARNING"},
    },
}

# WhiteNoise serves app static files directly (USE_FINDERS); the root must exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Messaging ------------------------------------------------------------------------
HEARTH_MESSAGE_MAX_CHARS = envint("HEARTH_MESSAGE_MAX_CHARS", 10_000)
HEARTH_ATTACHMENT_MAX_BYTES = envint("HEARTH_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# A notification waits this long, so a burst of messages sends one email.
HEARTH_MESSAGE_NOTIFY_AFTER_SECONDS = envint("HEARTH_MESSAGE_NOTIFY_AFTER_SECONDS", 60)
