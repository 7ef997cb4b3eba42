"""Settings for Common Ground, read from environment variables only.

Every variable is documented in `.env.example`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


_OIDC_REQUIRED = {"id", "name", "server_url", "client_id", "secret"}
_OIDC_ALLOW_LISTS = {"allowed_tenants", "allowed_domains"}
_OIDC_OPTIONAL = {*_OIDC_ALLOW_LISTS, "organisation"}


def _oidc_organisation(provider: dict, where: str) -> str:
    """The register organisation a provider's sign-ins verify (its name), or "" for none."""
    organisation = provider.get("organisation", "")
    if not isinstance(organisation, str):
        raise ImproperlyConfigured(f"{where}: `organisation` must be an organisation's name in the register.")
    return organisation.strip()


def oidc_apps(name: str, raw: str) -> list[dict]:
    """allauth `openid_connect` apps from a JSON list of providers (docs/accounts.md, "Single
    sign-on"). Strict: a mistake stops the app at start-up rather than opening a door. A provider
    must name the tenants or the email domains it may sign people in from, because an address it
    sends is only believed from those (accounts.adapter.SocialAccountAdapter)."""
    if not raw.strip():
        return []
    try:
        providers = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {exc}.") from exc
    if not isinstance(providers, list):
        raise ImproperlyConfigured(f"{name} must be a JSON list of providers.")
    apps, seen = [], set()
    for number, provider in enumerate(providers, start=1):
        where = f"{name}, provider {number}"
        if not isinstance(provider, dict):
            raise ImproperlyConfigured(f"{where} must be a JSON object.")
        if missing := _OIDC_REQUIRED - provider.keys():
            raise ImproperlyConfigured(f"{where} needs {', '.join(sorted(missing))}.")
        if unknown := provider.keys() - _OIDC_REQUIRED - _OIDC_OPTIONAL:
            raise ImproperlyConfigured(f"{where} has unknown keys: {', '.join(sorted(unknown))}.")
        for key in _OIDC_REQUIRED:
            if not isinstance(provider[key], str) or not provider[key].strip():
                raise ImproperlyConfigured(f"{where}: {key} must be a non-empty string.")
        provider_id = provider["id"]
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", provider_id) or provider_id in seen:
            raise ImproperlyConfigured(
                f"{where}: id must be unique, lower-case letters, digits and hyphens, not {provider_id!r}."
            )
        seen.add(provider_id)
        if not provider["server_url"].startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ImproperlyConfigured(f"{where}: server_url must be an https:// address.")
        allowed = {}
        for key in sorted(_OIDC_ALLOW_LISTS):
            values = provider.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
                raise ImproperlyConfigured(f"{where}: {key} must be a list of strings.")
            allowed[key] = [v.strip().lower() for v in values]
        if not any(allowed.values()):
            raise ImproperlyConfigured(f"{where} must list allowed_tenants or allowed_domains.")
        apps.append(
            {
                "provider_id": provider_id,
                "name": provider["name"].strip(),
                "client_id": provider["client_id"],
                "secret": provider["secret"],
                "settings": {"server_url": provider["server_url"].rstrip("/"), **allowed,
                             "organisation": _oidc_organisation(provider, where)},
            }
        )
    return apps


DEBUG = env_bool("DEBUG", False)
# Tests run with TESTING on (the Makefile sets it; pytest is detected as a fallback).
TESTING = env_bool("TESTING", "pytest" in sys.modules)

SECRET_KEY = env_str("SECRET_KEY")
# Old keys still accepted for signatures (sessions, reset links) while a new SECRET_KEY rolls out;
# comma-separated. See docs/operations.md, "Rotating SECRET_KEY".
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "development-only-key-never-use-in-production-0123456789abcdef"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (or set DEBUG=true for local development)."
        )

# The address links in emails, feeds, notices and downloads start with. Without SITE_URL it is
# made from HOST and PORT (as `make run` and gunicorn use them), so a development server on
# another port writes links to itself.
_LINK_HOST = {"0.0.0.0": "127.0.0.1", "::": "127.0.0.1"}.get(env_str("HOST"), env_str("HOST") or "127.0.0.1")  # noqa: S104 - a link, not a bind
SITE_URL = env_str("SITE_URL", f"http://{_LINK_HOST}:{env_str('PORT', '8000')}").rstrip("/")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL if SITE_URL.startswith("https") else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "config",
    "accounts",
    "articles",
    "forum",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    # Kept anonymous pages, served before the session and the rest (forum/cache/pages.py).
    "forum.cache.pages.KeptPageMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.ThrottledUserSessionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "csp.context_processors.nonce",
                "config.context_processors.site",
            ],
            # `|html_datetime` for <time datetime>, in every template without a {% load %}.
            "builtins": ["config.templatetags.dates", "config.templatetags.reversing"],
        },
    },
]

