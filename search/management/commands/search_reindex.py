"""Rebuild the search index of every course (or of the courses named)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.models import Course
from search.indexing import course_index


class Command(BaseCommand):
    help = "Rebuild the search entries of all courses, or of the course slugs given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="course slugs (default: every course)")

    def handle(self, *args: Any, **options: Any) -> None:
        courses = Course.objects.all()
        if options["slugs"]:
            courses = courses.filter(slug__in=options["slugs"])
            missing = set(options["slugs"]) - set(courses.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"no such course: {', '.join(sorted(missing))}")
        for course in courses:
            count = course_index(course=course)
            self.stdout.write(f"{course.slug}: {count} entries")
