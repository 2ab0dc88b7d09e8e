"""config/cache.py: the Redis backend shares one client per connection pool (no server needed)."""

from __future__ import annotations

from typing import Any

from config.cache import RedisCache


def test_one_client_per_pool_not_one_per_call() -> None:
    backend: Any = RedisCache("redis://127.0.0.1:1/0", {})
    client = backend._cache.get_client()
    assert backend._cache.get_client(write=True) is client
    assert client.connection_pool is backend._cache.get_client().connection_pool


def test_separate_backends_do_not_share_clients() -> None:
    one: Any
    two: Any
    one, two = RedisCache("redis://127.0.0.1:1/0", {}), RedisCache("redis://127.0.0.1:1/0", {})
    assert one._cache.get_client() is not two._cache.get_client()
