"""The Review page (what is due, one card at a time), marking lessons read and starting recall weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from accounts.models import Profile
from accounts.services import profile_for
from courses.access import course_visible_q
from lessons.access import get_lesson_for_user
from mastery import scheduling
from mastery.forms import ReviewAnswerForm
from mastery.models import Attempt, Grade, Mode, ReviewCard
from mastery.recall import day_start
from mastery.services import AttemptInvalid, attempt_record, lesson_mark_read, recall_enroll, review_queue
from quizzes.access import get_recall_plan_for_user, section_labels
from quizzes.forms import CheckToken, TokenInvalid, check_token_issue, check_token_read, now_ms
from quizzes.models import Option

PAGE = "mastery/review.html"
FRAGMENT = "mastery/review.html#review"
SESSION_KEY = "review_session"
FEEDBACK_KEY = "review_feedback"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class Tally:
    """This session's answers on the Review page (kept in the session, reset each local day)."""

    date: str
    grades: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.grades.values())

    def rows(self) -> list[tuple[str, int]]:
        return [(grade.label, self.grades.get(grade.value, 0)) for grade in Grade]


def _tally(request: HttpRequest, today: str) -> Tally:
    raw = request.session.get(SESSION_KEY) or {}
    if raw.get("date") != today:
        return Tally(date=today, grades={})
    return Tally(date=today, grades={int(k): int(v) for k, v in raw.get("grades", {}).items()})


def _tally_add(request: HttpRequest, tally: Tally, grade: int) -> None:
    grades = dict(tally.grades)
    grades[grade] = grades.get(grade, 0) + 1
    request.session[SESSION_KEY] = {"date": tally.date, "grades": {str(k): v for k, v in grades.items()}}


def _grades() -> list[tuple[int, str, str]]:
    """(value, label, key) for the grade buttons; the key is the digit the keyboard shortcut uses."""
    return [(grade.value, grade.label, str(grade.value)) for grade in Grade]


def _context(
    request: HttpRequest,
    *,
    learner: User,
    profile: Profile,
    now: datetime,
    feedback: str = "",
    revealed: CheckToken | None = None,
    card: ReviewCard | None = None,
) -> dict[str, Any]:
    """Everything the review region shows: the card on screen (or the summary), progress and tally.

    Six queries with a card (reviews done today, due count, the card, its options, and the
    section label once revealed), five on the summary; none grows with cards or attempts.
    """
    tz = profile.tz
    today = now.astimezone(tz).date()
    tally = _tally(request, today.isoformat())
    done_today = Attempt.objects.filter(
        learner=learner, mode=Mode.REVIEW, created_at__gte=day_start(today, tz)
    ).count()
    room = max(profile.daily_cap - done_today, 0)
    due_total = ReviewCard.objects.filter(learner=learner, due__lte=now).count()
    left = min(due_total, room)
    if card is None and left:
        cards = review_queue(learner=learner, now=now, limit=1)
        card = cards[0] if cards else None
    context: dict[str, Any] = {
        "feedback": feedback,
        "tally": tally,
        "grades": _grades(),
        "due_total": due_total,
        "left": left,
        "cap_reached": due_total > left,
        "cap": profile.daily_cap,
        "position": tally.total + 1,
        "of": tally.total + left,
        "percent": round(100 * tally.total / (tally.total + left)) if tally.total + left else 100,
    }
    if card is None:
        upcoming = ReviewCard.objects.filter(learner=learner, due__gt=now).aggregate(first=Min("due"))[
            "first"
        ]
        context["next_due"] = upcoming
        context["next_due_phrase"] = scheduling.interval_phrase(upcoming, now) if upcoming else ""
        return context
    question = card.question
    if revealed is not None:
        token = revealed.sign()
        context["jump_label"] = section_labels([question]).get(question.pk, "")
    else:
        token = check_token_issue(learner_id=learner.pk, question_id=question.pk, mode=Mode.REVIEW)
    context.update({"card": card, "q": question, "token": token, "revealed": revealed is not None})
    return context


def _render(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, FRAGMENT if request.htmx else PAGE, context, status=status)


@require_GET
@login_required
def review(request: HtmxHttpRequest) -> HttpResponse:
    learner = cast(User, request.user)
    feedback = request.session.pop(FEEDBACK_KEY, "")
    context = _context(
        request, learner=learner, profile=profile_for(learner), now=timezone.now(), feedback=feedback
    )
    return _render(request, context)


