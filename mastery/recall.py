"""Recall weeks from one learner's side: which days are open and what to do today.

Day N of a week (counting from 0, in the plan's order) falls on started_on + N in the
learner's time zone. A day unlocks when its date has come and every lesson listed to
read first has been marked read; a day without such lessons unlocks by date alone.

The day's work is built in this order and cut at the learner's daily cap:
1. today's prompts (of unlocked days dated today);
2. due reviews (FSRS cards whose due time has come), most overdue first;
3. catch-up: prompts of earlier unlocked days not answered since their date, the ones the
   learner is least likely to recall first (a prompt never reviewed counts as 0).
Missed days therefore never pile up: whatever does not fit waits, weakest first.

The functions here are pure over data loaded by `recall_inputs_load`, which costs a
fixed number of queries, so pages built on them have a pinned query count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from django.contrib.auth.models import User
from django.db.models import Max
from django.utils import dateformat

from accounts.days import day_start, local_date
from accounts.services import profile_for
from lessons.models import Lesson
from mastery.models import Attempt, LessonRead, QueueItem, RecallEnrollment, ReviewCard
from mastery.scheduling import retrievability
from quizzes.models import Question, RecallDay, RecallPlan


@dataclass(frozen=True)
class DayState:
    day: RecallDay
    date: date
    unlocked: bool
    # Lessons still to be marked read before the day opens (empty once unlocked by reading).
    missing_lessons: list[Lesson]
    is_today: bool
    is_past: bool
    # The learner's today, for `when` (the module's `date`: this class's own field shadows it).
    today: dt.date

    @property
    def when(self) -> str:
        """The day's date in plain words for the learner: "today, Wednesday 2 December",
        "tomorrow, …", "yesterday, …", or the date alone further away."""
        full = dateformat.format(self.date, "l j F")
        offset = (self.date - self.today).days
        relative = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(offset)
        return f"{relative}, {full}" if relative else full


@dataclass(frozen=True)
class QueueEntry:
    question: Question
    reason: str  # a QueueItem.Reason value
    retrievability: float
    done: bool = False  # a prompt of today already answered today


@dataclass
class DayQueue:
    today: list[QueueEntry] = field(default_factory=list)
    due: list[QueueEntry] = field(default_factory=list)
    catch_up: list[QueueEntry] = field(default_factory=list)
    # Entries that did not fit under the cap and wait for another day.
    waiting: int = 0

    def open_entries(self) -> list[QueueEntry]:
        """What is still to do, in the order it should be done."""
        return [entry for entry in [*self.today, *self.due, *self.catch_up] if not entry.done]


@dataclass(frozen=True)
class RecallInputs:
    """What one learner has done, as far as recall needs it."""

    read_lesson_ids: set[int]
    # Question id → time of the learner's latest attempt that counts for the schedule.
    last_attempt: dict[int, datetime]
    # Question id → the learner's card, for the plan's questions.
    cards: dict[int, ReviewCard]
    # Cards due by the cut-off, most overdue first, with their questions loaded.
    due_cards: list[ReviewCard]


def day_states(
    days: Sequence[RecallDay], *, started_on: date, today: date, read_lesson_ids: set[int]
) -> list[DayState]:
    """The state of each day of a week (days in plan order, unlock_lessons prefetched)."""
    states = []
    for position, day in enumerate(days):
        when = started_on + timedelta(days=position)
        missing = [lesson for lesson in day.unlock_lessons.all() if lesson.pk not in read_lesson_ids]
        states.append(
            DayState(
                day=day,
                date=when,
                unlocked=when <= today and not missing,
                missing_lessons=missing,
                is_today=when == today,
                is_past=when < today,
                today=today,
            )
        )
    return states


def day_queue_build(
    *,
    weeks: Iterable[list[DayState]],
    inputs: RecallInputs,
    tz: tzinfo,
    now: datetime,
    cap: int,
) -> DayQueue:
    """Today's prompts, due reviews and catch-up across the given weeks, cut at `cap` (see module doc)."""
    queue = DayQueue()
    seen: set[int] = set()
    today_entries: list[QueueEntry] = []
    catch_up: list[tuple[float, int, int, QueueEntry]] = []
    for states in weeks:
        for state in states:
            if not state.unlocked:
                continue
            since = day_start(state.date, tz)
            for prompt in state.day.prompts.all():
                question = prompt.question
                if question.pk in seen:
                    continue
                last = inputs.last_attempt.get(question.pk)
                answered = last is not None and last >= since
                card = inputs.cards.get(question.pk)
                chance = retrievability(card, now) if card else 0.0
                if state.is_today:
                    seen.add(question.pk)
                    today_entries.append(QueueEntry(question, QueueItem.Reason.TODAY, chance, done=answered))
                elif not answered:
                    seen.add(question.pk)
                    entry = QueueEntry(question, QueueItem.Reason.CATCH_UP, chance)
                    catch_up.append((chance, state.day.order, prompt.order, entry))
    due_entries = [
        QueueEntry(card.question, QueueItem.Reason.DUE, retrievability(card, now))
        for card in inputs.due_cards
        if card.question_id not in seen
    ]
    catch_up.sort(key=lambda row: row[:3])
    room = cap
    for entry in today_entries:
        if entry.done:
            queue.today.append(entry)
        elif room > 0:
            queue.today.append(entry)
            room -= 1
        else:
            queue.waiting += 1
    for bucket, entries in ((queue.due, due_entries), (queue.catch_up, [row[3] for row in catch_up])):
        taken = entries[: max(room, 0)]
        bucket.extend(taken)
        room -= len(taken)
        queue.waiting += len(entries) - len(taken)
    return queue


