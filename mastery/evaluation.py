"""The learner-model benchmark: replay attempts through the app's own model code and score its predictions.

Pure apart from reading a CSV: `make evaluate` (manage.py evaluate_learner_model) feeds it
the real review log, the simulation (mastery.simulation) and a course's Attempt rows.
Every prediction is made before the answer it predicts, from earlier answers only.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from lessons.models import Depth
from mastery import levels, scheduling
from mastery.models import Grade, Level, Mode, ReviewCard

EPS = 1e-6
BINS = 20


# --- Metrics ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    n: int
    log_loss: float
    rmse_bins: float
    auc: float | None


def score(predictions: Sequence[float], outcomes: Sequence[int]) -> Score:
    """Log loss, RMSE over 20 probability bins (calibration) and AUC (ranking) of predictions."""
    n = len(outcomes)
    if n == 0:
        return Score(0, float("nan"), float("nan"), None)
    loss = 0.0
    bins: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for p, y in zip(predictions, outcomes, strict=True):
        q = min(1 - EPS, max(EPS, p))
        loss -= y * math.log(q) + (1 - y) * math.log(1 - q)
        b = bins[min(BINS - 1, int(p * BINS))]
        b[0] += 1
        b[1] += p
        b[2] += y
    rmse = math.sqrt(sum((s_p - s_y) ** 2 / count for count, s_p, s_y in bins.values()) / n)
    return Score(n, loss / n, rmse, auc(predictions, outcomes))


def auc(predictions: Sequence[float], outcomes: Sequence[int]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties half); None when only one class occurs."""
    pairs = sorted(zip(predictions, outcomes, strict=True))
    positives = sum(outcomes)
    negatives = len(outcomes) - positives
    if positives == 0 or negatives == 0:
        return None
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        mean_rank = (i + j + 1) / 2  # ranks i+1..j
        rank_sum += mean_rank * sum(y for _, y in pairs[i:j])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def constant(outcomes: Sequence[int]) -> list[float]:
    """The constant baseline: always the log's mean success rate."""
    mean = sum(outcomes) / len(outcomes) if outcomes else 0.5
    return [mean] * len(outcomes)


def running_average(learners: Sequence[str], outcomes: Sequence[int], prior: float = 0.5) -> list[float]:
    """Per-learner running average: each learner's success rate so far (events in time order)."""
    seen: dict[str, list[float]] = defaultdict(lambda: [prior, 1.0])
    result = []
    for learner, y in zip(learners, outcomes, strict=True):
        right, total = seen[learner]
        result.append(right / total)
        seen[learner] = [right + y, total + 1]
    return result


# --- Review logs -----------------------------------------------------------------------


@dataclass(frozen=True)
class LogReview:
    learner: str
    card: str
    at: datetime
    grade: int
    course: str = ""


class LogError(ValueError):
    """A review log that cannot be read (the message names the file and line)."""


def read_review_log(path: Path, learner: str = "log") -> list[LogReview]:
    """Reviews from a CSV with card_id, review_rating (1-4), review_time (ISO 8601) columns."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as error:
        raise LogError(f"{path}: cannot open the review log ({error.strerror})") from error
    reviews = []
    with handle:
        reader = csv.DictReader(handle)
        missing = {"card_id", "review_rating", "review_time"} - set(reader.fieldnames or [])
        if missing:
            raise LogError(f"{path}:1: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            try:
                grade = int(row["review_rating"])
                at = datetime.fromisoformat(row["review_time"])
            except (TypeError, ValueError) as error:
                raise LogError(f"{path}:{line}: {error}") from error
            if grade not in Grade.values:
                raise LogError(f"{path}:{line}: review_rating must be 1 to 4, not {grade}")
            reviews.append(
                LogReview(learner, row["card_id"], at if at.tzinfo else at.replace(tzinfo=UTC), grade)
            )
    if not reviews:
        raise LogError(f"{path}: no reviews")
    return reviews


@dataclass
class MemoryRun:
    """Predictions of the next review's success, one list per predictor, aligned with `outcomes`."""

    outcomes: list[int] = field(default_factory=list)
    learners: list[str] = field(default_factory=list)
    same_day: list[bool] = field(default_factory=list)
    predictions: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def _histories(reviews: Iterable[LogReview]) -> dict[tuple[str, str], list[LogReview]]:
    cards: dict[tuple[str, str], list[LogReview]] = defaultdict(list)
    for r in reviews:
        cards[(r.learner, r.card)].append(r)
    for history in cards.values():
        history.sort(key=lambda r: r.at)
    return cards


