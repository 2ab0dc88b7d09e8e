"""mastery.scheduling: the bridge between ReviewCard rows and fsrs."""

from __future__ import annotations

import math
import random
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


# --- Exact elapsed time, same-day reviews, per-course models ------------------------------


def test_retrievability_uses_exact_elapsed_time_not_whole_days() -> None:
    rc = ReviewCard(
        learner_id=1, question_id=1, state=ReviewCard.State.REVIEW, stability=2.0, last_review=NOW
    )

    hours = [scheduling.retrievability(rc, NOW + timedelta(hours=h)) for h in (25, 36, 47)]

    # fsrs's own reader counts whole days: every moment between 24 h and 48 h reads the same.
    whole_days = {
        scheduling.SCHEDULER.get_card_retrievability(scheduling.card_from_model(rc), NOW + timedelta(hours=h))
        for h in (25, 36, 47)
    }
    assert len(whole_days) == 1
    assert hours[0] > hours[1] > hours[2]
    # At t = S the FSRS-6 curve reads 90 % by construction, whatever the decay.
    assert scheduling.retrievability(rc, NOW + timedelta(days=2)) == pytest.approx(0.9)


def test_a_miss_minutes_ago_does_not_read_as_certain_recall() -> None:
    rc = new_card()
    scheduling.review(rc, Grade.GOOD, NOW - timedelta(days=5))
    scheduling.review(rc, Grade.AGAIN, NOW)

    after_miss = scheduling.retrievability(rc, NOW + timedelta(minutes=10))

    assert rc.last_grade == Grade.AGAIN
    assert after_miss < 0.9
    # The fsrs reader said 100 % here: zero whole days since the review.
    assert (
        scheduling.SCHEDULER.get_card_retrievability(
            scheduling.card_from_model(rc), NOW + timedelta(minutes=10)
        )
        == 1
    )


def test_same_day_reviews_move_stability_by_the_short_term_rule() -> None:
    rc = new_card()
    scheduling.review(rc, Grade.GOOD, NOW)
    before = rc.stability

    scheduling.review(rc, Grade.GOOD, NOW + timedelta(minutes=10))

    model = scheduling.DEFAULT_MODEL
    w = model.parameters
    expected = before * max(1.0, math.exp(w[17] * (3 - 3 + w[18])) * before ** -w[19])
    assert rc.stability == pytest.approx(expected)


def test_memory_model_falls_back_on_malformed_settings() -> None:
    assert scheduling.memory_model(None) == scheduling.DEFAULT_MODEL
    assert scheduling.memory_model([1.0, 2.0]).parameters == scheduling.DEFAULT_PARAMETERS
    assert scheduling.memory_model(None, 0.5).desired_retention == 0.70
    assert scheduling.memory_model(None, 0.99).desired_retention == 0.97
    stored: dict = {"1": 0.3, "bogus": 5, "3": "x", "log_minutes": float("nan")}  # JSON from the database
    model = scheduling.memory_model(None, 0.8, stored)
    assert model.same_day["1"] == 0.3 and "bogus" not in model.same_day
    assert model.same_day["3"] == scheduling.DEFAULT_SAME_DAY["3"]
    assert model.same_day["log_minutes"] == scheduling.DEFAULT_SAME_DAY["log_minutes"]


def test_a_course_model_schedules_with_its_own_parameters_and_retention() -> None:
    strict = scheduling.memory_model(None, 0.97)
    lax = scheduling.memory_model(None, 0.75)
    a, b = new_card(), new_card()
    for rc, model in ((a, strict), (b, lax)):
        scheduling.review(rc, Grade.GOOD, NOW, model)
        scheduling.review(rc, Grade.GOOD, rc.due, model)
        scheduling.review(rc, Grade.GOOD, rc.due, model)

    assert a.due - a.last_review < b.due - b.last_review


def _history(seed: int, cards: int) -> list[list[tuple[datetime, int]]]:
    rng = random.Random(seed)
    histories = []
    for _ in range(cards):
        at, history = NOW, []
        for _ in range(8):
            history.append((at, 1 if rng.random() < 0.25 else 3))
            at += timedelta(days=rng.choice([0.01, 1, 2, 4, 8]))
        histories.append(history)
    return histories


def test_fit_keeps_the_defaults_until_enough_reviews() -> None:
    result = scheduling.fit(_history(1, 5), desired_retention=0.85)

    assert not result.fitted and result.reviews < scheduling.MIN_FIT_REVIEWS
    assert result.model.parameters == scheduling.DEFAULT_PARAMETERS
    assert result.model.desired_retention == 0.85


def test_fit_moves_the_parameters_once_there_are_enough_reviews() -> None:
    result = scheduling.fit(_history(2, 120))

    assert result.fitted and result.reviews >= scheduling.MIN_FIT_REVIEWS
    assert len(result.model.parameters) == 21
    assert result.model.parameters != scheduling.DEFAULT_PARAMETERS
    assert set(result.model.same_day) == set(scheduling.DEFAULT_SAME_DAY)
