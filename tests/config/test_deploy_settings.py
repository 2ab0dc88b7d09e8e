"""Production settings from the environment, checked the way an operator would: `manage.py check --deploy`.

Each case runs manage.py in a fresh interpreter, because settings are read once at import
and a bad value must stop start-up itself, not just a helper function.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
# 64 characters, many distinct: what `check --deploy` accepts as a real key (W009 otherwise).
STRONG_KEY = "q7Vx2L!r9Pz$Kd4m#Wn8Bt6Hs3Jf5Gc1Ya0Ue-Ri+To=Qp@Zl^Xk&Mv*Nb(Cw)Ed"
# Every variable the settings module reads, so the developer's shell cannot leak into a case.
SETTINGS_VARIABLES = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_NAME",
    "SITE_URL",
    "DATABASE_URL",
    "DB_CONN_MAX_AGE",
    "DB_DISABLE_SERVER_SIDE_CURSORS",
    "SQLITE_PATH",
    "DEFAULT_FROM_EMAIL",
    "TIME_ZONE",
    "REDIS_URL",
    "EMAIL_BACKEND",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "CACHE_URL",
    "CLIENT_IP_HEADER",
    "LOG_LEVEL",
]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "studyhall.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://studyhall.example.com",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # DJANGO_*: the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for the session, which
    # check --deploy rightly reports (async.E001); no deployment sets it.
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTINGS_VARIABLES and not key.startswith("DJANGO_")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    return manage("check", "--deploy", "--fail-level", "WARNING", **env)


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_production_values_pass_check_deploy() -> None:
    result = check_deploy(**PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_values_with_postgres_url_pass_check_deploy() -> None:
    # The check never connects: this only proves the URL and conn_max_age are accepted.
    result = check_deploy(
        **PRODUCTION, DATABASE_URL="postgres://studyhall:pw@db.internal:5432/studyhall", DB_CONN_MAX_AGE="120"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_on_debug_in_production_shape() -> None:
    # The same command must be able to fail, or the passing case above proves nothing.
    result = check_deploy(**{**PRODUCTION, "DEBUG": "true"})
    assert result.returncode != 0
    assert "security.W018" in result.stderr


def test_check_deploy_fails_on_a_weak_secret_key() -> None:
    result = check_deploy(**{**PRODUCTION, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_check_deploy_fails_when_ssl_redirect_is_turned_off() -> None:
    result = check_deploy(**PRODUCTION, SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W008" in result.stderr


@pytest.mark.parametrize(
    ("variable", "env"),
    [
        ("DEBUG", {"DEBUG": "maybe"}),
        ("DB_CONN_MAX_AGE", {"DATABASE_URL": "postgres://u:p@localhost:5432/db", "DB_CONN_MAX_AGE": "ten"}),
        ("DATABASE_URL", {"DATABASE_URL": "not-a-url"}),
        ("SECURE_HSTS_SECONDS", {**PRODUCTION, "SECURE_HSTS_SECONDS": "an hour"}),
        ("SESSION_COOKIE_SECURE", {**PRODUCTION, "SESSION_COOKIE_SECURE": "sometimes"}),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(variable: str, env: dict[str, str]) -> None:
    result = manage("check", **env)
    assert result.returncode != 0
    assert variable in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_debug_off_without_secret_key_fails_naming_it() -> None:
    result = manage("check", DEBUG="false", ALLOWED_HOSTS="studyhall.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_unset_environment_is_the_embedded_default() -> None:
    result = manage("diffsettings", "--all")
    assert result.returncode == 0, result.stderr
    assert "DEBUG = True" in result.stdout
    assert "django.db.backends.sqlite3" in result.stdout
    assert "CELERY_TASK_ALWAYS_EAGER = True" in result.stdout


def test_env_example_passes_check_deploy_once_its_secret_is_replaced() -> None:
    values = read_env_file(BASE_DIR / ".env.example")
    assert set(values) <= {*SETTINGS_VARIABLES, "POSTGRES_PASSWORD"}, "a variable the settings never read"
    result = check_deploy(**{**values, "SECRET_KEY": STRONG_KEY})
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_placeholder_secret_is_refused() -> None:
    # Deploying the example unchanged must not look healthy.
    values = read_env_file(BASE_DIR / ".env.example")
    result = check_deploy(**values)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr or "security.W009" in result.stderr


def shell(code: str, **env: str) -> str:
    result = manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()  # the last lines are the code's (settings may log before)


def test_production_keeps_no_state_a_second_web_node_would_miss() -> None:
    # Sessions in the database and every cache in Redis: two nodes with these settings share both.
    production = {
        **PRODUCTION,
        "DATABASE_URL": "postgres://u:p@db:5432/studyhall",
        "REDIS_URL": "redis://r:6379/0",
    }
    code = (
        "from django.conf import settings as s; print(s.SESSION_ENGINE); "
        "print(sorted({c['BACKEND'] for c in s.CACHES.values()}))"
    )
    engine, backends = shell(code, **production).splitlines()[-2:]
    assert engine == "django.contrib.sessions.backends.cached_db"
    assert backends == "['config.cache.RedisCache']"


def test_a_transaction_pooler_turns_server_side_cursors_off() -> None:
    production = {**PRODUCTION, "DATABASE_URL": "postgres://u:p@pgbouncer:6432/studyhall"}
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['DISABLE_SERVER_SIDE_CURSORS'], d['CONN_MAX_AGE'])"
    )
    assert shell(code, **production).splitlines()[-1] == "False 60"
    pooled = shell(code, **production, DB_DISABLE_SERVER_SIDE_CURSORS="true", DB_CONN_MAX_AGE="0")
    assert pooled.splitlines()[-1] == "True 0"
