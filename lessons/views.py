"""The lesson page: an explainer with its checks, concepts and neighbours."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lessons.access import get_lesson_for_user
from mastery.models import LessonRead
from quizzes.forms import check_tokens
from quizzes.models import Question, Quiz


@dataclass(frozen=True)
class Part:
    """A stretch of body HTML, or a check: its question, or just the slug when it is missing."""

    html: str
    check_slug: str
    question: Question | None
    # The signed check token for a signed-in learner ("" for visitors).
    token: str = ""


@require_GET
def lesson_detail(request: HttpRequest, course_slug: str, module_slug: str, lesson_slug: str) -> HttpResponse:
    page = get_lesson_for_user(request.user, course_slug, module_slug, lesson_slug)
    tokens = check_tokens(request.user, page.checks.values(), mode="study")
    parts = []
    for part in page.lesson.body_parts():
        question = page.checks.get(part.check_slug)
        token = tokens.get(question.pk, "") if question else ""
        parts.append(Part(html=part.html, check_slug=part.check_slug, question=question, token=token))
    read: LessonRead | None = None
    if request.user.is_authenticated:
        read = LessonRead.objects.filter(learner_id=request.user.pk, lesson=page.lesson).first()
    readiness = list(Quiz.objects.readiness().for_lesson(page.lesson).order_by("title"))
    return render(
        request,
        "lessons/lesson.html",
        {
            "page": page,
            "lesson": page.lesson,
            "module": page.lesson.module,
            "course": page.lesson.module.course,
            "parts": parts,
            "read": read,
            "readiness_quizzes": readiness,
            "mode": "study",
            "here": request.get_full_path(),
        },
    )
