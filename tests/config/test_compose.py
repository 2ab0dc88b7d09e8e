"""docker-compose.yml and the Dockerfile, checked without Docker: structure, commands and health checks.

The commands must be the ones scripts/stack.sh runs, so that CI (which runs the stack as
local processes) exercises what production runs.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import dj_database_url
import pytest
import yaml
from django.conf import settings as django_settings
from django.test import Client
from pytest_django.fixtures import Settings

BASE_DIR = Path(__file__).resolve().parents[2]
APP_SERVICES = {"migrate", "web", "worker", "beat"}
LONG_RUNNING = {"postgres", "redis", "web", "nginx", "worker", "beat"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def stack_script() -> str:
    return (BASE_DIR / "scripts" / "stack.sh").read_text()


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (BASE_DIR / "Dockerfile").read_text()


def command(service: dict[str, Any]) -> list[str]:
    raw = service["command"]
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def healthcheck_text(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def test_the_services_are_the_production_topology(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {"postgres", "redis", "nginx", *APP_SERVICES}
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:")


def test_app_services_build_the_image_and_read_env_from_dot_env(services: dict[str, dict[str, Any]]) -> None:
    for name in APP_SERVICES:
        service = services[name]
        assert service["build"] == ".", name
        assert service["env_file"] in (".env", [".env"]), name
        environment = service["environment"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0", name
        url = re.sub(r"\$\{POSTGRES_PASSWORD[^}]*\}", "secret", environment["DATABASE_URL"])
        parsed = dj_database_url.parse(url)
        assert parsed["ENGINE"] == "django.db.backends.postgresql", name
        assert (parsed["HOST"], parsed["PORT"], parsed["NAME"]) == ("postgres", 5432, "studyhall"), name


@pytest.mark.parametrize(
    ("name", "program", "stack_pattern"),
    [
        ("web", ["gunicorn", "config.wsgi:application"], r'/gunicorn" config\.wsgi:application'),
        ("worker", ["celery", "-A", "config", "worker"], r'/celery" -A config worker'),
        ("beat", ["celery", "-A", "config", "beat"], r'/celery" -A config beat'),
        (
            "migrate",
            ["sh", "-c", "python manage.py migrate --noinput && python manage.py setup_roles"],
            r'/python" manage\.py migrate --noinput',
        ),
    ],
)
def test_each_command_is_the_one_stack_sh_runs(
    services: dict[str, dict[str, Any]], stack_script: str, name: str, program: list[str], stack_pattern: str
) -> None:
    assert command(services[name])[: len(program)] == program
    assert re.search(stack_pattern, stack_script), f"scripts/stack.sh no longer runs {' '.join(program)}"
    if name == "migrate":
        assert re.search(r'/python" manage\.py setup_roles', stack_script), "stack.sh must set up roles too"


def test_worker_concurrency_matches_stack_sh(services: dict[str, dict[str, Any]], stack_script: str) -> None:
    worker = command(services["worker"])
    concurrency = worker[worker.index("--concurrency") + 1]
    assert re.search(rf'/celery" -A config worker .*--concurrency {concurrency}\b', stack_script)


def test_long_running_services_have_health_checks(services: dict[str, dict[str, Any]]) -> None:
    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert "pg_isready" in healthcheck_text(services["postgres"])
    assert "redis-cli ping" in healthcheck_text(services["redis"])
    assert "/healthz" in healthcheck_text(services["web"])


def test_worker_and_beat_are_pinged_by_their_own_node_name(services: dict[str, dict[str, Any]]) -> None:
    assert "inspect ping --destination celery@$$HOSTNAME" in healthcheck_text(services["worker"])
    assert "inspect ping --destination celerybeat@$$HOSTNAME" in healthcheck_text(services["beat"])
    # Without remote control beat never answers the ping and would always be unhealthy.
    assert "--enable-remote-control" in command(services["beat"])


def test_web_health_check_script_is_valid_python(services: dict[str, dict[str, Any]]) -> None:
    test = services["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    compile(test[3], "web-healthcheck", "exec")
    assert "X-Forwarded-Proto" in test[3]


@pytest.mark.django_db
def test_healthz_answers_the_health_check_request_behind_https_redirect(settings: Settings) -> None:
    # The production settings the web container runs with (DEBUG=false): the health check
    # must get a 200, not the redirect to HTTPS or a 400 for an unknown Host.
    settings.ALLOWED_HOSTS = ["studyhall.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    assert client.get("/healthz", HTTP_HOST="studyhall.example.com").status_code == 301
    response = client.get("/healthz", HTTP_HOST="studyhall.example.com", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200


def test_depends_on_conditions_can_be_met(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on must name a condition per service"
        for target, rule in depends.items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[target], (
                    f"{name} waits for {target}, which has no health check"
                )
            elif condition == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} must be one-shot"
            else:
                pytest.fail(f"{name} → {target}: condition {condition!r} waits for nothing")


def test_app_services_wait_for_migrate_and_their_backends(services: dict[str, dict[str, Any]]) -> None:
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy", name


def test_restart_policies(services: dict[str, dict[str, Any]]) -> None:
    assert services["migrate"]["restart"] == "no"
    for name in LONG_RUNNING:
        assert services[name]["restart"] in ("unless-stopped", "always"), name


def test_data_lives_in_declared_named_volumes(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redisdata:/data" in services["redis"]["volumes"]
    declared = set(compose["volumes"])
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} mounts undeclared volume {source}"
    schedule = command(services["beat"])[command(services["beat"]).index("--schedule") + 1]
    assert any(schedule.startswith(m.split(":")[1]) for m in services["beat"]["volumes"])


def test_only_nginx_publishes_a_port_so_web_can_scale(services: dict[str, dict[str, Any]]) -> None:
    # `docker compose up --scale web=3` fails when web binds a fixed host port.
    published = {name: service["ports"] for name, service in services.items() if service.get("ports")}
    assert published == {"nginx": ["127.0.0.1:8000:80"]}
    bind = command(services["web"])[command(services["web"]).index("--bind") + 1]
    assert bind == "0.0.0.0:8000" and services["web"]["expose"] == ["8000"]
    assert "container_name" not in services["web"], "a fixed container name cannot be scaled"


@pytest.fixture(scope="module")
def nginx_conf() -> str:
    return (BASE_DIR / "deploy" / "nginx.conf").read_text()


def test_nginx_is_in_front_of_every_web_replica(services: dict[str, dict[str, Any]], nginx_conf: str) -> None:
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"
    # Docker's DNS gives every replica of `web`; `resolve` re-reads it, so scaling needs no restart.
    assert re.search(r"resolver 127\.0\.0\.11 valid=\d+s", nginx_conf)
    assert re.search(r"server web:8000 resolve\b", nginx_conf)
    assert re.search(r"upstream studyhall \{\s*zone ", nginx_conf), "resolve needs a shared memory zone"
    assert "proxy_pass http://studyhall;" in nginx_conf
    # Behind nginx every request comes from nginx: the throttles must read its header.
    assert services["web"]["environment"]["CLIENT_IP_HEADER"] == "HTTP_X_REAL_IP"
    assert "proxy_set_header X-Real-IP $remote_addr;" in nginx_conf


@pytest.mark.parametrize(
    ("compose_pattern", "stack_pattern"),
    [
        (r"rate=(\d+r/s);", r"NGINX_RATE:-(\d+r/s)"),
        (r"burst=(\d+) nodelay", r"NGINX_BURST:-(\d+)"),
        (r"proxy_read_timeout (\w+);", r"proxy_read_timeout (\w+);"),
        (r"proxy_connect_timeout (\w+);", r"proxy_connect_timeout (\w+);"),
        (r"client_max_body_size (\w+);", r"client_max_body_size (\w+);"),
        (r"proxy_next_upstream (\w+);", r"proxy_next_upstream (\w+);"),
        (r"limit_conn_status (\d+);", r"limit_conn_status (\d+);"),
        (r"limit_req_status (\d+);", r"limit_req_status (\d+);"),
    ],
)
def test_nginx_limits_are_the_ones_stack_sh_runs(
    nginx_conf: str, stack_script: str, compose_pattern: str, stack_pattern: str
) -> None:
    ours, stacks = re.search(compose_pattern, nginx_conf), re.search(stack_pattern, stack_script)
    assert ours and stacks, (compose_pattern, stack_pattern)
    assert ours[1] == stacks[1]


def test_there_is_one_beat(services: dict[str, dict[str, Any]]) -> None:
    # Two beats would send every nightly task twice.
    assert services["beat"]["deploy"]["replicas"] == 1


def test_dockerfile_runs_as_a_non_root_user(dockerfile: str) -> None:
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert dockerfile.index("USER") < dockerfile.index("CMD")


def test_dockerfile_collects_static_files_for_whitenoise_at_build_time(dockerfile: str) -> None:
    assert re.search(r"^FROM python:3\.11", dockerfile, flags=re.MULTILINE)
    collect = next(line for line in dockerfile.split("RUN ") if "collectstatic" in line)
    # DEBUG=false is what selects WhiteNoise's compressed manifest storage in settings.
    assert "DEBUG=false" in collect
    assert "SECRET_KEY=" in collect
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in django_settings.MIDDLEWARE


def test_dockerfile_copies_every_local_app(dockerfile: str) -> None:
    local_apps = {app for app in django_settings.INSTALLED_APPS if (BASE_DIR / app).is_dir()}
    copied = set(re.findall(r"^COPY\s+(\S+)\s", dockerfile, flags=re.MULTILINE))
    missing = (local_apps | {"config", "templates", "static", "manage.py"}) - copied
    assert not missing, f"the image would lack {sorted(missing)}"
