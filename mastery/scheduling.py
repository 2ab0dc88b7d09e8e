"""FSRS spaced repetition: the only module that imports `fsrs` (and its optimizer, `fsrs_rs_python`).

A ReviewCard row mirrors an fsrs.Card; these helpers copy between the two, map the
learner's grade to an FSRS rating, read how likely the learner is to recall a card now
(the FSRS-6 forgetting curve over exact elapsed time) and fit a course's parameters
from its review history.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import fsrs

from mastery.models import CourseMemory, Grade, ReviewCard

DEFAULT_PARAMETERS: tuple[float, ...] = tuple(float(w) for w in fsrs.Scheduler().parameters)
DEFAULT_RETENTION = 0.9

# Recall within 24 h of the last review. The FSRS-6 curve is nearly flat over minutes (a
# card failed ten minutes ago reads 99 %), and FSRS-6 itself is never asked about same-day
# reviews: its optimizer trains on reviews a day or more apart and uses same-day ones only
# to move stability (short-term stability, w17-w19). So a same-day read is a logistic in
# the last grade, the card's stability and lapses, and the minutes since, scaled by the
# curve. Defaults: fitted on the real review log (docs/learner-model.md; Hard and Easy
# never occur there and keep a guess); a fitted course replaces them.
DEFAULT_SAME_DAY: dict[str, float] = {
    "1": 2.02,
    "2": 1.6,
    "3": 3.19,
    "4": 2.8,
    "log_stability": 0.49,
    "log_minutes": -0.24,
    "difficulty": 0.0,
    "again_log_minutes": -0.09,
    "log_lapses": 0.52,
}
SAME_DAY_KEYS = tuple(DEFAULT_SAME_DAY)

# The optimizer needs enough day-apart reviews to beat the defaults; below this a course
# keeps them (Anki's own optimizer refuses fewer than a few hundred).
MIN_FIT_REVIEWS = 400
# Pseudo-reviews pulling a fitted same-day rate toward its default: a grade seen a few
# times must not swing the estimate.
SAME_DAY_PRIOR = 20

# A correct multiple-choice answer given this fast (prompt to answer) counts as Easy:
# recognising the right option at a glance is strong evidence of recall.
FAST_CHOICE_MS = 8_000

DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class MemoryModel:
    """The FSRS-6 parameters, desired retention and same-day recall rates a course schedules with."""

    parameters: tuple[float, ...] = DEFAULT_PARAMETERS
    desired_retention: float = DEFAULT_RETENTION
    same_day: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SAME_DAY))

    @property
    def decay(self) -> float:
        """The FSRS-6 curve's exponent, -w20 (fitted per course: how fast memories fade)."""
        return -self.parameters[20]

    @property
    def scheduler(self) -> fsrs.Scheduler:
        return _scheduler(self.parameters, self.desired_retention)

    def curve(self, elapsed_days: float, stability: float) -> float:
        """FSRS-6: R(t, S) = (1 + factor * t / S) ** decay, with R(S, S) = 0.9 by construction."""
        factor = 0.9 ** (1 / self.decay) - 1
        return float((1 + factor * max(0.0, elapsed_days) / stability) ** self.decay)

    def recall(
        self,
        elapsed_days: float,
        stability: float,
        last_grade: int | None = None,
        difficulty: float | None = None,
        lapses: int = 0,
    ) -> float:
        """Probability of recall `elapsed_days` after the last review (exact, fractional days)."""
        curve = self.curve(elapsed_days, stability)
        if elapsed_days < 1 and last_grade is not None:
            features = _same_day_features(last_grade, stability, elapsed_days, difficulty, lapses)
            z = sum(self.same_day[key] * x for key, x in zip(SAME_DAY_KEYS, features, strict=True))
            return curve / (1 + math.exp(-max(-30.0, min(30.0, z))))
        return curve


DEFAULT_MODEL = MemoryModel()


@lru_cache(maxsize=64)
def _scheduler(parameters: tuple[float, ...], desired_retention: float) -> fsrs.Scheduler:
    # Fuzzing spreads due dates randomly to avoid review pile-ups; we switch it off so that
    # the same history always gives the same schedule (tests, and explanations to learners).
    return fsrs.Scheduler(parameters=parameters, desired_retention=desired_retention, enable_fuzzing=False)


SCHEDULER = DEFAULT_MODEL.scheduler


def memory_model(
    parameters: Sequence[float] | None = None,
    desired_retention: float | None = None,
    same_day: Mapping[Any, float] | None = None,
) -> MemoryModel:
    """The model for stored settings (a course's); anything missing or malformed falls back to the default."""
    params = tuple(float(w) for w in parameters) if parameters else DEFAULT_PARAMETERS
    if len(params) != len(DEFAULT_PARAMETERS):
        params = DEFAULT_PARAMETERS
    retention = desired_retention if desired_retention is not None else DEFAULT_RETENTION
    rates = dict(DEFAULT_SAME_DAY)
    for key, value in (same_day or {}).items():
        if key in rates and isinstance(value, int | float) and math.isfinite(value):
            rates[key] = float(value)
    return MemoryModel(
        params, min(CourseMemory.RETENTION_MAX, max(CourseMemory.RETENTION_MIN, retention)), rates
    )


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


