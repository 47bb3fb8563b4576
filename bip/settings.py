"""Ketenkameleon settings: one file, read from the environment with django-environ.

Local defaults (SQLite, DEBUG) are for the demo only. With DEBUG off the settings refuse to
start on an insecure SECRET_KEY or an empty ALLOWED_HOSTS.
"""

import datetime
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Real environment variables always win. Besides them, one file is read: ENV_FILE when it is
# set (`make run` and the test suite set ENV_FILE=.env.demo, the local demo's values), else an
# operator's own `.env` if there is one. Nothing creates `.env`: a server that was given no
# configuration starts with the production-safe defaults below and refuses to start without
# its secrets, instead of silently running as the demo.
_env_file = os.environ.get("ENV_FILE")
if _env_file:
    _env_path = Path(_env_file) if Path(_env_file).is_absolute() else BASE_DIR / _env_file
    if not _env_path.is_file():
        raise ImproperlyConfigured(f"ENV_FILE points to {_env_path}, which is not a file.")
    environ.Env.read_env(_env_path, overwrite=False)
else:
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

INSECURE_SECRET_KEY = "django-insecure-ketenkameleon-local-demo-only"  # noqa: S105

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if not DEBUG:
    if SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

INSTALLED_APPS = [
    # django.contrib.admin, with the packages' models named in Dutch (bip/admin_site.py).
    "bip.admin_site.KetenAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "auditlog",
    "django_tasks_db",
    "bip",
    "bip.security",
    "professionals",
    "roles",
    "cases",
    "evaluation",
    "audit",
    "ninja",  # django-ninja's templates and the API docs' static files (Swagger UI)
    "api",
    "demo",  # the demo seed (manage.py seed_demo); not part of the product
]

MIDDLEWARE = [
    # Security headers first, so they reach every response, also those made by an inner
    # middleware: static files (WhiteNoise), the 400 page for a bad Host (bip/security/headers.py).
    "bip.security.headers.SecurityHeadersMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "bip.security.middleware.PermissionsPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages (not static files): Cache-Control no-store unless the view sets one; Vary: HX-Request.
    "bip.security.headers.PrivateResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "bip.lib.middleware.DutchFirstLocaleMiddleware",
    # A NUL byte in the URL: a Dutch 400 instead of a database error.
    "bip.lib.middleware.RejectNulBytesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Change history (django-auditlog): the actor and client address of every change.
    "cases.history.HistoryMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "bip.security.middleware.SessionTimeoutMiddleware",
    "bip.security.middleware.MFARequiredMiddleware",
    # One access log entry per audited request (audit/policy.py), after login and MFA.
    "audit.middleware.AccessLogMiddleware",
    # django-axes turns a lockout into its response; it must stay the last middleware.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bip.urls"
WSGI_APPLICATION = "bip.wsgi.application"
ASGI_APPLICATION = "bip.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bip.context_processors.navigation",
            ],
        },
    },
]

# Django's widget templates, with the common widgets written in Python (the same HTML, faster).
FORM_RENDERER = "bip.lib.form_renderer.FastWidgetRenderer"

# SQLite is the embedded default for the local demo; DATABASE_URL selects PostgreSQL.
if not DEBUG and not env.str("DATABASE_URL", default=""):
    # A server without DATABASE_URL would quietly keep children's files in a local SQLite file.
    raise ImproperlyConfigured("DATABASE_URL is required when DEBUG is off.")
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)

# Django's cache holds the evaluation report (evaluation/report.py). In-process by default;
# several gunicorn workers share one through e.g. CACHE_URL=dbcache://ketenkameleon_cache
# (after `manage.py createcachetable`).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://ketenkameleon")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault(
        "CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True)
    )
    # No JIT compilation: PostgreSQL compiles a query whose estimated cost is high, and at
    # 1,000,000 cases compiling took 0.34 s of the report's 1.06 s case-flow query and ran no
    # query of ours faster (README, "JIT"). A DATABASE_URL with its own ?options= wins.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# AxesStandaloneBackend refuses a locked-out user/IP before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user's groups with the user: one query per request.
    "professionals.backends.UserWithGroupsBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Dutch first, with an English translation.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("Engels"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates in Dutch style, "2 dec. 2026": bip/formats/<language>/formats.py.
