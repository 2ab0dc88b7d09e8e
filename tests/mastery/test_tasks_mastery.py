"""The mastery Celery tasks: thin, idempotent (run twice), retried with a bound, enqueued on commit only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, transaction
from django.utils import timezone

from lessons.models import Depth
from mastery import pending, tasks
from mastery.models import Attempt, ConceptMastery, Grade, Level, Mode
from mastery.services import attempt_record
from tests.factories import (
    AttemptFactory,
    ConceptFactory,
    ConceptIndexEntryFactory,
    QuestionFactory,
    ReviewCardFactory,
    enqueued,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mast_question(student: User):
    concept = ConceptFactory()
    ConceptIndexEntryFactory(concept=concept, depth=Depth.INTRODUCED)
    question = QuestionFactory(course=concept.course, depth=Depth.INTRODUCED)
    question.concepts.add(concept)
    return question


def rows() -> list[tuple]:
    return list(
        ConceptMastery.objects.order_by("learner_id", "concept_id").values_list(
            "learner_id", "concept_id", "level", "evidence", "attempts_count"
        )
    )


def test_recompute_twice_gives_the_same_rows(student: User, mast_question) -> None:
    AttemptFactory(learner=student, question=mast_question, grade=Grade.GOOD)
    concept_ids = list(mast_question.concepts.values_list("pk", flat=True))

    tasks.recompute_mastery.delay(student.pk, concept_ids)
    first = rows()
    tasks.recompute_mastery.delay(student.pk, concept_ids)

    assert first and rows() == first
    assert first[0][2] == Level.FAMILIAR


def test_nightly_decay_twice_gives_the_same_rows(student: User, outsider: User, mast_question) -> None:
    for learner in (student, outsider):
        AttemptFactory(learner=learner, question=mast_question, grade=Grade.EASY)
        ReviewCardFactory(
            learner=learner, question=mast_question, last_review=timezone.now() - timedelta(days=5)
        )
        tasks.recompute_mastery.delay(learner.pk, None)

    tasks.nightly_mastery_decay.delay()
    first = rows()
    tasks.nightly_mastery_decay.delay()

    assert len(first) == 2 and rows() == first


def test_an_attempt_enqueues_one_recompute_on_commit(
    student: User, mast_question, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attempt_record(learner=student, question=mast_question, key="k1", mode=Mode.STUDY, grade=Grade.GOOD)

    assert len(enqueued(callbacks)) == 1
    assert ConceptMastery.objects.get(learner=student).level == Level.FAMILIAR


def test_a_rolled_back_transaction_enqueues_nothing(
    student: User, mast_question, django_capture_on_commit_callbacks
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        attempt_record(learner=student, question=mast_question, key="k1", mode=Mode.STUDY, grade=Grade.GOOD)
        raise RuntimeError("the request failed after the attempt was written")

    assert enqueued(callbacks) == []
    assert not Attempt.objects.exists()
    assert not ConceptMastery.objects.exists()


def test_a_database_blip_is_retried(student: User, mast_question, monkeypatch: pytest.MonkeyPatch) -> None:
    AttemptFactory(learner=student, question=mast_question)
    real = tasks.mastery_recompute
    calls: list[int] = []

    def flaky(**kwargs: object) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseError("connection reset")
        return real(**kwargs)

    monkeypatch.setattr(tasks, "mastery_recompute", flaky)

    # throw=False: eager propagation would raise celery's Retry instead of running the retry.
    result = tasks.recompute_mastery.apply(args=(student.pk, None), throw=False)

    assert result.successful()
    assert len(calls) == 2
    assert ConceptMastery.objects.filter(learner=student).exists()


def test_retries_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def broken(*args: object) -> None:
        calls.append(1)
        raise DatabaseError("down")

    monkeypatch.setattr(tasks, "nightly_plan", broken)
    # Each eager retry is a fresh apply() that reads this setting, not the first call's throw=False.
    monkeypatch.setitem(tasks.nightly_mastery_decay.app.conf, "task_eager_propagates", False)

    result = tasks.nightly_mastery_decay.apply()

    assert result.failed() and isinstance(result.result, DatabaseError)
    assert len(calls) == tasks.nightly_mastery_decay.max_retries + 1 == 6
    assert tasks.recompute_mastery.max_retries == 5
    assert DatabaseError in tasks.recompute_mastery.autoretry_for


def test_the_pending_recompute_takes_what_answers_left_and_puts_it_back_on_a_blip(
    student: User, mast_question, monkeypatch: pytest.MonkeyPatch
) -> None:
    AttemptFactory(learner=student, question=mast_question, grade=Grade.GOOD)
    concept_ids = set(mast_question.concepts.values_list("pk", flat=True))
    assert pending.add(student.pk, concept_ids) is True
    real = tasks.mastery_recompute
    seen: list[object] = []

    def flaky(**kwargs: object) -> int:
        seen.append(kwargs["concept_ids"])
        if len(seen) == 1:
            # The concepts were taken: a second answer now queues a task of its own.
            assert pending.add(student.pk, []) is True
            raise DatabaseError("connection reset")
        return real(**kwargs)

    monkeypatch.setattr(tasks, "mastery_recompute", flaky)

    result = tasks.recompute_pending.apply(args=(student.pk,), throw=False)

    assert result.successful()
    assert seen == [sorted(concept_ids), sorted(concept_ids)]  # the retry found them put back
    assert ConceptMastery.objects.get(learner=student).level == Level.FAMILIAR
    assert pending.take(student.pk) == set()
    assert tasks.recompute_pending.max_retries == 5
    assert DatabaseError in tasks.recompute_pending.autoretry_for
