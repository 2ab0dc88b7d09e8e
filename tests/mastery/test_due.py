"""One definition of "due" (dashboard, Review, recall days, digests); learner-local days; the streak card."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.days import day_end, day_start, local_date
from accounts.services import profile_for
from courses.models import Course
from mastery import progress, scheduling
from mastery.models import Attempt, Grade, ReviewCard
from mastery.progress import mastery_recompute
from mastery.queries import ConceptCell, attempt_days
from mastery.services import recall_day_queue
from tests.factories import (
    AttemptFactory,
    ConceptFactory,
    QuestionFactory,
    ReviewCardFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("mastery:dashboard")
REVIEW = reverse("mastery:review")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _later_today(learner: User) -> datetime:
    """A moment after now that is still the learner's local today."""
    tz = profile_for(learner).tz
    now = timezone.now()
    return now + (day_end(local_date(now, tz), tz) - now) / 2


def test_cards_due_later_today_are_due_on_the_dashboard_and_in_review(
    student_client: Client, student: User
) -> None:
    """The bug this fixes: "4 due today" on the dashboard, "Nothing due" on the Review page."""
    for _ in range(4):
        ReviewCardFactory(
            learner=student,
            state=ReviewCard.State.REVIEW,
            due=_later_today(student),
            last_review=timezone.now() - timedelta(days=5),
        )

    dashboard = student_client.get(DASHBOARD).content.decode()
    review = student_client.get(REVIEW).content.decode()

    assert '<p class="stat-value" data-testid="due-today">4</p>' in dashboard
    assert "1 of 4 due today" in review
    assert "Nothing due" not in review and "Session done" not in review


def test_a_card_in_learning_steps_is_due_only_when_its_time_comes(
    student_client: Client, student: User
) -> None:
    # Just missed: back in ten minutes. Not "due today" yet, on any page.
    card = ReviewCardFactory(
        learner=student,
        state=ReviewCard.State.RELEARNING,
        due=timezone.now() + timedelta(minutes=10),
        last_review=timezone.now(),
    )

    dashboard = student_client.get(DASHBOARD).content.decode()
    review = student_client.get(REVIEW).content.decode()
    assert '<p class="stat-value" data-testid="due-today">0</p>' in dashboard
    assert "Nothing due" in review and "Next card due in 10 minutes" in review

    # Its time comes: the card is saved as a write would (a kept dashboard or queue then goes).
    card.due = timezone.now() - timedelta(seconds=1)
    card.save(update_fields=["due"])
    assert (
        '<p class="stat-value" data-testid="due-today">1</p>'
        in student_client.get(DASHBOARD).content.decode()
    )
    assert "1 of 1 due today" in student_client.get(REVIEW).content.decode()


def test_recall_days_and_the_digest_queue_use_the_same_due_cards(student: User) -> None:
    now = timezone.now()
    tz = profile_for(student).tz
    due = [
        ReviewCardFactory(learner=student, state=ReviewCard.State.REVIEW, due=_later_today(student)),
        ReviewCardFactory(learner=student, state=ReviewCard.State.LEARNING, due=now - timedelta(minutes=1)),
    ]
    ReviewCardFactory(learner=student, state=ReviewCard.State.LEARNING, due=now + timedelta(minutes=30))
    ReviewCardFactory(learner=student, state=ReviewCard.State.REVIEW, due=now + timedelta(days=3))

    rule = set(ReviewCard.objects.due_for(student, now, tz).values_list("question_id", flat=True))
    queue = recall_day_queue(learner=student, for_date=local_date(now, tz))

    assert rule == {card.question_id for card in due}
    assert {entry.question.pk for entry in queue.due} == rule


def test_tomorrows_queue_counts_what_is_due_tomorrow(student: User) -> None:
    tz = profile_for(student).tz
    tomorrow = local_date(timezone.now(), tz) + timedelta(days=1)
    inside = ReviewCardFactory(
        learner=student, state=ReviewCard.State.REVIEW, due=day_start(tomorrow, tz) + timedelta(hours=20)
    )
    ReviewCardFactory(learner=student, state=ReviewCard.State.REVIEW, due=day_end(tomorrow, tz))

    queue = recall_day_queue(learner=student, for_date=tomorrow)

    assert [entry.question.pk for entry in queue.due] == [inside.question_id]


# --- Local days ---------------------------------------------------------------------------


def test_midnight_utc_does_not_split_a_tokyo_learners_day() -> None:
    before = datetime(2025, 6, 1, 23, 55, tzinfo=UTC)
    after = before + timedelta(minutes=10)

    assert local_date(before, TOKYO) == local_date(after, TOKYO)
    assert local_date(before, UTC) != local_date(after, UTC)
    assert day_start(local_date(before, TOKYO), TOKYO) <= before < day_end(local_date(after, TOKYO), TOKYO)


