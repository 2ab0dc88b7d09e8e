"""Access helpers: the one place a learner-facing view fetches a course, module or concept.

Each helper checks visibility (unpublished courses exist only for staff) and preloads
exactly what its page shows, so page query counts do not grow with the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, F, Model, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import CourseInstructor
from accounts.roles import can, can_see_drafts, is_instructor, standing_annotations
from courses import content_cache
from courses.models import Cohort, Concept, Course, Enrollment, Module
from lessons.models import ConceptIndexEntry, Lesson
from quizzes.models import Option, Question, Quiz, QuizItem, RecallDay, RecallPlan, RecallPrompt

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


@dataclass(frozen=True)
class CourseFacts:
    """What decides who may read a course, and its content version, found by slug."""

    pk: int
    version: int
    is_published: bool
    enrollment: str

    @property
    def open_to_all(self) -> bool:
        """Readable by anyone, signed in or not: the `published_open` branch of course_visible_q."""
        return self.is_published and self.enrollment == Course.Enrollment.OPEN


def course_facts(course_slug: str) -> CourseFacts | None:
    """The course's facts from the content cache (valid until the next content change, a
    course save included); one query on a miss, None when there is no such course."""

    def build() -> CourseFacts | None:
        row = (
            Course.objects.filter(slug=course_slug)
            .values_list("pk", "content_version", "is_published", "enrollment")
            .first()
        )
        return CourseFacts(*row) if row is not None else None

    return content_cache.epoch_cached(content_cache.key("course-facts", 0, 0, course_slug), build)


def can_see_unpublished(user: User) -> bool:
    return can_see_drafts(user)


class MembersOnly(Exception):
    """The course exists and is listed, but its content is for members: show how to join.

    courses/middleware.py answers it with the course's card and its enrol form (403).
    """

    def __init__(self, course: Course) -> None:
        super().__init__(f"{course.title} is for its members.")
        self.course = course


def course_listed_q(user: User, prefix: str = "") -> Q:
    """Rows whose course appears in the user's catalog: published ones, and drafts for staff."""
    return Q() if can_see_unpublished(user) else Q(**{f"{prefix}is_published": True})


def course_visible_q(user: User, prefix: str = "") -> Q:
    """Rows whose course content the user may read; prefix is the path to the course, e.g. "course__".

    The SQL form of accounts/roles.py `can(user, "read", course)`, in the same query as the
    rows (subqueries, no extra round trip): staff read everything; anyone reads a published
    open course; members read their published courses; course staff read their courses.
    """
    if can_see_unpublished(user):
        return Q()
    # CourseFacts.open_to_all is this branch in Python (for lookups that skip the query).
    published_open = Q(**{f"{prefix}is_published": True, f"{prefix}enrollment": Course.Enrollment.OPEN})
    if not user.is_authenticated:
        return published_open
    member_of = Enrollment.objects.filter(learner_id=user.pk).values("course_id")
    staff_of = CourseInstructor.objects.filter(user_id=user.pk).values("course_id")
    return (
        published_open
        | Q(**{f"{prefix}is_published": True, f"{prefix}pk__in": member_of})
        | Q(**{f"{prefix}pk__in": staff_of})
    )


def course_editable_q(user: User, prefix: str = "") -> Q:
    """Rows of courses the user may edit (in the admin); prefix is the path to the course.

    The SQL form of accounts/roles.py `can(user, "edit", course)`, one subquery: superusers
    edit every course; others the courses they are a whole-course instructor of, and, when
    they are instructors (staff in the Instructors group), every course with no staff row.
    """
    if not user.is_authenticated or not getattr(user, "is_active", False):
        return Q(**{f"{prefix}pk__in": []})
    if getattr(user, "is_superuser", False):
        return Q()
    mine = CourseInstructor.objects.filter(
        user_id=user.pk, role=CourseInstructor.Role.INSTRUCTOR, cohort__isnull=True
    ).values("course_id")
    editable = Q(**{f"{prefix}pk__in": mine})
    if is_instructor(user):
        editable |= ~Q(**{f"{prefix}pk__in": CourseInstructor.objects.values("course_id")})
    return editable


