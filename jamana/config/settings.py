"""Jamana settings, read from the environment with safe embedded defaults.

JAMANA_ENV=dev (default) runs everything on one machine: SQLite, database task queue,
console SMS gateway. JAMANA_ENV=production demands a real SECRET_KEY and turns on every
transport-security setting so that `manage.py check --deploy` is silent.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO

from jamana.config.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_choice,
    env_int,
    env_ip_networks,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
JAMANA_ENV = env_choice("JAMANA_ENV", "dev", {"dev", "test", "production"})
PRODUCTION = JAMANA_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"  # noqa: S105 (dev only; refused in production)
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfiguredEnv("SECRET_KEY must be set to a long random value in production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Country of this instance: each AES state runs its own (ML, BF, NE).
JAMANA_COUNTRY = env_choice("JAMANA_COUNTRY", "ML", {"ML", "BF", "NE"})
JAMANA_DEFAULT_PHONE_REGION = {"ML": "ML", "BF": "BF", "NE": "NE"}[JAMANA_COUNTRY]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "jamana.core",
    "jamana.audit",
    "jamana.notify",
    "jamana.identity",
    "jamana.procedures",
    "jamana.pki",
    "jamana.documents",
    "jamana.payments",
    "jamana.tax",
    "jamana.civil",
    "jamana.justice",
    "jamana.calls",
    "jamana.assistant",
    "jamana.ussd",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jamana.identity.middleware.AccountLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "jamana.config.urls"
WSGI_APPLICATION = "jamana.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jamana" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jamana.core.context_processors.platform",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'jamana.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task worker share the file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.Account"
AUTHENTICATION_BACKENDS = ["jamana.identity.backends.AccountBackend"]
LOGIN_URL = "identity:sign_in"
LOGIN_REDIRECT_URL = "procedures:my_requests"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions expire after inactivity (sliding window) and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# One-time codes and lockout.
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 5 * 60)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
LOGIN_FREE_FAILURES = env_int("LOGIN_FREE_FAILURES", 3)
LOGIN_LOCKOUT_BASE_SECONDS = env_int("LOGIN_LOCKOUT_BASE_SECONDS", 60)
LOGIN_LOCKOUT_MAX_SECONDS = env_int("LOGIN_LOCKOUT_MAX_SECONDS", 24 * 3600)

# Languages: French is the default; Bambara is not in Django's table, so it is added.
LANG_INFO["bm"] = {"bidi": False, "code": "bm", "name": "Bambara", "name_local": "Bamanankan"}
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("bm", "Bamanankan"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "jamana" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Africa/Bamako"  # UTC+0 all year; values are stored in UTC.
LANGUAGE_COOKIE_NAME = "jamana_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 365 * 24 * 3600 if not DEBUG else 3600
WHITENOISE_USE_FINDERS = DEBUG

# Tasks: a database-backed queue by default (run `manage.py db_worker`); tests run inline.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Notifications (docs/notify/sms.md). SMS_GATEWAY: console (prints; the embedded default),
# smpp (an operator's SMSC, SMS_SMPP_*) or http (an aggregator's JSON API, SMS_HTTP_*).
SMS_GATEWAY = env_choice("SMS_GATEWAY", "console", {"console", "smpp", "http"})
SMS_SENDER_ID = env_str("SMS_SENDER_ID", "JAMANA")
SMS_SMPP: dict[str, object] = {
    "host": env_str("SMS_SMPP_HOST", "127.0.0.1"),
    "port": env_int("SMS_SMPP_PORT", 2775),
    "system_id": env_str("SMS_SMPP_SYSTEM_ID", "jamana"),
    "password": env_str("SMS_SMPP_PASSWORD", "" if PRODUCTION else "jamana"),
    "system_type": env_str("SMS_SMPP_SYSTEM_TYPE", ""),
    "bind_mode": env_choice("SMS_SMPP_BIND", "transceiver", {"transceiver", "transmitter"}),
    "concatenation": env_choice("SMS_SMPP_CONCATENATION", "udh", {"udh", "sar", "payload"}),
    "enquire_link_seconds": env_int("SMS_SMPP_ENQUIRE_LINK_SECONDS", 30),
    "response_timeout_seconds": env_int("SMS_SMPP_TIMEOUT_SECONDS", 10),
    "reconnect_max_seconds": env_int("SMS_SMPP_RECONNECT_MAX_SECONDS", 60),
}
SMS_HTTP: dict[str, object] = {
    "base_url": env_str("SMS_HTTP_URL", "http://127.0.0.1:8766"),
    "token": env_str("SMS_HTTP_TOKEN", ""),
    "callback_secret": env_str("SMS_HTTP_CALLBACK_SECRET", ""),
    "callback_url": env_str("SMS_HTTP_CALLBACK_URL", ""),
    "timeout_seconds": env_int("SMS_HTTP_TIMEOUT_SECONDS", 10),
}
if SMS_GATEWAY == "smpp" and not SMS_SMPP["password"]:
    raise ImproperlyConfiguredEnv("SMS_GATEWAY=smpp needs SMS_SMPP_PASSWORD")
if SMS_GATEWAY == "http" and not (SMS_HTTP["token"] and SMS_HTTP["callback_secret"]):
    raise ImproperlyConfiguredEnv(
        "SMS_GATEWAY=http needs SMS_HTTP_TOKEN and SMS_HTTP_CALLBACK_SECRET"
    )
# Outbox: retries with exponential back-off (base * 2^(n-1), capped), then failed; a message
# left "sending" longer than the timeout is resolved by the recovery pass (deliver_messages).
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 30)
NOTIFY_RETRY_MAX_SECONDS = env_int("NOTIFY_RETRY_MAX_SECONDS", 3600)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 8)
NOTIFY_SENDING_TIMEOUT_SECONDS = env_int("NOTIFY_SENDING_TIMEOUT_SECONDS", 120)
# Sent SMS still without a final report after this long are asked about (SMPP query_sm).
NOTIFY_REPORT_QUERY_AFTER_SECONDS = env_int("NOTIFY_REPORT_QUERY_AFTER_SECONDS", 6 * 3600)
# Answers to inbound SMS (request status) per phone number and hour; more are not answered.
NOTIFY_INBOUND_REPLIES_PER_HOUR = env_int("NOTIFY_INBOUND_REPLIES_PER_HOUR", 10)
# The dev-only "SMS sent" page shows outgoing SMS in the browser; never in production.
SMS_DEV_INBOX = env_bool("SMS_DEV_INBOX", DEBUG and not PRODUCTION)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", PRODUCTION)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Jamana <no-reply@jamana.ml>")

# USSD (docs/ussd.md). The gateway proves itself with a shared secret in the X-USSD-Secret
# header and/or by calling from an allowed network; both are checked when both are set, and with
# neither the callback refuses every call (fail closed). Development allows loopback only.
USSD_GATEWAY_SECRET = env_str("USSD_GATEWAY_SECRET", "")
USSD_GATEWAY_NETWORKS = env_ip_networks(
    "USSD_GATEWAY_NETWORKS", [] if PRODUCTION else ["127.0.0.0/8", "::1/128"]
)
USSD_SESSION_IDLE_SECONDS = env_int("USSD_SESSION_IDLE_SECONDS", 120)
USSD_PIN_MAX_ATTEMPTS = env_int("USSD_PIN_MAX_ATTEMPTS", 3)
USSD_PIN_LOCKOUT_SECONDS = env_int("USSD_PIN_LOCKOUT_SECONDS", 15 * 60)

# Transport security: on in production, where TLS ends at the load balancer.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # We embed revocation data we gathered ourselves, with fetching deliberately off.
        "pyhanko.sign.signers.pdf_signer": {"level": "ERROR"},
    },
}

# Public PKI and verification: the base URL printed in certificates (CRL, OCSP, CA issuers)
# and on documents (QR verification links). Certificates keep the URL they were issued with.
JAMANA_PUBLIC_URL = env_str("JAMANA_PUBLIC_URL", "http://127.0.0.1:8000")
# Key store (docs/pki/hsm.md): "software" keeps encrypted PKCS#8 files under JAMANA_KEY_DIR (the
# embedded default); "pkcs11" generates and keeps every key on a PKCS#11 token (an HSM).
JAMANA_KEY_STORE = env_choice("JAMANA_KEY_STORE", "software", {"software", "pkcs11"})
JAMANA_KEY_DIR = Path(env_str("JAMANA_KEY_DIR", str(BASE_DIR / "var" / "keys")))
_DEV_KEY_PASSPHRASE = "dev-only-key-passphrase"  # noqa: S105 (dev only; refused in production)
JAMANA_KEY_PASSPHRASE = env_str("JAMANA_KEY_PASSPHRASE", "" if PRODUCTION else _DEV_KEY_PASSPHRASE)
if PRODUCTION and JAMANA_KEY_STORE == "software" and len(JAMANA_KEY_PASSPHRASE) < 16:
    raise ImproperlyConfiguredEnv(
        "JAMANA_KEY_PASSPHRASE must be set (16+ characters) in production"
    )
JAMANA_PKCS11_MODULE = env_str("JAMANA_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
JAMANA_PKCS11_TOKEN = env_str("JAMANA_PKCS11_TOKEN", "")  # the token's label
# The token's user PIN: never logged; the key store refuses to start without it.
JAMANA_PKCS11_PIN = env_str("JAMANA_PKCS11_PIN", "")
if PRODUCTION and JAMANA_KEY_STORE == "pkcs11" and not (JAMANA_PKCS11_TOKEN and JAMANA_PKCS11_PIN):
    raise ImproperlyConfiguredEnv(
        "JAMANA_KEY_STORE=pkcs11 needs JAMANA_PKCS11_TOKEN and JAMANA_PKCS11_PIN in production"
    )
JAMANA_PKI_ORGANISATION = env_str("JAMANA_PKI_ORGANISATION", f"{JAMANA_COUNTRY}-PKI")
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

# Malware scanning of uploaded files (docs/calls/uploads.md). Production runs clamd with the
# official databases (freshclam); development and tests run clamscan on a one-signature
# database (EICAR) because the official ones cannot be downloaded there.
JAMANA_MALWARE_SCANNER = env_choice(
    "JAMANA_MALWARE_SCANNER", "clamd" if PRODUCTION else "clamscan", {"clamd", "clamscan"}
)
JAMANA_CLAMD_SOCKET = env_str("JAMANA_CLAMD_SOCKET", "/run/clamav/clamd.ctl")
JAMANA_CLAMSCAN = env_str("JAMANA_CLAMSCAN", "clamscan")
JAMANA_CLAMAV_DATABASE = env_str(
    "JAMANA_CLAMAV_DATABASE", "" if PRODUCTION else str(BASE_DIR / "jamana" / "calls" / "clamav")
)

# The procedure assistant (docs/assistant.md). Questions it cannot answer, about no particular
# service, go to this organisation's information desk.
JAMANA_ASSISTANT_GENERAL_ORGANISATION = env_str("JAMANA_ASSISTANT_GENERAL_ORGANISATION", "ML-MATD")
# Optional rewording of catalogue answers by a language model the State hosts itself, behind an
# OpenAI-compatible API (e.g. vLLM, llama.cpp server). Off when the URL is empty. It is given
# catalogue text only, never the person's question or data.
JAMANA_ASSISTANT_LLM_URL = env_str("JAMANA_ASSISTANT_LLM_URL", "")
JAMANA_ASSISTANT_LLM_MODEL = env_str("JAMANA_ASSISTANT_LLM_MODEL", "")
JAMANA_ASSISTANT_LLM_API_KEY = env_str("JAMANA_ASSISTANT_LLM_API_KEY", "")
JAMANA_ASSISTANT_LLM_TIMEOUT = env_int("JAMANA_ASSISTANT_LLM_TIMEOUT_MS", 4000) / 1000
# Open questions one phone number may have waiting for an agent.
JAMANA_ASSISTANT_OPEN_QUESTIONS_PER_PHONE = env_int("JAMANA_ASSISTANT_OPEN_QUESTIONS_PER_PHONE", 3)

# Payments. In development every provider points at the local simulator
# (`python -m jamana.payments.simulator --port 8765`, started by `make run`), with its public
# development credentials; production sets each provider's real endpoint and secrets.
PAYMENT_SIMULATOR_URL = env_str(
    "PAYMENT_SIMULATOR_URL", "" if PRODUCTION else "http://127.0.0.1:8765"
)
if PAYMENT_SIMULATOR_URL:
    from jamana.payments.simulator.behaviour import SimulatorCredentials as _SimCredentials

    _sim = _SimCredentials()
    PAYMENT_PROVIDERS: dict[str, dict[str, object]] = {
        "orange_money": {
            "base_url": f"{PAYMENT_SIMULATOR_URL}/orange",
            "client_id": _sim.orange_client_id,
            "client_secret": _sim.orange_client_secret,
            "merchant_key": _sim.orange_merchant_key,
            "timeout_seconds": 5.0,
        },
        "moov_money": {
            "base_url": f"{PAYMENT_SIMULATOR_URL}/moov",
            "username": _sim.moov_username,
            "password": _sim.moov_password,
            "callback_secret": _sim.moov_callback_secret,
            "timeout_seconds": 5.0,
        },
        "pispi": {
            "base_url": f"{PAYMENT_SIMULATOR_URL}/pispi",
            "api_key": _sim.pispi_api_key,
            "creditor_alias": _sim.pispi_creditor_alias,
            "callback_key_id": _sim.pispi_key_id,
            "callback_secret": _sim.pispi_callback_secret,
            "timeout_seconds": 5.0,
        },
    }
else:
    PAYMENT_PROVIDERS = {}
    if env_str("ORANGE_CLIENT_ID", ""):
        PAYMENT_PROVIDERS["orange_money"] = {
            "base_url": env_str("ORANGE_BASE_URL", "https://api.orange.com"),
            "client_id": env_str("ORANGE_CLIENT_ID", ""),
            "client_secret": env_str("ORANGE_CLIENT_SECRET", ""),
            "merchant_key": env_str("ORANGE_MERCHANT_KEY", ""),
        }
    if env_str("MOOV_USERNAME", ""):
        PAYMENT_PROVIDERS["moov_money"] = {
            "base_url": env_str("MOOV_BASE_URL", ""),
            "username": env_str("MOOV_USERNAME", ""),
            "password": env_str("MOOV_PASSWORD", ""),
            "callback_secret": env_str("MOOV_CALLBACK_SECRET", ""),
        }
    if env_str("PISPI_API_KEY", ""):
        PAYMENT_PROVIDERS["pispi"] = {
            "base_url": env_str("PISPI_BASE_URL", ""),
            "api_key": env_str("PISPI_API_KEY", ""),
            "creditor_alias": env_str("PISPI_CREDITOR_ALIAS", ""),
            "callback_key_id": env_str("PISPI_CALLBACK_KEY_ID", ""),
            "callback_secret": env_str("PISPI_CALLBACK_SECRET", ""),
        }
# Purposes that may be paid in several parts: a second payment is not a duplicate.
PAYMENT_INSTALMENT_PURPOSES = {"tax_assessment"}
# What to call when a payment for a purpose settles (returns False to have it refunded).
PAYMENT_PURPOSE_HANDLERS = {
    "request_fee": "jamana.procedures.payments.on_request_fee_paid",
    "tax_assessment": "jamana.tax.payments.on_assessment_paid",
    "call_fee": "jamana.calls.actions.on_application_fee_paid",
}
# Apps that act on their requests once paid (or free), by service code prefix.
SERVICE_FULFILMENT = {
    "civil.": "jamana.civil.certificates.fulfil_certificate_request",
    "justice.": "jamana.justice.requests.fulfil_justice_request",
}
# Whether what a payment was for no longer stands, so that it may be refunded by decision.
PAYMENT_REFUND_GUARDS = {
    "request_fee": "jamana.procedures.payments.may_refund_request_fee",
    "tax_assessment": "jamana.tax.payments.may_refund_assessment",
    "call_fee": "jamana.calls.actions.may_refund_application_fee",
}
