"""FSRS spaced repetition: the only module that imports `fsrs`.

A ReviewCard row mirrors an fsrs.Card; these helpers copy between the two, map the
learner's grade to an FSRS rating and read how likely the learner is to recall a card.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import fsrs

from mastery.models import Grade, ReviewCard

# Fuzzing spreads due dates randomly to avoid review pile-ups; we switch it off so that
# the same history always gives the same schedule (tests, and explanations to learners).
SCHEDULER = fsrs.Scheduler(desired_retention=0.9, enable_fuzzing=False)

# A correct multiple-choice answer given this fast (prompt to answer) counts as Easy:
# recognising the right option at a glance is strong evidence of recall.
FAST_CHOICE_MS = 8_000


def card_from_model(rc: ReviewCard) -> fsrs.Card:
    """The fsrs.Card for a stored card; a card never reviewed starts at the first learning step."""
    never_reviewed = rc.last_review is None
    return fsrs.Card(
        # A fixed id: fsrs would otherwise derive one from the clock (and sleep to keep it unique).
        card_id=rc.pk or 0,
        state=fsrs.State(rc.state),
        step=0 if never_reviewed and rc.step is None else rc.step,
        stability=rc.stability,
        difficulty=rc.difficulty,
        due=_aware(rc.due),
        last_review=_aware(rc.last_review) if rc.last_review else None,
    )


def card_apply(rc: ReviewCard, card: fsrs.Card) -> None:
    """Copy a reviewed fsrs.Card back onto the stored card (not saved)."""
    rc.state = ReviewCard.State(int(card.state))
    rc.step = card.step
    rc.stability = card.stability
    rc.difficulty = card.difficulty
    rc.due = card.due
    rc.last_review = card.last_review


def rating_for(grade: int) -> fsrs.Rating:
    """The FSRS rating of a self-grade 1-4 (Again, Hard, Good, Easy); ValueError otherwise."""
    return fsrs.Rating(Grade(grade).value)


def grade_for_choice(is_correct: bool, think_ms: int | None) -> Grade:
    """The grade a multiple-choice answer stands for.

    Wrong is Again (the learner did not recall it). Right is Good, or Easy when it came
    within FAST_CHOICE_MS; never Hard, because a right answer carries no sign of effort
    the way a self-grade does. Unknown timing counts as Good.
    """
    if not is_correct:
        return Grade.AGAIN
    if think_ms is not None and think_ms <= FAST_CHOICE_MS:
        return Grade.EASY
    return Grade.GOOD


def grade_for_key_points(recalled: int, total: int) -> Grade:
    """The grade a key-point checklist stands for: the share of points the learner ticked.

    Every point: Good. At least half: Hard (it came back, with gaps). Fewer than half:
    Again. Never Easy: a checklist measures coverage, not ease, and an all-ticked list is
    the cheapest claim to make, so it earns the ordinary grade.
    """
    if total <= 0:
        raise ValueError("A checklist needs at least one key point.")
    recalled = max(0, min(recalled, total))
    if recalled == total:
        return Grade.GOOD
    if 2 * recalled >= total:
        return Grade.HARD
    return Grade.AGAIN


def review(rc: ReviewCard, grade: int, now: datetime) -> None:
    """Apply one review to the stored card in place (counts included; not saved)."""
    was_reviewed = rc.last_review is not None
    card, _log = SCHEDULER.review_card(card_from_model(rc), rating_for(grade), review_datetime=_aware(now))
    card_apply(rc, card)
    rc.reps += 1
    if was_reviewed and grade == Grade.AGAIN:
        rc.lapses += 1


def retrievability(rc: ReviewCard, now: datetime) -> float:
    """Probability (0 to 1) that the learner recalls the card now; 0 for a card never reviewed."""
    if rc.last_review is None or rc.stability is None:
        return 0.0
    return float(SCHEDULER.get_card_retrievability(card_from_model(rc), current_datetime=_aware(now)))


def forecast(cards: Sequence[ReviewCard], moments: Sequence[datetime]) -> list[list[float]]:
    """Retrievability of each reviewed card at each moment (rows follow `moments`).

    Converts each card to an fsrs.Card once: the dashboard asks for 31 days times every card.
    """
    converted = [
        card_from_model(rc) for rc in cards if rc.last_review is not None and rc.stability is not None
    ]
    return [
        [
            float(SCHEDULER.get_card_retrievability(card, current_datetime=_aware(moment)))
            for card in converted
        ]
        for moment in moments
    ]


def retrievability_many(cards: Iterable[ReviewCard], now: datetime) -> dict[int, float]:
    """Question id → retrievability now, for the given cards of one learner."""
    return {rc.question_id: retrievability(rc, now) for rc in cards}


def recall_percent(value: float) -> int:
    """A recall probability as the whole percent a learner reads: rounded down, at most 99.

    Rounding to nearest would print 100 % for any card reviewed in the last hour, a
    fresh miss included; a prediction is never a certainty, so the display never says so.
    """
    return min(int(max(value, 0.0) * 100), 99)


def interval_phrase(due: datetime, now: datetime) -> str:
    """How far away a due date is, in words a learner reads at a glance ("in 3 days")."""
    delta = _aware(due) - _aware(now)
    if delta <= timedelta(0):
        return "now"
    minutes = round(delta.total_seconds() / 60)
    if minutes < 60:
        return f"in {max(minutes, 1)} minute{'s' if max(minutes, 1) != 1 else ''}"
    hours = round(delta.total_seconds() / 3600)
    if hours < 24:
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    days = round(delta.total_seconds() / 86400)
    return f"in {days} day{'s' if days != 1 else ''}"


def _aware(moment: datetime) -> datetime:
    # fsrs compares with timezone-aware UTC datetimes and rejects naive ones.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