# Database: SQLite file in var/ by default; PostgreSQL in production and CI.
DEFAULT_DATABASE_URL = f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", DEFAULT_DATABASE_URL),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": ""}  # in-memory for tests
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# PostgreSQL: parameters sent apart from the SQL, and a statement run five times on a connection
# prepared there, so it is not planned again on each request (planning was about two thirds of a
# signed-in page's statement's time in PostgreSQL; docs/deploy.md). Set DB_PREPARED_STATEMENTS=false
# behind a pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21,
# or without max_prepared_statements).
if IS_POSTGRES and env_bool("DB_PREPARED_STATEMENTS", True):
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
# PostgreSQL: no JIT compilation. It starts when a query's estimated cost passes jit_above_cost,
# which the few counting queries over many comments do (the themes' counts of common ground), and
# compiling took longer than the query: 80 ms with it, 40 without, at 100,000 comments. Behind a
# pooler that refuses the `options` startup parameter, set DB_JIT_OFF=false and turn JIT off on
# the database instead (docs/deploy.md).
if IS_POSTGRES and env_bool("DB_JIT_OFF", True):
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
SITE_ID = 1

# Cache: Redis when REDIS_URL is set, local memory otherwise.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",  # Django's, reusing its Redis client
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cg"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cg"}}
# When Redis does not answer within REDIS_TIMEOUT_MS, pages come from the database and Redis is
# not tried again for REDIS_RETRY_SECONDS (config/cache.py; docs/operations.md).
REDIS_TIMEOUT = env_int("REDIS_TIMEOUT_MS", 250) / 1000
REDIS_RETRY_SECONDS = env_int("REDIS_RETRY_SECONDS", 5)
# Each process holds the values of the keys under these beginnings that it has read, and is told by
# Redis the moment one changes (CLIENT TRACKING; config/tracking.py), so an unchanged signed-in
# page needs no round trip: versions, sessions, members' rows and what is read with them, the
# rows of discussions and themes, and readers' own states. REDIS_TRACKING=false asks Redis every
# time instead.
REDIS_TRACKING = env_bool("REDIS_TRACKING", True)
CACHE_TRACKED_PREFIXES = [
    "forum:v:",
    "django.contrib.sessions.cached_db",
    "accounts:user:",
    "forum:standing:",
    "forum:notifications:unread",
    "forum:moderation-queue-count",
    "forum:thread-row:",
    "forum:theme-row:",
    "forum:reader-state:",
]

# Pages, page lists, thread rows, members' rows and standing are kept in the cache only where a
# change seen by one process reaches the others (Redis), or where there is one process
# (development, tests). Without Redis, several gunicorn workers would each keep their own copy
# after a new comment, a password change or a suspension; they then read the database instead.
# (Comment fragments and rows keyed by their own content are safe anywhere and always kept.)
SHARED_CACHE = bool(REDIS_URL) or DEBUG or TESTING

SESSION_ENGINE = "accounts.sessions"  # cached_db, read with the member's row (accounts/sessions.py)

# Django's and allauth's backends, keeping the signed-in member's row in the cache (accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.CachedModelBackend",
    "accounts.backends.CachedAuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING) and not env_bool("COLLECTSTATIC_MANIFEST", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Hashed file names (CompressedManifestStaticFilesStorage) are cached for ever as immutable by
# WhiteNoise itself; this is the lifetime of un-hashed names, kept short so a deploy shows at once.
WHITENOISE_MAX_AGE = 0 if DEBUG else 60

# Email: console in development; SMTP from EMAIL_URL (smtp://user:pass@host:port, smtp+tls://...).
EMAIL_URL = env_str("EMAIL_URL", "console:" if (DEBUG or TESTING) else "")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Common Ground <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _configure_email(url: str) -> dict:
    from urllib.parse import unquote, urlparse

    if url in {"", "console:"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if url == "locmem:":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtp+tls", "smtp+ssl"}:
        raise ImproperlyConfigured("EMAIL_URL must start with smtp://, smtp+tls://, smtp+ssl:// or be console:.")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or 25,
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": parsed.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parsed.scheme == "smtp+ssl",
        "EMAIL_TIMEOUT": 10,
    }


globals().update(_configure_email(EMAIL_URL))
# Seconds to wait before each new attempt at an immediate email that failed; after the last, it is
# given up (forum.notifications.sending; docs/operations.md "Emails that fail").
EMAIL_RETRY_DELAYS = [int(seconds) for seconds in env_list("EMAIL_RETRY_DELAYS", "60,300,1800,7200,43200")]