def _error(request: HtmxHttpRequest, learner: User, message: str, status: int = 400) -> HttpResponse:
    context = _context(request, learner=learner, profile=profile_for(learner), now=timezone.now())
    context["error"] = message
    return _render(request, context, status=status)


@require_POST
@login_required
def review_answer(request: HtmxHttpRequest) -> HttpResponse:
    learner = cast(User, request.user)
    form = ReviewAnswerForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return _error(request, learner, str(first))
    try:
        token = check_token_read(form.cleaned_data["token"], learner_id=learner.pk, question_id=None)
    except TokenInvalid as exc:
        return _error(request, learner, str(exc))
    # The learner's own card only: a token names a question, never someone else's card.
    card = (
        ReviewCard.objects.filter(
            course_visible_q(learner, "question__course__"), learner=learner, question_id=token.question_id
        )
        .select_related("question__course", "question__lesson__module__course")
        .prefetch_related("question__options")
        .first()
    )
    if card is None:
        return _error(
            request, learner, "That card is not in your reviews any more — here is the next one.", 404
        )
    question = card.question
    profile = profile_for(learner)
    if form.wants_reveal:
        if question.is_choice:
            return _error(request, learner, "This is a multiple-choice question: pick an option.")
        revealed = token.revealed_at(now_ms())
        context = _context(
            request, learner=learner, profile=profile, now=timezone.now(), revealed=revealed, card=card
        )
        return _render(request, context)
    option: Option | None = None
    if question.is_choice:
        option = next((o for o in question.options.all() if o.pk == form.cleaned_data.get("option")), None)
        if option is None:
            return _error(request, learner, "Pick one of the options shown.")
    elif form.chosen_grade() is None:
        return _error(request, learner, "Choose how well you remembered: Again, Hard, Good or Easy.")
    answered_ms = now_ms()
    think_until = token.revealed_ms if token.revealed_ms is not None else answered_ms
    try:
        attempt, created = attempt_record(
            learner=learner,
            question=question,
            key=token.key,
            mode=Mode(token.mode),
            grade=None if question.is_choice else form.chosen_grade(),
            option=option,
            revealed=token.revealed_ms is not None,
            think_ms=max(think_until - token.shown_ms, 0),
            time_taken_ms=max(answered_ms - token.shown_ms, 0),
        )
    except AttemptInvalid as exc:
        return _error(request, learner, str(exc))
    now = timezone.now()
    feedback = _feedback(attempt, now)
    if created:
        grade = attempt.grade or scheduling.grade_for_choice(bool(attempt.is_correct), attempt.think_ms)
        _tally_add(request, _tally(request, now.astimezone(profile.tz).date().isoformat()), int(grade))
    if not request.htmx:
        request.session[FEEDBACK_KEY] = feedback
        return redirect("mastery:review")
    return _render(request, _context(request, learner=learner, profile=profile, now=now, feedback=feedback))


def _feedback(attempt: Attempt, now: datetime) -> str:
    """One line about the card just answered, shown above the next one."""
    card = ReviewCard.objects.filter(learner_id=attempt.learner_id, question_id=attempt.question_id).first()
    when = f"back {scheduling.interval_phrase(card.due, now)}" if card else "saved"
    if attempt.option_id is not None:
        verdict = "Right" if attempt.is_correct else "Not quite"
        return f"{verdict} — {when}."
    label = Grade(attempt.grade).label if attempt.grade else "Saved"
    return f"{label} — {when}."


@require_POST
@login_required
def lesson_read(
    request: HtmxHttpRequest, course_slug: str, module_slug: str, lesson_slug: str
) -> HttpResponse:
    learner = cast(User, request.user)
    page = get_lesson_for_user(learner, course_slug, module_slug, lesson_slug)
    lesson = page.lesson
    read = lesson_mark_read(learner=learner, lesson=lesson)
    if request.htmx:
        context = {"read": read, "lesson": lesson, "module": lesson.module, "course": lesson.module.course}
        return render(request, "lessons/lesson.html#lesson-read", context)
    return redirect(f"{lesson.get_absolute_url()}#lesson-read")


@require_POST
@login_required
def recall_start(request: HttpRequest, course_slug: str, plan_slug: str) -> HttpResponse:
    learner = cast(User, request.user)
    plan = get_recall_plan_for_user(learner, course_slug, plan_slug)
    recall_enroll(learner=learner, plan=plan, today=profile_for(learner).local_today())
    return redirect(reverse("quizzes:recall", args=[plan.course.slug, plan.slug]))
