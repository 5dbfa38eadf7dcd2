"""Settings for the 美好家园 showcase portal.

Everything that differs between a laptop and production comes from environment variables,
with defaults that are safe for local development. With ``DJANGO_DEBUG=0`` the site refuses to
start until it has a real secret key and a list of allowed hosts.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

# Only ever used with DEBUG on; production refuses to start with it.
DEVELOPMENT_SECRET_KEY = "development-only-insecure-key-do-not-use-in-production"


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (got {value!r}).")


def env_list(name):
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip() or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")

if DEBUG:
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
else:
    problems = []
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append(
            "DJANGO_SECRET_KEY is unset, the development key, or shorter than 50 characters; "
            'set it to a long random value, e.g. python -c "import secrets; '
            'print(secrets.token_urlsafe(50))"'
        )
    if not ALLOWED_HOSTS:
        problems.append(
            "DJANGO_ALLOWED_HOSTS is empty; set it to the site's host names, comma-separated, "
            "e.g. DJANGO_ALLOWED_HOSTS=meihao.example.cn"
        )
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start with DJANGO_DEBUG=0:\n  - " + "\n  - ".join(problems)
        )

INSTALLED_APPS = [
    "estates.admin_site.PortalAdminConfig",  # django.contrib.admin with the portal's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "simple_history",
    "import_export",
    "estates",
    "showcase",
]

MIDDLEWARE = [
    # First: load balancers' /healthz over plain HTTP to an IP, before the host check and the
    # HTTPS redirect (showcase/health.py).
    "showcase.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "showcase.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "showcase.urls"
WSGI_APPLICATION = "showcase.wsgi.application"

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
                "showcase.context_processors.site",
            ],
        },
    },
]

# SQLite is the embedded default; DATABASE_URL (postgres://…) selects PostgreSQL via psycopg 3.
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            # Each worker keeps its connection for this many seconds (0: one per request);
            # the health check replaces a connection the server has dropped.
            conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "600")),
            conn_health_checks=True,
        )
    }
    if env_bool("DATABASE_POOL", False):
        # A psycopg connection pool per process instead of persistent connections, for
        # threaded servers; the two don't mix, so the pool turns CONN_MAX_AGE off.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN", "2")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX", "10")),
            "timeout": 10,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # WAL lets readers continue while one writer writes; IMMEDIATE takes the write
                # lock when a transaction starts, so concurrent writers queue on the busy
                # timeout instead of failing with "database is locked" half-way through.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Tests use a file too (not the in-memory default), so they run in WAL mode as
            # the site does and concurrent tests exercise real locking; one file per test run,
            # so two runs side by side never share it.
            "TEST": {
                "NAME": os.path.join(tempfile.gettempdir(), f"showcase-test-{os.getpid()}.sqlite3")
            },
        }
    }
    # The covering index of latest metric values (estates.Metric) includes a column only
    # PostgreSQL can keep in the index; SQLite builds the same index without it, as intended.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_from_url(url):
    """CACHE_URL: empty for a per-process memory cache, redis://host:port/db for one cache
    shared by several app servers, dummy:// for none (to measure uncached pages)."""
    if not url or url.startswith("locmem://"):
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "showcase",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "showcase",
        }
    if url.startswith("dummy://"):
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(
        f"CACHE_URL must start with redis://, rediss://, unix://, locmem:// or dummy:// "
        f"(got {url!r})."
    )


# Invalidation works across processes and servers whichever cache is used, because the cache
# keys carry a content version stored in the database (showcase/cache.py).
CACHES = {"default": cache_from_url(os.environ.get("CACHE_URL", "").strip())}
PUBLIC_PAGE_CACHE_SECONDS = int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "300"))
# How old the content version a process holds may get before it reads it again; a change made
# in another process shows on cached pages within this time (0: read on every request).
PAGE_CACHE_VERSION_SECONDS = float(os.environ.get("PAGE_CACHE_VERSION_SECONDS", "1"))
# Profile views are added up in each process and written at most this often, and when the
# process stops (showcase/viewcounts.py); 0 writes every view at once.
VIEW_COUNT_FLUSH_SECONDS = float(os.environ.get("VIEW_COUNT_FLUSH_SECONDS", "10"))

