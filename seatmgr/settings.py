"""Settings for seatmgr: one module, every deployment difference read from the environment.

Nothing set means the embedded default for a first run on a laptop: a SQLite file under var/,
Celery tasks run eagerly in-process, emails printed to the console, the built-in test payment
gateway. .env.example documents every variable.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
import structlog
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# With DEBUG on, a missing page or a failing view still shows the product's own 404 and 500 pages
# (accounts.middleware.ProductErrorPagesMiddleware); 1 shows Django's technical pages instead (the
# URL list, the traceback) while developing.
SEATMGR_DEBUG_ERROR_PAGES = env.bool("SEATMGR_DEBUG_ERROR_PAGES", default=False)
# The fallback key only serves the embedded default (DEBUG on). With DEBUG off a published key is
# a system-check error (accounts/checks.py): nothing starts until SECRET_KEY is set.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-embedded-default-key-change-me-" + "x" * 20)
# Former SECRET_KEYs, comma-separated: still accepted for signatures (sessions, reset links) and,
# unless FIELD_ENCRYPTION_KEYS is set, for decrypting saved secrets. Drop them once rotated out.
SECRET_KEY_FALLBACKS = [key for key in env.list("SECRET_KEY_FALLBACKS", default=[]) if key]
# Keys that encrypt saved secrets such as Salesforce tokens (invitations/crypto.py), newest first:
# the first encrypts, any decrypts. Empty = derived from SECRET_KEY and SECRET_KEY_FALLBACKS.
FIELD_ENCRYPTION_KEYS = [key for key in env.list("FIELD_ENCRYPTION_KEYS", default=[]) if key]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's widget templates, for FORM_RENDERER (it reads TEMPLATES)
    "csp",
    "axes",
    "accounts",
    "seats",
    "seats.reclaim",
    "billing",
    "invitations",
    "api",
    "scim",
    "ops",
    "django_prometheus",
    "django_structlog",
]

MIDDLEWARE = [
    # First and (almost) last: django-prometheus times every request, by view.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF and the sign-in redirect: PUT, DELETE and the like are a 405 for everyone.
    "accounts.middleware.AllowedMethodsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A request id on every log line of the request (X-Request-ID on the answer) and on the
    # Celery tasks it queues (DJANGO_STRUCTLOG_CELERY_ENABLED).
    "django_structlog.middlewares.RequestMiddleware",
    "accounts.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.CurrentAccountMiddleware",
    # The person's language and time zone (Profile), else the account's default language.
    "accounts.middleware.LanguageMiddleware",
    "accounts.middleware.DenyByDefaultMiddleware",
    # With DEBUG on, the product's 404 and 500 pages instead of Django's technical ones.
    "accounts.middleware.ProductErrorPagesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "seatmgr.urls"
WSGI_APPLICATION = "seatmgr.wsgi.application"

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
                "accounts.context_processors.settings_shell",
            ],
        },
    },
]

# {{ form.x.as_field_group }} draws a field with templates/forms/field.html.
FORM_RENDERER = "seatmgr.form_renderer.FormRenderer"

if not env.str("DATABASE_URL", default=""):
    # The embedded default keeps its SQLite file in var/, which a fresh clone does not have yet.
    (BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'seatmgr.sqlite3'}"
    )
}
# Persistent connections on PostgreSQL: a request reuses its thread's connection (opening one
# costs several milliseconds, more than a signed-in page's own queries), kept CONN_MAX_AGE
# seconds and checked before reuse (CONN_HEALTH_CHECKS) unless its last query is younger than
# CONN_HEALTH_CHECK_AFTER_IDLE seconds (seatmgr/postgresql), so a server restarted while it sat
# idle costs one failed check, not an error page. Behind PgBouncer in transaction mode set
# CONN_MAX_AGE=0 and DISABLE_SERVER_SIDE_CURSORS=1 (README, "Scaling"). SQLite (the embedded
# default) opens a file: nothing to keep.
_postgres = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if _postgres:
    # Django's, plus a cursor whose statements PostgreSQL keeps prepared (seatmgr/postgresql):
    # the signed-in person's query, on every request, is then planned once per connection
    # (PostgreSQL spent 0.1 ms on it instead of 0.39: docs/performance.md, benchmark 4).
    # Off behind PgBouncer in transaction mode before 1.21.
    DATABASES["default"]["ENGINE"] = "seatmgr.postgresql"
    DATABASES["default"]["PREPARED_STATEMENTS"] = env.bool(
        "DATABASE_PREPARED_STATEMENTS", default=True
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if _postgres else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=_postgres)
if _postgres:
    # Not checked when its last query is younger than this (seconds; seatmgr/postgresql).
    DATABASES["default"]["HEALTH_CHECK_AFTER_IDLE"] = env.float(
        "CONN_HEALTH_CHECK_AFTER_IDLE", default=0.5
    )
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DISABLE_SERVER_SIDE_CURSORS", default=False
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://seatmgr")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Django's, sharing one Redis client per pool (seatmgr/cache.py: a client per call cost
    # more than the call).
    CACHES["default"]["BACKEND"] = "seatmgr.cache.RedisCache"
# Django's {% cache %} uses this one: the settings menu and the Users & Teams tabs, which depend
# only on what accounts.context_processors' shell_key names, drawn once per process for each
# (the Users tab's filters and table head: "users_fragments" below). Nothing is kept that its
# key does not name, so nothing is ever stale or another's. In this process's memory, since a
# round trip to Redis would cost about what drawing them does; with DEBUG on, never kept, so
# that an edited template shows at once.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends."
    + ("dummy.DummyCache" if DEBUG else "locmem.LocMemCache"),
    "LOCATION": "template_fragments",
    "OPTIONS": {"MAX_ENTRIES": 5000},
}
# The Users tab's filters and table head, apart: one entry per query (a search is one) and
# account's choices, each holding the account's teams as options, so at most 500 a process (an
# account of 2,000 teams draws about 100 kB), the oldest let go first, and never the menus'.
CACHES["users_fragments"] = {
    **CACHES["template_fragments"],
    "LOCATION": "users_fragments",
    "OPTIONS": {"MAX_ENTRIES": 500},
}
# Sessions live in the database with the person signed in to each (accounts.sessions): a
# signed-in request reads its session, the person and their memberships in one query, and asks
# the cache nothing. A signed-out session is gone for every process at once.
SESSION_ENGINE = "accounts.sessions"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in attempt while the address or the client is locked out.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 3)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Email: console by default; smtp://host:port (Mailpit in docker-compose) when EMAIL_URL is set.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="seatmgr <no-reply@seatmgr.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Where "Talk to sales" requests are emailed.
SALES_EMAIL = env.str("SALES_EMAIL", default="sales@seatmgr.localhost")

# Celery: with no broker the embedded default runs tasks eagerly, in-process.
CELERY_TASK_ALWAYS_EAGER = not env.str("CELERY_BROKER_URL", default="")
# Eager tasks never touch a broker; "memory://" keeps kombu from looking for one on localhost.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
# Periodic jobs live in code: each finds its due rows by id and is safe to run twice or late.
CELERY_BEAT_SCHEDULE = {
    "billing-renewals": {
        "task": "billing.tasks.renewals_run_task",
        "schedule": timedelta(minutes=5),
    },
    "invitations-unsent-sweep": {
        "task": "invitations.tasks.invitations_unsent_sweep_task",
        "schedule": timedelta(minutes=5),
    },
    "ops-heartbeat": {"task": "ops.tasks.heartbeat_task", "schedule": timedelta(seconds=60)},
    # Daily; hourly would do no harm (each warning and reclaim happens once), and catches up.
    "billing-unassigned-seats": {
        "task": "billing.tasks.unassigned_seats_notify_task",
        "schedule": timedelta(days=1),
    },
    "seats-reclaim": {
        "task": "seats.reclaim.tasks.reclaim_run_task",
        "schedule": timedelta(days=1),
    },
    "accounts-expired-sessions": {
        "task": "accounts.tasks.sessions_expired_delete_task",
        "schedule": timedelta(days=1),
    },
}

# The payment gateway: the built-in test mode unless a provider's implementation is named
# ("stripe", or a dotted path; billing.gateway.gateway_get).
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="billing.gateway.TestGateway")
# Stripe (PAYMENT_GATEWAY=stripe): the account's API keys and the webhook endpoint's signing
# secret. Read from the environment only, never stored or logged.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# TEST-ONLY. Where the Stripe client sends its requests instead of Stripe's API (the tests'
# fake, tests/billing/stripe_fake.py, on 127.0.0.1), and where the page loads Stripe.js from.
# Constants, never read from the environment (like SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS below).
STRIPE_API_BASE_FOR_TESTS: str | None = None
# Due subscriptions renewed per transaction (billing.services.renewals.batches; .env.example).
RENEWAL_BATCH_SIZE = env.int("RENEWAL_BATCH_SIZE", default=500)

# Sessions and "last active": the time is written at most once per interval per membership.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
LAST_ACTIVE_WRITE_INTERVAL = timedelta(seconds=env.int("LAST_ACTIVE_WRITE_INTERVAL", default=300))
INVITATION_EXPIRY = timedelta(days=env.int("INVITATION_EXPIRY_DAYS", default=7))

# TEST-ONLY. When True, the Salesforce instance URL may be plain http to 127.0.0.1 or localhost
# (any port) and the import may connect to a loopback address: the tests' fake Salesforce
# (tests/invitations/fake_salesforce.py) runs there. Deliberately a constant, never read from the
# environment, so no deployment can switch it on; tests set it with override_settings or
# pytest-django's `settings` fixture. Production accepts Salesforce's own https host names only
# (invitations/salesforce.py).
SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS = False

# Security. Production runs behind TLS; the embedded default (DEBUG or plain http SITE_URL)
# must still work on http://localhost.
SECURE_TLS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE_TLS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE_TLS)
# The signed-out pages' language switcher (accounts.views.language_choose).
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE_TLS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_TLS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

# Content-Security-Policy: no inline script or style, nothing from other origins (everything
# is vendored in static/), no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}

# The reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks, comma-
# separated). Empty trusts nobody: the client is REMOTE_ADDR. See accounts.ratelimit.client_ip.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:  # a typo stops start-up here rather than failing every sign-in
    ipaddress.ip_network(_proxy, strict=False)

# Sign-in rate limiting (django-axes): after AXES_FAILURE_LIMIT failures for one address from
# one client, or for one address from anywhere, sign-in is refused for the cool-off time, with a
# message that says nothing about whether the address exists. There is no lock by client alone:
# behind a proxy, or a shared NAT, that would let failures for made-up addresses lock out others.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_CLIENT_IP_CALLABLE = "accounts.ratelimit.client_ip"
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Logs: "plain" lines for a terminal, or "json" (one object a line, for a log collector), both
# through structlog so that every line of a request carries its request_id, and every line of a
# task the request queued too (django-structlog).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
_LOG_PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processor": structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            ),
            "foreign_pre_chain": _LOG_PRE_CHAIN,
        },
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processor": structlog.processors.JSONRenderer(),
            "foreign_pre_chain": _LOG_PRE_CHAIN,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
structlog.configure(
    processors=[
        # First, as structlog's docs put it: a line below the level costs no time stamp.
        structlog.stdlib.filter_by_level,
        *_LOG_PRE_CHAIN,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    cache_logger_on_first_use=True,
)
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# The client's address is the product's own reading of it (accounts.ratelimit, TRUSTED_PROXIES),
# not ipware's guess from headers anyone can send.
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False

# Errors to Sentry when SENTRY_DSN is set (the Django and Celery integrations are automatic).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False, traces_sample_rate=0.0)

# Operations (ops/): /metrics answers only with this token (Authorization: Bearer); unset, it
# is a 404. /readyz checks the heartbeat (beat sends it every minute, "ops-heartbeat" above, a
# worker runs it) only when a maximum age is set: a deployment with beat and workers.
SEATMGR_METRICS_TOKEN = env.str("SEATMGR_METRICS_TOKEN", default="")
_heartbeat_age = env.int("SEATMGR_HEARTBEAT_MAX_AGE", default=0)
SEATMGR_HEARTBEAT_MAX_AGE = timedelta(seconds=_heartbeat_age) if _heartbeat_age else None

# Calls a caller of /api/v1/ may make (per API key, or per signed-in member), as ninja's rates
# read: "<n>/<s|m|h|d>". Counted in the default cache (CACHE_URL: Redis in production).
SEATMGR_API_RATE = env.str("SEATMGR_API_RATE", default="600/m")
