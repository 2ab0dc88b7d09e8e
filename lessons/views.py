"""The lesson page: an explainer with its checks, concepts and neighbours.

The content (everything but the learner's parts) comes from the content cache; see
courses/content_cache.py for the rules and docs/caching.md for keys and headers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from accounts.learner_cache import read_parts
from courses import content_cache
from lessons.access import get_lesson_for_user, lesson_ref_for_user
from mastery.models import Attempt, LessonRead
from quizzes.access import section_labels
from quizzes.checks import check_states, recent_answers, study_reveals
from quizzes.forms import TOKEN_SLOT, check_token_issue
from quizzes.models import Question, Quiz, option_order
from quizzes.templatetags.checks import option_slot

TEMPLATE = "lessons/lesson.html"
CHECK_TOKEN = "quizzes/_check.html#check-token"


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
    # The body cut at its checks (html, check slug), and the whole body as a visitor sees it
    # (CSRF placeholder inside).
    parts: list[tuple[str, str]]
    # Check slug → its question's id, and the check as any signed-in learner first sees it.
    # The questions themselves (for a check already answered or revealed) are cached apart,
    # under questions_key, so a page whose checks are all open never loads them.
    question_ids: dict[str, int]
    open_checks: dict[str, OpenCheck]
    questions_key: str
    labels: dict[int, str]  # the checks' section labels ("§2.3"), for their "jump to" after an answer
    visitor_body: str


@dataclass(frozen=True)
class OpenCheck:
    """A check not yet answered, rendered once: the learner's token and (multiple choice) their
    order of the options are put in per request; a visitor's copy is the same HTML without the
    token inputs, options in the visitors' order."""

    html: str
    question_id: int
    options: list[tuple[int, str]]  # (id, escaped text) in the author's order
    shuffle: bool

    def fill(self, learner_id: int, token: str) -> str:
        return self._filled(self.html.replace(TOKEN_SLOT, token), learner_id)

    def for_visitor(self, token_inputs: str) -> str:
        """The check as a visitor sees it: without its token inputs (token_inputs, rendered
        around TOKEN_SLOT: a visitor's answers are marked, not kept), options in the visitors' order."""
        return self._filled(self.html.replace(token_inputs, ""), None)

    def _filled(self, html: str, learner_id: int | None) -> str:
        if not self.options:
            return html
        texts = dict(self.options)
        order = option_order(learner_id, self.question_id, list(texts), shuffle=self.shuffle)
        for position, pk in enumerate(order):
            html = html.replace(option_slot(position, "PK"), str(pk))
            html = html.replace(option_slot(position, "TEXT"), texts[pk])
        return html

    @classmethod
    def render(cls, question: Question, part: Part, piece: Any) -> OpenCheck:
        options = list(question.options.all()) if question.is_choice else []
        return cls(
            html=piece("lesson-part", part=dataclasses.replace(part, token=TOKEN_SLOT), option_slots=True),
            question_id=question.pk,
            options=[(option.pk, str(conditional_escape(option.text))) for option in options],
            shuffle=question.shuffle_options,
        )


