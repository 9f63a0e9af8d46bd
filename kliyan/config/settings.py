"""Settings for Kliyan, read from the environment in this one place.

Everything a deployment changes is an environment variable (see docs/configuration.md):
KLIYAN_DATA_DIR, DATABASE_URL, KLIYAN_DEBUG, KLIYAN_ALLOWED_HOSTS, KLIYAN_HTTPS,
KLIYAN_SECRET_KEY, KLIYAN_EMAIL_*, KLIYAN_TASKS.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from kliyan.config.environment import (
    data_dir,
    env_flag,
    env_list,
    load_or_create_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()

DEBUG = env_flag("KLIYAN_DEBUG", default=False)
SECRET_KEY = os.environ.get("KLIYAN_SECRET_KEY") or load_or_create_secret_key(DATA_DIR)
ALLOWED_HOSTS = env_list("KLIYAN_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("KLIYAN_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "kliyan.core",
    "kliyan.accounts",
    "kliyan.contacts",
    "kliyan.interactions",
    "kliyan.commerce",
    "kliyan.webhooks",
    "kliyan.channels",
    "kliyan.analytics",
    "kliyan.imports",
    "kliyan.knowledge",
    "kliyan.service",
    "kliyan.feedback",
    "kliyan.dedupe",
    "kliyan.backup",
    "kliyan.marketing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "kliyan.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kliyan.config.urls"
WSGI_APPLICATION = "kliyan.config.wsgi.application"
ASGI_APPLICATION = "kliyan.config.asgi.application"

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
                "kliyan.core.context_processors.kliyan",
            ],
            "builtins": ["kliyan.core.templatetags.kliyan"],
        },
    }
]

# --- Database: embedded SQLite by default, PostgreSQL through DATABASE_URL -----------
SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing
    # with "database is locked" half-way through a transaction.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA temp_store=MEMORY;"
        "PRAGMA cache_size=-65536;"
        "PRAGMA mmap_size=268435456;"
    ),
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A pool keeps connections warm for the threads that serve requests and for the
        # async views' short database calls (a new PostgreSQL connection costs milliseconds).
        DATABASES["default"]["OPTIONS"] = {
            **DATABASES["default"].get("OPTIONS", {}),
            "pool": {"min_size": 2, "max_size": int(os.environ.get("KLIYAN_DB_POOL_SIZE", "20")), "timeout": 10},
        }
        if os.environ.get("KLIYAN_DB_PREPARED", "1") == "1":
            # Send parameters apart from the SQL and let psycopg prepare a statement once it
            # has run five times on a connection: PostgreSQL then skips parsing and planning,
            # which cost more than running the screen pop's small queries. Turn it off (0)
            # behind PgBouncer in transaction mode, which cannot keep prepared statements.
            DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
            from kliyan.config.postgres import register_adapters

            register_adapters()
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "kliyan.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Requests run on a fixed pool of threads (kliyan/config/asgi.py); each keeps its
    # connection rather than opening one (and running the PRAGMAs) per request.
    DATABASES["default"]["CONN_MAX_AGE"] = None
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Threads per server process that run the (synchronous) views; a long request such as a
# bulk import holds one while the others go on answering.
KLIYAN_THREADS = int(os.environ.get("KLIYAN_THREADS", "8"))

# --- Accounts ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "interactions:my_day"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# A call centre works behind one NAT address: lock a username from one address, never
# every user of that address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = int(os.environ.get("KLIYAN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kliyan.accounts.views.locked_out"
AXES_VERBOSE = False

# --- Languages, time zones, formats --------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("ht", "Kreyòl ayisyen"),
    ("ny", "Chichewa"),
    ("sq", "Shqip"),
    ("ro", "Română"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_COOKIE_NAME = "kliyan_language"

# --- Static files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"

# --- Background tasks ------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("KLIYAN_TASKS", "django_tasks_db.DatabaseBackend"),
    }
}

# --- E-mail ------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("KLIYAN_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("KLIYAN_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KLIYAN_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KLIYAN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KLIYAN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_flag("KLIYAN_EMAIL_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("KLIYAN_FROM_EMAIL", "kliyan@localhost")
EMAIL_TIMEOUT = 20

# --- Limits --------------------------------------------------------------------------
# Refuse oversized requests before they are parsed (the API answers 413).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("KLIYAN_MAX_REQUEST_BYTES", str(2 * 1024 * 1024)))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# The bulk ingestion endpoint (POST /api/v1/ingest/{kind}/bulk) reads its NDJSON body line by
# line and takes up to this much; every other request keeps the limit above.
INGEST_MAX_REQUEST_BYTES = int(os.environ.get("KLIYAN_MAX_INGEST_BYTES", str(64 * 1024 * 1024)))
# Files uploaded for import (CSV, XLSX, vCard; docs/import.md): streamed to disk, read a batch at a time.
IMPORT_MAX_FILE_BYTES = int(os.environ.get("KLIYAN_MAX_IMPORT_BYTES", str(256 * 1024 * 1024)))
# Days an import's uploaded file is kept after its last use (0: for ever); kliyan.imports.retention.
IMPORT_FILE_DAYS = int(os.environ.get("KLIYAN_IMPORT_FILE_DAYS", "30"))

# --- Security -------------------------------------------------------------------------
# A shop on a laptop is served over plain http://127.0.0.1; behind TLS set KLIYAN_HTTPS=1.
HTTPS = env_flag("KLIYAN_HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and not env_flag("KLIYAN_BEHIND_PROXY_NO_REDIRECT", default=False)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_flag("KLIYAN_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KLIYAN_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Kliyan ---------------------------------------------------------------------------
KLIYAN_PAGE_SIZE = 25
KLIYAN_API_MAX_PAGE_SIZE = 200
# Telephony (docs/telephony.md): Twilio's auth token checks its webhook signatures; the
# public URL Twilio posts to, when a proxy makes the request look different here; the
# shared secret in the Asterisk/FreePBX lookup URL.
KLIYAN_TWILIO_AUTH_TOKEN = os.environ.get("KLIYAN_TWILIO_AUTH_TOKEN", "")
KLIYAN_TWILIO_WEBHOOK_URL = os.environ.get("KLIYAN_TWILIO_WEBHOOK_URL", "")
KLIYAN_ASTERISK_SECRET = os.environ.get("KLIYAN_ASTERISK_SECRET", "")
# Messaging providers (docs/messaging.md). SMS goes through one provider: twilio,
# africastalking or http (a generic gateway); empty: SMS is not set up. WhatsApp through
# Meta's Cloud API ("cloud", when a token is set) or Twilio ("twilio"). Messenger and
# Instagram replies use the Facebook page's token. Base URLs change only in tests.
KLIYAN_SMS_PROVIDER = os.environ.get("KLIYAN_SMS_PROVIDER", "")
KLIYAN_TWILIO_ACCOUNT_SID = os.environ.get("KLIYAN_TWILIO_ACCOUNT_SID", "")
KLIYAN_TWILIO_FROM = os.environ.get("KLIYAN_TWILIO_FROM", "")
KLIYAN_TWILIO_MESSAGING_SERVICE_SID = os.environ.get("KLIYAN_TWILIO_MESSAGING_SERVICE_SID", "")
KLIYAN_TWILIO_WHATSAPP_FROM = os.environ.get("KLIYAN_TWILIO_WHATSAPP_FROM", "")
KLIYAN_TWILIO_BASE_URL = os.environ.get("KLIYAN_TWILIO_BASE_URL", "https://api.twilio.com")
KLIYAN_AFRICASTALKING_USERNAME = os.environ.get("KLIYAN_AFRICASTALKING_USERNAME", "")
KLIYAN_AFRICASTALKING_API_KEY = os.environ.get("KLIYAN_AFRICASTALKING_API_KEY", "")
KLIYAN_AFRICASTALKING_SENDER_ID = os.environ.get("KLIYAN_AFRICASTALKING_SENDER_ID", "")
KLIYAN_AFRICASTALKING_BASE_URL = os.environ.get("KLIYAN_AFRICASTALKING_BASE_URL", "https://api.africastalking.com")
KLIYAN_AFRICASTALKING_WEBHOOK_SECRET = os.environ.get("KLIYAN_AFRICASTALKING_WEBHOOK_SECRET", "")
KLIYAN_SMS_GATEWAY_URL = os.environ.get("KLIYAN_SMS_GATEWAY_URL", "")
KLIYAN_SMS_GATEWAY_TOKEN = os.environ.get("KLIYAN_SMS_GATEWAY_TOKEN", "")
KLIYAN_SMS_GATEWAY_SECRET = os.environ.get("KLIYAN_SMS_GATEWAY_SECRET", "")
KLIYAN_WHATSAPP_PROVIDER = os.environ.get("KLIYAN_WHATSAPP_PROVIDER", "cloud")
KLIYAN_WHATSAPP_TOKEN = os.environ.get("KLIYAN_WHATSAPP_TOKEN", "")
KLIYAN_WHATSAPP_PHONE_NUMBER_ID = os.environ.get("KLIYAN_WHATSAPP_PHONE_NUMBER_ID", "")
KLIYAN_WHATSAPP_BASE_URL = os.environ.get("KLIYAN_WHATSAPP_BASE_URL", "https://graph.facebook.com/v21.0")
# Meta approves templates only in its own list of languages, which has no Haitian Creole or
# Chichewa: a template written in one of those is registered at Meta under the code given here.
KLIYAN_WHATSAPP_TEMPLATE_LANGUAGES = dict(
    pair.split("=", 1) for pair in os.environ.get("KLIYAN_WHATSAPP_TEMPLATE_LANGUAGES", "ht=fr,ny=en").split(",") if "=" in pair
)
KLIYAN_META_APP_SECRET = os.environ.get("KLIYAN_META_APP_SECRET", "")
KLIYAN_META_VERIFY_TOKEN = os.environ.get("KLIYAN_META_VERIFY_TOKEN", "")
KLIYAN_MESSENGER_PAGE_TOKEN = os.environ.get("KLIYAN_MESSENGER_PAGE_TOKEN", "")
KLIYAN_MESSENGER_BASE_URL = os.environ.get("KLIYAN_MESSENGER_BASE_URL", "https://graph.facebook.com/v21.0")
# The tag that marks a contact created by a message from someone unknown.
KLIYAN_INBOUND_LEAD_TAG = os.environ.get("KLIYAN_INBOUND_LEAD_TAG", "Lead")
# Service desk (docs/service-desk.md): the address replies to customers come from (and that
# customers write to; DEFAULT_FROM_EMAIL if unset), the largest attachment kept, and the
# largest raw e-mail POST /api/v1/service/mail takes.
KLIYAN_SERVICE_FROM_EMAIL = os.environ.get("KLIYAN_SERVICE_FROM_EMAIL", "")
KLIYAN_ATTACHMENT_MAX_BYTES = int(os.environ.get("KLIYAN_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
KLIYAN_MAIL_MAX_BYTES = int(os.environ.get("KLIYAN_MAIL_MAX_BYTES", str(25 * 1024 * 1024)))
# Days a resolved ticket waits for the customer's answer before it is closed (0: never).
KLIYAN_TICKET_AUTOCLOSE_DAYS = int(os.environ.get("KLIYAN_TICKET_AUTOCLOSE_DAYS", "7"))
# Customer feedback (docs/feedback.md): the address customers reach this installation at
# (survey links in e-mails; the first allowed host if unset), how long a survey link works,
# whether a resolved ticket asks its customer for a CSAT score, and how long after the
# resolution (so the survey arrives after the answer that resolved the ticket).
KLIYAN_PUBLIC_URL = os.environ.get("KLIYAN_PUBLIC_URL", "")
KLIYAN_SURVEY_EXPIRY_DAYS = int(os.environ.get("KLIYAN_SURVEY_EXPIRY_DAYS", "30"))
KLIYAN_CSAT_ENABLED = env_flag("KLIYAN_CSAT_ENABLED", default=True)
KLIYAN_CSAT_DELAY_MINUTES = int(os.environ.get("KLIYAN_CSAT_DELAY_MINUTES", "10"))
# Messages (docs/decisions/0011): at most this many marketing messages per contact in 7 days;
# no marketing message between these local hours of the contact ("" for none); open and click
# tracking of marketing e-mail (off: no pixel, no redirected links); how long a worker holds
# the messages it is sending, and how many it hands a provider at a time.
KLIYAN_MARKETING_WEEKLY_CAP = int(os.environ.get("KLIYAN_MARKETING_WEEKLY_CAP", "3"))
KLIYAN_QUIET_HOURS = os.environ.get("KLIYAN_QUIET_HOURS", "21:00-08:00")
KLIYAN_EMAIL_TRACKING = env_flag("KLIYAN_EMAIL_TRACKING", default=False)
KLIYAN_OUTBOX_CLAIM_SECONDS = int(os.environ.get("KLIYAN_OUTBOX_CLAIM_SECONDS", "120"))
KLIYAN_OUTBOX_BATCH = int(os.environ.get("KLIYAN_OUTBOX_BATCH", "100"))
# Backups made from the Backups page (docs/backup.md): written here, never among the uploaded files.
KLIYAN_BACKUP_DIR = Path(os.environ.get("KLIYAN_BACKUP_DIR") or DATA_DIR / "backups")

# Django knows neither Haitian Creole nor Chichewa; without these entries the language
# switcher cannot name them and LocaleMiddleware would never activate them.
from django.conf.locale import LANG_INFO  # noqa: E402

LANG_INFO.setdefault("ht", {"bidi": False, "code": "ht", "name": "Haitian Creole", "name_local": "Kreyòl ayisyen"})
LANG_INFO.setdefault("ny", {"bidi": False, "code": "ny", "name": "Chichewa", "name_local": "Chichewa"})
