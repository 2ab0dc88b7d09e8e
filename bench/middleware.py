"""Benchmark-only middleware (bench/settings.py puts it first): two request headers the runner sends.

- ``X-Bench-Queries: 1`` — count the database queries the request runs (every middleware,
  the view and the template included) and answer with the count in ``X-Bench-Query-Count``.
  Only requests that ask are wrapped: the timed runs do not send it, so they pay nothing.
- ``X-Bench-Cold: 1`` — clear the content cache (the cache alias ``content``) before the
  request, so the page is built from the database as after an author's save. Only that
  alias: on Redis it shares a database with the sessions, the signed-in user, rate limits
  and learner parts, which stay (content_cache.clear deletes the alias's prefix). Without
  such an alias in CACHES there is nothing to clear and the header changes nothing.

Neither header does anything outside a benchmark run: production settings never list this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse

from courses import content_cache

COUNT_HEADER = "X-Bench-Query-Count"


def clear_content_cache() -> bool:
    """Empty the content cache alias; False when the settings have none."""
    if content_cache.CACHE_ALIAS not in settings.CACHES:
        return False
    content_cache.clear()  # the alias's own keys and what this process kept of them
    return True


class BenchMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get("X-Bench-Cold") == "1":
            clear_content_cache()
        if request.headers.get("X-Bench-Queries") != "1":
            return self.get_response(request)
        count = 0

        def counted(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            response = self.get_response(request)
        response[COUNT_HEADER] = str(count)
        return response