@pytest.mark.parametrize(("zone", "days"), [("Asia/Tokyo", 1), ("UTC", 2), ("America/New_York", 1)])
def test_levels_and_streaks_count_the_learners_days(
    student: User, monkeypatch: pytest.MonkeyPatch, zone: str, days: int
) -> None:
    profile = profile_for(student)
    profile.time_zone = zone
    profile.save()
    concept = ConceptFactory()
    question = QuestionFactory(course=concept.course)
    question.concepts.add(concept)
    before = datetime(2025, 6, 1, 23, 55, tzinfo=UTC)
    for moment in (before, before + timedelta(minutes=10)):
        AttemptFactory(learner=student, question=question, grade=Grade.GOOD, created_at=moment)
    seen: list[set] = []
    real = progress.assess

    def capture(items, **kwargs):
        items = list(items)
        seen.append({item.created_at.date() for item in items})
        return real(items, **kwargs)

    monkeypatch.setattr("mastery.progress.assess", capture)
    mastery_recompute(learner_id=student.pk, now=before + timedelta(hours=1))

    # The model counts spacing in days from created_at.date(): it gets the learner's dates.
    assert [len(dates) for dates in seen] == [days]
    assert (
        len(attempt_days(student, local_date(before + timedelta(minutes=10), profile.tz), profile.tz)) == days
    )


# --- Streak card and recall display -------------------------------------------------------


def test_streak_card_knows_the_learner_answered_today(student_client: Client, student: User) -> None:
    before = student_client.get(DASHBOARD).content.decode()
    assert "Answer one question to start a streak." in before

    AttemptFactory(learner=student, question=QuestionFactory(), grade=Grade.GOOD, created_at=timezone.now())
    after = student_client.get(DASHBOARD).content.decode()

    assert "You answered today" in after
    assert "Answer something today" not in after and "Answer one question" not in after


def test_streak_card_asks_for_today_when_only_yesterday_counts(student_client: Client, student: User) -> None:
    yesterday = timezone.now() - timedelta(days=1)
    AttemptFactory(learner=student, question=QuestionFactory(), grade=Grade.GOOD, created_at=yesterday)

    html = student_client.get(DASHBOARD).content.decode()

    assert "Answer something today to keep it going." in html


def test_recall_is_never_shown_as_100_percent_right_after_a_miss(student: User) -> None:
    now = timezone.now()
    card = ReviewCardFactory(learner=student, last_review=now - timedelta(days=10), due=now)
    scheduling.review(card, Grade.AGAIN, now)
    value = scheduling.retrievability(card, now + timedelta(minutes=1))

    cell = ConceptCell(concept=ConceptFactory(), level=1, target=None, retrievability=value)

    assert cell.retrievability_percent is not None and cell.retrievability_percent < 100
    assert scheduling.recall_percent(1.0) == 99
    assert scheduling.recall_percent(0.996) == 99
    assert scheduling.recall_percent(0.5) == 50
    assert scheduling.recall_percent(0.0) == 0
    assert Attempt.objects.count() == 0


def test_cards_of_a_course_taken_offline_are_not_due_anywhere(student_client: Client, student: User) -> None:
    hidden = ReviewCardFactory(
        learner=student, state=ReviewCard.State.REVIEW, due=timezone.now() - timedelta(hours=1)
    )
    Course.objects.filter(pk=hidden.question.course_id).update(is_published=False)

    dashboard = student_client.get(DASHBOARD).content.decode()
    review = student_client.get(REVIEW).content.decode()

    # Counted but unanswerable, the card used to loop: "not in your reviews any more" forever.
    assert '<p class="stat-value" data-testid="due-today">0</p>' in dashboard
    assert "Nothing due" in review


def test_pages_kept_for_the_learner_count_a_card_whose_time_came_without_any_write(
    student_client: Client, student: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard and the Review queue are kept for the learner (accounts/learner_cache.py)
    until their next write or the moment a card falls due, whichever is first."""
    start = timezone.now()
    ReviewCardFactory(
        learner=student,
        state=ReviewCard.State.RELEARNING,
        due=start + timedelta(minutes=10),
        last_review=start,
    )
    assert (
        '<p class="stat-value" data-testid="due-today">0</p>'
        in student_client.get(DASHBOARD).content.decode()
    )
    assert "Nothing due" in student_client.get(REVIEW).content.decode()

    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=11))
    assert (
        '<p class="stat-value" data-testid="due-today">1</p>'
        in student_client.get(DASHBOARD).content.decode()
    )
    assert "1 of 1 due today" in student_client.get(REVIEW).content.decode()
