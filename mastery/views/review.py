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
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from accounts.days import day_start, local_date
from accounts.learner_cache import read_parts
from accounts.models import Profile
from accounts.services import profile_for
from courses import content_cache
from courses.access import course_visible_q
from lessons.access import get_lesson_for_user
from mastery import scheduling
from mastery.models import Attempt, Grade, Mode, ReviewCard
from mastery.services import (
    AnswerOutcome,
    AttemptInvalid,
    answer_record,
    answer_reveal,
    attempt_saved_message,
    due_cards,
    lesson_mark_read,
    recall_enroll,
    review_queue,
)
from mastery.snapshot import drawn_until
from quizzes.access import get_recall_plan_for_user
from quizzes.checks import check_jump, check_result_context
from quizzes.forms import (
    MSG_CHOICE_NOT_REVEALED,
    TOKEN_SLOT,
    AnswerMissing,
    CheckForm,
    TokenInvalid,
    check_token_issue,
    check_token_read,
    first_error,
    grade_buttons,
    now_ms,
)

PAGE = "mastery/review.html"
FRAGMENT = "mastery/review.html#review"
SESSION_KEY = "review_session"
FEEDBACK_KEY = "review_feedback"
# A missed card's attempt id, kept across a plain-form redirect so the next page shows its answer.
RESULT_KEY = "review_result"


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


def _context(
    request: HttpRequest,
    *,
    learner: User,
    profile: Profile,
    now: datetime,
    feedback: Feedback | None = None,
    revealed: str = "",
    card: ReviewCard | None = None,
    result: Attempt | None = None,
    saved: str | None = None,
    token: str = "",
) -> dict[str, Any]:
    """Everything the review region shows: the card on screen, a missed card's result, or the summary.

    The card is shown with the one check fragment (templates/quizzes/_check.html), posting
    to review_answer. With a card: reviews done today, the due cards (counted here and
    ordered by review_queue: their concepts' traces, the card, its options), and the section
    label once revealed; none grows with cards or attempts.
    """
    tz = profile.tz
    today = local_date(now, tz)
    tally = _tally(request, today.isoformat())
    queue = _queue(learner=learner, profile=profile, now=now)
    done_today, due_total = queue.done_today, queue.due_total
    left = _left(profile, done_today=done_today, due_total=due_total)
    if card is None and result is None and left:
        card = queue.first
    context: dict[str, Any] = {
        "feedback": feedback,
        "tally": tally,
        "grades": grade_buttons(),
        "due_total": due_total,
        "left": left,
        "cap_reached": due_total > left,
        "cap": profile.daily_cap,
        "position": tally.total + 1,
        "of": tally.total + left,
        "percent": round(100 * tally.total / (tally.total + left)) if tally.total + left else 100,
        # The check fragment's Review settings: one endpoint, the whole region swapped, digits shown.
        "post_url": reverse("mastery:review_answer"),
        "target": "#review",
        "keys": True,
        "grade_early": True,
        "next": reverse("mastery:review"),
        "mode": Mode.REVIEW.value,
    }
    if result is not None:
        question = result.question
        context.update(
            {
                "q": question,
                # The answer path already said when the card comes back (no second read).
                "saved": saved if saved is not None else attempt_saved_message(attempt=result, now=now),
                **check_result_context(
                    question,
                    chosen=result.option,
                    is_right=bool(result.is_correct),
                    grade=Grade(result.grade) if result.grade else Grade.AGAIN,
                    key_points=(result.key_points_recalled or 0, result.key_points_total)
                    if result.key_points_total
                    else None,
                ),
            }
        )
        return context
    if card is None:
        upcoming = queue.upcoming
        context["next_due"] = upcoming
        context["next_due_phrase"] = scheduling.interval_phrase(upcoming, now) if upcoming else ""
        return context
    question = card.question
    if revealed:
        token = revealed
        context.update(check_jump(question))
    else:
        token = token or check_token_issue(learner_id=learner.pk, question_id=question.pk, mode=Mode.REVIEW)
    context.update({"card": card, "q": question, "token": token, "state": "revealed" if revealed else ""})
    return context


