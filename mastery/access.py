"""Access helpers for the mastery pages: who is an instructor, and the cheat-sheet module and course."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404

from courses.access import User, course_visible_q
from courses.demo import INSTRUCTORS_GROUP
from courses.models import Course, Module
from lessons.models import Lesson
from quizzes.models import Option, Question


def is_instructor(user: User) -> bool:
    """Superusers and members of the Instructors group (one query for a signed-in non-superuser)."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    groups = getattr(user, "groups", None)
    return groups is not None and groups.filter(name=INSTRUCTORS_GROUP).exists()


def get_course_for_instructor(user: User, course_slug: str) -> Course:
    """A course for its cohort page: 403 for anyone but an instructor, 404 for an unknown course.

    Permission comes first so that a learner cannot probe which draft courses exist.
    """
    if not is_instructor(user):
        raise PermissionDenied("Only instructors can see the cohort.")
    course = Course.objects.filter(course_visible_q(user), slug=course_slug).first()
    if course is None:
        raise Http404("No such course.")
    return course


def _sheet_lessons() -> Prefetch:
    """Lessons in order with what a cheat sheet reads: the outline and body (chapters and
    their words), and the questions with their correct option."""
    questions = Question.objects.order_by("pk").prefetch_related(
        Prefetch("options", queryset=Option.objects.filter(is_correct=True), to_attr="correct_options")
    )
    lessons = (
        Lesson.objects.only("id", "module_id", "slug", "title", "order", "toc", "body_html")
        .order_by("order", "id")
        .prefetch_related(Prefetch("questions", queryset=questions))
    )
    return Prefetch("lessons", queryset=lessons)


def get_cheat_sheet_module_for_user(user: User, course_slug: str, module_slug: str) -> Module:
    """A module with its course and its lessons in order, each with its questions and correct options."""
    module = (
        Module.objects.select_related("course")
        .filter(course_visible_q(user, "course__"), course__slug=course_slug, slug=module_slug)
        .prefetch_related(_sheet_lessons())
        .first()
    )
    if module is None:
        raise Http404("No such module.")
    return module


def get_cheat_sheet_course_for_user(user: User, course_slug: str) -> Course:
    """A course with its modules in order, each loaded as get_cheat_sheet_module_for_user loads one."""
    modules = Module.objects.order_by("order", "id").prefetch_related(_sheet_lessons())
    course = (
        Course.objects.filter(course_visible_q(user), slug=course_slug)
        .prefetch_related(Prefetch("modules", queryset=modules))
        .first()
    )
    if course is None:
        raise Http404("No such course.")
    return course