def grade_seen(
    *, is_choice: bool, grade: int | None, is_correct: bool | None, think_ms: int | None
) -> int | None:
    """The grade a stored attempt gave the schedule: a choice by its result, a recall by its
    self-grade; None for an attempt that carries neither (it never moved a card)."""
    if is_choice and is_correct is not None:
        return int(grade_for_choice(is_correct, think_ms))
    return int(grade) if grade is not None else None


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


def review(rc: ReviewCard, grade: int, now: datetime, model: MemoryModel = DEFAULT_MODEL) -> None:
    """Apply one review to the stored card in place (counts included; not saved).

    A review within a day of the last one moves stability by FSRS-6's short-term rule
    (the scheduler applies it); the grade is kept for the same-day recall rate.
    """
    was_reviewed = rc.last_review is not None
    card, _log = model.scheduler.review_card(
        card_from_model(rc), rating_for(grade), review_datetime=_aware(now)
    )
    card_apply(rc, card)
    rc.last_grade = int(grade)
    rc.reps += 1
    if was_reviewed and grade == Grade.AGAIN:
        rc.lapses += 1


def elapsed_days(since: datetime, now: datetime) -> float:
    """Exact elapsed time in days (fractional): fsrs's own reader rounds down to whole days."""
    return max(0.0, (_aware(now) - _aware(since)).total_seconds() / DAY_SECONDS)


def retrievability(rc: ReviewCard, now: datetime, model: MemoryModel = DEFAULT_MODEL) -> float:
    """Probability (0 to 1) that the learner recalls the card now; 0 for a card never reviewed."""
    return recall_of((rc.last_review, rc.stability, rc.last_grade, rc.difficulty, rc.lapses), now, model)


# What a card's recall needs, in this order: read with .values_list(*RECALL_FIELDS) where many
# cards are read (a model instance per card costs more than the recall itself).
RECALL_FIELDS = ("last_review", "stability", "last_grade", "difficulty", "lapses")
CardRecall = tuple[datetime | None, float | None, int | None, float | None, int]


def recall_of(card: CardRecall, now: datetime, model: MemoryModel = DEFAULT_MODEL) -> float:
    """retrievability from a card's RECALL_FIELDS values."""
    last_review, stability, last_grade, difficulty, lapses = card
    if last_review is None or not stability:
        return 0.0
    return model.recall(elapsed_days(last_review, now), stability, last_grade, difficulty, lapses)


def forecast(
    cards: Sequence[ReviewCard],
    moments: Sequence[datetime],
    models: Mapping[int, MemoryModel] | None = None,
) -> list[list[float]]:
    """Retrievability of each reviewed card at each moment (rows follow `moments`).

    `models` maps a course id to its memory model; a card annotated with `course_id`
    is read with its course's (the default otherwise).
    """
    reviewed = [rc for rc in cards if rc.last_review is not None and rc.stability]
    chosen = [(models or {}).get(getattr(rc, "course_id", 0), DEFAULT_MODEL) for rc in reviewed]
    if not moments:
        return []
    # The same numbers as retrievability(rc, moment, model), made cheap: the elapsed time is
    # read once per card and shifted by each moment's offset, and past the first day (where
    # the same-day rule no longer applies) the curve is evaluated inline. A dashboard forecast
    # is 31 moments by every reviewed card; the nightly snapshot draws one per learner.
    offsets = [(_aware(moment) - _aware(moments[0])).total_seconds() / DAY_SECONDS for moment in moments]
    rows: list[list[float]] = [[] for _ in moments]
    for rc, model in zip(reviewed, chosen, strict=True):
        stability = float(rc.stability)  # type: ignore[arg-type]
        start = elapsed_days(rc.last_review, moments[0])  # type: ignore[arg-type]
        decay = model.decay
        factor = 0.9 ** (1 / decay) - 1
        for row, offset in zip(rows, offsets, strict=True):
            elapsed = max(0.0, start + offset)
            if elapsed < 1:
                row.append(model.recall(elapsed, stability, rc.last_grade, rc.difficulty, rc.lapses))
            else:
                row.append(float((1 + factor * elapsed / stability) ** decay))
    return rows


def retrievability_many(
    cards: Iterable[ReviewCard], now: datetime, model: MemoryModel = DEFAULT_MODEL
) -> dict[int, float]:
    """Question id → retrievability now, for the given cards of one learner."""
    return {rc.question_id: retrievability(rc, now, model) for rc in cards}


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


# --- Fitting a course's parameters ---------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """What the optimizer made of a review history."""

    model: MemoryModel
    reviews: int  # day-apart reviews the parameters were trained on
    fitted: bool  # False: too few reviews, the defaults stand


Review = tuple[datetime, int]  # (when, grade 1-4)


