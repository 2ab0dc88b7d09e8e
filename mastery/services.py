"""Writes of the learner model: attempts with FSRS reviews, lesson reads, recall weeks, queues, digests."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.days import day_start, local_date
from accounts.services import profile_for
from lessons.models import Lesson
from mastery import pending, scheduling
from mastery.levels import probability_at
from mastery.models import (
    Attempt,
    ConceptMastery,
    CourseMemory,
    DigestLog,
    Grade,
    LessonRead,
    Mode,
    QueueItem,
    RecallEnrollment,
    ReviewCard,
)
from mastery.recall import DayQueue, day_queue_build, day_states, recall_inputs_load
from quizzes.forms import (
    MSG_CHOICE_NOT_GRADED,
    MSG_CHOOSE_GRADE,
    MSG_FOREIGN_OPTION,
    MSG_FREE_NOT_CHOICE,
    AnswerChoice,
    CheckToken,
    check_token_read,
)
from quizzes.models import Option, Question, RecallDay, RecallPlan, RecallPrompt

logger = logging.getLogger(__name__)

# Digests go out in the learner's local morning; the beat task runs hourly.
DIGEST_HOURS = range(6, 11)


class AttemptInvalid(ValueError):
    """An answer that does not fit its question (a message a learner can read)."""


def attempt_record(
    *,
    learner: User,
    question: Question,
    key: str,
    mode: Mode,
    grade: Grade | None = None,
    option: Option | None = None,
    revealed: bool = False,
    think_ms: int | None = None,
    time_taken_ms: int | None = None,
    key_points: tuple[int, int] | None = None,
    now: datetime | None = None,
) -> tuple[Attempt, bool]:
    """Record one answer; (attempt, created). The same key twice gives the first attempt back.

    See _attempt_write, which also hands back the card it reviewed.
    """
    attempt, created, _ = _attempt_write(
        learner=learner,
        question=question,
        key=key,
        mode=mode,
        grade=grade,
        option=option,
        revealed=revealed,
        think_ms=think_ms,
        time_taken_ms=time_taken_ms,
        key_points=key_points,
        now=now,
    )
    return attempt, created


def _attempt_write(
    *,
    learner: User,
    question: Question,
    key: str,
    mode: Mode,
    grade: Grade | None = None,
    option: Option | None = None,
    revealed: bool = False,
    think_ms: int | None = None,
    time_taken_ms: int | None = None,
    key_points: tuple[int, int] | None = None,
    now: datetime | None = None,
) -> tuple[Attempt, bool, ReviewCard | None]:
    """Record one answer; (attempt, created, the card it reviewed: None for cram or a replayed key).

    Free-recall questions take a self-grade or a key-point checklist (ticked, listed),
    multiple choice an option of this question (its correctness is read from the option,
    never from the client). Pages record answers through answer_record, which reads the
    signed token; this is the storage step it ends in. Study and review
    attempts move the question's FSRS card; cram attempts never touch it. After commit,
    the learner's mastery of the question's concepts is recomputed.
    """
    now = now or timezone.now()
    if key_points is not None and not question.is_choice:
        if grade is not None:
            raise AttemptInvalid(MSG_CHOOSE_GRADE)
        key_points = (max(0, min(key_points[0], key_points[1])), key_points[1])
        grade = scheduling.grade_for_key_points(*key_points)
    is_correct, rating = _attempt_validate(question=question, grade=grade, option=option, think_ms=think_ms)
    # One transaction, no savepoint inside it: the same key twice (a replayed form, or a
    # concurrent twin) hits the unique constraint, the whole write rolls back (card and
    # enqueue with it), and the first attempt is handed back.
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                learner=learner,
                question=question,
                key=key,
                mode=mode,
                grade=grade,
                option=option,
                is_correct=is_correct,
                revealed=revealed,
                think_ms=think_ms,
                time_taken_ms=time_taken_ms,
                key_points_recalled=key_points[0] if key_points else None,
                key_points_total=key_points[1] if key_points else None,
                created_at=now,
            )
            card = None
            if mode != Mode.CRAM:
                card = _card_review(learner=learner, question=question, rating=rating, now=now)
            concept_ids = sorted(concept.pk for concept in question.concepts.all())
            learner_id = learner.pk
            transaction.on_commit(
                lambda: mastery_recompute_enqueue(learner_id=learner_id, concept_ids=concept_ids)
            )
    except IntegrityError as error:
        try:
            return Attempt.objects.get(learner=learner, key=key), False, None
        except Attempt.DoesNotExist:
            raise error from None
    return attempt, True, card


def _card_review(*, learner: User, question: Question, rating: Grade, now: datetime) -> ReviewCard:
    """Review the learner's card of the question under a row lock (created on the first answer).

    Two attempts on one card review it one after the other: an existing card is locked; a
    new one is inserted already reviewed, and if a concurrent first answer inserted it
    meanwhile, that row is locked and reviewed instead.
    """
    model = scheduling.course_model(question.course_id)
    try:
        # get(), not first(): one row by its unique pair, without an ORDER BY to compile and sort.
        card = ReviewCard.objects.select_for_update().get(learner=learner, question=question)
    except ReviewCard.DoesNotExist:
        card = ReviewCard(learner=learner, question=question)
        scheduling.review(card, rating, now, model)
        try:
            with transaction.atomic():
                card.save(force_insert=True)
            return card
        except IntegrityError:
            card = ReviewCard.objects.select_for_update().get(learner=learner, question=question)
    scheduling.review(card, rating, now, model)
    card.save(update_fields=ReviewCard.REVIEWED_FIELDS)
    return card


@dataclass(frozen=True)
class AnswerOutcome:
    """What an answer did: the stored attempt (None for a visitor: nothing is kept) and its verdict."""

    attempt: Attempt | None
    created: bool
    is_correct: bool
    grade: Grade  # the self-grade, or what a choice or a checklist stands for
    saved: str  # the line that tells a signed-in learner when the question comes back
    next_due: datetime | None = None  # when the card comes back (None: cram, or a visitor)


def answer_token(*, learner: User | None, question: Question, token: str) -> CheckToken | None:
    """The check token posted with an answer; None for a visitor, TokenInvalid when bad.

    question_id None is not accepted here: every page names the question it answers.
    """
    if learner is None:
        return None
    return check_token_read(token, learner_id=learner.pk, question_id=question.pk)


def answer_reveal(
    *, learner: User | None, question: Question, token: str, onscreen_ms: int | None, at_ms: int
) -> str:
    """The token the grade form carries after "Show answer": it knows when the learner peeked.

    "" for a visitor. The on-screen moment is fixed here when the page's script reports it,
    so the think time of the later grade runs from on-screen to this reveal.
    """
    read = answer_token(learner=learner, question=question, token=token)
    if read is None:
        return ""
    return read.seen(at_ms, onscreen_ms).revealed_at(at_ms).sign()


def answer_record(
    *,
    learner: User | None,
    question: Question,
    token: str,
    answer: AnswerChoice,
    onscreen_ms: int | None,
    at_ms: int,
) -> AnswerOutcome:
    """Record one answer from any page (lesson, quiz, recall, Review): the one answer path.

    Reads the signed token (mode, on-screen and reveal moments, the idempotency key),
    derives think time and time taken from it (both None when the page could not say
    when the check came on screen, e.g. without JavaScript), validates the answer,
    stores the attempt, reviews the FSRS card unless cramming and queues the mastery
    refresh after commit (attempt_record). A visitor's answer is checked and marked
    but not kept. Raises TokenInvalid or AttemptInvalid with a message a learner can read.
    """
    read = answer_token(learner=learner, question=question, token=token)
    if learner is None or read is None:
        is_correct, grade = _attempt_validate(
            question=question,
            grade=_checklist_grade(question, answer) or answer.grade,
            option=answer.option,
            think_ms=None,
        )
        return AnswerOutcome(attempt=None, created=False, is_correct=is_correct, grade=grade, saved="")
    think_ms, time_taken_ms = read.seen(at_ms, onscreen_ms).timing(at_ms)
    attempt, created, card = _attempt_write(
        learner=learner,
        question=question,
        key=read.key,
        mode=Mode(read.mode),
        grade=answer.grade,
        option=answer.option,
        revealed=read.revealed_ms is not None,
        think_ms=think_ms,
        time_taken_ms=time_taken_ms,
        key_points=answer.key_points,
    )
    grade = attempt_grade(attempt)
    # The card just reviewed knows its next due date; only a replayed key reads it again.
    next_due = card.due if card is not None else _next_due(attempt)
    return AnswerOutcome(
        attempt=attempt,
        created=created,
        is_correct=bool(attempt.is_correct),
        grade=grade,
        saved=_saved_line(attempt, next_due, timezone.now()),
        next_due=next_due,
    )


def _checklist_grade(question: Question, answer: AnswerChoice) -> Grade | None:
    if answer.key_points is None or question.is_choice:
        return None
    return scheduling.grade_for_key_points(*answer.key_points)


def mastery_recompute_enqueue(*, learner_id: int, concept_ids: list[int]) -> bool:
    """Queue the after-attempt recompute of these concepts; False (logged) when the broker cannot be reached.

    Answers that come while the learner's recompute waits join it (mastery.pending): one task
    per learner at a time, run DELAY_S after the first answer, whatever their pace.
    The attempt is already committed: losing the broker must not lose the answer or turn
    the learner's request into an error. The nightly run recomputes every learner with
    attempts, so a missed recompute is caught up then.
    """
    # Imported here: mastery.tasks imports this module for its own services.
    from mastery.tasks import recompute_pending

    try:
        if pending.add(learner_id, concept_ids):
            try:
                recompute_pending.apply_async((learner_id,), countdown=pending.DELAY_S)
            except Exception:
                pending.unqueue(learner_id)
                raise
    except Exception:  # kombu/redis raise several unrelated types when the broker is down
        logger.warning("could not queue the mastery recompute of learner %s", learner_id, exc_info=True)
        return False
    return True


def _attempt_validate(
    *, question: Question, grade: Grade | None, option: Option | None, think_ms: int | None
) -> tuple[bool, Grade]:
    """(is_correct, the grade FSRS sees) for a valid answer; AttemptInvalid otherwise."""
    if question.is_choice:
        if grade is not None:
            raise AttemptInvalid(MSG_CHOICE_NOT_GRADED)
        if option is None or option.question_id != question.pk:
            raise AttemptInvalid(MSG_FOREIGN_OPTION)
        return option.is_correct, scheduling.grade_for_choice(option.is_correct, think_ms)
    if option is not None:
        raise AttemptInvalid(MSG_FREE_NOT_CHOICE)
    if grade is None or grade not in Grade.values:
        raise AttemptInvalid(MSG_CHOOSE_GRADE)
    # Hard still means the answer came back (with effort), so only Again counts as wrong.
    return grade != Grade.AGAIN, Grade(grade)


def course_memory_fit(*, course_id: int, now: datetime | None = None) -> CourseMemory:
    """Refit a course's FSRS-6 parameters from its review history (idempotent; defaults until enough reviews).

    Each learner's attempts on a question are one card's history, graded as FSRS saw
    them; cram attempts never touched a card and are left out. The desired retention an
    instructor set is kept.
    """
    now = now or timezone.now()
    histories: dict[tuple[int, int], list[tuple[datetime, int]]] = defaultdict(list)
    rows = (
        Attempt.objects.scheduling()
        .filter(question__course_id=course_id)
        .order_by("created_at", "id")
        .values_list(
            "learner_id", "question_id", "question__kind", "grade", "is_correct", "think_ms", "created_at"
        )
    )
    for learner_id, question_id, kind, grade, is_correct, think_ms, created_at in rows:
        seen = scheduling.grade_seen(
            is_choice=kind == Question.Kind.CHOICE, grade=grade, is_correct=is_correct, think_ms=think_ms
        )
        if seen is None:
            continue
        histories[(learner_id, question_id)].append((created_at, seen))
    with transaction.atomic():
        memory, _ = CourseMemory.objects.select_for_update().get_or_create(course_id=course_id)
        result = scheduling.fit(histories.values(), memory.desired_retention)
        memory.fitted_reviews = result.reviews
        if result.fitted:
            memory.parameters = list(result.model.parameters)
            memory.same_day = dict(result.model.same_day)
            memory.fitted_at = now
        memory.save()
    return memory


def course_memory_fit_all() -> int:
    """Refit every course that has attempts (run nightly); returns how many were looked at."""
    ids = list(Attempt.objects.order_by().values_list("question__course_id", flat=True).distinct())
    for course_id in sorted(ids):
        course_memory_fit(course_id=course_id)
    return len(ids)


def due_cards(*, learner: User, now: datetime, tz: tzinfo) -> list[tuple[int, int]]:
    """(card id, question id) of the learner's due cards, most overdue first (one query)."""
    return list(
        ReviewCard.objects.due_for(learner, now, tz).order_by("due", "id").values_list("pk", "question_id")
    )