# How each course row reaches its course: the admin scopes lists, objects and choices by it.
COURSE_PATHS: dict[type[Model], str] = {
    Course: "",
    Module: "course__",
    Lesson: "module__course__",
    Concept: "course__",
    ConceptIndexEntry: "lesson__module__course__",
    Question: "course__",
    Option: "question__course__",
    Quiz: "course__",
    QuizItem: "quiz__course__",
    RecallPlan: "course__",
    RecallDay: "plan__course__",
    RecallPrompt: "day__plan__course__",
    Cohort: "course__",
    Enrollment: "course__",
    CourseInstructor: "course__",
}


def editable_rows(rows: QuerySet[Any], user: User, prefix: str | None = None) -> QuerySet[Any]:
    """The rows (of a model in COURSE_PATHS unless prefix is given) whose course the user may edit."""
    path = COURSE_PATHS[rows.model] if prefix is None else prefix
    return rows.filter(course_editable_q(user, path))


def course_of(row: Any, prefix: str | None = None) -> Course:
    """The course a row belongs to, by its path (one query per relation not already loaded)."""
    path = COURSE_PATHS[type(row)] if prefix is None else prefix
    for name in path.split("__")[:-1]:
        row = getattr(row, name)
    return cast(Course, row)


def missing(user: User, course_slug: str, message: str) -> Exception:
    """What a helper raises when its row is not readable: MembersOnly when the course is listed
    for the user but its content is for members, else 404 (one query, on a miss only)."""
    listed = Course.objects.filter(course_listed_q(user), slug=course_slug).first()
    if listed is not None and not can(user, "read", listed):
        return MembersOnly(listed)
    return Http404(message)


def visible_courses(user: User) -> QuerySet[Course]:
    """Courses whose content the user may read."""
    return Course.objects.filter(course_visible_q(user))


def visible_course_ids(user: User) -> list[int]:
    return list(visible_courses(user).values_list("pk", flat=True))


def catalog_courses(user: User) -> QuerySet[Course]:
    """Catalog rows, counts computed in the same query; a signed-in user's own courses first.

    Members-only courses are listed too (their card and enrol form are public); each row
    carries the user's standing (accounts/roles.py reads it without another query).
    """
    rows = Course.objects.filter(course_listed_q(user)).annotate(
        module_count=Count("modules", distinct=True),
        lesson_count=Count("modules__lessons", distinct=True),
    )
    return own_courses_first(rows, user)


def own_courses_first(rows: QuerySet[Course], user: User) -> QuerySet[Course]:
    """The one order of a user's course lists (catalog, dashboard): the courses they are
    enrolled in first, then by course order and title; each row carries the user's standing.
    """
    rows = rows.annotate(**standing_annotations(user))
    # Explicit: Django drops Meta.ordering from a query with GROUP BY (the catalog's counts).
    if user.is_authenticated:
        return rows.order_by(F("viewer_enrolled").desc(), "order", "title")
    return rows.order_by("order", "title")


def get_course_for_user(user: User, course_slug: str) -> Course:
    """The course page: modules with their lessons, readiness quizzes and recall plans."""
    lessons = Lesson.objects.defer(*LESSON_LIST_DEFER).order_by("order", "id")
    course = (
        visible_courses(user)
        .annotate(**standing_annotations(user))
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
        raise missing(user, course_slug, "No such course.")
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
        raise missing(user, course_slug, "No such module.")
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
        raise missing(user, course_slug, "No such concept.")
    return concept


# The access checks of cached pages: one narrow query each, with the same visibility rule as
# the helpers above, run on every request before the cache is asked (courses/content_cache.py).


def catalog_versions(user: User) -> list[tuple[int, int]]:
    """(course id, content version) of every course in the user's catalog, in catalog order."""
    return list(visible_courses(user).values_list("pk", "content_version"))


def course_ref_for_user(user: User, course_slug: str) -> ContentRef:
    row = visible_courses(user).filter(slug=course_slug).values_list("pk", "pk", "content_version").first()
    if row is None:
        raise missing(user, course_slug, "No such course.")
    return ContentRef(*row)


def module_ref_for_user(user: User, course_slug: str, module_slug: str) -> ContentRef:
    row = (
        Module.objects.filter(course_visible_q(user, "course__"), course__slug=course_slug, slug=module_slug)
        .values_list("pk", "course_id", "course__content_version")
        .first()
    )
    if row is None:
        raise missing(user, course_slug, "No such module.")
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
        raise missing(user, course_slug, "No such concept.")
    return ContentRef(*row)