def fit(histories: Iterable[Sequence[Review]], desired_retention: float = DEFAULT_RETENTION) -> Fit:
    """Fit FSRS-6 parameters and the same-day recall logistic to per-card review histories (time order).

    Uses fsrs-rs (`fsrs_rs_python`, a compiled wheel: no torch). Like FSRS itself, a
    review counts for training only when it comes at least a day after the previous one;
    same-day reviews feed the short-term parameters through the history they belong to,
    then train the same-day logistic, replayed through the fitted scheduler.
    """
    import fsrs_rs_python as rs  # a compiled extension: loaded only where a fit runs

    cards = [list(history) for history in histories]
    items = []
    for history in cards:
        reviews = []
        previous: datetime | None = None
        for when, grade in history:
            days = 0 if previous is None else (_aware(when).date() - _aware(previous).date()).days
            reviews.append(rs.FSRSReview(int(grade), days))
            if len(reviews) >= 2 and days > 0:
                items.append(rs.FSRSItem(list(reviews)))
            previous = when
    if len(items) < MIN_FIT_REVIEWS:
        return Fit(memory_model(None, desired_retention), len(items), False)
    parameters = rs.FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(items)
    model = memory_model(parameters, desired_retention)
    rows: list[tuple[list[float], int]] = []
    for history in cards:
        rc = ReviewCard(state=ReviewCard.State.LEARNING)
        for when, grade in history:
            if rc.last_review is not None and rc.stability and rc.last_grade is not None:
                elapsed = elapsed_days(rc.last_review, when)
                if elapsed < 1:
                    features = _same_day_features(
                        rc.last_grade, rc.stability, elapsed, rc.difficulty, rc.lapses
                    )
                    rows.append((features, int(grade > 1)))
            review(rc, grade, when, model)
    same_day = _fit_logistic(rows, [DEFAULT_SAME_DAY[key] for key in SAME_DAY_KEYS])
    return Fit(
        memory_model(parameters, desired_retention, dict(zip(SAME_DAY_KEYS, same_day, strict=True))),
        len(items),
        True,
    )


def _same_day_features(
    grade: int, stability: float, elapsed: float, difficulty: float | None, lapses: int = 0
) -> list[float]:
    """Inputs of the same-day logistic, in SAME_DAY_KEYS order (difficulty centred on FSRS's 5.5)."""
    onehot = [1.0 if int(grade) == g else 0.0 for g in (1, 2, 3, 4)]
    centred = (difficulty if difficulty is not None else 5.5) - 5.5
    minutes = math.log1p(elapsed * 1440)
    return [
        *onehot,
        math.log(max(stability, 1e-3)),
        minutes,
        centred,
        onehot[0] * minutes,
        math.log1p(lapses),
    ]


def _fit_logistic(
    rows: Sequence[tuple[list[float], int]], start: list[float], ridge: float = 1.0
) -> list[float]:
    """Newton's method for a logistic regression, pulled toward `start` (grades never seen keep it)."""
    beta = list(start)
    k = len(beta)
    for _ in range(12):
        grad = [ridge * (beta[i] - start[i]) for i in range(k)]
        hess = [[ridge if i == j else 0.0 for j in range(k)] for i in range(k)]
        for x, y in rows:
            z = sum(b * v for b, v in zip(beta, x, strict=True))
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
            for i in range(k):
                if x[i]:
                    grad[i] += (p - y) * x[i]
                    for j in range(k):
                        if x[j]:
                            hess[i][j] += p * (1 - p) * x[i] * x[j]
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return beta


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is small and positive definite)."""
    n = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col and a[col][col]:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][n] / a[i][i] if a[i][i] else 0.0 for i in range(n)]


def _aware(moment: datetime) -> datetime:
    # fsrs compares with timezone-aware UTC datetimes and rejects naive ones.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# One course's model in the shared cache, for the answer path (a graded answer needs it on
# every request). A CourseMemory save or delete forgets it (mastery/apps.py); the timeout
# bounds what a reader racing a refit's commit could keep.
MEMORY_CACHE_TIMEOUT = 600


def _memory_key(course_id: int) -> str:
    return f"course-memory:{course_id}"


def course_model(course_id: int) -> MemoryModel:
    """The memory model one course schedules with, from the shared cache (one query on a miss)."""
    from django.core.cache import cache

    model = cache.get(_memory_key(course_id))
    if model is None:
        model = course_models([course_id])[course_id]
        cache.set(_memory_key(course_id), model, MEMORY_CACHE_TIMEOUT)
    return model


def course_model_forget(sender: Any, instance: CourseMemory, **kwargs: Any) -> None:
    """Signal receiver: a course's memory changed; drop its cached model now and at commit."""
    from django.core.cache import cache
    from django.db import transaction

    key = _memory_key(instance.course_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def course_models(course_ids: Iterable[int]) -> dict[int, MemoryModel]:
    """Course id → the memory model it schedules with (the default without a CourseMemory row), one query."""
    ids = set(course_ids)
    models = {course_id: DEFAULT_MODEL for course_id in ids}
    for row in CourseMemory.objects.filter(course_id__in=ids):
        models[row.course_id] = memory_model(row.parameters, row.desired_retention, row.same_day)
    return models