def review_queue(
    *, learner: User, now: datetime, tz: tzinfo, limit: int, due: list[tuple[int, int]] | None = None
) -> list[ReviewCard]:
    """The learner's due cards, weakest concept first, with what a check needs to render (four
    queries; three when the caller passes what due_cards gave).

    Weakest means the lowest chance of a right answer now on any of the card's concepts,
    by the same concept model as the levels and the dashboard (a concept never assessed
    counts as 0); ties go to the most overdue card.
    """
    if due is None:
        due = due_cards(learner=learner, now=now, tz=tz)
    if not due:
        return []
    chance: dict[int, float] = {}
    rows = ConceptMastery.objects.filter(
        learner=learner, concept__questions__in={question_id for _, question_id in due}
    ).values_list("concept__questions", "knowledge", "stability", "memory_at")
    for question_id, knowledge, stability, memory_at in rows:
        value = probability_at(knowledge, stability, memory_at, now)
        chance[question_id] = min(chance.get(question_id, 1.0), value if value is not None else 0.0)
    order = {pk: rank for rank, (pk, _) in enumerate(due)}
    chosen = sorted(due, key=lambda row: (chance.get(row[1], 0.0), order[row[0]]))[:limit]
    cards = {
        rc.pk: rc
        for rc in ReviewCard.objects.filter(pk__in=[pk for pk, _ in chosen])
        .select_related("question__course", "question__lesson__module__course")
        .prefetch_related("question__options")
    }
    return [cards[pk] for pk, _ in chosen if pk in cards]


