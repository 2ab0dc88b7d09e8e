"""Catalog, course, module record and concept pages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import teaches
from courses import content_cache
from courses.access import (
    catalog_courses,
    catalog_versions,
    concept_ref_for_user,
    course_ref_for_user,
    get_concept_for_user,
    get_course_for_user,
    get_module_for_user,
    module_ref_for_user,
)
from courses.models import Module
from lessons.bearings import continue_points, lessons_read
from lessons.models import ConceptIndexEntry, Depth, Lesson
from mastery.queries import concept_panel
from quizzes.access import section_labels
from quizzes.models import Question, Quiz


@dataclass(frozen=True)
class ModuleRow:
    """A module with its (prefetched) lessons, how many of them are built (the author's status)
    and, for a signed-in learner, which of them they marked read (None for a visitor)."""

    module: Module
    lessons: list[Lesson]
    built: int
    planned: int
    read: dict[int, datetime] | None = None

    @classmethod
    def of(cls, module: Module, read: dict[int, datetime] | None = None) -> ModuleRow:
        lessons = list(module.lessons.all())
        built, planned = module.status_counts(lessons)
        return cls(module=module, lessons=lessons, built=built, planned=planned, read=read)

    @property
    def read_count(self) -> int:
        """Written lessons of the module the learner has read."""
        return sum(1 for lesson in self.lessons if lesson.is_built and lesson.pk in (self.read or {}))

    @property
    def status(self) -> str:
        label = f"{self.built} of {self.planned} lessons built"
        return f"{self.module.status} ({label})" if self.module.status else label


@dataclass(frozen=True)
class LessonRecord:
    lesson: Lesson
    entries: list[ConceptIndexEntry]


@dataclass(frozen=True)
class QuestionRow:
    question: Question
    jump_label: str


# The pieces of a cached visitor page, rendered from the page template's own partials.
PAGE_PIECES = {"title": "page-title", "breadcrumbs": "page-breadcrumbs", "content": "page-content"}


def content_page(
    request: HttpRequest,
    template: str,
    cache_key: str,
    build: Callable[[], dict[str, Any]],
    learner: Callable[[User, dict[str, Any]], dict[str, Any]] | None = None,
) -> HttpResponse:
    """A content page: for a visitor its pieces from the content cache (the whole page, with
    ETag and 304, is content_cache.visitor_page's), for a signed-in user rendered with their own
    parts (learner(user, context) adds to the context).

    The caller has run the page's access check already (it read the version in the key).
    """
    if request.user.is_authenticated:
        context = build()
        if learner is not None:
            context.update(learner(cast(User, request.user), context))
        return content_cache.content_headers(render(request, template, context), request)

    def pieces() -> dict[str, str]:
        # No request: nothing per-request (CSRF, user, messages) can be rendered into the pieces.
        context = {"SITE_NAME": settings.SITE_NAME, **build()}
        return {name: render_to_string(f"{template}#{part}", context) for name, part in PAGE_PIECES.items()}

    cached = content_cache.cached(cache_key, pieces)
    response = render(request, "courses/_cached_page.html", {"cached": cached})
    return content_cache.content_headers(response, request)


@require_GET
@content_cache.visitor_page
def catalog(request: HttpRequest) -> HttpResponse:
    versions = catalog_versions(request.user)
    digest = hashlib.sha256(repr(versions).encode()).hexdigest()[:24]

    def learner(user: User, context: dict[str, Any]) -> dict[str, Any]:
        points = continue_points(user.pk, dict(versions))
        # The catalog only says "continue" in courses the learner has begun.
        for course in context["courses"]:
            point = points.get(course.pk)
            course.continue_point = point if point is not None and point.started else None
        return {}

    return content_page(
        request,
        "courses/catalog.html",
        content_cache.key("catalog", 0, 0, digest),
        lambda: {"courses": list(catalog_courses(request.user))},
        learner,
    )


@require_GET
@content_cache.visitor_page
def course_detail(request: HttpRequest, course_slug: str) -> HttpResponse:
    ref = course_ref_for_user(request.user, course_slug)
    read: dict[int, datetime] | None = None
    if request.user.is_authenticated:
        read = lessons_read(request.user.pk, [ref.course_id])

    def build() -> dict[str, Any]:
        course = get_course_for_user(request.user, course_slug)
        return {
            "course": course,
            "modules": [ModuleRow.of(module, read) for module in course.modules.all()],
            "quizzes": course.readiness_quizzes,  # type: ignore[attr-defined]
            "recall_plans": list(course.recall_plans.all()),
        }

    def learner(user: User, context: dict[str, Any]) -> dict[str, Any]:
        return {
            "continue_point": continue_points(user.pk, {ref.course_id: ref.version}, read).get(ref.course_id),
            # The same rule as the cohort page itself; learners pay no query for it.
            "show_cohort": teaches(user, context["course"]),
        }

    key = content_cache.key("course", ref.course_id, ref.version)
    return content_page(request, "courses/course.html", key, build, learner)


@require_GET
@content_cache.visitor_page
def module_detail(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    ref = module_ref_for_user(request.user, course_slug, module_slug)
    read: dict[int, datetime] | None = None
    if request.user.is_authenticated:
        read = lessons_read(request.user.pk, [ref.course_id])

    def build() -> dict[str, Any]:
        module = get_module_for_user(request.user, course_slug, module_slug)
        row = ModuleRow.of(module, read)
        records = [
            LessonRecord(lesson=lesson, entries=list(lesson.index_entries.all())) for lesson in row.lessons
        ]
        return {
            "course": module.course,
            "module": module,
            "row": row,
            "records": records,
            "index": [entry for record in records for entry in record.entries],
            # Quizzes set on the module, and an imported explainer's readiness quiz that names
            # no module but asks about the module's lessons.
            "quizzes": list(Quiz.objects.for_module(module).order_by("kind", "title")),
            "recall_plans": list(module.recall_plans.all()),
        }

    key = content_cache.key("module", ref.course_id, ref.version, ref.pk)
    return content_page(request, "courses/module.html", key, build)


@require_GET
@content_cache.visitor_page
def concept_detail(request: HttpRequest, course_slug: str, concept_slug: str) -> HttpResponse:
    ref = concept_ref_for_user(request.user, course_slug, concept_slug)

    def build() -> dict[str, Any]:
        concept = get_concept_for_user(request.user, course_slug, concept_slug)
        entries = list(concept.index_entries.all())
        questions = list(concept.questions.all())
        labels = section_labels(questions)
        target = max((entry.depth for entry in entries), default=None)
        return {
            "course": concept.course,
            "concept": concept,
            "entries": entries,
            "target_depth": Depth(target) if target is not None else None,
            "questions": [QuestionRow(question=q, jump_label=labels.get(q.pk, "")) for q in questions],
        }

    def learner(user: User, context: dict[str, Any]) -> dict[str, Any]:
        # Only the signed-in learner's own rows: the panel is filtered by request.user, never by a parameter.
        questions = [row.question for row in context["questions"]]
        return {"panel": concept_panel(user, context["concept"], questions, timezone.now())}

    key = content_cache.key("concept", ref.course_id, ref.version, ref.pk)
    return content_page(request, "courses/concept.html", key, build, learner)
