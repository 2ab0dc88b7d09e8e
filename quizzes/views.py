"""Quiz and recall pages, and the three check endpoints: reveal, answer (choice) and grade."""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget
from django_htmx.middleware import HtmxDetails

from config.middleware import bad_request
from courses import content_cache
from lessons.models import Lesson
from mastery import models as mastery_models
from mastery.recall import DayState, WeekView, week_view_load
from mastery.services import AttemptInvalid, answer_record, answer_reveal
from quizzes.access import get_question_for_user, get_quiz_for_user, get_recall_plan_for_user, section_labels
from quizzes.checks import check_jump, check_result_context, check_reveal_keep
from quizzes.forms import (
    MSG_CHOICE_NOT_GRADED,
    MSG_CHOICE_NOT_REVEALED,
    MSG_FREE_NOT_CHOICE,
    TOKEN_SLOT,
    AnswerMissing,
    CheckForm,
    TokenInvalid,
    check_token_mode,
    check_tokens,
    first_error,
    grade_buttons,
    now_ms,
)
from quizzes.models import Question, Quiz, QuizItem, RecallDay
from quizzes.score import quiz_score_load


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


CHECK_FRAGMENT = "quizzes/_check.html#check"
CHECK_PAGE = "quizzes/check.html"

# The quiz page's mode: a readiness quiz is cramming before a test and must not move the
# long-term schedule; checks on lessons are study.
QUIZ_MODES = {
    Quiz.Kind.READINESS: mastery_models.Mode.CRAM,
    Quiz.Kind.LESSON_CHECK: mastery_models.Mode.STUDY,
}


@dataclass(frozen=True)
class PromptRow:
    question: Question
    jump_label: str
    token: str = ""


@dataclass(frozen=True)
class QuizRow:
    item: QuizItem
    token: str


def _literal(text: str, _match: re.Match[str]) -> str:
    return text


# "a + b" in an unlock note, and its leading "after".
PLUS_RE = re.compile(r"\s*\+\s*")
AFTER_RE = re.compile(r"^\s*after\s+", re.IGNORECASE)
# "chapter 3", "chapters 1-2", "Ch. 4" in an unlock note.
CHAPTER_RE = re.compile(r"\b(?:chapters?|ch\.?)\s*(\d+)(?:\s*[-\u2013]\s*\d+)?", re.IGNORECASE)


@dataclass(frozen=True)
class NotePart:
    text: str
    url: str = ""


@dataclass(frozen=True)
class DayRow:
    day: RecallDay
    lessons: list[Lesson]
    prompts: list[PromptRow]
    # The learner's state of the day once they started the week; None otherwise.
    state: DayState | None = None

    @property
    def unlock(self) -> str:
        """The unlock note in plain words, as "after …" whether or not the author wrote the
        "after": the slugs of the day's lessons become their titles, "a + b" reads "a and b",
        anything else (a slug that names no lesson, "chapters 1-2") stays as written. A note
        that only names the day's lessons says nothing the "read first" list does not: "".
        """
        # Split before the titles go in: a title may hold a "+" of its own ("B+trees").
        parts = [part for part in PLUS_RE.split(self.day.unlock_note.strip()) if part]
        # Longest first, so "intro" never eats the start of "intro-to-pages".
        for lesson in sorted(self.lessons, key=lambda lesson: -len(lesson.slug)):
            slug_re = re.compile(rf"(?<![\w-]){re.escape(lesson.slug)}(?![\w-])")
            # A function, not a replacement string: a title may hold backslashes.
            parts = [slug_re.sub(functools.partial(_literal, lesson.title), part) for part in parts]
        note = " and ".join(parts)
        named = {part for part in (AFTER_RE.sub("", p, count=1) for p in parts) if part}
        if named and named <= {lesson.title for lesson in self.lessons}:
            return ""
        if note and not note.lower().startswith("after"):
            return f"after {note}"
        return note

    @property
    def unlock_parts(self) -> list[NotePart]:
        """The unlock note in plain words, "chapter 3" linked to that chapter of the lesson the
        day's prompts point into when that lesson has one; as written otherwise."""
        note = self.unlock
        lessons = Counter(row.question.lesson for row in self.prompts if row.question.lesson is not None)
        if not lessons or not note:
            return [NotePart(note)] if note else []
        lesson = lessons.most_common(1)[0][0]
        chapters = {
            item["number"]: item["anchor"]
            for item in lesson.toc
            if item.get("number") and "." not in item["number"]
        }
        parts, position = [], 0
        for match in CHAPTER_RE.finditer(note):
            anchor = chapters.get(match.group(1))
            if anchor is None:
                continue
            parts.append(NotePart(note[position : match.start()]))
            parts.append(
                NotePart(f"{match.group(0)} of {lesson.title}", f"{lesson.get_absolute_url()}#{anchor}")
            )
            position = match.end()
        parts.append(NotePart(note[position:]))
        return [part for part in parts if part.text]