def lesson_mark_read(*, learner: User, lesson: Lesson, now: datetime | None = None) -> LessonRead:
    """Mark a lesson read (once: a second call keeps the first date)."""
    with transaction.atomic():
        read, created = LessonRead.objects.get_or_create(
            learner=learner, lesson=lesson, defaults={"read_at": now or timezone.now()}
        )
        if created:
            learner_id = learner.pk
            transaction.on_commit(lambda: _dashboard_refresh_enqueue(learner_id))
    return read


def _dashboard_refresh_enqueue(learner_id: int) -> None:
    """Queue the rebuild of the learner's dashboard snapshots; a broker down delays it to the nightly run."""
    from mastery.tasks import refresh_dashboard

    try:
        refresh_dashboard.delay(learner_id)
    except Exception:  # as in mastery_recompute_enqueue: the read is saved either way
        logger.warning("could not queue the dashboard refresh of learner %s", learner_id, exc_info=True)


def recall_enroll(*, learner: User, plan: RecallPlan, today: date) -> RecallEnrollment:
    """Start a recall week today (idempotent: starting again keeps the first start date)."""
    with transaction.atomic():
        enrollment, _ = RecallEnrollment.objects.get_or_create(
            learner=learner, plan=plan, defaults={"started_on": today}
        )
    return enrollment


