"""Access helpers for the mastery pages: who is an instructor, and the cheat-sheet module and course."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404

from accounts.roles import is_instructor, teaches
from courses.access import User, course_visible_q
from courses.models import Course, Module
from lessons.models import Lesson
from quizzes.models import Option, Question


def get_course_for_instructor(user: User, course_slug: str) -> Course:
    """A course for its cohort page: 403 for anyone but its instructors, 404 for an unknown course.

    Being an instructor at all is checked first so that a learner cannot probe which draft
    courses exist; whether they teach this one (accounts/roles.py) once the course is known.
    """
    if not is_instructor(user):
        raise PermissionDenied("Only instructors can see the cohort.")
    course = Course.objects.filter(course_visible_q(user), slug=course_slug).first()
    if course is None:
        raise Http404("No such course.")
    if not teaches(user, course):
        raise PermissionDenied("Only this course's instructors can see its cohort.")
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