@dataclass(frozen=True)
class WorkRow:
    """One check in the learner's work for today on the recall page."""

    question: Question
    jump_label: str
    token: str
    done: bool


@require_GET
def quiz_detail(request: HttpRequest, course_slug: str, quiz_slug: str) -> HttpResponse:
    quiz = get_quiz_for_user(request.user, course_slug, quiz_slug)
    items = list(quiz.items.all())
    mode = QUIZ_MODES.get(Quiz.Kind(quiz.kind), mastery_models.Mode.STUDY)
    tokens = check_tokens(request.user, (item.question for item in items), mode=mode)
    return render(
        request,
        "quizzes/quiz.html",
        {
            "quiz": quiz,
            "course": quiz.course,
            "items": [QuizRow(item=item, token=tokens.get(item.question_id, "")) for item in items],
            "mode": mode,
            "here": request.get_full_path(),
            # The run starts when the page is shown: the score counts answers from then on.
            "started": int(timezone.now().timestamp()),
        },
    )


# Without a start (an old link, a bookmark), the score counts the last day's answers.
SCORE_DEFAULT_RUN = timedelta(days=1)


@require_GET
@login_required
def quiz_score(request: HttpRequest, course_slug: str, quiz_slug: str) -> HttpResponse:
    """The end of a quiz run: the score, what was missed, and the sections to reread."""
    quiz = get_quiz_for_user(request.user, course_slug, quiz_slug)
    raw = request.GET.get("since", "")
    now = timezone.now()
    try:
        since = datetime.fromtimestamp(int(raw), tz=UTC) if raw else now - SCORE_DEFAULT_RUN
    except (ValueError, OverflowError, OSError):
        return bad_request(request, "The quiz run's start must be a whole number of seconds.")
    if since > now:
        return bad_request(request, "The quiz run's start is in the future.")
    mode = QUIZ_MODES.get(Quiz.Kind(quiz.kind), mastery_models.Mode.STUDY)
    score = quiz_score_load(quiz=quiz, learner=cast(User, request.user), mode=mode, since=since)
    return render(
        request,
        "quizzes/score.html",
        {"quiz": quiz, "course": quiz.course, "score": score, "mode": mode, "since": raw},
    )


@require_GET
def recall_detail(request: HttpRequest, course_slug: str, plan_slug: str) -> HttpResponse:
    plan = get_recall_plan_for_user(request.user, course_slug, plan_slug)
    days = list(plan.days.all())
    week: WeekView | None = None
    if request.user.is_authenticated:
        week = week_view_load(learner=cast(User, request.user), plan=plan, days=days, now=timezone.now())
    due_questions = [entry.question for entry in week.queue.due] if week else []
    labels = section_labels(
        [*(prompt.question for day in days for prompt in day.prompts.all()), *due_questions]
    )
    work: dict[str, list[WorkRow]] = {}
    if week is None:
        tokens = check_tokens(
            request.user, (prompt.question for day in days for prompt in day.prompts.all()), mode="study"
        )
    else:
        open_questions = [entry.question for entry in week.queue.open_entries()]
        tokens = check_tokens(request.user, open_questions, mode="study")
        work = {
            name: [
                WorkRow(
                    question=entry.question,
                    jump_label=labels.get(entry.question.pk, ""),
                    token=tokens.get(entry.question.pk, ""),
                    done=entry.done,
                )
                for entry in entries
            ]
            for name, entries in (
                ("today", week.queue.today),
                ("due", week.queue.due),
                ("catch_up", week.queue.catch_up),
            )
        }
    states = {state.day.pk: state for state in week.days} if week else {}
    rows = [
        DayRow(
            day=day,
            lessons=list(day.unlock_lessons.all()),
            prompts=[
                PromptRow(
                    question=prompt.question,
                    jump_label=labels.get(prompt.question_id, ""),
                    token=tokens.get(prompt.question_id, "") if week is None else "",
                )
                for prompt in day.prompts.all()
            ],
            state=states.get(day.pk),
        )
        for day in days
    ]
    return render(
        request,
        "quizzes/recall.html",
        {
            "plan": plan,
            "course": plan.course,
            "days": rows,
            "week": week,
            "work": work,
            "mode": "study",
            "here": request.get_full_path(),
        },
    )


