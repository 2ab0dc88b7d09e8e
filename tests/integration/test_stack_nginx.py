"""The stack's nginx in front of gunicorn: security headers intact, a burst answered in time."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import Stack

pytestmark = pytest.mark.stack


def nginx_url(stack: Stack) -> str:
    web_port = urlsplit(stack.url).port or 80
    return f"http://127.0.0.1:{os.environ.get('NGINX_PORT', web_port + 10)}"


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_nginx_proxies_with_the_apps_security_headers(stack: Stack) -> None:
    status, headers, body = fetch(nginx_url(stack) + "/healthz")
    assert status == 200, body
    assert headers.get("Server") == "nginx"
    assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", "")
    assert headers.get("Permissions-Policy")
    assert stack.pid("nginx") is not None


def test_a_burst_is_answered_within_the_deadline(stack: Stack) -> None:
    # 400 requests from 100 threads at once, past the in-flight cap (24): each is answered
    # (served, or refused with when to retry) well inside the 10 s deadline.
    def timed(_: int) -> tuple[int, dict[str, str], float]:
        started = time.monotonic()
        status, headers, _body = fetch(nginx_url(stack) + "/courses/")
        return status, headers, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(timed, range(400)))
    statuses = sorted({status for status, _, _ in results})
    assert set(statuses) <= {200, 404, 429, 503}, statuses
    assert max(seconds for _, _, seconds in results) < 10
    refused = [headers for status, headers, _ in results if status in (429, 503)]
    assert all(headers.get("Retry-After") for headers in refused)
