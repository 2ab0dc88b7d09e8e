"""Index the courses that exist when search arrives (later changes are indexed as they happen)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def index_all(apps: Any, schema_editor: Any) -> None:
    # The live models, not the historical ones: indexing reads rendered HTML and reverses
    # URLs exactly as it will after every later save.
    from courses.models import Course
    from search.indexing import course_index

    for course in Course.objects.all():
        course_index(course=course)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext"), ("courses", "__latest__"), ("lessons", "__latest__"), ("quizzes", "__latest__")]

    operations = [migrations.RunPython(index_all, migrations.RunPython.noop)]
