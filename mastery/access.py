"""Access helpers for the mastery pages: the course for its staff pages, and the cheat sheets."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404

from accounts.roles import can, is_course_staff_anywhere, standing_annotations
from courses.access import User, course_visible_q
from courses.models import Course, Module
from lessons.models import Lesson
from quizzes.models import Option, Question


def get_course_for_staff(user: User, course_slug: str, action: str = "view_cohort") -> Course:
    """A course for its staff pages: 403 for anyone not on some course's staff, 404 for an
    unknown course, 403 unless accounts/roles.py `can(user, action, course)`.

    Being on some course's staff is checked first so that a learner cannot probe which
    draft courses exist. The course carries the user's standing (no second query for it).
    """
    if not is_course_staff_anywhere(user):
        raise PermissionDenied("Only a course's instructors and teaching assistants can see its cohort.")
    course = (
        Course.objects.filter(course_visible_q(user), slug=course_slug)
        .annotate(**standing_annotations(user))
        .first()
    )
    if course is None:
        raise Http404("No such course.")
    if not can(user, action, course):
        if action == "manage_members":
            raise PermissionDenied("Only this course's instructors can manage its members.")
        raise PermissionDenied("Only this course's instructors and teaching assistants can see its cohort.")
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