def replay_memory(reviews: Sequence[LogReview], folds: int = 5) -> MemoryRun:
    """Replay each card through the app's scheduler and read retrievability just before each review.

    Predictors: the app as it was (whole elapsed days, fsrs's reader), FSRS-6 over exact
    time with the defaults, and with parameters fitted per course by the app's optimizer
    (`folds`-fold by card: a card is predicted by parameters fitted on the other cards).
    """
    cards = _histories(reviews)
    keys = sorted(cards)
    fold_of = {key: index % folds for index, key in enumerate(keys)}
    fitted: dict[int, scheduling.MemoryModel] = {}
    for fold in range(folds):
        train = [[(r.at, r.grade) for r in cards[k]] for k in keys if fold_of[k] != fold]
        fitted[fold] = scheduling.fit(train).model
    run = MemoryRun()
    events: list[tuple[datetime, str, bool, dict[str, float], int]] = []
    for key in keys:
        default_card = ReviewCard(state=ReviewCard.State.LEARNING)
        fitted_card = ReviewCard(state=ReviewCard.State.LEARNING)
        fitted_model = fitted[fold_of[key]]
        for r in cards[key]:
            if default_card.last_review is not None:
                elapsed = scheduling.elapsed_days(default_card.last_review, r.at)
                events.append(
                    (
                        r.at,
                        r.learner,
                        elapsed < 1,
                        {
                            "app before (whole days)": scheduling.DEFAULT_MODEL.curve(
                                math.floor(elapsed), default_card.stability or 1.0
                            ),
                            "FSRS-6 exact time, defaults": scheduling.retrievability(default_card, r.at),
                            "FSRS-6 exact time, fitted per course": scheduling.retrievability(
                                fitted_card, r.at, fitted_model
                            ),
                        },
                        int(r.grade > Grade.AGAIN),
                    )
                )
            scheduling.review(default_card, r.grade, r.at)
            scheduling.review(fitted_card, r.grade, r.at, fitted_model)
    events.sort(key=lambda e: e[0])
    for _at, learner, same, preds, y in events:
        run.outcomes.append(y)
        run.learners.append(learner)
        run.same_day.append(same)
        for name, p in preds.items():
            run.predictions[name].append(p)
    return run


def memory_table(run: MemoryRun, subset: Callable[[int], bool] | None = None) -> list[tuple[str, Score]]:
    """(predictor, score) rows, baselines first, over the events `subset` keeps."""
    keep = [i for i in range(len(run.outcomes)) if subset is None or subset(i)]
    ys = [run.outcomes[i] for i in keep]
    rows = [
        ("constant (mean success)", score(constant(ys), ys)),
        ("per-learner running average", score(running_average([run.learners[i] for i in keep], ys), ys)),
    ]
    for name, preds in run.predictions.items():
        rows.append((name, score([preds[i] for i in keep], ys)))
    return rows


# --- Concept level ---------------------------------------------------------------------


@dataclass(frozen=True)
class ConceptEvent:
    """One attempt of one learner on one concept, with the outcome the model should predict."""

    learner: str
    concept: str
    item: levels.EvidenceItem
    outcome: int | None  # right (1) or not (0); None: not a scored answer (cram, no answer)


@dataclass
class ConceptRun:
    outcomes: list[int] = field(default_factory=list)
    learners: list[str] = field(default_factory=list)
    probability: list[float] = field(default_factory=list)
    level: list[Level] = field(default_factory=list)


