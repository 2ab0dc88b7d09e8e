"""A few weeks of demo learners' answers, so `make run` opens on a dashboard and a cohort with data.

The history is written through the app's own write path, with timestamps in the past:
`lesson_mark_read`, `attempt_record` (study answers while reading, review answers when the
real FSRS schedule says a card is due, a cram run of a readiness quiz that moves no card)
and `recall_enroll`. Cards, mastery rows and the forecast are therefore exactly what the
app would hold had these learners used it; the mastery recompute runs after each answer as
it does for a real one (in-process in the embedded mode, on the worker in production).

Deterministic: each learner's choices come from a random generator seeded with the
learner's name, and days count back from today, so the same day gives the same history.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.services import profile_for
from courses.models import Course
from lessons.models import Lesson
from mastery import scheduling
from mastery.models import (
    Attempt,
    ConceptMastery,
    Grade,
    LessonRead,
    Mode,
    QueueItem,
    RecallEnrollment,
    ReviewCard,
)
from mastery.services import attempt_record, lesson_mark_read, recall_enroll
from quizzes.models import Option, Question, Quiz, RecallPlan

SEED = "studyhall-demo"
# Reviews a demo learner does on one day at most (a real learner's daily cap is similar).
DAILY_REVIEWS = 8


@dataclass(frozen=True)
class DemoLearner:
    username: str
    # How likely an answer is right when the memory model says it is remembered (0..1).
    skill: float
    # Days ago the learner started; they read a lesson every `pace` days from then on.
    started_days_ago: int
    pace: int
    # Share of days the learner skips entirely.
    skip: float
    lessons: int  # how many lessons, in course order, they read
    cram: bool = False  # a practice run of the first readiness quiz before "a test"


# "student" is the demo account people sign in with (courses.demo.DEMO_ACCOUNTS); the rest
# make a small cohort with different habits: steady, fast and strong, struggling, new.
DEMO_LEARNERS = (
    DemoLearner("student", skill=0.8, started_days_ago=24, pace=3, skip=0.2, lessons=5, cram=True),
    DemoLearner("demo-ada", skill=0.93, started_days_ago=26, pace=2, skip=0.1, lessons=6),
    DemoLearner("demo-ben", skill=0.55, started_days_ago=21, pace=4, skip=0.35, lessons=4),
    DemoLearner("demo-chen", skill=0.72, started_days_ago=12, pace=3, skip=0.15, lessons=3, cram=True),
    DemoLearner("demo-dee", skill=0.45, started_days_ago=6, pace=3, skip=0.3, lessons=2),
)


@dataclass(frozen=True)
class HistoryResult:
    learners: int
    attempts: int
    skipped: bool  # the history was already there and left as it is

    def summary(self) -> str:
        if self.skipped:
            return "demo history: already there, left as it is (make demo-reset rebuilds it)"
        return f"demo history: {self.attempts} answers by {self.learners} demo learners over the last weeks"


def _moment(day: date, rng: random.Random) -> datetime:
    """An evening study time on `day` (UTC), a few minutes different each time."""
    return datetime.combine(day, time(18, 0), tzinfo=UTC) + timedelta(minutes=rng.randint(0, 150))


class _Learner:
    """One demo learner's walk through the course, day by day."""

    def __init__(
        self, spec: DemoLearner, user: User, lessons: Sequence[Lesson], by_lesson: dict[int, list[Question]]
    ):
        self.spec = spec
        self.user = user
        self.rng = random.Random(f"{SEED}:{spec.username}")
        self.lessons = list(lessons[: spec.lessons])
        self.by_lesson = by_lesson
        self.questions = {q.pk: q for qs in by_lesson.values() for q in qs}
        self.count = 0

    def answer(self, question: Question, *, mode: Mode, chance: float, at: datetime) -> None:
        right = self.rng.random() < chance
        think_ms = self.rng.randint(4_000, 25_000)
        grade: Grade | None = None
        option: Option | None = None
        if question.is_choice:
            options = list(question.options.all())
            correct = [o for o in options if o.is_correct]
            wrong = [o for o in options if not o.is_correct]
            option = self.rng.choice(correct if right or not wrong else wrong)
        elif right:
            grade = self.rng.choice((Grade.HARD, Grade.GOOD, Grade.GOOD, Grade.GOOD, Grade.EASY))
        else:
            grade = Grade.AGAIN
        self.count += 1
        attempt_record(
            learner=self.user,
            question=question,
            key=f"demo-{self.spec.username}-{self.count}",
            mode=mode,
            grade=grade,
            option=option,
            revealed=not question.is_choice,
            think_ms=think_ms,
            time_taken_ms=think_ms + self.rng.randint(1_000, 6_000),
            now=at,
        )

    def review_due(self, at: datetime) -> None:
        cards = list(
            ReviewCard.objects.filter(learner=self.user, due__lte=at).order_by("due", "id")[:DAILY_REVIEWS]
        )
        for card in cards:
            # Right about as often as the memory model expects, scaled by how good the learner is.
            chance = min(0.98, scheduling.retrievability(card, at) * (0.6 + 0.4 * self.spec.skill))
            self.answer(self.questions[card.question_id], mode=Mode.REVIEW, chance=chance, at=at)
            at += timedelta(seconds=40)

    def walk(self, today: date, cram_quiz: Quiz | None) -> None:
        start = today - timedelta(days=self.spec.started_days_ago)
        reading = {
            start + timedelta(days=i * self.spec.pace): lesson for i, lesson in enumerate(self.lessons)
        }
        crammed = False
        for offset in range(self.spec.started_days_ago):
            day = start + timedelta(days=offset)
            lesson = reading.get(day)
            if lesson is None and self.rng.random() < self.spec.skip:
                continue
            at = _moment(day, self.rng)
            if lesson is not None:
                # A first reading: most checks come back, the weaker learner misses more.
                for question in self.by_lesson.get(lesson.pk, []):
                    self.answer(question, mode=Mode.STUDY, chance=0.35 + 0.55 * self.spec.skill, at=at)
                    at += timedelta(seconds=90)
                lesson_mark_read(learner=self.user, lesson=lesson, now=at)
                at += timedelta(minutes=5)
            self.review_due(at)
            if (
                cram_quiz is not None
                and self.spec.cram
                and not crammed
                and offset >= self.spec.started_days_ago - 3
            ):
                crammed = True
                at += timedelta(minutes=20)
                for item in cram_quiz.items.all():
                    self.answer(item.question, mode=Mode.CRAM, chance=self.spec.skill, at=at)
                    at += timedelta(seconds=60)