@dataclass(frozen=True)
class Queue:
    """What the review region reads before it draws: reviews done today, the due count, the card
    to show first (None when there is no room or nothing due) and, then, when the next one is due."""

    done_today: int
    due_total: int
    first: ReviewCard | None
    upcoming: datetime | None
    until: datetime  # when it stops holding without a write (see _queue)


def _left(profile: Profile, *, done_today: int, due_total: int) -> int:
    """How many due cards today's cap still lets the learner review."""
    return min(due_total, max(profile.daily_cap - done_today, 0))


def _queue(*, learner: User, profile: Profile, now: datetime) -> Queue:
    """The learner's Review queue, kept as a learner part (accounts/learner_cache.py): built in four
    queries, then served until an answer, a level or a content change, the moment a card falls
    due, or the next recall mark (the weakest-first order reads recall at a moment)."""
    tz = profile.tz
    today = local_date(now, tz)

    def build() -> tuple[Queue, datetime]:
        done_today = Attempt.objects.filter(
            learner=learner, mode=Mode.REVIEW, created_at__gte=day_start(today, tz)
        ).count()
        due = due_cards(learner=learner, now=now, tz=tz)  # counted here, ordered by review_queue
        first = upcoming = None
        if _left(profile, done_today=done_today, due_total=len(due)):
            cards = review_queue(learner=learner, now=now, tz=tz, limit=1, due=due)
            first = cards[0] if cards else None
        else:
            upcoming = ReviewCard.objects.not_due_for(learner, now, tz).aggregate(first=Min("due"))["first"]
        until = drawn_until(learner, now, tz)
        queue = Queue(done_today=done_today, due_total=len(due), first=first, upcoming=upcoming, until=until)
        return queue, until

    part = f"review:{content_cache.epoch()}:{today.isoformat()}"
    return read_parts(learner.pk, part).cached(part, now, build)


def _render(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, FRAGMENT if request.htmx else PAGE, context, status=status)


def _result_attempt(learner: User, attempt_id: object) -> Attempt | None:
    """The learner's own missed attempt kept for a plain-form redirect, with what the check shows."""
    if not isinstance(attempt_id, int):
        return None
    return (
        Attempt.objects.filter(learner=learner, pk=attempt_id)
        .select_related("option", "question__course", "question__lesson__module__course")
        .prefetch_related("question__options")
        .first()
    )


@require_GET
@login_required
def review(request: HtmxHttpRequest) -> HttpResponse:
    learner = cast(User, request.user)
    profile, now = profile_for(learner), timezone.now()
    feedback = _feedback_read(request.session.pop(FEEDBACK_KEY, None))
    result = _result_attempt(learner, request.session.pop(RESULT_KEY, None))
    if feedback is None and result is None:
        region = _region_kept(request, learner=learner, profile=profile, now=now)
        if region is not None:
            return HttpResponse(region) if request.htmx else render(request, PAGE, {"region_html": region})
    context = _context(request, learner=learner, profile=profile, now=now, feedback=feedback, result=result)
    return _render(request, context)


