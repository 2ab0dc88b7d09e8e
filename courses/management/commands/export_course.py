"""manage.py export_course SLUG DIR"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.bundles import BundleError, export_course
from courses.models import Course


class Command(BaseCommand):
    help = "Write a course as a canonical bundle folder (Markdown + YAML front matter)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The course slug.")
        parser.add_argument(
            "dest", type=Path, help="Folder to write; exporter-owned files in it are replaced."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        course = Course.objects.filter(slug=options["slug"]).first()
        if course is None:
            raise CommandError(f"no course with slug {options['slug']!r}")
        try:
            export_course(course, options["dest"])
        except (BundleError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Exported course {course.slug!r} to {options['dest']}"))