def _learner(request: HttpRequest) -> User | None:
    """The signed-in learner whose answer is kept; None for a visitor (answers are marked, not kept)."""
    return cast(User, request.user) if request.user.is_authenticated else None


def _login_url(request: HttpRequest, next_url: str) -> str:
    """Where an anonymous visitor signs in to keep their answers; "" for a signed-in learner."""
    if request.user.is_authenticated:
        return ""
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}"


def _safe_next(request: HttpRequest, question: Question) -> str:
    """The page to return to: the posted `next` if it is on this site, else where the question lives."""
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return question.section_url() or question.course.get_absolute_url()


def _respond(
    request: HtmxHttpRequest, question: Question, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The check fragment for HTMX, or a whole page around it for a plain form post."""
    context = {"q": question, "course": question.course, **context}
    return render(request, CHECK_FRAGMENT if request.htmx else CHECK_PAGE, context, status=status)


def check_error(request: HtmxHttpRequest, question: Question, message: str, next_url: str) -> HttpResponse:
    """A 400 with a message under the check (the fragment's message slot for HTMX, a page otherwise)."""
    if request.htmx:
        # Only the check's message slot changes, so a half-filled form keeps its state.
        response = render(
            request, "quizzes/_check.html#check-error", {"q": question, "error": message}, status=400
        )
        return reswap(retarget(response, f"#check-{question.slug}-error"), "innerHTML")
    return _respond(request, question, {"state": "error", "error": message, "next": next_url}, status=400)


def _check_post(request: HtmxHttpRequest, course_slug: str, question_slug: str, action: str) -> HttpResponse:
    """The three check endpoints: one form, one service, one fragment; `action` is the URL's verb."""
    question = get_question_for_user(request.user, course_slug, question_slug)
    next_url = _safe_next(request, question)
    wrong_kind = {
        "reveal": MSG_CHOICE_NOT_REVEALED if question.is_choice else "",
        "answer": "" if question.is_choice else MSG_FREE_NOT_CHOICE,
        "grade": MSG_CHOICE_NOT_GRADED if question.is_choice else "",
    }[action]
    if wrong_kind:
        return check_error(request, question, wrong_kind, next_url)
    form = CheckForm(request.POST, question=question)
    if not form.is_valid():
        return check_error(request, question, first_error(form), next_url)
    learner = _learner(request)
    token = form.cleaned_data["token"]
    try:
        if action == "reveal":
            revealed = answer_reveal(
                learner=learner,
                question=question,
                token=token,
                onscreen_ms=form.onscreen_ms(),
                at_ms=now_ms(),
            )
            mode = check_token_mode(revealed)
            if learner is not None and mode == "study":
                # A lesson reloaded in this sitting shows the answer and the grades again.
                check_reveal_keep(learner_id=learner.pk, question_id=question.pk, token=revealed)
            if request.htmx:
                return HttpResponse(_revealed_fragment(request, question, mode, revealed, next_url))
            context = {
                "state": "revealed",
                "grades": grade_buttons(),
                # The grade form carries the reveal time, so the attempt knows the learner peeked and when.
                "token": revealed,
                "mode": mode,
                **check_jump(question),
            }
        else:
            answer = form.answer()
            outcome = answer_record(
                learner=learner,
                question=question,
                token=token,
                answer=answer,
                onscreen_ms=form.onscreen_ms(),
                at_ms=now_ms(),
            )
            context = {
                **check_result_context(
                    question,
                    chosen=answer.option,
                    is_right=outcome.is_correct,
                    grade=outcome.grade,
                    key_points=answer.key_points,
                ),
                "saved": outcome.saved,
                "login_url": _login_url(request, next_url),
            }
            if request.htmx and context["state"] == "graded":
                return HttpResponse(_graded_fragment(request, question, context))
    except (AnswerMissing, TokenInvalid, AttemptInvalid) as exc:
        return check_error(request, question, str(exc), next_url)
    return _respond(request, question, {"next": next_url, **context})


# Where a kept check fragment takes the request's own values (each escaped as the template would).
NEXT_SLOT = "STUDYHALLNEXTSLOT"
SAVED_SLOT = "STUDYHALLSAVEDSLOT"
LOGIN_SLOT = "STUDYHALLLOGINSLOT"


def _kept_fragment(
    request: HtmxHttpRequest,
    question: Question,
    variant: tuple[object, ...],
    context: dict[str, Any],
    fills: dict[str, str],
) -> str:
    """The check fragment rendered once per question, `variant` and content version, and kept
    as content: `context` holds slots where each request's own values go (`fills`, slot → value,
    escaped as the template escapes them), and its CSRF token is put in last."""
    course = question.course

    def render_it() -> str:
        return content_cache.render_kept(
            request, CHECK_FRAGMENT, {"q": question, "course": course, **context, **check_jump(question)}
        )

    key = content_cache.key("check-kept", course.pk, course.content_version, question.slug, *variant)
    html = content_cache.cached(key, render_it)
    for slot, value in fills.items():
        html = html.replace(slot, conditional_escape(value))
    return content_cache.csrf_fill(request, html)


def _revealed_fragment(
    request: HtmxHttpRequest, question: Question, mode: str, token: str, next_url: str
) -> str:
    """The check showing its answer and the grade buttons, with this request's token and return path."""
    context = {
        "state": "revealed",
        "grades": grade_buttons(),
        "token": TOKEN_SLOT if token else "",  # a visitor's answer is not kept: no token
        "mode": mode,
        "next": NEXT_SLOT,
    }
    return _kept_fragment(
        request, question, ("revealed", mode, bool(token)), context, {TOKEN_SLOT: token, NEXT_SLOT: next_url}
    )


def _graded_fragment(request: HtmxHttpRequest, question: Question, context: dict[str, Any]) -> str:
    """A self-graded check (its verdict, the model answer and what was saved), kept per grade and
    ticked key points: the answer path renders no template (a graded check has no form, so no
    return path). Multiple-choice answers are not kept: they show the options in the learner's
    own order."""
    grade, key_points = context["grade"], context["key_points"]
    saved, login_url = context["saved"], context["login_url"]
    slots = {
        "state": "graded",
        "grade": grade,
        "key_points": key_points,
        "saved": SAVED_SLOT if saved else "",
        "login_url": LOGIN_SLOT if login_url else "",
    }
    ticked = f"{key_points[0]}of{key_points[1]}" if key_points else "-"
    variant = ("graded", int(grade), ticked, bool(saved), bool(login_url))
    fills = {SAVED_SLOT: saved, LOGIN_SLOT: login_url}
    return _kept_fragment(request, question, variant, slots, fills)


@require_POST
def reveal(request: HtmxHttpRequest, course_slug: str, question_slug: str) -> HttpResponse:
    return _check_post(request, course_slug, question_slug, "reveal")


@require_POST
def answer(request: HtmxHttpRequest, course_slug: str, question_slug: str) -> HttpResponse:
    return _check_post(request, course_slug, question_slug, "answer")


@require_POST
def grade(request: HtmxHttpRequest, course_slug: str, question_slug: str) -> HttpResponse:
    return _check_post(request, course_slug, question_slug, "grade")
