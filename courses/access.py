"""Access helpers: the one place a learner-facing view fetches a course, module or concept.

Each helper checks visibility (unpublished courses exist only for staff) and preloads
exactly what its page shows, so page query counts do not grow with the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.roles import can_see_drafts
from courses.models import Concept, Course, Module
from lessons.models import ConceptIndexEntry, Lesson
from quizzes.models import Question, Quiz, RecallPlan

User: TypeAlias = AbstractBaseUser | AnonymousUser

# The lesson list on course and module pages never shows the body or the record, so
# those (potentially long) columns stay in the database. body_md is kept: it decides
# whether a lesson is built and estimates its read time.
LESSON_LIST_DEFER = (
    "body_html",
    "toc",
    "mental_models_md",
    "mental_models_html",
    "analogies_md",
    "analogies_html",
    "how_taught_md",
    "how_taught_html",
    "not_covered_md",
    "not_covered_html",
)


@dataclass(frozen=True)
class ContentRef:
    """What a cached page needs before its cache lookup: the row's id and its course's version."""

    pk: int
    course_id: int
    version: int


def can_see_unpublished(user: User) -> bool:
    return can_see_drafts(user)


def course_visible_q(user: User, prefix: str = "") -> Q:
    """Filter for rows whose course the user may see; prefix is the path to the course, e.g. "course__"."""
    return Q() if can_see_unpublished(user) else Q(**{f"{prefix}is_published": True})


def visible_courses(user: User) -> QuerySet[Course]:
    """Courses the user may open: published ones, and drafts for staff."""
    return Course.objects.filter(course_visible_q(user))


def visible_course_ids(user: User) -> list[int]:
    return list(visible_courses(user).values_list("pk", flat=True))


def catalog_courses(user: User) -> QuerySet[Course]:
    """Catalog rows with module and lesson counts computed in the same query."""
    return visible_courses(user).annotate(
        module_count=Count("modules", distinct=True),
        lesson_count=Count("modules__lessons", distinct=True),
    )


def get_course_for_user(user: User, course_slug: str) -> Course:
    """The course page: modules with their lessons, readiness quizzes and recall plans."""
    lessons = Lesson.objects.defer(*LESSON_LIST_DEFER).order_by("order", "id")
    course = (
        visible_courses(user)
        .prefetch_related(
            Prefetch(
                "modules",
                queryset=Module.objects.order_by("order", "id").prefetch_related(
                    Prefetch("lessons", queryset=lessons)
                ),
            ),
            Prefetch(
                "quizzes",
                queryset=Quiz.objects.filter(kind=Quiz.Kind.READINESS).select_related("module"),
                to_attr="readiness_quizzes",
            ),
            Prefetch(
                "recall_plans", queryset=RecallPlan.objects.select_related("module").order_by("order", "id")
            ),
        )
        .filter(slug=course_slug)
        .first()
    )
    if course is None:
        raise Http404("No such course.")
    return course


def get_module_for_user(user: User, course_slug: str, module_slug: str) -> Module:
    """The module record: lessons with their concept-index entries, and recall plans."""
    entries = ConceptIndexEntry.objects.select_related("concept").order_by("order", "id")
    lessons = (
        Lesson.objects.defer("body_html", "toc")
        .order_by("order", "id")
        .prefetch_related(Prefetch("index_entries", queryset=entries))
    )
    module = (
        Module.objects.select_related("course")
        .filter(course_visible_q(user, "course__"), course__slug=course_slug, slug=module_slug)
        .prefetch_related(
            Prefetch("lessons", queryset=lessons),
            Prefetch("recall_plans", queryset=RecallPlan.objects.order_by("order", "id")),
        )
        .first()
    )
    if module is None:
        raise Http404("No such module.")
    return module


def get_concept_for_user(user: User, course_slug: str, concept_slug: str) -> Concept:
    """A concept with where it is taught (in course order) and the questions that test it."""
    entries = ConceptIndexEntry.objects.select_related("lesson__module").order_by(
        "lesson__module__order", "lesson__module_id", "lesson__order", "lesson_id", "order"
    )
    questions = Question.objects.select_related("lesson__module__course").order_by("slug")
    concept = (
        Concept.objects.select_related("course")
        .filter(course_visible_q(user, "course__"), course__slug=course_slug, slug=concept_slug)
        .prefetch_related(
            Prefetch("index_entries", queryset=entries), Prefetch("questions", queryset=questions)
        )
        .first()
    )
    if concept is None:
        raise Http404("No such concept.")
    return concept


# The access checks of cached pages: one narrow query each, with the same visibility rule as
# the helpers above, run on every request before the cache is asked (courses/content_cache.py).


def catalog_versions(user: User) -> list[tuple[int, int]]:
    """(course id, content version) of every course in the user's catalog, in catalog order."""
    return list(visible_courses(user).values_list("pk", "content_version"))


def course_ref_for_user(user: User, course_slug: str) -> ContentRef:
    row = visible_courses(user).filter(slug=course_slug).values_list("pk", "pk", "content_version").first()
    if row is None:
        raise Http404("No such course.")
    return ContentRef(*row)


def module_ref_for_user(user: User, course_slug: str, module_slug: str) -> ContentRef:
    row = (
        Module.objects.filter(course_visible_q(user, "course__"), course__slug=course_slug, slug=module_slug)
        .values_list("pk", "course_id", "course__content_version")
        .first()
    )
    if row is None:
        raise Http404("No such module.")
    return ContentRef(*row)


def concept_ref_for_user(user: User, course_slug: str, concept_slug: str) -> ContentRef:
    row = (
        Concept.objects.filter(
            course_visible_q(user, "course__"), course__slug=course_slug, slug=concept_slug
        )
        .values_list("pk", "course_id", "course__content_version")
        .first()
    )
    if row is None:
        raise Http404("No such concept.")
    return ContentRef(*row)
