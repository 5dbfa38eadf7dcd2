"""Settings for the 美好家园 showcase portal.

Everything that differs between a laptop and production comes from environment variables,
with defaults that are safe for local development. With ``DJANGO_DEBUG=0`` the site refuses to
start until it has a real secret key and a list of allowed hosts.
"""

import os
import re
import tempfile
import urllib.parse
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
    # Innermost: fills in the footer's date before CommonMiddleware sets Content-Length.
    "showcase.footer.FooterDateMiddleware",
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

MEDIA_STORAGE_HELP = (
    "s3://BUCKET[/PREFIX]?endpoint=URL&region=NAME&urls=signed|public&expiry=SECONDS"
    "&domain=HOST[/PATH]&style=path|virtual"
)
MEDIA_STORAGE_PARAMETERS = ("endpoint", "region", "urls", "expiry", "domain", "style")
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# SigV4 signatures live at most a week.
SIGNED_URL_SECONDS = (60, 7 * 24 * 3600)


def media_storage_error(chinese, english):
    return ImproperlyConfigured(
        f"DJANGO_MEDIA_STORAGE 设置有误：{chinese}。应写作 {MEDIA_STORAGE_HELP}"
        "（除存储桶外均可省略；密钥放在 AWS_ACCESS_KEY_ID 和 AWS_SECRET_ACCESS_KEY 中；"
        "见 docs/deployment.md），留空则照片存在 DJANGO_MEDIA_ROOT 目录。\n"
        f"DJANGO_MEDIA_STORAGE is invalid: {english}. Expected {MEDIA_STORAGE_HELP} (all but the "
        "bucket optional; keys go in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; see "
        "docs/deployment.md), or empty for files under DJANGO_MEDIA_ROOT."
    )