def _learner_user(username: str) -> User:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        user.email = f"{username}@studyhall.invalid"
        # Cohort members are only shown, never signed in as: no password opens them.
        user.set_unusable_password()
        user.save()
    profile_for(user)
    return user


def _history_clear(users: Sequence[User]) -> None:
    for model in (Attempt, ReviewCard, ConceptMastery, LessonRead, RecallEnrollment, QueueItem):
        model.objects.filter(learner__in=users).delete()


def demo_history_ensure(
    *,
    course_slug: str,
    reset: bool = False,
    today: date | None = None,
    learners: Sequence[DemoLearner] = DEMO_LEARNERS,
) -> HistoryResult:
    """Give the demo learners a few weeks of history in the demo course, when they have none.

    An existing history (any answer by a demo learner) is left as it is unless `reset`, which
    deletes the demo learners' answers, cards, levels, reads and recall weeks and writes them
    again. Requires the demo course and the demo student account (courses.demo).
    """
    course = Course.objects.get(slug=course_slug)
    today = today or timezone.now().date()
    users = [_learner_user(spec.username) for spec in learners]
    if reset:
        with transaction.atomic():
            _history_clear(users)
    elif Attempt.objects.filter(learner__in=users).exists():
        return HistoryResult(learners=len(users), attempts=0, skipped=True)
    lessons = list(Lesson.objects.filter(module__course=course).order_by("module__order", "order", "id"))
    by_lesson: dict[int, list[Question]] = {}
    for question in (
        Question.objects.filter(course=course, lesson__isnull=False)
        .select_related("course")
        .prefetch_related("options", "concepts")
        .order_by("lesson_id", "id")
    ):
        by_lesson.setdefault(question.lesson_id or 0, []).append(question)
    cram_quiz = (
        Quiz.objects.filter(course=course, kind=Quiz.Kind.READINESS)
        .prefetch_related("items__question__options", "items__question__concepts", "items__question__course")
        .order_by("id")
        .first()
    )
    total = 0
    for spec, user in zip(learners, users, strict=True):
        walker = _Learner(spec, user, lessons, by_lesson)
        # One transaction per learner: one commit instead of one per answer (the answers'
        # mastery recomputes run after it, as they would after each answer's own commit).
        with transaction.atomic():
            walker.walk(today, cram_quiz)
        total += walker.count
    # The demo student started the first recall week a few days ago, so the week shows open
    # and locked days (a day opens once its lessons are read).
    plan = RecallPlan.objects.filter(course=course).order_by("order", "id").first()
    if plan is not None and users:
        recall_enroll(learner=users[0], plan=plan, today=today - timedelta(days=3))
    return HistoryResult(learners=len(users), attempts=total, skipped=False)