def recall_inputs_load(
    *,
    learner: User,
    question_ids: set[int],
    since: date,
    tz: tzinfo,
    now: datetime,
    due_limit: int,
    due_course_id: int | None = None,
    with_questions: bool = True,
) -> RecallInputs:
    """The learner's reads, latest attempts and cards for recall, in five queries (four without questions).

    `since` bounds the attempts looked at (the earliest start of the weeks involved);
    due cards are those due at `now` (ReviewCard.objects.due), at most `due_limit`,
    optionally of one course.
    """
    read = set(LessonRead.objects.filter(learner=learner).values_list("lesson_id", flat=True))
    last_attempt: dict[int, datetime] = {}
    cards: dict[int, ReviewCard] = {}
    if question_ids:
        rows = (
            Attempt.objects.scheduling()
            .filter(learner=learner, question_id__in=question_ids, created_at__gte=day_start(since, tz))
            .values("question_id")
            .annotate(last=Max("created_at"))
            .order_by()
        )
        last_attempt = {row["question_id"]: row["last"] for row in rows}
        cards = {
            card.question_id: card
            for card in ReviewCard.objects.filter(learner=learner, question_id__in=question_ids)
        }
    due = ReviewCard.objects.due_for(learner, now, tz).order_by("due", "id")
    if due_course_id is not None:
        due = due.filter(question__course_id=due_course_id)
    if with_questions:
        due = due.select_related("question__course", "question__lesson__module__course").prefetch_related(
            "question__options"
        )
    else:
        due = due.select_related("question__lesson__module__course")
    return RecallInputs(
        read_lesson_ids=read, last_attempt=last_attempt, cards=cards, due_cards=list(due[:due_limit])
    )


@dataclass(frozen=True)
class WeekView:
    """A learner's enrolled week: the state of each day and today's capped work."""

    enrollment: RecallEnrollment
    today: date
    days: list[DayState]
    queue: DayQueue
    cap: int


def week_view_load(
    *, learner: User, plan: RecallPlan, days: Sequence[RecallDay], now: datetime
) -> WeekView | None:
    """The week as the learner has it, or None before they start it.

    `days` come from get_recall_plan_for_user (prompts, questions and unlock lessons
    loaded). Seven queries once enrolled (profile, enrollment, reads, attempts, cards,
    due cards, their options), two before; due reviews are this course's only.
    """
    profile = profile_for(learner)
    enrollment = RecallEnrollment.objects.filter(learner=learner, plan=plan).first()
    if enrollment is None:
        return None
    tz = profile.tz
    today = local_date(now, tz)
    question_ids = {prompt.question_id for day in days for prompt in day.prompts.all()}
    inputs = recall_inputs_load(
        learner=learner,
        question_ids=question_ids,
        since=enrollment.started_on,
        tz=tz,
        now=now,
        due_limit=profile.daily_cap,
        due_course_id=plan.course_id,
    )
    states = day_states(
        days, started_on=enrollment.started_on, today=today, read_lesson_ids=inputs.read_lesson_ids
    )
    queue = day_queue_build(weeks=[states], inputs=inputs, tz=tz, now=now, cap=profile.daily_cap)
    return WeekView(enrollment=enrollment, today=today, days=states, queue=queue, cap=profile.daily_cap)