def media_storage_from_url(url, page_cache_seconds):
    """DJANGO_MEDIA_STORAGE=s3://bucket[/prefix]?… -> (the STORAGES entry of django-storages'
    S3 backend, the origin the photos' addresses start with).

    endpoint: an S3-compatible service (MinIO, Aliyun OSS, Tencent COS, …), AWS when omitted;
    urls: signed (default: addresses that expire after `expiry` seconds, 3600 by default; the
    bucket stays private) or public (plain addresses: the bucket or `domain`, a CDN, must let
    anyone read); style: path (the default with an endpoint) or virtual (bucket.host) URLs."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "s3":
        raise media_storage_error(
            f"只支持 s3:// 开头的地址，这里是 {url!r}",
            f"only s3:// addresses are supported, got {url!r}",
        )
    if "@" in parts.netloc or ":" in parts.netloc:
        raise media_storage_error(
            "存储桶名里不能带密钥或端口（密钥放在 AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY，"
            "服务地址写在 endpoint=）",
            "the bucket may not carry keys or a port (keys go in AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY, the service's address in endpoint=)",
        )
    bucket = parts.netloc
    if not BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        raise media_storage_error(
            f"存储桶名 {bucket!r} 不合规则（3–63 个小写字母、数字、点或连字符，"
            "以字母或数字开头和结尾）",
            f"bucket name {bucket!r} is not valid (3-63 lowercase letters, digits, dots or "
            "hyphens, starting and ending with a letter or digit)",
        )
    prefix = parts.path.strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        raise media_storage_error(
            f"前缀 {prefix!r} 含有空段、. 或 ..",
            f"prefix {prefix!r} has an empty, . or .. segment",
        )
    try:
        pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        pairs = [] if not parts.query else [("", parts.query)]
    params = {}
    for name, value in pairs:
        if name not in MEDIA_STORAGE_PARAMETERS:
            raise media_storage_error(
                f"不认识参数 {name!r}，可用的参数有 {'、'.join(MEDIA_STORAGE_PARAMETERS)}",
                f"unknown parameter {name!r}; known: {', '.join(MEDIA_STORAGE_PARAMETERS)}",
            )
        if name in params:
            raise media_storage_error(f"参数 {name} 写了两次", f"parameter {name} is given twice")
        params[name] = value.strip()

    options = {
        "bucket_name": bucket,
        "location": prefix,
        # Names are never overwritten (Django's rule, which the photos' code relies on).
        "file_overwrite": False,
        "default_acl": None,
        "signature_version": "s3v4",
        # Every stored name is new for new content (photos, cover cards and PDFs are named by
        # a random part or a digest): browsers and CDNs may keep a file for good.
        "object_parameters": {"CacheControl": "public, max-age=31536000"},
    }
    endpoint = params.get("endpoint")
    if endpoint is not None:
        found = urllib.parse.urlsplit(endpoint)
        if found.scheme not in ("http", "https") or not found.hostname or found.query:
            raise media_storage_error(
                f"endpoint={endpoint!r} 不是 http:// 或 https:// 开头的服务地址",
                f"endpoint={endpoint!r} is not an http:// or https:// address",
            )
        options["endpoint_url"] = endpoint.rstrip("/")
    region = params.get("region")
    if region is not None:
        if not re.fullmatch(r"[a-z0-9-]{2,40}", region):
            raise media_storage_error(
                f"region={region!r} 不是区域名（如 cn-north-1、oss-cn-beijing）",
                f"region={region!r} is not a region name (such as cn-north-1)",
            )
        options["region_name"] = region
    style = params.get("style", "path" if endpoint else "virtual")
    if style not in ("path", "virtual"):
        raise media_storage_error(
            f"style={style!r} 只能是 path 或 virtual", f"style={style!r} must be path or virtual"
        )
    options["addressing_style"] = style
    urls = params.get("urls", "signed")
    if urls not in ("signed", "public"):
        raise media_storage_error(
            f"urls={urls!r} 只能是 signed（带签名、会过期的地址）或 public（公开地址）",
            f"urls={urls!r} must be signed (expiring addresses) or public",
        )
    options["querystring_auth"] = urls == "signed"
    if urls == "signed":
        if "domain" in params:
            raise media_storage_error(
                "domain= 只能与 urls=public 一起用（签名地址必须用存储服务自己的域名）",
                "domain= needs urls=public (signed addresses use the storage's own host)",
            )
        expiry = params.get("expiry", "3600")
        low, high = SIGNED_URL_SECONDS
        if not expiry.isdigit() or not low <= int(expiry) <= high:
            raise media_storage_error(
                f"expiry={expiry!r} 应是 {low} 到 {high} 之间的秒数",
                f"expiry={expiry!r} must be a number of seconds from {low} to {high}",
            )
        # A cached page keeps the addresses it was rendered with: they must outlive it.
        if int(expiry) < 2 * page_cache_seconds:
            raise media_storage_error(
                f"expiry={expiry} 秒太短：页面最多缓存 {page_cache_seconds} 秒"
                "（PUBLIC_PAGE_CACHE_SECONDS），签名地址至少要有它的两倍",
                f"expiry={expiry} s is too short: pages are cached up to {page_cache_seconds} "
                "s (PUBLIC_PAGE_CACHE_SECONDS) and signed addresses must last twice that",
            )
        options["querystring_expire"] = int(expiry)
    elif "expiry" in params:
        raise media_storage_error(
            "expiry= 只对 urls=signed 有意义", "expiry= applies only to urls=signed"
        )
    domain = params.get("domain")
    if domain is not None:
        scheme, _, rest = domain.rpartition("://")
        host = rest.split("/", 1)[0]
        if scheme not in ("", "http", "https") or not re.fullmatch(r"[\w.-]+(:\d+)?", host):
            raise media_storage_error(
                f"domain={domain!r} 应是域名加可选的路径，如 media.example.cn 或 "
                "https://cdn.example.cn/meihao",
                f"domain={domain!r} must be a host and optional path, such as media.example.cn",
            )
        options["custom_domain"] = rest.rstrip("/")
        options["url_protocol"] = f"{scheme or 'https'}:"

    if domain is not None:
        origin = f"{options['url_protocol']}//{options['custom_domain'].split('/', 1)[0]}"
    elif endpoint is not None:
        found = urllib.parse.urlsplit(options["endpoint_url"])
        host = found.netloc if style == "path" else f"{bucket}.{found.netloc}"
        origin = f"{found.scheme}://{host}"
    else:
        origin = f"https://{bucket}.s3.amazonaws.com" if style == "virtual" else None
    return {"BACKEND": "showcase.storage.MediaStorage", "OPTIONS": options}, origin


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
# Photos, their renditions, cover cards and report PDFs: files under MEDIA_ROOT by default;
# with DJANGO_MEDIA_STORAGE=s3://… on S3-compatible object storage that every app server
# shares (showcase/storage.py). MEDIA_STORAGE_ORIGIN is where the photos' addresses point
# (None: this site, or AWS's regional host that depends on the bucket's region).
MEDIA_STORAGE_URL = os.environ.get("DJANGO_MEDIA_STORAGE", "").strip()
MEDIA_STORAGE_ORIGIN = None
if MEDIA_STORAGE_URL:
    STORAGES["default"], MEDIA_STORAGE_ORIGIN = media_storage_from_url(
        MEDIA_STORAGE_URL, PUBLIC_PAGE_CACHE_SECONDS
    )

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