FORMAT_MODULE_PATH = ["bip.formats"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    # Case documents (cases.Document). Files under MEDIA_ROOT by default, which is never served
    # by the web server; STORAGE_BACKEND and STORAGE_OPTIONS (JSON) select another backend,
    # e.g. S3-compatible object storage through django-storages, with no code change.
    "default": {
        "BACKEND": env.str(
            "STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json("STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# The REST API (api/): requests per client per minute before 429. 600 suits a school package;
# a regional relay that sends for many schools through one client may need more.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)

# Django 6.1 mailers. The demo prints mail to the console; production sets the SMTP backend.
MAILERS = {
    "default": {
        "BACKEND": env.str(
            "EMAIL_BACKEND",
            default="django.core.mail.backends."
            + ("console.EmailBackend" if DEBUG else "smtp.EmailBackend"),
        ),
        "OPTIONS": {},
    }
}
# The address users reach the app on; links in e-mails start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ketenkameleon@localhost")

# Security headers. Strict CSP with nonces: no inline scripts, no unsafe-inline for scripts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Django has no setting for Permissions-Policy; bip.security's middleware sends this one.
# Every powerful feature is off: the app needs none of them.
PERMISSIONS_POLICY: dict[str, list[str]] = dict.fromkeys(
    [
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    ],
    [],
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login security (bip/security/). Sessions end after SESSION_IDLE_TIMEOUT seconds without a
# request and SESSION_ABSOLUTE_TIMEOUT seconds after the login, whatever happens in between.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)
if not 60 <= SESSION_IDLE_TIMEOUT <= SESSION_ABSOLUTE_TIMEOUT:
    raise ImproperlyConfigured(
        "SESSION_IDLE_TIMEOUT must be at least 60 seconds and at most SESSION_ABSOLUTE_TIMEOUT."
    )
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
# Two-factor authentication (TOTP app + recovery codes) for every account. Off only for the
# local demo; production refuses to start without it.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=True)
if not DEBUG and not MFA_REQUIRED:
    raise ImproperlyConfigured("MFA_REQUIRED cannot be false when DEBUG is off.")
OTP_TOTP_ISSUER = "Ketenkameleon"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows TOTP secrets or recovery codes
# Brute-force protection (django-axes, database handler): lock the combination of user name
# and client address, so an attacker elsewhere cannot lock a real user out. Successful logins
# go to AccessLog, every failure to AccessFailureLog.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "bip.security.lockout.lockout_response"
# Behind N reverse proxies that append to X-Forwarded-For, set REVERSE_PROXY_COUNT=N so the
# lockout counts the client's address, not the proxy's (bip/security/lockout.py).
REVERSE_PROXY_COUNT = env.int("REVERSE_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "bip.security.lockout.client_ip"

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The load balancer's health check (bip/health.py) may call an app server over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^gezondheid/$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Pagination and list limits.
PAGE_SIZE = env.int("PAGE_SIZE", default=25)
# A filtered list counts at most this many rows; beyond it the UI says "more than N".
LIST_COUNT_LIMIT = env.int("LIST_COUNT_LIMIT", default=10_000)
# A name search counts its matches up to here ("meer dan 1.000 resultaten"): counting 10,001
# cases of "jan" walks 300k cases at 1M (61 ms); 1,001 walk 31k (7 ms).
SEARCH_COUNT_LIMIT = env.int("SEARCH_COUNT_LIMIT", default=1_000)

# Study-arm allocation: permuted blocks of random size per stratum (melding type x school
# level). The keyed HMAC picks each block's size from these even sizes, so nobody without
# ALLOCATION_SECRET can tell where a block ends. The default keeps the share of foreseeable
# allocations under 5 % and the "arm that is behind" guess under 60 %
# (benchmarks/allocation_predictability.py); blocks of 4-8 are guessed right 68 % of the time.
if env.str("ALLOCATION_BLOCK_SIZE", default=""):
    raise ImproperlyConfigured(
        "ALLOCATION_BLOCK_SIZE is replaced by ALLOCATION_BLOCK_SIZES (even sizes, e.g. 24,32,40,48)"
    )
try:
    ALLOCATION_BLOCK_SIZES = tuple(
        int(size) for size in env.list("ALLOCATION_BLOCK_SIZES", default=["24", "32", "40", "48"])
    )
except ValueError as error:
    raise ImproperlyConfigured("ALLOCATION_BLOCK_SIZES must list whole numbers.") from error
if not ALLOCATION_BLOCK_SIZES or any(size < 2 or size % 2 for size in ALLOCATION_BLOCK_SIZES):
    raise ImproperlyConfigured("ALLOCATION_BLOCK_SIZES must list even numbers of at least 2.")
# The secret that seeds each block's order. Kept outside the database, so nobody can foresee
# the next allocation from the data. Required in production.
ALLOCATION_SECRET = env.str("ALLOCATION_SECRET", default="" if not DEBUG else "demo-allocation")
if not DEBUG and len(ALLOCATION_SECRET) < 32:
    raise ImproperlyConfigured("ALLOCATION_SECRET (>= 32 chars) is required when DEBUG is off.")

# Evaluation. The study period bounds the report; cases still open at its end are censored.
STUDY_ID = env.str("STUDY_ID", default="bip-pilot")
STUDY_START = env.str("STUDY_START", default="")  # YYYY-MM-DD, empty: no start bound
STUDY_END = env.str("STUDY_END", default="")  # YYYY-MM-DD, empty: the study is still running
# Per-study key for the HMAC-SHA256 pseudonyms in research exports. Kept outside the database;
# a different key per study makes exports of different studies unlinkable.
RESEARCH_PSEUDONYM_KEY = env.str(
    "RESEARCH_PSEUDONYM_KEY", default="" if not DEBUG else "demo-pseudonym-key"
)
if not DEBUG and len(RESEARCH_PSEUDONYM_KEY) < 32:
    raise ImproperlyConfigured(
        "RESEARCH_PSEUDONYM_KEY (>= 32 chars) is required when DEBUG is off."
    )
# Research export files are kept this many days, then deleted.
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)
EXPORT_ROOT = env.path("EXPORT_ROOT", default=BASE_DIR / "var" / "exports")
# Survey links stay valid this many days.
SURVEY_LINK_DAYS = env.int("SURVEY_LINK_DAYS", default=30)

# Access log (audit/): entries are kept this many days, then `manage.py prune_access_log`
# deletes them. NEN 7513 asks for long retention; the default is seven years.
ACCESS_LOG_RETENTION_DAYS = env.int("ACCESS_LOG_RETENTION_DAYS", default=7 * 365 + 2)
if ACCESS_LOG_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("ACCESS_LOG_RETENTION_DAYS must be at least 1.")

# Retention of case data (cases/retention.py, `manage.py apply_retention`). A closed
# Leerplicht or Halt case is kept until the child has turned RETENTION_LEERPLICHT_AGE and
# RETENTION_LEERPLICHT_YEARS_AFTER_CLOSURE years have passed since closure (the later of the
# two); a case that reached the RvdK until the child has turned RETENTION_RVDK_AGE. Import
# previews keep CSV cells for IMPORT_PREVIEW_RETENTION_HOURS.
RETENTION_LEERPLICHT_AGE = env.int("RETENTION_LEERPLICHT_AGE", default=19)
RETENTION_LEERPLICHT_YEARS_AFTER_CLOSURE = env.int(
    "RETENTION_LEERPLICHT_YEARS_AFTER_CLOSURE", default=5
)
RETENTION_RVDK_AGE = env.int("RETENTION_RVDK_AGE", default=24)
IMPORT_PREVIEW_RETENTION_HOURS = env.int("IMPORT_PREVIEW_RETENTION_HOURS", default=24)
if not 18 <= RETENTION_LEERPLICHT_AGE <= 30 or not 18 <= RETENTION_RVDK_AGE <= 30:
    raise ImproperlyConfigured("RETENTION_LEERPLICHT_AGE and RETENTION_RVDK_AGE must be 18-30.")
if not 0 <= RETENTION_LEERPLICHT_YEARS_AFTER_CLOSURE <= 20:
    raise ImproperlyConfigured("RETENTION_LEERPLICHT_YEARS_AFTER_CLOSURE must be 0-20.")
if IMPORT_PREVIEW_RETENTION_HOURS < 1:
    raise ImproperlyConfigured("IMPORT_PREVIEW_RETENTION_HOURS must be at least 1.")

# Background work: django-tasks-db keeps the queue in the database; `manage.py db_worker` runs it.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