# Digests (forum.notifications.schedule; docs/notifications.md "Digests"): the task worker sends the
# daily digest every day at DIGEST_HOUR o'clock UK time (TIME_ZONE), and the weekly one at the same
# hour on DIGEST_WEEKDAY. The daily run also sends immediate emails still waiting for a retry.
DIGEST_HOUR = env_int("DIGEST_HOUR", 7)
if not 0 <= DIGEST_HOUR <= 23:
    raise ImproperlyConfigured(f"DIGEST_HOUR must be an hour from 0 to 23, not {DIGEST_HOUR}.")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_digest_weekday = env_str("DIGEST_WEEKDAY", "monday").strip().lower() or "monday"
if _digest_weekday not in WEEKDAYS:
    raise ImproperlyConfigured(f"DIGEST_WEEKDAY must be a day of the week in English, not {_digest_weekday!r}.")
DIGEST_WEEKDAY = WEEKDAYS.index(_digest_weekday)  # 0 is Monday, as date.weekday() counts

# Background tasks (django-tasks). Tests and development may use the immediate backend.
DEFAULT_TASKS_BACKEND = (
    "django_tasks.backends.immediate.ImmediateBackend" if (TESTING or DEBUG) else "django_tasks_db.DatabaseBackend"
)
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", DEFAULT_TASKS_BACKEND),
    }
}

# Security
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if (DEBUG or TESTING) else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading binds every subdomain of the registered domain and takes months to undo, so it is
# the domain owner's decision, not the app's: off unless SECURE_HSTS_PRELOAD=true. While it is off,
# check --deploy's reminder (security.W021) is silenced below on purpose.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
# Features the site never uses, switched off for every page (config.middleware.PermissionsPolicyMiddleware).
# Only names current browsers recognise: unknown ones make Chromium print console errors.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "display-capture=(), browsing-topics=()"
)

from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],  # and the single sign-on providers, below
        "report-uri": ["/csp-report/"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING" if TESTING else "INFO"},
        # Security events (config.security): kept at INFO whatever LOG_LEVEL says.
        "security": {"level": "INFO"},
    },
}

