"""manage.py clear_content_cache: a cold content cache (the benchmark's cold rows, a deploy)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from courses import content_cache


class Command(BaseCommand):
    help = "Empty the `content` cache alias only (sessions, throttles and the broker are untouched)."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = content_cache.clear()
        self.stdout.write("content cache cleared" + (f" ({removed} entries)" if removed is not None else ""))
