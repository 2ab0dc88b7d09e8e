"""manage.py import_course PATH [--course SLUG] [--kind record|recall|explainer]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.bundles import BundleError, import_bundle


class Command(BaseCommand):
    help = "Import a course bundle folder, or one seed-style document into a course (atomic, idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="A bundle folder (with course.md) or a single document.")
        parser.add_argument(
            "--course", dest="course", default=None, help="Course slug (needed for a document)."
        )
        parser.add_argument(
            "--kind", choices=["record", "recall", "explainer"], default=None, help="Force the document kind."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = import_bundle(options["path"], course_slug=options["course"], kind=options["kind"])
        except BundleError as exc:
            # CommandError prints the message and exits 1, without a traceback.
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