def _region_kept(request: HtmxHttpRequest, *, learner: User, profile: Profile, now: datetime) -> str | None:
    """The review region showing the next card, kept for the learner as long as their queue is
    (accounts/learner_cache.py), with this request's check token and CSRF token put in; None
    when there is no card to show (the summary's "next card due in …" is drawn fresh)."""
    today = local_date(now, profile.tz)
    tally = _tally(request, today.isoformat())
    # The tally is the session's: another browser of the same learner has its own.
    counts = ",".join(f"{grade}x{count}" for grade, count in sorted(tally.grades.items()))
    part = f"review-region:{content_cache.epoch()}:{today.isoformat()}:{counts}"
    parts = read_parts(learner.pk, part)
    kept = parts.get(part, now)
    if kept is None:
        context = _context(request, learner=learner, profile=profile, now=now, token=TOKEN_SLOT)
        card = context.get("card")
        if card is None:
            return None
        kept = (card.question_id, content_cache.render_kept(request, FRAGMENT, context))
        parts.keep(part, kept, until=_queue(learner=learner, profile=profile, now=now).until, now=now)
    question_id, html = kept
    token = check_token_issue(learner_id=learner.pk, question_id=question_id, mode=Mode.REVIEW)
    return mark_safe(content_cache.csrf_fill(request, html.replace(TOKEN_SLOT, token)))  # our own HTML


def _error(request: HtmxHttpRequest, learner: User, message: str, status: int = 400) -> HttpResponse:
    context = _context(request, learner=learner, profile=profile_for(learner), now=timezone.now())
    context["error"] = message
    return _render(request, context, status=status)


@require_POST
@login_required
def review_answer(request: HtmxHttpRequest) -> HttpResponse:
    learner = cast(User, request.user)
    raw = request.POST.get("token", "")
    try:
        token = check_token_read(raw, learner_id=learner.pk, question_id=None)
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
    form = CheckForm(request.POST, question=question)
    if not form.is_valid():
        return _error(request, learner, first_error(form))
    profile = profile_for(learner)
    try:
        if form.wants_reveal:
            if question.is_choice:
                return _error(request, learner, MSG_CHOICE_NOT_REVEALED)
            revealed = answer_reveal(
                learner=learner, question=question, token=raw, onscreen_ms=form.onscreen_ms(), at_ms=now_ms()
            )
            context = _context(
                request, learner=learner, profile=profile, now=timezone.now(), revealed=revealed, card=card
            )
            return _render(request, context)
        outcome = answer_record(
            learner=learner,
            question=question,
            token=raw,
            answer=form.answer(),
            onscreen_ms=form.onscreen_ms(),
            at_ms=now_ms(),
        )
    except (AnswerMissing, TokenInvalid, AttemptInvalid) as exc:
        return _error(request, learner, str(exc))
    attempt = outcome.attempt
    assert attempt is not None  # a signed-in learner's answer is always kept
    now = timezone.now()
    if outcome.created:
        _tally_add(request, _tally(request, local_date(now, profile.tz).isoformat()), int(outcome.grade))
    # A miss shows what the right answer was, why, and where to reread it, before the next
    # card; a success moves straight on with one line saying when the card comes back.
    missed = not outcome.is_correct
    feedback = None if missed else _feedback(attempt, outcome, now)
    if not request.htmx:
        if missed:
            request.session[RESULT_KEY] = attempt.pk
        else:
            request.session[FEEDBACK_KEY] = {"text": feedback.text if feedback else "", "right": True}
        return redirect("mastery:review")
    attempt.question = question
    context = _context(
        request,
        learner=learner,
        profile=profile,
        now=now,
        feedback=feedback,
        result=attempt if missed else None,
        saved=outcome.saved,
    )
    return _render(request, context)


@dataclass(frozen=True)
class Feedback:
    """The line about the card just answered; `right` picks its wording and colours."""

    text: str
    right: bool


def _feedback_read(raw: object) -> Feedback | None:
    if isinstance(raw, dict) and raw.get("text"):
        return Feedback(text=str(raw["text"]), right=bool(raw.get("right")))
    return None


def _feedback(attempt: Attempt, outcome: AnswerOutcome, now: datetime) -> Feedback:
    """One line about the card just answered (a success), shown above the next one."""
    when = f"back {scheduling.interval_phrase(outcome.next_due, now)}" if outcome.next_due else "saved"
    verdict = "Right" if attempt.option_id is not None else outcome.grade.label
    return Feedback(text=f"✓ {verdict} — {when}.", right=True)


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
