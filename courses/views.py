"""Catalog, course, module record and concept pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import teaches
from courses.access import catalog_courses, get_concept_for_user, get_course_for_user, get_module_for_user
from courses.models import Module
from lessons.models import ConceptIndexEntry, Depth, Lesson
from mastery.queries import concept_panel
from quizzes.access import section_labels
from quizzes.models import Question, Quiz


@dataclass(frozen=True)
class ModuleRow:
    """A module with its (prefetched) lessons and how many of them are built."""

    module: Module
    lessons: list[Lesson]
    built: int
    planned: int

    @classmethod
    def of(cls, module: Module) -> ModuleRow:
        lessons = list(module.lessons.all())
        built, planned = module.status_counts(lessons)
        return cls(module=module, lessons=lessons, built=built, planned=planned)

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


@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    return render(request, "courses/catalog.html", {"courses": list(catalog_courses(request.user))})


@require_GET
def course_detail(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_course_for_user(request.user, course_slug)
    modules = [ModuleRow.of(module) for module in course.modules.all()]
    return render(
        request,
        "courses/course.html",
        {
            "course": course,
            "modules": modules,
            "quizzes": course.readiness_quizzes,  # type: ignore[attr-defined]
            "recall_plans": list(course.recall_plans.all()),
            # The same rule as the cohort page itself; learners pay no query for it.
            "show_cohort": teaches(request.user, course),
        },
    )


@require_GET
def module_detail(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    module = get_module_for_user(request.user, course_slug, module_slug)
    row = ModuleRow.of(module)
    records = [
        LessonRecord(lesson=lesson, entries=list(lesson.index_entries.all())) for lesson in row.lessons
    ]
    return render(
        request,
        "courses/module.html",
        {
            "course": module.course,
            "module": module,
            "row": row,
            "records": records,
            "index": [entry for record in records for entry in record.entries],
            # Quizzes set on the module, and an imported explainer's readiness quiz that names
            # no module but asks about the module's lessons.
            "quizzes": list(Quiz.objects.for_module(module).order_by("kind", "title")),
            "recall_plans": list(module.recall_plans.all()),
        },
    )


@require_GET
def concept_detail(request: HttpRequest, course_slug: str, concept_slug: str) -> HttpResponse:
    concept = get_concept_for_user(request.user, course_slug, concept_slug)
    entries = list(concept.index_entries.all())
    questions = list(concept.questions.all())
    labels = section_labels(questions)
    target = max((entry.depth for entry in entries), default=None)
    # Only the signed-in learner's own rows: the panel is filtered by request.user, never by a parameter.
    panel = (
        concept_panel(cast(User, request.user), concept, questions, timezone.now())
        if request.user.is_authenticated
        else None
    )
    return render(
        request,
        "courses/concept.html",
        {
            "course": concept.course,
            "concept": concept,
            "entries": entries,
            "target_depth": Depth(target) if target is not None else None,
            "questions": [QuestionRow(question=q, jump_label=labels.get(q.pk, "")) for q in questions],
            "panel": panel,
        },
    )
