"""Settings for HRP Clinic, read from the environment.

Defaults are safe for production (DEBUG off, secure cookies, HSTS); `make run` switches on the
development conveniences by setting DEBUG=1 and DEMO_MODE=1. Every variable is listed in README.md.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG: bool = env.bool("DEBUG", default=False)
DEMO_MODE: bool = env.bool("DEMO_MODE", default=False)

SECRET_KEY: str = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. HRP Clinic refuses to start without it when DEBUG is off. "
            "Set SECRET_KEY to a long random value (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`), "
            "or set DEBUG=1 for local development."
        )
    # Only reachable with DEBUG on: a fixed key is acceptable for a local demo clinic.
    SECRET_KEY = "insecure-development-key-never-use-in-production-" + "x" * 20

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

CLINIC_NAME: str = env.str("CLINIC_NAME", default="HRP Clinic")

INSTALLED_APPS = [
    # The Django admin is installed (its ModelAdmins enforce the same locks as the views) but
    # not mounted in hrp/urls.py: staff work through the clinic's own pages.
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "crispy_forms",
    "crispy_bootstrap5",
    # Immutability triggers declared in models' Meta.triggers (hrp/immutability.py).
    "pgtrigger",
    "hrp.accounts",
    "hrp.audit",
    "hrp.core",
    "home",
    "notifications",
    "risk",
    "summaries",
    "disclosures",
    "linkage",
    "groups",
    "billing",
    "techniques",
    "supervision",
    "oversight",
    "covers",
    "selfreport",
    "emergency",
    "records",
    "clients",
    "assessments",
    "safety",
    "goals",
    "supplies",
    "sessions.apps.TherapySessionsConfig",
    "scheduling",
]

MIDDLEWARE = [
    # Cache-Control for signed-in pages and Permissions-Policy for all (outermost, so that
    # static files answered by whitenoise get the policy too).
    "hrp.core.middleware.PrivacyHeadersMiddleware",
    # Clinic settings read from the cache once per request (hrp/clinic.py), before any reader.
    "hrp.clinic.ClinicSettingsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in person's interface language, over the browser's (LocaleMiddleware, above).
    "hrp.accounts.middleware.UserLanguageMiddleware",
    # Actor, address and path for the audit trail: the web way in (hrp/audit/context.py).
    "hrp.audit.context.AuditContextMiddleware",
    # Audits each page opened under an emergency grant (hrp.access answers, this records).
    "hrp.accounts.middleware.EmergencyViewAuditMiddleware",
    # The clinic's time zone as saved on the Clinic settings page.
    "hrp.core.middleware.ClinicTimeZoneMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "hrp.accounts.middleware.SessionLimitsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "hrp.accounts.middleware.TwoFactorRequiredMiddleware",
    # A write that met another in the database answers 409 "not saved, send it again".
    "hrp.core.errors.WriteConflictMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Axes must come last: it turns a lockout raised during authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hrp.urls"
WSGI_APPLICATION = "hrp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hrp.core.context_processors.clinic",
            ],
            # How values are shown (hrp/formats.py): available in every template without a load.
            "builtins": ["hrp.core.templatetags.hrp_format"],
        },
    },
]
# Every form gets the language hint on its clinician free text (hrp/language.py): one
# mechanism for all forms, so a new form needs no edit to carry it.
FORM_RENDERER = "hrp.language.HintingRenderer"

# Database: the embedded default is a SQLite file so that `make run` needs no server.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Set by gunicorn.conf.py for the web processes only: a page's query running longer is
    # cancelled by PostgreSQL (that page answers 500) instead of holding a worker thread.
    if statement_timeout := env.int("DATABASE_STATEMENT_TIMEOUT", default=0):
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c statement_timeout={statement_timeout}"
        )
else:
    # The embedded default serves a few people at once without "database is locked": WAL
    # lets pages read while one request writes; IMMEDIATE takes the write lock when a
    # transaction starts (a deferred one that later needs it fails at once instead of
    # waiting); the busy timeout lets a write wait its turn instead of failing.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Set-password links sent to new accounts stay valid for three days; they are single-use
# because the token hashes the password and last sign-in, which setting a password changes.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3

# Sessions: idle logoff and an absolute limit (HIPAA automatic logoff), enforced by
# hrp.accounts.middleware.SessionLimitsMiddleware.
IDLE_TIMEOUT_MINUTES: int = env.int("IDLE_TIMEOUT_MINUTES", default=15)
SESSION_MAX_HOURS: int = env.int("SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failed sign-ins (django-axes), by account so that a shared clinic
# IP address does not lock everybody out.
AXES_FAILURE_LIMIT: int = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes warns that locking by account alone lets an attacker spray many accounts from one
# address. We accept that: staff share clinic NAT addresses, and locking an address would
# lock out the whole clinic after a handful of typos. Each account still locks after 5.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # axes would log the attempted username; we audit instead.
AXES_USERNAME_CALLABLE = "hrp.accounts.receivers.axes_username"

OTP_TOTP_ISSUER = CLINIC_NAME
OTP_TOTP_THROTTLE_FACTOR = 1

# Transport and cookie security. Production sits behind a TLS-terminating proxy.
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Container health checks call /healthz over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD: bool = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE: bool = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE: bool = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Django's built-in CSP: everything from our own origin only. Templates carry no inline
# scripts or style attributes, so no nonce or 'unsafe-inline' is needed.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Browser features no page of the clinic uses, denied to every page and anything in one
# (hrp.core.middleware.PrivacyHeadersMiddleware). An empty list is "()": allowed nowhere.
# Only features Chromium and Firefox recognise, so the header causes no console warnings.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Internationalisation: times are stored in UTC and shown in the clinic's time zone.
LANGUAGE_CODE = "en"
# The staff interface's languages. A signed-in person's own choice (User.language, on "Your
# account") wins; before sign-in the browser's Accept-Language picks (LocaleMiddleware). Client
# link pages speak the language chosen for each link. Adding one: README, "Languages".
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE: str = env.str("CLINIC_TIME_ZONE", default="America/New_York")

# Static files: vendored Bootstrap, htmx and Chart.js, served by whitenoise.
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_MANIFEST: bool = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collected files (development, tests) whitenoise serves straight from the sources.
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: console in development, SMTP (EMAIL_URL=smtp+tls://user:pass@host:587) in production.
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL",
    default="consolemail://" if DEBUG else "smtp://localhost:25",
)
# In development, the console mailer prints messages readably (links copy whole: hrp/mail.py).
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    EMAIL_CONFIG["EMAIL_BACKEND"] = "hrp.mail.ReadableConsoleBackend"
# Django 6.1's MAILERS replaces the EMAIL_* settings; the URL's parts become the options.
_EMAIL_OPTIONS = {
    "host": EMAIL_CONFIG.get("EMAIL_HOST"),
    "port": EMAIL_CONFIG.get("EMAIL_PORT"),
    "username": EMAIL_CONFIG.get("EMAIL_HOST_USER"),
    "password": EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD"),
    "use_tls": EMAIL_CONFIG.get("EMAIL_USE_TLS"),
    "use_ssl": EMAIL_CONFIG.get("EMAIL_USE_SSL"),
    "timeout": 10,
}
MAILERS = {
    "default": {
        "BACKEND": EMAIL_CONFIG["EMAIL_BACKEND"],
        "OPTIONS": (
            {k: v for k, v in _EMAIL_OPTIONS.items() if v not in (None, "")}
            if EMAIL_CONFIG["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="no-reply@hrp-clinic.invalid")

# Celery: a Redis broker when REDIS_URL is set; otherwise tasks run eagerly in-process.
REDIS_URL: str = env.str("REDIS_URL", default="")
# The cache holds the clinic settings saved on their page (hrp/clinic.py): in Redis when there is
# one, so every web process and worker sees a change at once; else in this process's memory.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Several deployments (or parallel test processes, conftest.py) on one Redis
            # database keep apart by prefix.
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="hrp"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# Nothing reads task results (state lives in the database): not storing them also keeps an
# unreachable result backend from stalling the page that enqueues. ping opts back in.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_RESULT_EXPIRES = 60 * 60
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Visibility timeout above the longest task time limit, so acks-late tasks are redelivered
# only after the worker that took them is really gone.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 60 * 60,
    # A Redis host that drops packets must not hold a page for the OS connect timeout.
    "socket_connect_timeout": 2,
}

# Clinic settings for measures: weeks between administrations ("PHQ9=4,AUDIT=12" overrides).
MEASURE_INTERVAL_WEEKS: dict[str, int] = {
    "PHQ9": 4,
    "GAD7": 4,
    "WHO5": 4,
    "AUDIT": 12,
    "AUDITC": 12,
    "DAST10": 12,
    **env.dict("MEASURE_INTERVAL_WEEKS", cast={"value": int}, default={}),
}

# Clinic settings for session notes.
# NOTE_FORMAT: the format new notes are written in (dap, soap or narrative).
NOTE_FORMAT: str = env.str("NOTE_FORMAT", default="dap")
# A note is late when an attended session ended this many hours ago without a signed note.
LATE_NOTE_HOURS: int = env.int("LATE_NOTE_HOURS", default=24)
# The clinic's video provider, e.g. "https://meet.example.org/hrp-{code}": {code} becomes a
# random code per appointment (sessions.services.video_link_generate). Empty: links are pasted.
VIDEO_LINK_PATTERN: str = env.str("VIDEO_LINK_PATTERN", default="")
# The length of a free slot offered on the calendar (minutes).
SLOT_MINUTES: int = env.int("SLOT_MINUTES", default=60)
# The client's session rating (0-40): alert when a total is under the threshold, or this many
# points or more below the client's running average of earlier ratings.
RATING_ALERT_THRESHOLD: int = env.int("RATING_ALERT_THRESHOLD", default=30)
RATING_ALERT_DROP: int = env.int("RATING_ALERT_DROP", default=5)

# Clinic settings for safety plans (safety app). The crisis lines printed on a new safety plan
# (988 in the US; a clinic elsewhere writes its own), and how many days a period of lowered
# tolerance lasts when no last day is given (four weeks: the weeks after release or discharge
# carry the highest overdose risk).
SAFETY_CRISIS_LINES: str = env.str(
    "SAFETY_CRISIS_LINES", default="988 Suicide & Crisis Lifeline: call or text 988, any time"
)
TOLERANCE_WINDOW_DAYS: int = env.int("TOLERANCE_WINDOW_DAYS", default=28)
# The emergency number printed on the client's plans.
SAFETY_EMERGENCY_NUMBER: str = env.str("SAFETY_EMERGENCY_NUMBER", default="911")

# Reminders (notifications). Timings are clinic settings; override any with
# REMINDER_TIMINGS="session_day_hours=48,review_due_days=3".
REMINDER_TIMINGS: dict[str, int] = {
    "session_day_hours": 24,  # staff: an upcoming session, this long before
    "session_hour_minutes": 60,  # staff: and again this long before
    "review_due_days": 2,  # staff: a goal review due in this many days (then overdue)
    "measure_due_days": 0,  # staff: a measure on the day it falls due
    "client_session_hours": 24,  # clients who opted in: this long before their appointment
    "risk_open_days": 2,  # staff: a risk flag still unresolved this long after its last news
    # staff: a medical evaluation still outstanding (or never considered) this long after the
    # intake was completed
    "medical_evaluation_days": 14,
    "send_hour": 8,  # date-based reminders (reviews, measures) go out at this local hour
}
REMINDER_TIMINGS.update(env.dict("REMINDER_TIMINGS", cast={"value": int}, default={}))
# SMS to clients goes through this adapter; the console one prints (development only).
SMS_BACKEND: str = env.str("SMS_BACKEND", default="notifications.sms.ConsoleSmsBackend")
# Shown at the end of client reminders unless the client chose to hide it.
CLINIC_DISPLAY_NAME: str = env.str("CLINIC_DISPLAY_NAME", default=CLINIC_NAME)
# Client links (selfreport): days a link stays open (a clinic setting too, hrp/clinic.py). The
# crisis contacts a client sees after an answer that speaks of self-harm are SAFETY_CRISIS_LINES.
SELF_REPORT_LINK_DAYS: int = env.int("SELF_REPORT_LINK_DAYS", default=7)
# The public address, for links in staff reminder emails (e.g. https://clinic.example.org).
SITE_URL: str = env.str("SITE_URL", default="").rstrip("/")

# Supervisor dashboard: a client with no attended session for this many days is flagged.
NO_CONTACT_DAYS: int = env.int("NO_CONTACT_DAYS", default=30)
# Supervisor dashboard and chart flag: consents expiring within this many days.
CONSENT_EXPIRY_WARNING_DAYS: int = env.int("CONSENT_EXPIRY_WARNING_DAYS", default=30)

# Emergency ("break-glass") access to a client who is not one's own lasts this long.
EMERGENCY_ACCESS_HOURS: int = env.int("EMERGENCY_ACCESS_HOURS", default=4)

# Field-level encryption of clinical text and stored summaries (hrp/crypto.py). Comma-separated
# Fernet keys: the first encrypts, all decrypt, so a new key is put first and
# `manage.py rotate_keys` moves old rows onto it (README, "Encryption at rest"). Unset, a key is
# derived from SECRET_KEY and `check --deploy` warns.
FIELD_ENCRYPTION_KEYS: list[str] = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# `manage.py migrate` waits at most this long for a table lock (PostgreSQL `lock_timeout`), so a
# migration never queues a busy table's queries behind it for long (hrp/schema.py). "0": no limit.
MIGRATION_LOCK_TIMEOUT: str = env.str("MIGRATION_LOCK_TIMEOUT", default="10s")
# Where `manage.py backup` writes its dump and manifest (README, "Backup and restore").
BACKUP_DIR: str = env.str("BACKUP_DIR", default=str(BASE_DIR / "backups"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request logs carry URLs only; our URLs carry ids, never names or query strings with PHI.
        "django.request": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # WeasyPrint narrates every rendering step at INFO; only problems are worth a line.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}