def log_concept_events(reviews: Iterable[LogReview]) -> list[ConceptEvent]:
    """A review log read as concept evidence: each card a concept, each review a self-grade.

    A log has no depth, no multiple choice and no timing, so every review is a Developed
    free-recall answer whose trust cannot be checked (levels.TRUST_UNKNOWN applies).
    """
    return [
        ConceptEvent(
            learner=r.learner,
            concept=r.card,
            item=levels.EvidenceItem(
                depth=Depth.DEVELOPED,
                kind="free",
                mode=Mode.REVIEW,
                grade=r.grade,
                is_correct=None,
                revealed=True,
                think_ms=None,
                created_at=r.at,
                question=r.card,
            ),
            outcome=int(r.grade > Grade.AGAIN),
        )
        for r in reviews
    ]


def replay_concepts(
    events: Sequence[ConceptEvent], tz_of: Callable[[str], tzinfo] = lambda _l: UTC
) -> ConceptRun:
    """For each scored attempt: the app's probability and level just before it, from earlier attempts only.

    Trust and prior come from the learner's records before that attempt's local day
    (as the nightly recompute would have them).
    """
    ordered = sorted(events, key=lambda e: e.item.created_at)
    records: dict[str, list[levels.GradeRecord]] = defaultdict(list)
    seen: dict[tuple[str, str], list[levels.EvidenceItem]] = defaultdict(list)
    cache: dict[tuple[str, object], tuple[float, float]] = {}
    run = ConceptRun()
    for event in ordered:
        tz = tz_of(event.learner)
        history = seen[(event.learner, event.concept)]
        if event.outcome is not None and history:
            day = event.item.created_at.astimezone(tz).date()
            key = (event.learner, day)
            if key not in cache:
                recs = records[event.learner]
                trust = levels.self_grade_trust(recs)
                cache[key] = (trust, levels.learner_prior(recs, trust))
            trust, prior = cache[key]
            result = levels.assess(
                history, target=None, now=event.item.created_at, trust=trust, prior=prior, tz=tz
            )
            if result.probability is not None:
                run.outcomes.append(event.outcome)
                run.learners.append(event.learner)
                run.probability.append(levels.answer_probability(result.probability, event.item.options))
                run.level.append(result.level)
        history.append(event.item)
        item = event.item
        records[event.learner].append(
            levels.GradeRecord(
                concept_id=hash(event.concept),
                kind=item.kind,
                mode=item.mode,
                grade=item.grade,
                is_correct=item.is_correct,
                revealed=item.revealed,
                options=item.options,
            )
        )
    return run


def concept_table(run: ConceptRun) -> list[tuple[str, Score]]:
    ys = run.outcomes
    return [
        ("constant (mean success)", score(constant(ys), ys)),
        ("per-learner running average", score(running_average(run.learners, ys), ys)),
        ("app concept probability", score(run.probability, ys)),
        ("app level (as a rank)", score([int(lv) / 4 for lv in run.level], ys)),
    ]


def level_table(run: ConceptRun) -> list[tuple[Level, int, float | None]]:
    """Level → (answers that followed it, their success rate)."""
    rows = []
    for lv in Level:
        ys = [y for y, level in zip(run.outcomes, run.level, strict=True) if level == lv]
        rows.append((lv, len(ys), sum(ys) / len(ys) if ys else None))
    return rows


def format_scores(title: str, rows: Sequence[tuple[str, Score]]) -> str:
    width = max(len(name) for name, _ in rows)
    lines = [title, f"{'predictor':<{width}}  {'n':>6}  {'log loss':>8}  {'RMSE(bins)':>10}  {'AUC':>5}"]
    for name, s in rows:
        auc_text = f"{s.auc:.3f}" if s.auc is not None else "  -  "
        lines.append(f"{name:<{width}}  {s.n:>6}  {s.log_loss:>8.4f}  {s.rmse_bins:>10.4f}  {auc_text:>5}")
    return "\n".join(lines)


def format_levels(title: str, rows: Sequence[tuple[Level, int, float | None]]) -> str:
    lines = [title, f"{'level':<12}  {'answers':>7}  {'next right':>10}"]
    for lv, n, rate in rows:
        lines.append(f"{lv.label:<12}  {n:>7}  {(f'{rate:.3f}' if rate is not None else '-'):>10}")
    return "\n".join(lines)
