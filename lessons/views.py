"""The lesson page: an explainer with its checks, concepts and neighbours."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lessons.access import get_lesson_for_user
from quizzes.models import Question


@dataclass(frozen=True)
class Part:
    """A stretch of body HTML, or a check: its question, or just the slug when it is missing."""

    html: str
    check_slug: str
    question: Question | None


@require_GET
def lesson_detail(request: HttpRequest, course_slug: str, module_slug: str, lesson_slug: str) -> HttpResponse:
    page = get_lesson_for_user(request.user, course_slug, module_slug, lesson_slug)
    parts = [
        Part(html=part.html, check_slug=part.check_slug, question=page.checks.get(part.check_slug))
        for part in page.lesson.body_parts()
    ]
    return render(
        request,
        "lessons/lesson.html",
        {
            "page": page,
            "lesson": page.lesson,
            "module": page.lesson.module,
            "course": page.lesson.module.course,
            "parts": parts,
            "here": request.get_full_path(),
        },
    )