# The public site's footer (templates/showcase/base.html): who runs the site and how to reach
# them, as a deployment fills them in. The defaults are marked 示例 so that an unset value is
# seen at once; a variable set to an empty string leaves its line out.
SITE_ORGANISER = os.environ.get("SITE_ORGANISER", "住房和城乡建设部（示例）").strip()
SITE_ORGANISER_EN = os.environ.get(
    "SITE_ORGANISER_EN", "Ministry of Housing and Urban-Rural Development (example)"
).strip()
SITE_CONTACT_EMAIL = os.environ.get("SITE_CONTACT_EMAIL", "meihaojiayuan@example.org").strip()
SITE_CONTACT_PHONE = os.environ.get("SITE_CONTACT_PHONE", "010-00000000（示例）").strip()
SITE_CONTACT_ADDRESS = os.environ.get(
    "SITE_CONTACT_ADDRESS", "北京市海淀区三里河路9号（示例）"
).strip()
# The ICP filing number (ICP备案号), linked to the ministry's filing register as the law asks.
SITE_ICP_NUMBER = os.environ.get("SITE_ICP_NUMBER", "京ICP备00000000号（示例）").strip()

# Mail: staff notifications (estates/notifications.py), sent after the change that caused them
# commits and retried by `manage.py send_notifications` when the server was unreachable.
# Production names its SMTP server here; under `make run` (DEBUG, no EMAIL_HOST) mails are
# printed to the terminal instead. `check --deploy` warns when production has no mail server.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip() or "localhost"
EMAIL_HOST_CONFIGURED = bool(os.environ.get("EMAIL_HOST", "").strip())
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "").strip() or "25")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the start, usually port 465
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be 1; choose one.")
# Seconds to wait for the mail server: a request that sends mail waits at most this long.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "").strip() or "10")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not EMAIL_HOST_CONFIGURED
    else "django.core.mail.backends.smtp.EmailBackend"
)
DEFAULT_FROM_EMAIL = (
    os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "美好家园 <noreply@meihao.example.cn>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's address, which makes the links in mails absolute: SITE_URL, else the first of
# DJANGO_ALLOWED_HOSTS over HTTPS (the development server's address under DEBUG).
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/") or (
    "http://127.0.0.1:8000" if DEBUG else f"https://{ALLOWED_HOSTS[0].lstrip('.')}"
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Staff sign-in: failures throttled per account and per client (showcase/login_throttle.py);
# a session ends after a working day, or when the browser closes.
LOGIN_THROTTLE_MINUTES = 15
LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURES_PER_CLIENT = 20
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Proxies in front of the app that append to X-Forwarded-For (0: use the peer's address).
TRUSTED_PROXIES = int(os.environ.get("DJANGO_TRUSTED_PROXIES", "0"))

# Headers on every response, in development too, so tests see what production sends;
# the Content-Security-Policy comes from showcase.security.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves the collected, hashed files from STATIC_ROOT (collectstatic at deploy);
# development serves straight from the source folders.
STATIC_ROOT = (
    None if DEBUG else Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
)
WHITENOISE_USE_FINDERS = DEBUG
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
# Open-data files, built once per change of the published data (showcase/snapshots.py).
# Private: not served by the web server, and left out of backups (they are rebuilt).
OPEN_DATA_ROOT = Path(os.environ.get("DJANGO_OPEN_DATA_ROOT", str(BASE_DIR / "var" / "opendata")))
# The CJK font the estates' generated cover cards are drawn with (showcase/covers.py): Noto Sans
# CJK from Debian's fonts-noto-cjk, whose .ttc files hold the Simplified Chinese face the cards
# use. The bold file falls back to the regular one; a system check says when neither can draw
# Chinese (`make run` installs the package).
SHOWCASE_COVER_FONT = os.environ.get(
    "SHOWCASE_COVER_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
).strip()
SHOWCASE_COVER_FONT_BOLD = os.environ.get(
    "SHOWCASE_COVER_FONT_BOLD", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
).strip()
# The open data's licence as /data/ states it: its name, address and a statement per language
# (the page's language, else Chinese). A deployment under other terms sets its own here or
# through DJANGO_OPEN_DATA_LICENCE_NAME, _URL, _ZH and _EN.
OPEN_DATA_LICENCE = {
    "name": os.environ.get("DJANGO_OPEN_DATA_LICENCE_NAME", "CC BY 4.0"),
    "url": os.environ.get(
        "DJANGO_OPEN_DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/"
    ),
    "text": {
        "zh-hans": os.environ.get(
            "DJANGO_OPEN_DATA_LICENCE_ZH",
            "本站开放数据采用知识共享署名 4.0 国际许可协议（CC BY 4.0）授权："
            "任何人都可以复制、分发、改编和利用这些数据，包括用于商业目的，"
            "但须注明出处“美好家园”典型案例展示平台，并说明是否作了修改。",
        ),
        "en": os.environ.get(
            "DJANGO_OPEN_DATA_LICENCE_EN",
            "The open data of this site is licensed under the Creative Commons Attribution "
            "4.0 International licence (CC BY 4.0): anyone may copy, share, adapt and use it, "
            "also commercially, provided they credit the 美好家园 showcase as the source and "
            "indicate whether changes were made.",
        ),
    },
}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names need collectstatic, which production runs at deploy time;
    # local development and tests serve the files as they are.
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
