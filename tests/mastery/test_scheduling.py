"""mastery.scheduling: the bridge between ReviewCard rows and fsrs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import fsrs
import pytest

from mastery import scheduling
from mastery.models import Grade, ReviewCard

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def new_card() -> ReviewCard:
    return ReviewCard(learner_id=1, question_id=1, due=NOW)


def test_a_new_card_starts_at_the_first_learning_step() -> None:
    card = scheduling.card_from_model(new_card())

    assert card.state == fsrs.State.Learning
    assert card.step == 0
    assert card.stability is None and card.last_review is None


def test_review_moves_the_card_and_counts_it() -> None:
    rc = new_card()

    scheduling.review(rc, Grade.GOOD, NOW)

    assert rc.last_review == NOW
    assert rc.due > NOW
    assert rc.stability is not None and rc.difficulty is not None
    assert rc.reps == 1 and rc.lapses == 0


def test_round_trip_keeps_every_field() -> None:
    rc = new_card()
    scheduling.review(rc, Grade.EASY, NOW)
    card = scheduling.card_from_model(rc)
    copy = new_card()

    scheduling.card_apply(copy, card)

    assert (copy.state, copy.step, copy.stability, copy.difficulty, copy.due, copy.last_review) == (
        rc.state,
        rc.step,
        rc.stability,
        rc.difficulty,
        rc.due,
        rc.last_review,
    )


def test_better_grades_push_the_card_further_out() -> None:
    dues = {}
    for grade in Grade:
        rc = new_card()
        scheduling.review(rc, grade, NOW)
        scheduling.review(rc, grade, rc.due)
        dues[grade] = rc.due

    assert dues[Grade.AGAIN] < dues[Grade.HARD] <= dues[Grade.GOOD] < dues[Grade.EASY]


def test_forgetting_a_reviewed_card_is_a_lapse() -> None:
    rc = new_card()
    scheduling.review(rc, Grade.GOOD, NOW)
    scheduling.review(rc, Grade.GOOD, rc.due)

    scheduling.review(rc, Grade.AGAIN, rc.due + timedelta(days=1))

    assert rc.lapses == 1
    assert rc.state == ReviewCard.State.RELEARNING


def test_schedule_is_deterministic() -> None:
    a, b = new_card(), new_card()
    for rc in (a, b):
        scheduling.review(rc, Grade.GOOD, NOW)
        scheduling.review(rc, Grade.GOOD, rc.due)

    assert a.due == b.due


@pytest.mark.parametrize("grade", [0, 5, -1])
def test_rating_for_rejects_unknown_grades(grade: int) -> None:
    with pytest.raises(ValueError):
        scheduling.rating_for(grade)


def test_rating_for_maps_grades() -> None:
    assert [scheduling.rating_for(g) for g in (1, 2, 3, 4)] == list(fsrs.Rating)


def test_grade_for_choice() -> None:
    assert scheduling.grade_for_choice(False, 1000) == Grade.AGAIN
    assert scheduling.grade_for_choice(True, 1000) == Grade.EASY
    assert scheduling.grade_for_choice(True, 60_000) == Grade.GOOD
    assert scheduling.grade_for_choice(True, None) == Grade.GOOD


def test_retrievability_is_zero_before_any_review_and_falls_with_time() -> None:
    rc = new_card()
    assert scheduling.retrievability(rc, NOW) == 0.0

    scheduling.review(rc, Grade.GOOD, NOW)
    soon = scheduling.retrievability(rc, NOW + timedelta(days=1))
    later = scheduling.retrievability(rc, NOW + timedelta(days=30))

    assert 0 < later < soon <= 1
    assert scheduling.retrievability_many([rc], NOW + timedelta(days=1)) == {1: soon}


@pytest.mark.parametrize(
    ("delta", "phrase"),
    [
        (timedelta(seconds=-5), "now"),
        (timedelta(minutes=1), "in 1 minute"),
        (timedelta(minutes=10), "in 10 minutes"),
        (timedelta(hours=5), "in 5 hours"),
        (timedelta(days=1), "in 1 day"),
        (timedelta(days=3, hours=2), "in 3 days"),
    ],
)
def test_interval_phrase(delta: timedelta, phrase: str) -> None:
    assert scheduling.interval_phrase(NOW + delta, NOW) == phrase
