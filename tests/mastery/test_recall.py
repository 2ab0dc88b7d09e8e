"""Recall weeks from the learner's side: unlocking, the daily cap, catch-up order, the stored queue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.services import profile_for
from lessons.models import Lesson
from mastery.models import QueueItem, RecallEnrollment
from mastery.services import recall_day_queue, recall_enroll, recall_queue_prepare
from quizzes.models import Question, RecallPlan
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    LessonFactory,
    LessonReadFactory,
    ModuleFactory,
    QuestionFactory,
    RecallDayFactory,
    RecallPlanFactory,
    RecallPromptFactory,
    ReviewCardFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rev_week() -> tuple[RecallPlan, Lesson, list[list[Question]]]:
    """Three days of two prompts; day 2 needs a lesson read first, days 1 and 3 open by date."""
    course = CourseFactory()
    lesson = LessonFactory(module=ModuleFactory(course=course))
    plan = RecallPlanFactory(course=course)
    questions: list[list[Question]] = []
    for d in range(3):
        day = RecallDayFactory(plan=plan, order=d, name=f"Day {d + 1}")
        if d == 1:
            day.unlock_lessons.add(lesson)
        day_questions = [QuestionFactory(course=course, slug=f"d{d}-p{p}", lesson=lesson) for p in range(2)]
        for p, question in enumerate(day_questions):
            RecallPromptFactory(day=day, question=question, order=p)
        questions.append(day_questions)
    return plan, lesson, questions


def _today(learner: User) -> date:
    return profile_for(learner).local_today()


def _slugs(entries) -> list[str]:
    return [entry.question.slug for entry in entries]


def test_first_day_opens_by_date_and_later_days_wait(student: User, rev_week) -> None:
    plan, _, _ = rev_week
    recall_enroll(learner=student, plan=plan, today=_today(student))

    queue = recall_day_queue(learner=student, for_date=_today(student))

    assert _slugs(queue.today) == ["d0-p0", "d0-p1"]
    assert queue.catch_up == [] and queue.due == []


def test_a_day_with_lessons_stays_locked_until_they_are_read(student: User, rev_week) -> None:
    plan, lesson, _ = rev_week
    today = _today(student)
    RecallEnrollment.objects.create(learner=student, plan=plan, started_on=today - timedelta(days=1))

    locked = recall_day_queue(learner=student, for_date=today)
    LessonReadFactory(learner=student, lesson=lesson)
    unlocked = recall_day_queue(learner=student, for_date=today)

    assert _slugs(locked.today) == []
    assert _slugs(locked.catch_up) == ["d0-p0", "d0-p1"]
    assert _slugs(unlocked.today) == ["d1-p0", "d1-p1"]


def test_answered_prompts_are_done_not_caught_up(student: User, rev_week) -> None:
    plan, _, questions = rev_week
    today = _today(student)
    RecallEnrollment.objects.create(learner=student, plan=plan, started_on=today - timedelta(days=2))
    AttemptFactory(learner=student, question=questions[0][0], created_at=timezone.now())
    AttemptFactory(learner=student, question=questions[2][0], created_at=timezone.now())
    # A cram answer does not count as having done the recall.
    AttemptFactory(learner=student, question=questions[0][1], mode="cram", created_at=timezone.now())

    queue = recall_day_queue(learner=student, for_date=today)

    assert [(e.question.slug, e.done) for e in queue.today] == [("d2-p0", True), ("d2-p1", False)]
    assert _slugs(queue.catch_up) == ["d0-p1"]  # day 2 is still locked


def test_catch_up_is_ordered_by_lowest_retrievability(student: User, rev_week) -> None:
    plan, lesson, questions = rev_week
    today = _today(student)
    RecallEnrollment.objects.create(learner=student, plan=plan, started_on=today - timedelta(days=5))
    LessonReadFactory(learner=student, lesson=lesson)
    now = timezone.now()
    # Strong memory, weak memory, never reviewed (0), and the rest never reviewed too.
    ReviewCardFactory(
        learner=student,
        question=questions[0][0],
        stability=100.0,
        last_review=now - timedelta(days=1),
        due=now + timedelta(days=50),
    )
    ReviewCardFactory(
        learner=student,
        question=questions[0][1],
        stability=1.0,
        last_review=now - timedelta(days=10),
        due=now + timedelta(days=1),
    )

    queue = recall_day_queue(learner=student, for_date=today)
    chances = [entry.retrievability for entry in queue.catch_up]

    assert chances == sorted(chances)
    assert _slugs(queue.catch_up)[-2:] == ["d0-p1", "d0-p0"]
    assert _slugs(queue.catch_up)[:4] == ["d1-p0", "d1-p1", "d2-p0", "d2-p1"]


def test_the_daily_cap_bounds_the_day_and_keeps_the_order(student: User, rev_week) -> None:
    plan, lesson, _ = rev_week
    today = _today(student)
    RecallEnrollment.objects.create(learner=student, plan=plan, started_on=today - timedelta(days=2))
    LessonReadFactory(learner=student, lesson=lesson)
    now = timezone.now()
    other = QuestionFactory(course=plan.course, slug="due-elsewhere")
    ReviewCardFactory(
        learner=student, question=other, due=now - timedelta(hours=1), last_review=now - timedelta(days=3)
    )
    profile = profile_for(student)
    profile.daily_cap = 3
    profile.save()

    queue = recall_day_queue(learner=student, for_date=today)

    assert _slugs(queue.open_entries()) == ["d2-p0", "d2-p1", "due-elsewhere"]
    assert queue.waiting == 4


def test_no_enrollment_means_only_due_reviews(student: User, outsider: User) -> None:
    now = timezone.now()
    ReviewCardFactory(learner=student, due=now - timedelta(hours=1), last_review=now - timedelta(days=2))
    ReviewCardFactory(learner=outsider, due=now - timedelta(hours=1), last_review=now - timedelta(days=2))

    queue = recall_day_queue(learner=student, for_date=_today(student))

    assert [e.reason for e in queue.open_entries()] == [QueueItem.Reason.DUE]


def test_recall_queue_prepare_is_idempotent(student: User, rev_week) -> None:
    plan, _, _ = rev_week
    today = _today(student)
    RecallEnrollment.objects.create(learner=student, plan=plan, started_on=today - timedelta(days=2))
    tomorrow = today + timedelta(days=1)

    def rows() -> list[tuple[int, int, str]]:
        return list(
            QueueItem.objects.filter(learner=student, for_date=tomorrow)
            .order_by("position")
            .values_list("position", "question_id", "reason")
        )

    first = recall_queue_prepare(learner=student, for_date=tomorrow)
    after_first = rows()
    recall_queue_prepare(learner=student, for_date=tomorrow)

    # Tomorrow every day is past: days 1 and 3 are missed, day 2 is still locked.
    assert len(first) == len(after_first) == 4
    assert rows() == after_first
    assert {reason for _, _, reason in after_first} == {QueueItem.Reason.CATCH_UP}


def test_recall_enroll_keeps_the_first_start(student: User, rev_week) -> None:
    plan, _, _ = rev_week
    first = recall_enroll(learner=student, plan=plan, today=date(2025, 1, 1))
    again = recall_enroll(learner=student, plan=plan, today=date(2025, 2, 1))

    assert first.pk == again.pk and again.started_on == date(2025, 1, 1)
