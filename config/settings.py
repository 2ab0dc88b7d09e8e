"""Studyhall settings: one module, driven by environment variables.

Unset variables give the embedded default (SQLite, tasks run in-process, debug on);
a variable that is set but malformed stops start-up with a message naming it.
"""

from __future__ import annotations

import os
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # Embedded mode only: a fixed development key so sessions survive restarts.
    SECRET_KEY = "django-insecure-studyhall-embedded-mode-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# A styled 403 that says what to do (templates/403.html), not Django's developer page.
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
SITE_NAME = env_str("SITE_NAME", "Studyhall")
# Absolute links in emails (the daily digest, password reset).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "config.apps.StudyhallAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "courses",
    "lessons",
    "quizzes",
    "accounts",
    "mastery",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before CSRF and every view: they read the form body, and a malformed one must be a 400, not a 500.
    "config.middleware.RequestHygieneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, building the policy once instead of on every response.
    "config.middleware.CSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A members-only course's pages answer with its card and enrol form (courses/access.py MembersOnly).
    "courses.middleware.MembersOnlyMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # Partials over the cached loader over loaders that drop the templates' indentation
            # once, when a template is read (config/template_loaders.py).
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "config.template_loaders.FilesystemLoader",
                                "config.template_loaders.AppDirectoriesLoader",
                            ],
                        )
                    ],
                )
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "courses.context_processors.site",
                # While a visitor's page is rendered to be kept whole, its CSRF token is a placeholder.
                "courses.content_cache.page_csrf",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    import dj_database_url

    try:
        DATABASES = {
            "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
        }
        # Behind PgBouncer in transaction mode (docs/deploy.md, "Many web nodes") a named
        # cursor cannot outlive its transaction's server connection: turn them off there.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
            "DB_DISABLE_SERVER_SIDE_CURSORS", False
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }

# Content-Security-Policy (django-csp 4 format). Scripts only from this site: no inline
# script, no eval (htmx is configured for that in base.html's htmx-config meta); a page
# that ever needs an inline script gives it {{ request.csp_nonce }}. Styles: stylesheets
# from this site only, and style *attributes* allowed (a progress bar's width, the admin's
# widgets) because an attribute can neither run script nor load anything (img-src and
# font-src still apply to what CSS asks for). Nothing may frame a page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The headers that go with it; Django's defaults, stated here so the policy reads in one place.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page here uses, switched off (config/middleware.py sends the header).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Studyhall <noreply@studyhall.invalid>")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "config.storage.StaticFilesStorage"
    },
}

# Celery: in the embedded mode tasks run in-process (no Redis needed).
REDIS_URL = env_str("REDIS_URL", "")

# The cache holds the sign-in, sign-up and reset throttles (accounts/throttle.py), so in
# production it is Redis, shared by every web node; the embedded mode keeps it in memory.
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
CACHES: dict[str, dict[str, object]] = {
    "default": (
        {"BACKEND": "config.cache.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "studyhall"}
    ),
    # Rendered content pages (courses/content_cache.py): keyed by course content version, so
    # never stale; its own prefix (and alias) so a cold cache is one clear() of this alias.
    "content": (
        {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "content",
        }
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "studyhall-content",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    ),
}
# Sessions in the database, so a learner signed in on one web node is signed in on all of
# them (never the file or local-memory backends); messages ride in the session or a cookie.
# With Redis as the shared cache they are read through it (cached_db: written to both, read
# from Redis), saving a query per signed-in request; a process-local cache would let one
# process keep a session another has ended, so the embedded mode reads the database.
# The signed-in user (with their profile) is read from the shared cache, not queried on every
# request; sign-in checks the password as Django's model backend does (accounts/learner_cache.py).
AUTHENTICATION_BACKENDS = ["accounts.learner_cache.CachedUserBackend"]

SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if CACHE_URL else "django.contrib.sessions.backends.db"
)
# Behind a proxy every request comes from the proxy: the throttles read the client's address
# from this header instead (nginx in scripts/stack.sh sets X-Real-IP). Empty: the peer address.
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "")

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Eager (embedded) tasks run inside the request that enqueued them; a failing recompute is
# logged, not turned into the learner's error page. Tests call services directly.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
# A worker child killed mid-task (OOM, SIGKILL) sends its unacknowledged task back to the
# queue instead of dropping it; tasks are idempotent, so running one again is safe.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# With late acks, a worker holds only the task it is running: a lost worker loses no others.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_RETRY_DELAY = 5
# A learner's request enqueues the after-attempt recompute: with the broker unreachable,
# publishing must fail fast (the attempt is already saved; the nightly run catches up).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# The beat schedule lives here so that worker, beat and tests read one definition.
CELERY_BEAT_SCHEDULE = {
    "nightly-course-memory-fit": {
        "task": "mastery.tasks.fit_course_memory",
        "schedule": crontab(minute=30, hour=1),
    },
    "nightly-mastery-decay": {
        "task": "mastery.tasks.nightly_mastery_decay",
        "schedule": crontab(hour=2, minute=0),
    },
    "nightly-recall-queues": {
        "task": "mastery.tasks.prepare_recall_queues",
        "schedule": crontab(hour=2, minute=30),
    },
    # Hourly, because "morning" depends on each learner's time zone; the digest is sent once per local day.
    "daily-digests": {"task": "mastery.tasks.send_daily_digests", "schedule": crontab(minute=5)},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# Where `make run` finds the demo course bundle, and the slug its course.md gives it
# (`load_demo` imports it only while no course has that slug).
DEMO_BUNDLE_DIR = BASE_DIR / "demo" / "course"
DEMO_COURSE_SLUG = "database-internals"

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Off only for a plain-HTTP loopback stack (scripts/stack.sh); browsers drop secure cookies over HTTP.
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    # A year: what the HSTS preload list asks for (SECURE_HSTS_PRELOAD below).
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # In the embedded mode tasks run in the request or command that queues them, and Celery's
    # trace logs a line for each: a first `make run` printed a thousand of them loading the
    # demo history. A worker (REDIS_URL set) keeps its per-task lines.
    "loggers": {} if REDIS_URL else {"celery.app.trace": {"level": "WARNING"}},
}

if DEBUG:
    import warnings

    # WhiteNoise looks for STATIC_ROOT, which only exists after collectstatic (production).
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