def lesson_body_build(course_slug: str, module_slug: str, lesson_slug: str, user: Any) -> LessonBody:
    """Render a lesson's content once (a cache miss): six queries, as the page always took."""
    page = get_lesson_for_user(user, course_slug, module_slug, lesson_slug)
    lesson, module = page.lesson, page.lesson.module
    course = module.course
    readiness = list(Quiz.objects.readiness().for_lesson(lesson).order_by("title"))
    url = lesson.get_absolute_url()
    mode = "study"
    context = {
        "page": page,
        "lesson": lesson,
        "module": module,
        "course": course,
        "readiness_quizzes": readiness,
        "mode": mode,
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
    open_checks = {
        part.check_slug: OpenCheck.render(part.question, part, piece)
        for part in visitor_parts
        if part.question is not None
    }
    # The same for every check of the page: what a visitor's copy of an open check leaves out.
    token_inputs = render_to_string(CHECK_TOKEN, {"token": TOKEN_SLOT, "mode": mode})
    questions_key = content_cache.key("lesson-questions", course.pk, course.content_version, lesson.pk)
    content_cache.cached(questions_key, lambda: page.checks)
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
        question_ids={slug: question.pk for slug, question in page.checks.items()},
        open_checks=open_checks,
        questions_key=questions_key,
        labels=section_labels(page.checks.values()),
        # As on a learner's page (learner_parts): a stretch of body HTML is itself, a check the
        # open check rendered once (a missing question's placeholder is rendered).
        visitor_body="".join(
            open_checks[part.check_slug].for_visitor(token_inputs)
            if part.check_slug in open_checks
            else piece("lesson-part", part=part)
            if part.check_slug
            else part.html
            for part in visitor_parts
        ),
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
    if signed_in:
        response = HttpResponse(learner_page(request, body, ref.pk, ref.version))
        return content_cache.content_headers(response, request)
    context: dict[str, Any] = {"body": body, **body.slugs, "mode": "study", "here": body.url}
    context["body_html"] = content_cache.csrf_fill(request, body.visitor_body)
    response = render(request, TEMPLATE, context)
    return content_cache.content_headers(response, request)


PAGE_HOLDS = timedelta(hours=1)


def _token_slot(question_id: int) -> str:
    return f"{TOKEN_SLOT}-{question_id}-"


def learner_page(request: HttpRequest, body: LessonBody, lesson_id: int, version: int) -> str:
    """The signed-in learner's whole lesson page, kept for them while their sitting holds
    (accounts/learner_cache.py) at this content version; each request puts in a fresh check
    token per question and its own CSRF token."""
    learner = cast(User, request.user)
    now = timezone.now()
    name = f"lesson-page:{lesson_id}:{version}"
    parts = read_parts(learner.pk, name)
    kept = parts.get(name, now)
    if kept is None:
        slots = {pk: _token_slot(pk) for pk in body.question_ids.values()}
        own, sitting = learner_parts(request, body, lesson_id, tokens=slots)
        context = {"body": body, **body.slugs, "mode": "study", "here": body.url, **own}
        kept = (list(slots), content_cache.render_kept(request, TEMPLATE, context))
        # At most PAGE_HOLDS: an answered check says when it comes back ("in 3 days") from now.
        until = min(sitting.until or now + PAGE_HOLDS, now + PAGE_HOLDS)
        parts.keep(name, kept, until=until, now=now)
    question_ids, html = kept
    for pk in question_ids:
        token = check_token_issue(learner_id=learner.pk, question_id=pk, mode="study")
        html = html.replace(_token_slot(pk), token)
    return content_cache.csrf_fill(request, html)


@dataclass(frozen=True)
class Sitting:
    """A learner's own state on one lesson page, kept for them (accounts/learner_cache.py)."""

    recent: dict[int, Attempt]  # question id → the latest study answer still in the sitting
    reveals: dict[int, tuple[str, int, str]]  # question id → a reveal not graded yet (quizzes.checks)
    read: LessonRead | None
    until: datetime | None  # when an answer or a reveal leaves the sitting (None: at the next write)


def learner_parts(
    request: HttpRequest, body: LessonBody, lesson_id: int, *, tokens: dict[int, str]
) -> tuple[dict[str, Any], Sitting]:
    """The signed-in learner's parts of a lesson page (body with checks already answered or
    revealed, read state) and the sitting they come from. An open check is its kept HTML with the
    learner's token (`tokens`, question id → token or its slot) and option order put in; only a
    check in another state is rendered (and loads the questions)."""
    learner = cast(User, request.user)
    ids = list(body.question_ids.values())
    loaded: dict[str, dict[str, Question]] = {}

    def questions() -> dict[str, Question]:
        if "all" not in loaded:
            loaded["all"] = content_cache.cached(body.questions_key, lambda: _questions_load(request, body))
        return loaded["all"]

    now = timezone.now()

    def kept() -> tuple[Sitting, datetime | None]:
        recent: dict[int, Attempt] = {}
        reveals: dict[int, tuple[str, int, str]] = {}
        answers_until = reveals_until = None
        if ids:
            recent, answers_until = recent_answers(learner_id=learner.pk, question_ids=ids, now=now)
            reveals, reveals_until = study_reveals(learner.pk, ids)
        read = LessonRead.objects.filter(learner_id=learner.pk, lesson_id=lesson_id).first()
        until = min((end for end in (answers_until, reveals_until) if end is not None), default=None)
        sitting = Sitting(recent=recent, reveals=reveals, read=read, until=until)
        return sitting, sitting.until

    # The learner's answers and reveals in this sitting and the read mark: kept until their next
    # write or until one leaves the sitting (accounts/learner_cache.py).
    kept_as = f"lesson:{lesson_id}"
    sitting = read_parts(learner.pk, kept_as).cached(kept_as, now, kept)
    states = check_states(
        learner_id=learner.pk,
        question_ids=ids,
        load=lambda: {question.pk: question for question in questions().values()},
        now=now,
        labels=body.labels,
        recent=sitting.recent,
        reveals=sitting.reveals,
    )
    html = []
    context = {**body.slugs, "mode": "study", "here": body.url, "csrf_token": content_cache.CSRF_PLACEHOLDER}
    for text, slug in body.parts:
        if not slug:
            html.append(text)
            continue
        question_id = body.question_ids.get(slug)
        if question_id is not None and question_id not in states:
            html.append(body.open_checks[slug].fill(learner.pk, tokens[question_id]))
            continue
        question = questions().get(slug) if question_id is not None else None
        part = Part(
            html=text,
            check_slug=slug,
            question=question,
            token=tokens.get(question_id, "") if question_id is not None else "",
            result=states.get(question_id, {}) if question_id is not None else {},
        )
        html.append(render_to_string(f"{TEMPLATE}#lesson-part", {**context, "part": part, "user": learner}))
    return {"body_html": mark_safe("".join(html)), "read": sitting.read}, sitting  # our own HTML


def _questions_load(request: HttpRequest, body: LessonBody) -> dict[str, Question]:
    """The lesson's check questions when their cache entry was evicted (the body outlived it)."""
    slugs = body.slugs
    page = get_lesson_for_user(
        request.user, slugs["course"]["slug"], slugs["module"]["slug"], slugs["lesson"]["slug"]
    )
    return page.checks