def _enrolled_days() -> Prefetch[str]:
    prompts = RecallPrompt.objects.select_related("question__lesson__module__course").order_by("order", "id")
    days = RecallDay.objects.order_by("order", "id").prefetch_related(
        Prefetch("unlock_lessons", queryset=Lesson.objects.only("id")), Prefetch("prompts", queryset=prompts)
    )
    return Prefetch("plan__days", queryset=days)


def recall_day_queue(*, learner: User, for_date: date) -> DayQueue:
    """The learner's recall work for a local date across all their weeks (about nine queries)."""
    profile = profile_for(learner)
    tz = profile.tz
    enrollments = list(
        RecallEnrollment.objects.filter(learner=learner)
        .select_related("plan")
        .prefetch_related(_enrolled_days())
    )
    question_ids = {
        prompt.question_id for e in enrollments for day in e.plan.days.all() for prompt in day.prompts.all()
    }
    since = min((e.started_on for e in enrollments), default=for_date)
    # A queue prepared tonight for tomorrow is built as of tomorrow's first moment, so
    # "due" there means what the Review page will call due when the learner wakes up.
    now = max(day_start(for_date, tz), timezone.now())
    inputs = recall_inputs_load(
        learner=learner,
        question_ids=question_ids,
        since=since,
        tz=tz,
        now=now,
        due_limit=profile.daily_cap,
        with_questions=False,
    )
    read = inputs.read_lesson_ids
    weeks = [
        day_states(list(e.plan.days.all()), started_on=e.started_on, today=for_date, read_lesson_ids=read)
        for e in enrollments
    ]
    return day_queue_build(weeks=weeks, inputs=inputs, tz=tz, now=now, cap=profile.daily_cap)


def recall_queue_prepare(*, learner: User, for_date: date) -> list[QueueItem]:
    """Store the learner's capped queue for a local date, replacing any earlier one (safe to rerun)."""
    queue = recall_day_queue(learner=learner, for_date=for_date)
    items = [
        QueueItem(
            learner=learner,
            question=entry.question,
            for_date=for_date,
            position=position,
            reason=entry.reason,
        )
        for position, entry in enumerate(queue.open_entries())
    ]
    with transaction.atomic():
        QueueItem.objects.filter(learner=learner, for_date=for_date).delete()
        QueueItem.objects.bulk_create(items)
    return items


def _learners_with_work() -> list[User]:
    """Learners with a recall week started or a review card: the ones with anything to queue."""
    return list(
        User.objects.filter(Q(recall_weeks__isnull=False) | Q(review_cards__isnull=False), is_active=True)
        .distinct()
        .select_related("profile")
        .order_by("pk")
    )


