"""Quiz and recall pages, and the three check endpoints: reveal, answer (choice) and grade."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget
from django_htmx.middleware import HtmxDetails

from lessons.models import Lesson
from quizzes.access import get_question_for_user, get_quiz_for_user, get_recall_plan_for_user, section_labels
from quizzes.forms import GRADE_KEYS, AnswerForm, Grade, GradeForm, first_error
from quizzes.models import Option, Question, RecallDay


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


CHECK_FRAGMENT = "quizzes/_check.html#check"
CHECK_PAGE = "quizzes/check.html"


@dataclass(frozen=True)
class PromptRow:
    question: Question
    jump_label: str


@dataclass(frozen=True)
class DayRow:
    day: RecallDay
    lessons: list[Lesson]
    prompts: list[PromptRow]

    @property
    def unlock(self) -> str:
        """The unlock note as "after …", whether or not the author wrote the "after"."""
        note = self.day.unlock_note.strip()
        if note and not note.lower().startswith("after"):
            return f"after {note}"
        return note


@require_GET
def quiz_detail(request: HttpRequest, course_slug: str, quiz_slug: str) -> HttpResponse:
    quiz = get_quiz_for_user(request.user, course_slug, quiz_slug)
    return render(
        request,
        "quizzes/quiz.html",
        {
            "quiz": quiz,
            "course": quiz.course,
            "items": list(quiz.items.all()),
            "here": request.get_full_path(),
        },
    )


@require_GET
def recall_detail(request: HttpRequest, course_slug: str, plan_slug: str) -> HttpResponse:
    plan = get_recall_plan_for_user(request.user, course_slug, plan_slug)
    days = list(plan.days.all())
    labels = section_labels(prompt.question for day in days for prompt in day.prompts.all())
    rows = [
        DayRow(
            day=day,
            lessons=list(day.unlock_lessons.all()),
            prompts=[
                PromptRow(question=prompt.question, jump_label=labels.get(prompt.question_id, ""))
                for prompt in day.prompts.all()
            ],
        )
        for day in days
    ]
    return render(
        request,
        "quizzes/recall.html",
        {"plan": plan, "course": plan.course, "days": rows, "here": request.get_full_path()},
    )


def record_attempt(
    request: HttpRequest,
    question: Question,
    *,
    grade: Grade | None = None,
    option: Option | None = None,
) -> None:
    """Where an answer will be stored; for now nothing is kept.

    The attempts issue plugs in here (an Attempt for signed-in learners, feeding the
    review schedule), so the endpoints themselves need not change.
    """


def _safe_next(request: HttpRequest, question: Question) -> str:
    """The page to return to: the posted `next` if it is on this site, else where the question lives."""
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return question.section_url() or question.course.get_absolute_url()


def _jump(question: Question) -> dict[str, str]:
    label = section_labels([question]).get(question.pk, "")
    return {"jump_url": question.section_url(), "jump_label": label}


def _respond(
    request: HtmxHttpRequest, question: Question, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The check fragment for HTMX, or a whole page around it for a plain form post."""
    context = {"q": question, "course": question.course, **context}
    return render(request, CHECK_FRAGMENT if request.htmx else CHECK_PAGE, context, status=status)


def _bad_request(request: HtmxHttpRequest, question: Question, message: str, next_url: str) -> HttpResponse:
    if request.htmx:
        # Only the check's message slot changes, so a half-filled form keeps its state.
        response = render(
            request, "quizzes/_check.html#check-error", {"q": question, "error": message}, status=400
        )
        return reswap(retarget(response, f"#check-{question.slug}-error"), "innerHTML")
    return _respond(request, question, {"state": "error", "error": message, "next": next_url}, status=400)


@require_POST
def reveal(request: HtmxHttpRequest, course_slug: str, question_slug: str) -> HttpResponse:
    question = get_question_for_user(request.user, course_slug, question_slug)
    next_url = _safe_next(request, question)
    if question.is_choice:
        return _bad_request(
            request, question, "This is a multiple-choice question: pick an option.", next_url
        )
    if not question.answer_html:
        return _bad_request(request, question, "This question has no model answer to show.", next_url)
    context = {"state": "revealed", "next": next_url, "grades": _grades(), **_jump(question)}
    return _respond(request, question, context)


@require_POST
def answer(request: HtmxHttpRequest, course_slug: str, question_slug: str) -> HttpResponse:
    question = get_question_for_user(request.user, course_slug, question_slug)
    next_url = _safe_next(request, question)
    if not question.is_choice:
        return _bad_request(
            request, question, "This question is self-graded: show its answer instead.", next_url
        )
    form = AnswerForm(request.POST, question=question)
    if not form.is_valid():
        return _bad_request(request, question, first_error(form), next_url)
    chosen = form.chosen_option()
    record_attempt(request, question, option=chosen)
    context = {
        "state": "answered",
        "next": next_url,
        "chosen": chosen,
        "is_right": chosen.is_correct,
        "options": list(question.options.all()),
        **_jump(question),
    }
    return _respond(request, question, context)


@require_POST
def grade(request: HtmxHttpRequest, course_slug: str, question_slug: str) -> HttpResponse:
    question = get_question_for_user(request.user, course_slug, question_slug)
    next_url = _safe_next(request, question)
    if question.is_choice:
        return _bad_request(
            request, question, "Multiple-choice answers are marked for you: pick an option.", next_url
        )
    form = GradeForm(request.POST)
    if not form.is_valid():
        return _bad_request(request, question, first_error(form), next_url)
    chosen = form.grade_choice()
    record_attempt(request, question, grade=chosen)
    login_url = ""
    if not request.user.is_authenticated:
        login_url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}"
    context = {
        "state": "graded",
        "next": next_url,
        "grade": chosen,
        "login_url": login_url,
        **_jump(question),
    }
    return _respond(request, question, context)


def _grades() -> list[tuple[str, str, str]]:
    """(value, label, access key) for the self-grade buttons."""
    return [(grade.value, grade.label, GRADE_KEYS[grade]) for grade in Grade]
