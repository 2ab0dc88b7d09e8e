"""manage.py import_course PATH [--course SLUG] [--kind KIND] [--dry-run]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.bundles import KINDS, BundleError, import_bundle


class Command(BaseCommand):
    help = (
        "Import a course bundle folder, or one seed-style document into a course (atomic, idempotent); "
        "prints what came in and every source line that did not."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="A bundle folder (with course.md) or a single document.")
        parser.add_argument(
            "--course", dest="course", default=None, help="Course slug (needed for a document)."
        )
        parser.add_argument("--kind", choices=list(KINDS), default=None, help="Force the document kind.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything and print the report; write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = import_bundle(
                options["path"],
                course_slug=options["course"],
                kind=options["kind"],
                dry_run=options["dry_run"],
            )
        except BundleError as exc:
            # CommandError prints the message and exits 1, without a traceback.
            raise CommandError(str(exc)) from exc
        lines = result.lines()
        self.stdout.write(self.style.SUCCESS(lines[0]))
        for line in lines[1:]:
            self.stdout.write(line)
