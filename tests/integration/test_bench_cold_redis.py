"""The benchmark's cold request on Redis, where the content alias shares a database with the rest.

The settings put the content cache and the default cache (sessions, the signed-in user, rate
limits, learner parts) on the same Redis database under different prefixes. A cold request
must empty the content alias only: flushing the database would also throw away the sessions
and rate limits, and the cold rows would measure more than a cold content cache.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client, override_settings

from courses import content_cache


@pytest.fixture
def shared_redis(redis_url: str) -> Iterator[None]:
    location = f"{redis_url.rstrip('/')}/1"
    aliases = {
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": location},
        "content": {"BACKEND": "config.cache.RedisCache", "LOCATION": location, "KEY_PREFIX": "content"},
    }
    middleware = ["bench.middleware.BenchMiddleware", *settings.MIDDLEWARE]
    with override_settings(CACHES=aliases, MIDDLEWARE=middleware, ROOT_URLCONF="config.bench_views"):
        yield
        caches["default"].clear()


@pytest.mark.django_db
def test_a_cold_request_deletes_the_content_keys_and_keeps_the_rest_of_the_database(
    shared_redis: None, client: Client
) -> None:
    caches["content"].set("page", "cached body")
    caches["default"].set("throttle", 3)
    content_cache._memo_put("memo-entry", "kept in process")
    assert client.get("/bench/bare").status_code == 200
    assert caches["content"].get("page") == "cached body"

    assert client.get("/bench/bare", HTTP_X_BENCH_COLD="1").status_code == 200

    assert caches["content"].get("page") is None
    assert content_cache._memo_get("memo-entry") is None
    assert caches["default"].get("throttle") == 3, "the cold request flushed the whole database"
