"""Integration tests against real components: PostgreSQL races, a broker that is down, the running stack.

Two markers, registered here because they only concern this folder:

- ``postgres``: the default database must be PostgreSQL (row locks and concurrent
  transactions behave differently on SQLite, which serialises every writer). On SQLite
  the tests skip, saying so, unless STUDYHALL_REQUIRE_POSTGRES=1 (scripts/ci_postgres.sh): then
  they fail, because there the race tests must run.
- ``stack``: drives a stack started by ``scripts/stack.sh`` over HTTP. It needs STACK_URL
  (e.g. http://127.0.0.1:8100) and the stack's environment (``eval "$(scripts/stack.sh env)"``,
  STACK_DIR for its logs). Without STACK_URL the tests skip; with STUDYHALL_REQUIRE_STACK=1
  (CI) a missing stack fails the run instead, so the integration test cannot quietly vanish.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs the default database to be PostgreSQL")
    config.addinivalue_line("markers", "stack: drives a running stack over HTTP (env STACK_URL)")


def postgres_in_use() -> bool:
    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def required(variable: str) -> bool:
    return os.environ.get(variable, "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _needs_postgres(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and not postgres_in_use():
        engine = settings.DATABASES["default"]["ENGINE"]
        reason = f"needs PostgreSQL as the default database (DATABASE_URL=postgres://…), not {engine}"
        if required("STUDYHALL_REQUIRE_POSTGRES"):
            pytest.fail(f"{reason}; STUDYHALL_REQUIRE_POSTGRES=1, so these tests must run", pytrace=False)
        pytest.skip(reason)


@dataclass(frozen=True)
class Stack:
    url: str
    dir: Path
    database_url: str
    redis_url: str

    def log(self, name: str) -> Path:
        return self.dir / "log" / f"{name}.log"

    def pid(self, name: str) -> int | None:
        """The process id scripts/stack.sh recorded for a service; None when it left no pid file."""
        path = self.dir / "run" / f"{name}.pid"
        return int(path.read_text().strip()) if path.exists() else None


@pytest.fixture(scope="session")
def stack() -> Stack:
    """The running stack described by the environment (skip, or fail in CI, when there is none)."""
    url = os.environ.get("STACK_URL", "").rstrip("/")
    missing = [
        name
        for name, value in (
            ("STACK_URL", url),
            ("DATABASE_URL", os.environ.get("DATABASE_URL", "")),
            ("REDIS_URL", os.environ.get("REDIS_URL", "")),
        )
        if not value
    ]
    if missing:
        reason = (
            f"no running stack: {', '.join(missing)} unset (scripts/stack.sh start, then "
            'eval "$(scripts/stack.sh env)" and export STACK_URL=http://127.0.0.1:$WEB_PORT)'
        )
        if required("STUDYHALL_REQUIRE_STACK"):
            pytest.fail(f"{reason}; STUDYHALL_REQUIRE_STACK=1, so the stack tests must run", pytrace=False)
        pytest.skip(reason)
    return Stack(
        url=url,
        dir=Path(os.environ.get("STACK_DIR", "/tmp/studyhall-stack")),
        database_url=os.environ["DATABASE_URL"],
        redis_url=os.environ["REDIS_URL"],
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], object], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A Redis server of the test's own on a free port (skipped without redis-server, failed in CI)."""
    server = shutil.which("redis-server")
    if server is None:
        reason = "redis-server is not installed (apt-get install redis-server); this test needs one"
        if required("STUDYHALL_REQUIRE_STACK") or required("STUDYHALL_REQUIRE_POSTGRES"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, "redis", timeout=20)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