def recall_queue_prepare_all() -> None:
    """Prepare every learner's queue for their local tomorrow (run nightly; reruns replace)."""
    for learner in _learners_with_work():
        tomorrow = profile_for(learner).local_today() + timedelta(days=1)
        recall_queue_prepare(learner=learner, for_date=tomorrow)


def digest_send_all(now: datetime | None = None) -> int:
    """Email each learner whose local morning it is what is due today; returns how many were sent.

    Once per learner per local date: the DigestLog row is written in the same transaction
    as the email is sent, and its unique constraint makes a rerun (or a twin worker) a no-op.
    """
    now = now or timezone.now()
    sent = 0
    for learner in _learners_with_work():
        profile = profile_for(learner)
        local = now.astimezone(profile.tz)
        if not profile.digest_enabled or not learner.email or local.hour not in DIGEST_HOURS:
            continue
        today = local_date(now, profile.tz)
        if DigestLog.objects.filter(learner=learner, for_date=today).exists():
            continue
        queue = list(
            QueueItem.objects.filter(learner=learner, for_date=today)
            .select_related("question__lesson__module__course")
            .order_by("position")
        )
        if queue:
            reasons = [item.reason for item in queue]
            questions = [item.question for item in queue]
        else:
            # No queue prepared for today (e.g. the learner joined since last night): build it now.
            live = recall_day_queue(learner=learner, for_date=today).open_entries()
            reasons = [entry.reason for entry in live]
            questions = [entry.question for entry in live]
        if not questions:
            continue
        try:
            with transaction.atomic():
                DigestLog.objects.create(
                    learner=learner, for_date=today, sent_at=now, due_count=len(questions)
                )
                _digest_email(learner=learner, today=today, questions=questions, reasons=reasons)
        except IntegrityError:
            continue
        sent += 1
    return sent


def _digest_email(*, learner: User, today: date, questions: list[Question], reasons: list[str]) -> None:
    base = settings.SITE_URL.rstrip("/")
    counts = {reason: reasons.count(reason) for reason in QueueItem.Reason.values}
    context = {
        "learner": learner,
        "today": today,
        "total": len(questions),
        "due": counts[QueueItem.Reason.DUE],
        "today_prompts": counts[QueueItem.Reason.TODAY],
        "catch_up": counts[QueueItem.Reason.CATCH_UP],
        "prompts": [(question, base + question.section_url()) for question in questions[:5]],
        "review_url": base + reverse("mastery:review"),
        "dashboard_url": base + reverse("mastery:dashboard"),
        "profile_url": base + reverse("accounts:profile"),
        "site_name": getattr(settings, "SITE_NAME", "Studyhall"),
    }
    subject = f"{context['site_name']}: {len(questions)} to recall today"
    body = render_to_string("mastery/digest_email.txt", context)
    send_mail(subject, body, None, [learner.email])


def attempt_grade(attempt: Attempt) -> Grade:
    """The grade an attempt stands for: its self-grade, or what its choice (and think time) counts as."""
    if attempt.grade:
        return Grade(attempt.grade)
    return scheduling.grade_for_choice(bool(attempt.is_correct), attempt.think_ms)


def attempt_saved_messages(*, learner_id: int, attempts: list[Attempt], now: datetime) -> dict[int, str]:
    """attempt_saved_message for several attempts of one learner, by attempt id, in one query."""
    ids = [attempt.question_id for attempt in attempts if attempt.mode != Mode.CRAM]
    cards = ReviewCard.objects.filter(learner_id=learner_id, question_id__in=ids)
    dues = dict(cards.values_list("question_id", "due")) if ids else {}
    return {attempt.pk: _saved_line(attempt, dues.get(attempt.question_id), now) for attempt in attempts}


def attempt_saved_message(*, attempt: Attempt, now: datetime) -> str:
    """The line shown after an answer: when the question comes back, or that cram is not scheduled."""
    return _saved_line(attempt, _next_due(attempt), now)


def _next_due(attempt: Attempt) -> datetime | None:
    if attempt.mode == Mode.CRAM:
        return None
    return (
        ReviewCard.objects.filter(learner_id=attempt.learner_id, question_id=attempt.question_id)
        .values_list("due", flat=True)
        .first()
    )


def _saved_line(attempt: Attempt, due: datetime | None, now: datetime) -> str:
    if attempt.mode == Mode.CRAM:
        return "Cram: not scheduled"
    if due is None:
        return "Saved"
    return f"Saved — next review {scheduling.interval_phrase(due, now)}"