# django-allauth 65.x (names checked against allauth 65.21's app_settings). See docs/accounts.md.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "signup": "accounts.forms.SignupForm",
    "add_email": "accounts.forms.AddEmailForm",
    "change_password": "accounts.forms.ChangePasswordForm",
    "set_password": "accounts.forms.SetPasswordForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
    "request_login_code": "accounts.forms.RequestLoginCodeForm",
    "confirm_login_code": "accounts.forms.ConfirmLoginCodeForm",
    "reauthenticate": "accounts.forms.ReauthenticateForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True  # only in the browser that signed up (allauth's rule)
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_MAX_EMAIL_ADDRESSES = 3
ACCOUNT_EMAIL_NOTIFICATIONS = True  # tell people when their password or email addresses change
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 600  # NHSmail can take a few minutes to deliver
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None  # ask ("Keep me signed in")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Common Ground] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_REAUTHENTICATION_REQUIRED = True  # confirm the password before changing email addresses
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Per-IP limits are generous because many NHS staff reach the internet through a few shared
# gateways; per-address ("key") and per-user limits are tight because they protect one account.
ACCOUNT_RATE_LIMITS = {
    "login": "60/m/ip",
    "login_failed": "20/m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,3/15m/key",
    "reset_password_from_key": "20/m/ip",
    "request_login_code": "20/m/ip,3/15m/key",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
if env_bool("DISABLE_RATE_LIMITS", False):
    ACCOUNT_RATE_LIMITS = False
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"

# Two-factor authentication: authenticator apps, passkeys and security keys (WebAuthn), and
# recovery codes; see docs/accounts.md ("Passkeys").
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
MFA_FORMS = {
    "authenticate": "accounts.forms.MFAAuthenticateForm",
    "reauthenticate": "accounts.forms.MFAReauthenticateForm",
    "authenticate_webauthn": "accounts.forms.MFAAuthenticateWebAuthnForm",
    "activate_totp": "accounts.forms.ActivateTOTPForm",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True  # "Sign in with a passkey" on the sign-in page
# Browsers allow WebAuthn on http://localhost, but fido2 refuses a plain-http origin unless told;
# only development and tests run without HTTPS.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or TESTING
MFA_TOTP_ISSUER = "Common Ground"
MFA_TOTP_TOLERANCE = 1  # accept the code from one 30-second step either side (phone clock drift)
# Activity is recorded by accounts.middleware at most every five minutes, not on every request.
USERSESSIONS_TRACK_ACTIVITY = False

# Single sign-on with OpenID Connect (docs/accounts.md, "Single sign-on"): none unless OIDC_PROVIDERS
# lists some. An account is never matched to a sign-in by its email address, and an address from a
# provider counts as confirmed only from an allowed tenant or domain (accounts.adapter).
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": oidc_apps("OIDC_PROVIDERS", env_str("OIDC_PROVIDERS"))}
}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in buttons POST, so another site cannot start one
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10


def sso_origins(apps: list[dict]) -> list[str]:
    from urllib.parse import urlsplit

    return sorted({"{0.scheme}://{0.netloc}".format(urlsplit(app["settings"]["server_url"])) for app in apps})


# The sign-in buttons POST to this site, which redirects on to the provider: form-action governs that
# redirect too, so without the provider's origin the browser would stop there.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += sso_origins(SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"])

# Who runs this copy of the service and how to reach them: the privacy notice, the accessibility
# statement and the contact page read these (config/operator.py; docs/data-protection.md). The
# organisation named is the data controller. Empty optional ones are left off the pages.
OPERATOR_NAME = env_str("OPERATOR_NAME").strip()
# true when that organisation is a public authority (an ICB, a trust, a council): the privacy notice
# then gives "public task" as the lawful basis, and the pages mention Freedom of Information.
OPERATOR_IS_PUBLIC_AUTHORITY = env_bool("OPERATOR_IS_PUBLIC_AUTHORITY", False)
CONTACT_EMAIL = env_str("CONTACT_EMAIL").strip()
CONTACT_PHONE = env_str("CONTACT_PHONE").strip()
# One line of the address per comma: "1 High Street, Leeds, LS1 1AA".
CONTACT_POSTAL_ADDRESS = env_list("CONTACT_POSTAL_ADDRESS")
DPO_NAME = env_str("DPO_NAME").strip()
DPO_EMAIL = env_str("DPO_EMAIL").strip()
ICO_REGISTRATION_NUMBER = env_str("ICO_REGISTRATION_NUMBER").strip()
# The processors that hold members' data for the operator, as the privacy notice should name them,
# with where they keep it: "Example Hosting Ltd, in the UK". Empty: described in general words.
HOSTING_PROVIDER = env_str("HOSTING_PROVIDER").strip()
EMAIL_PROVIDER = env_str("EMAIL_PROVIDER").strip()

# Adds the benchmark's control view (/bench/trivial/); off unless the benchmark starts the app.
BENCHMARK_ENDPOINTS = env_bool("BENCHMARK_ENDPOINTS", False)

# Forum settings
COMMENTS_PER_PAGE = env_int("COMMENTS_PER_PAGE", 30)
# Downloads of the discussion (CSV, JSON) are open to every signed-in member; set this to the name
# of a Django group (for example "Planners") to open them to that group only.
EXPORT_REQUIRES_GROUP = env_str("EXPORT_REQUIRES_GROUP", "")

# Moderation (docs/moderation.md). A comment reported by this many different members is hidden
# until a moderator reviews it; one report of patient-identifiable information hides it at once.
FLAG_HIDE_THRESHOLD = env_int("FLAG_HIDE_THRESHOLD", 3)
# A member's first N comments wait for a moderator before anyone else sees them. Off in tests, so
# only the tests about pre-moderation need to approve a member's first comment.
PREMODERATE_FIRST_COMMENTS = env_int("PREMODERATE_FIRST_COMMENTS", 0 if TESTING else 1)
# What new members are told: a moderator usually checks a first post within this many hours.
MODERATION_USUAL_HOURS = env_int("MODERATION_USUAL_HOURS", 24)
# Members who joined less than NEW_MEMBER_DAYS ago may put at most NEW_MEMBER_MAX_LINKS links in a
# comment, and have the stricter "_new" rate limits below.
NEW_MEMBER_DAYS = env_int("NEW_MEMBER_DAYS", 7)
NEW_MEMBER_MAX_LINKS = env_int("NEW_MEMBER_MAX_LINKS", 2)
# "count/period" with period in s, m, h or d (forum/posting/ratelimits.py).
FORUM_RATE_LIMITS = {
    "comment": env_str("RATE_LIMIT_COMMENTS", "10/10m"),
    "comment_new": env_str("RATE_LIMIT_COMMENTS_NEW", "3/10m"),
    "thread": env_str("RATE_LIMIT_THREADS", "5/h"),
    "thread_new": env_str("RATE_LIMIT_THREADS_NEW", "1/h"),
    "flag": env_str("RATE_LIMIT_FLAGS", "20/h"),
    "flag_new": env_str("RATE_LIMIT_FLAGS_NEW", "5/h"),
}
FORUM_RATE_LIMITS_ENABLED = not env_bool("DISABLE_RATE_LIMITS", False)
