"""Keep the index in step with content: a save marks its course, the index is rebuilt once after commit.

Deletions need nothing here: entries hang off their lesson, concept or question with
CASCADE. The bundle importer indexes its course itself, in its transaction, and that
clears the mark so the course is not indexed twice.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from courses.models import Concept, Course, Module
from lessons.models import Lesson
from quizzes.models import Question

_pending = threading.local()


def _marks() -> dict[str, set[int]]:
    if not hasattr(_pending, "marks"):
        _pending.marks = {"course": set(), "module": set()}
    marks: dict[str, set[int]] = _pending.marks
    return marks


def forget(course_id: int) -> None:
    _marks()["course"].discard(course_id)


def _mark(kind: str, pk: int | None) -> None:
    if pk is None:
        return
    # A callback per save, not per new mark: a callback dropped with a rolled-back
    # savepoint must not leave a later save of the same course unindexed. The first
    # callback to run indexes every marked course; the rest find nothing left to do.
    _marks()[kind].add(pk)
    transaction.on_commit(flush)


def flush() -> None:
    from search.indexing import courses_index

    marks = _marks()
    course_ids, module_ids = set(marks["course"]), set(marks["module"])
    marks["course"].clear()
    marks["module"].clear()
    if module_ids:
        course_ids |= set(Module.objects.filter(pk__in=module_ids).values_list("course_id", flat=True))
    if course_ids:
        courses_index(course_ids)


def _course_saved(sender: Any, instance: Course, **kwargs: Any) -> None:
    _mark("course", instance.pk)


def _module_saved(sender: Any, instance: Module, **kwargs: Any) -> None:
    _mark("course", instance.course_id)


def _lesson_saved(sender: Any, instance: Lesson, **kwargs: Any) -> None:
    # The course when the module is at hand (the importer's lessons), so that the
    # importer's own indexing clears the mark; else the module, resolved at flush.
    if Lesson.module.is_cached(instance):
        _mark("course", instance.module.course_id)
    else:
        _mark("module", instance.module_id)


def _course_child_saved(sender: Any, instance: Concept | Question, **kwargs: Any) -> None:
    _mark("course", instance.course_id)


def connect() -> None:
    post_save.connect(_course_saved, sender=Course, dispatch_uid="search-course")
    post_save.connect(_module_saved, sender=Module, dispatch_uid="search-module")
    post_save.connect(_lesson_saved, sender=Lesson, dispatch_uid="search-lesson")
    post_save.connect(_course_child_saved, sender=Concept, dispatch_uid="search-concept")
    post_save.connect(_course_child_saved, sender=Question, dispatch_uid="search-question")


def flush_marks_clear() -> None:
    """Drop pending marks without indexing (tests: marks from a rolled-back transaction)."""
    marks = _marks()
    marks["course"].clear()
    marks["module"].clear()
