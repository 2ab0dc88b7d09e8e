"""attempt_record and the other small writes: idempotency, FSRS, cram, validation, on-commit enqueue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from lessons.models import Lesson
from mastery import pending, tasks
from mastery.models import Attempt, ConceptMastery, Grade, LessonRead, Mode, ReviewCard
from mastery.services import (
    AttemptInvalid,
    attempt_record,
    attempt_saved_message,
    lesson_mark_read,
    review_queue,
)
from quizzes.models import Option, Question
from tests.factories import (
    ConceptFactory,
    LessonFactory,
    OptionFactory,
    QuestionFactory,
    ReviewCardFactory,
    enqueued,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def rev_free() -> Question:
    question = QuestionFactory()
    question.concepts.add(ConceptFactory(course=question.course), ConceptFactory(course=question.course))
    return question


@pytest.fixture
def rev_choice() -> Question:
    question = QuestionFactory(kind=Question.Kind.CHOICE)
    OptionFactory(question=question, text="right", is_correct=True, order=0)
    OptionFactory(question=question, text="wrong", order=1)
    return question


@pytest.fixture
def rev_delay(monkeypatch: pytest.MonkeyPatch) -> mock.Mock:
    send = mock.Mock()
    monkeypatch.setattr(tasks.recompute_pending, "apply_async", send)
    return send


def _option(question: Question, text: str) -> Option:
    return question.options.get(text=text)


def test_same_key_twice_records_one_attempt_and_reviews_once(
    student: User, rev_free: Question, rev_delay: mock.Mock
) -> None:
    first, created = attempt_record(
        learner=student, question=rev_free, key="k1", mode=Mode.STUDY, grade=Grade.GOOD, now=NOW
    )
    card = ReviewCard.objects.get(learner=student, question=rev_free)
    again, created_again = attempt_record(
        learner=student, question=rev_free, key="k1", mode=Mode.STUDY, grade=Grade.EASY, now=NOW
    )

    assert created and not created_again
    assert again.pk == first.pk and again.grade == Grade.GOOD
    assert Attempt.objects.filter(learner=student).count() == 1
    card_after = ReviewCard.objects.get(pk=card.pk)
    assert card_after.reps == 1 and card_after.due == card.due


def test_a_concurrent_twin_is_caught_by_the_constraint(student: User, rev_free: Question) -> None:
    # The twin inserted its row between our lookup and our insert.
    twin = Attempt.objects.create(learner=student, question=rev_free, key="race", grade=Grade.HARD)
    with mock.patch("mastery.services.Attempt.objects.filter") as lookup:
        lookup.return_value.first.return_value = None
        attempt, created = attempt_record(
            learner=student, question=rev_free, key="race", mode=Mode.STUDY, grade=Grade.GOOD
        )

    assert not created and attempt.pk == twin.pk
    assert not ReviewCard.objects.filter(learner=student).exists()


@pytest.mark.parametrize("mode", [Mode.STUDY, Mode.REVIEW])
def test_study_and_review_move_the_card(student: User, rev_free: Question, mode: Mode) -> None:
    attempt, _ = attempt_record(
        learner=student, question=rev_free, key="k", mode=mode, grade=Grade.GOOD, now=NOW
    )

    card = ReviewCard.objects.get(learner=student, question=rev_free)
    assert card.last_review == NOW and card.due > NOW and card.reps == 1
    assert attempt.mode == mode and attempt.is_correct is True
    assert attempt_saved_message(attempt=attempt, now=NOW).startswith("Saved — next review in ")


def test_cram_never_touches_the_card(student: User, rev_free: Question) -> None:
    attempt, _ = attempt_record(
        learner=student, question=rev_free, key="c0", mode=Mode.CRAM, grade=Grade.EASY
    )
    assert not ReviewCard.objects.filter(learner=student).exists()

    attempt_record(learner=student, question=rev_free, key="s", mode=Mode.STUDY, grade=Grade.GOOD, now=NOW)
    before = ReviewCard.objects.get(learner=student)
    attempt_record(learner=student, question=rev_free, key="c1", mode=Mode.CRAM, grade=Grade.AGAIN, now=NOW)
    after = ReviewCard.objects.get(learner=student)

    assert (after.due, after.reps, after.stability, after.lapses) == (
        before.due,
        before.reps,
        before.stability,
        before.lapses,
    )
    assert Attempt.objects.filter(learner=student, mode=Mode.CRAM).count() == 2
    assert attempt_saved_message(attempt=attempt, now=NOW) == "Cram: not scheduled"


def test_choice_correctness_is_computed_from_the_option(student: User, rev_choice: Question) -> None:
    wrong, _ = attempt_record(
        learner=student, question=rev_choice, key="w", mode=Mode.STUDY, option=_option(rev_choice, "wrong")
    )
    right, _ = attempt_record(
        learner=student, question=rev_choice, key="r", mode=Mode.STUDY, option=_option(rev_choice, "right")
    )

    assert wrong.is_correct is False and right.is_correct is True
    assert wrong.grade is None and right.option == _option(rev_choice, "right")
    assert ReviewCard.objects.get(learner=student).reps == 2


def test_again_counts_as_wrong_for_free_recall(student: User, rev_free: Question) -> None:
    attempt, _ = attempt_record(
        learner=student, question=rev_free, key="a", mode=Mode.STUDY, grade=Grade.AGAIN
    )

    assert attempt.is_correct is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Again, Hard, Good or Easy"),
        ({"grade": 7}, "Again, Hard, Good or Easy"),
        ({"grade": Grade.GOOD, "option": "other"}, "self-graded"),
    ],
)
def test_free_recall_needs_a_grade(
    student: User, rev_free: Question, rev_choice: Question, kwargs, message
) -> None:
    if kwargs.get("option") == "other":
        kwargs = {**kwargs, "option": _option(rev_choice, "right")}

    with pytest.raises(AttemptInvalid, match=message):
        attempt_record(learner=student, question=rev_free, key="x", mode=Mode.STUDY, **kwargs)
    assert not Attempt.objects.exists()


def test_choice_needs_its_own_option(student: User, rev_choice: Question) -> None:
    foreign = OptionFactory(question=QuestionFactory(kind=Question.Kind.CHOICE), is_correct=True)

    with pytest.raises(AttemptInvalid, match="does not belong"):
        attempt_record(learner=student, question=rev_choice, key="x", mode=Mode.STUDY, option=foreign)
    with pytest.raises(AttemptInvalid, match="marked for you"):
        attempt_record(learner=student, question=rev_choice, key="y", mode=Mode.STUDY, grade=Grade.GOOD)
    assert not Attempt.objects.exists()


def test_on_commit_enqueues_the_recompute_exactly_once(
    student: User, rev_free: Question, rev_delay: mock.Mock, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attempt_record(learner=student, question=rev_free, key="k", mode=Mode.STUDY, grade=Grade.GOOD)
        attempt_record(learner=student, question=rev_free, key="k", mode=Mode.STUDY, grade=Grade.GOOD)

    assert len(enqueued(callbacks)) == 1
    concept_ids = set(rev_free.concepts.values_list("pk", flat=True))
    rev_delay.assert_called_once_with((student.pk,), countdown=pending.DELAY_S)
    assert pending.take(student.pk) == concept_ids


def test_answers_while_a_recompute_waits_join_it(
    student: User, rev_free: Question, rev_delay: mock.Mock, django_capture_on_commit_callbacks
) -> None:
    other = QuestionFactory(course=rev_free.course)
    other.concepts.add(ConceptFactory(course=rev_free.course))
    with django_capture_on_commit_callbacks(execute=True):
        attempt_record(learner=student, question=rev_free, key="a", mode=Mode.STUDY, grade=Grade.GOOD)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_record(learner=student, question=other, key="b", mode=Mode.STUDY, grade=Grade.GOOD)

    # One task for both answers, which takes the concepts of both.
    rev_delay.assert_called_once()
    both = set(rev_free.concepts.values_list("pk", flat=True)) | set(
        other.concepts.values_list("pk", flat=True)
    )
    assert pending.take(student.pk) == both
    # Once it has taken them, the next answer queues the next task, with only its own concepts.
    with django_capture_on_commit_callbacks(execute=True):
        attempt_record(learner=student, question=other, key="c", mode=Mode.STUDY, grade=Grade.GOOD)
    assert rev_delay.call_count == 2
    assert pending.take(student.pk) == set(other.concepts.values_list("pk", flat=True))


def test_another_learners_recompute_waiting_does_not_hold_back_this_ones(
    student: User,
    outsider: User,
    rev_free: Question,
    rev_delay: mock.Mock,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        attempt_record(learner=outsider, question=rev_free, key="o", mode=Mode.STUDY, grade=Grade.GOOD)
        attempt_record(learner=student, question=rev_free, key="s", mode=Mode.STUDY, grade=Grade.GOOD)

    assert [c.args[0] for c in rev_delay.call_args_list] == [(outsider.pk,), (student.pk,)]


def test_cram_also_enqueues_the_recompute(
    student: User, rev_free: Question, rev_delay: mock.Mock, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        attempt_record(learner=student, question=rev_free, key="k", mode=Mode.CRAM, grade=Grade.GOOD)

    rev_delay.assert_called_once()


def test_a_rolled_back_transaction_enqueues_nothing(
    student: User, rev_free: Question, rev_delay: mock.Mock, django_capture_on_commit_callbacks
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        attempt_record(learner=student, question=rev_free, key="k", mode=Mode.STUDY, grade=Grade.GOOD)
        raise RuntimeError("something later in the request failed")

    assert enqueued(callbacks) == []
    rev_delay.assert_not_called()
    assert not Attempt.objects.exists() and not ReviewCard.objects.exists()


def test_review_queue_is_the_learners_due_cards_most_overdue_first(student: User, outsider: User) -> None:
    late = ReviewCardFactory(learner=student, due=NOW - timedelta(days=3))
    later = ReviewCardFactory(learner=student, due=NOW - timedelta(days=5))
    ReviewCardFactory(learner=student, due=NOW + timedelta(days=1))
    ReviewCardFactory(learner=outsider, due=NOW - timedelta(days=9))

    assert review_queue(learner=student, now=NOW, tz=UTC, limit=10) == [later, late]
    assert review_queue(learner=student, now=NOW, tz=UTC, limit=1) == [later]


def test_review_queue_puts_the_weakest_concept_first(
    student: User, outsider: User, django_assert_num_queries
) -> None:
    strong_q, weak_q, fresh_q = QuestionFactory(), QuestionFactory(), QuestionFactory()
    for question, knowledge, stability in ((strong_q, 0.95, 60.0), (weak_q, 0.6, 1.0)):
        concept = ConceptFactory(course=question.course)
        question.concepts.add(concept)
        ConceptMastery.objects.create(
            learner=student,
            concept=concept,
            knowledge=knowledge,
            stability=stability,
            memory_at=NOW - timedelta(days=2),
        )
        # Someone else's weak trace on the same concept does not move the student's order.
        ConceptMastery.objects.create(learner=outsider, concept=concept, knowledge=0.0, memory_at=NOW)
    strong = ReviewCardFactory(learner=student, question=strong_q, due=NOW - timedelta(days=9))
    weak = ReviewCardFactory(learner=student, question=weak_q, due=NOW - timedelta(days=1))
    unassessed = ReviewCardFactory(learner=student, question=fresh_q, due=NOW - timedelta(hours=1))

    # due ids, the learner's concept traces, the chosen cards with relations, their options
    with django_assert_num_queries(4):
        queue = review_queue(learner=student, now=NOW, tz=UTC, limit=10)

    assert queue == [unassessed, weak, strong]


def test_lesson_mark_read_keeps_the_first_date(student: User) -> None:
    lesson: Lesson = LessonFactory()

    first = lesson_mark_read(learner=student, lesson=lesson, now=NOW)
    second = lesson_mark_read(learner=student, lesson=lesson, now=NOW + timedelta(days=2))

    assert first.pk == second.pk and second.read_at == NOW
    assert LessonRead.objects.count() == 1


def test_broker_down_still_records_the_attempt(
    student: User, rev_free: Question, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    send = mock.Mock(side_effect=ConnectionError("no broker"))
    monkeypatch.setattr(tasks.recompute_pending, "apply_async", send)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attempt, created = attempt_record(
            learner=student, question=rev_free, key="down", mode=Mode.STUDY, grade=Grade.GOOD, now=NOW
        )
    assert created and len(enqueued(callbacks)) == 1
    assert Attempt.objects.filter(pk=attempt.pk).exists()
    assert ReviewCard.objects.filter(learner=student, question=rev_free).exists()
    # Nothing waits for the task that could not be sent: the next answer tries to queue one again.
    with django_capture_on_commit_callbacks(execute=True):
        attempt_record(learner=student, question=rev_free, key="again", mode=Mode.STUDY, grade=Grade.GOOD)
    assert send.call_count == 2


def test_an_integrity_error_that_is_not_the_key_is_raised(student: User, rev_free: Question) -> None:
    # Only a twin's key hands back an attempt; any other constraint failure is the caller's to see.
    with (
        mock.patch("mastery.services.Attempt.objects.create", side_effect=IntegrityError("other")),
        pytest.raises(IntegrityError, match="other"),
    ):
        attempt_record(learner=student, question=rev_free, key="k", mode=Mode.STUDY, grade=Grade.GOOD)

    assert not Attempt.objects.exists() and not ReviewCard.objects.exists()
