"""The lesson page: an explainer with its checks, concepts and neighbours.

The content (everything but the learner's parts) comes from the content cache; see
courses/content_cache.py for the rules and docs/caching.md for keys and headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from courses import content_cache
from lessons.access import get_lesson_for_user, lesson_ref_for_user
from mastery.models import LessonRead
from quizzes.access import section_labels
from quizzes.checks import check_states
from quizzes.forms import check_tokens
from quizzes.models import Question, Quiz

TEMPLATE = "lessons/lesson.html"


@dataclass(frozen=True)
class Part:
    """A stretch of body HTML, or a check: its question, or just the slug when it is missing."""

    html: str
    check_slug: str
    question: Question | None
    # The signed check token for a signed-in learner ("" for visitors).
    token: str = ""
    # The check fragment's state for a check this learner already answered ({}: open).
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LessonBody:
    """One lesson's page content, rendered for a visitor: what the cache holds."""

    title: str
    slugs: dict[str, dict[str, str]]  # course / module / lesson → {"slug": ...} for the read form
    url: str
    breadcrumbs: str
    toc: str
    has_toc: bool
    head: str
    has_parts: bool
    empty: str
    after: str
    pager: str
    # The body cut at its checks (html, check slug), with the checks' questions (course and
    # options loaded), and the whole body as a visitor sees it (CSRF placeholder inside).
    parts: list[tuple[str, str]]
    questions: dict[str, Question]
    labels: dict[int, str]  # the checks' section labels ("§2.3"), for their "jump to" after an answer
    visitor_body: str


def lesson_body_build(course_slug: str, module_slug: str, lesson_slug: str, user: Any) -> LessonBody:
    """Render a lesson's content once (a cache miss): six queries, as the page always took."""
    page = get_lesson_for_user(user, course_slug, module_slug, lesson_slug)
    lesson, module = page.lesson, page.lesson.module
    course = module.course
    readiness = list(Quiz.objects.readiness().for_lesson(lesson).order_by("title"))
    url = lesson.get_absolute_url()
    context = {
        "page": page,
        "lesson": lesson,
        "module": module,
        "course": course,
        "readiness_quizzes": readiness,
        "mode": "study",
        "here": url,
        "csrf_token": content_cache.CSRF_PLACEHOLDER,
    }

    def piece(name: str, **extra: Any) -> str:
        return render_to_string(f"{TEMPLATE}#{name}", {**context, **extra})

    body_parts = lesson.body_parts()
    visitor_parts = [
        Part(html=part.html, check_slug=part.check_slug, question=page.checks.get(part.check_slug))
        for part in body_parts
    ]
    return LessonBody(
        title=f"{lesson.title} — {course.title}",
        slugs={
            "course": {"slug": course.slug},
            "module": {"slug": module.slug},
            "lesson": {"slug": lesson.slug},
        },
        url=url,
        breadcrumbs=piece("lesson-breadcrumbs"),
        toc=piece("lesson-toc"),
        has_toc=bool(lesson.toc),
        head=piece("lesson-head"),
        has_parts=bool(body_parts),
        empty=piece("lesson-empty"),
        after=piece("lesson-after"),
        pager=piece("lesson-pager"),
        parts=[(part.html, part.check_slug) for part in body_parts],
        questions=page.checks,
        labels=section_labels(page.checks.values()),
        visitor_body="".join(piece("lesson-part", part=part) for part in visitor_parts),
    )


@require_GET
@content_cache.visitor_page
def lesson_detail(request: HttpRequest, course_slug: str, module_slug: str, lesson_slug: str) -> HttpResponse:
    # The access check runs on every request, before the cache is asked (one query).
    ref = lesson_ref_for_user(request.user, course_slug, module_slug, lesson_slug)
    key = content_cache.key("lesson", ref.course_id, ref.version, ref.pk)
    signed_in = request.user.is_authenticated
    body = content_cache.cached(
        key, lambda: lesson_body_build(course_slug, module_slug, lesson_slug, request.user)
    )
    context: dict[str, Any] = {"body": body, **body.slugs, "mode": "study", "here": body.url, "parts": None}
    if signed_in:
        context.update(learner_parts(request, body, ref.pk))
    else:
        context["visitor_body"] = content_cache.csrf_fill(request, body.visitor_body)
    response = render(request, TEMPLATE, context)
    return content_cache.content_headers(response, request)


def learner_parts(request: HttpRequest, body: LessonBody, lesson_id: int) -> dict[str, Any]:
    """The signed-in learner's parts of a lesson page: check tokens, checks already answered, read state."""
    learner = cast(User, request.user)
    questions = list(body.questions.values())
    tokens = check_tokens(learner, questions, mode="study")
    states = check_states(learner_id=learner.pk, questions=questions, now=timezone.now(), labels=body.labels)
    parts = []
    for html, slug in body.parts:
        question = body.questions.get(slug)
        parts.append(
            Part(
                html=html,
                check_slug=slug,
                question=question,
                token=tokens.get(question.pk, "") if question else "",
                result=states.get(question.pk, {}) if question else {},
            )
        )
    read = LessonRead.objects.filter(learner_id=learner.pk, lesson_id=lesson_id).first()
    return {"parts": parts, "read": read}
