"""Nightly queues and morning digests, run through the Celery tasks twice: same state, one email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from accounts.services import profile_for
from mastery import tasks
from mastery.models import DigestLog, QueueItem, RecallEnrollment
from mastery.services import digest_send_all
from tests.factories import (
    QuestionFactory,
    RecallDayFactory,
    RecallPlanFactory,
    RecallPromptFactory,
    ReviewCardFactory,
)

pytestmark = pytest.mark.django_db


def _due_card(learner: User, now: datetime) -> None:
    ReviewCardFactory(
        learner=learner,
        question=QuestionFactory(prompt_md="What is DIGEST-PROMPT?"),
        due=now - timedelta(hours=2),
        last_review=now - timedelta(days=4),
    )


def _morning(tz_name: str) -> datetime:
    """07:30 in the given zone on one fixed UTC date (so the test does not depend on the hour it runs)."""
    import zoneinfo

    day = timezone.now().astimezone(UTC).date()
    local = datetime(day.year, day.month, day.day, 7, 30, tzinfo=zoneinfo.ZoneInfo(tz_name))
    return local.astimezone(UTC)


def test_prepare_recall_queues_task_twice_gives_the_same_rows(student: User, outsider: User) -> None:
    plan = RecallPlanFactory()
    for d in range(2):
        day = RecallDayFactory(plan=plan, order=d)
        RecallPromptFactory(day=day, question=QuestionFactory(course=plan.course), order=0)
    RecallEnrollment.objects.create(learner=student, plan=plan, started_on=profile_for(student).local_today())
    _due_card(outsider, timezone.now())

    def state() -> list[tuple[int, str, int, int, str]]:
        return list(
            QueueItem.objects.order_by("learner", "for_date", "position").values_list(
                "learner_id", "for_date", "position", "question_id", "reason"
            )
        )

    tasks.prepare_recall_queues.apply().get()
    first = state()
    tasks.prepare_recall_queues.apply().get()

    assert state() == first
    tomorrow = profile_for(student).local_today() + timedelta(days=1)
    assert [(row[1], row[4]) for row in first if row[0] == student.pk] == [
        (tomorrow, "today"),
        (tomorrow, "catch_up"),
    ]
    assert [row[4] for row in first if row[0] == outsider.pk] == ["due"]


def test_digest_twice_sends_one_email_per_learner(student: User, outsider: User) -> None:
    now = _morning("UTC")
    for learner in (student, outsider):
        _due_card(learner, now)

    assert digest_send_all(now=now) == 2
    assert digest_send_all(now=now) == 0

    assert sorted(m.to[0] for m in mail.outbox) == [outsider.email, student.email]
    assert DigestLog.objects.count() == 2
    body = next(m for m in mail.outbox if m.to == [student.email]).body
    assert "DIGEST-PROMPT" in body and "/review/" in body


def test_digest_task_run_twice_is_one_email(student: User, monkeypatch: pytest.MonkeyPatch) -> None:
    now = _morning("UTC")
    _due_card(student, now)
    monkeypatch.setattr("mastery.services.timezone.now", lambda: now)

    tasks.send_daily_digests.apply().get()
    tasks.send_daily_digests.apply().get()

    assert len(mail.outbox) == 1
    assert DigestLog.objects.get(learner=student).due_count == 1


def test_digest_waits_for_the_learners_morning(student: User) -> None:
    profile = profile_for(student)
    profile.time_zone = "America/New_York"
    profile.save()
    now = _morning("UTC").replace(hour=8)  # 03:00 or 04:00 in New York
    _due_card(student, now)

    assert digest_send_all(now=now) == 0
    assert digest_send_all(now=_morning("America/New_York")) == 1


def test_no_digest_when_disabled_or_nothing_due(student: User, outsider: User) -> None:
    now = _morning("UTC")
    profile = profile_for(student)
    profile.digest_enabled = False
    profile.save()
    _due_card(student, now)
    ReviewCardFactory(learner=outsider, due=now + timedelta(days=3), last_review=now - timedelta(days=1))

    assert digest_send_all(now=now) == 0
    assert mail.outbox == []
    assert not DigestLog.objects.exists()


def test_digest_uses_the_prepared_queue(student: User) -> None:
    now = _morning("UTC")
    question = QuestionFactory(prompt_md="QUEUED-PROMPT")
    QueueItem.objects.create(
        learner=student, question=question, for_date=now.date(), position=0, reason=QueueItem.Reason.TODAY
    )
    ReviewCardFactory(learner=student, question=question, due=now + timedelta(days=2), last_review=now)

    assert digest_send_all(now=now) == 1
    assert "QUEUED-PROMPT" in mail.outbox[0].body
    assert "1 new prompt" in mail.outbox[0].body
