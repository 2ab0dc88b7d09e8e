"""The mastery model: from a learner's attempts on a concept's questions to a probability and a level.

Pure: no database, no clock. One sentence for a student (docs/mastery.md has the rest):
your level is our estimate of the chance you would answer a question on this concept
right now, and it rises only with honest answers spread over days, on questions as deep
as the concept is taught.

The estimate (docs/learner-model.md argues the choice) is a concept-level memory trace:
every counted attempt updates a knowledge share k (a recency-weighted, trust-weighted
success rate, started from the learner's prior) and a concept stability S (days) that
grows only when a success comes after some forgetting (spacing) and shrinks on a miss.
The chance of a right answer at time t is p(t) = k * R(t - last, S), with R the course's
FSRS-6 forgetting curve (mastery.scheduling). The level is read from p with depth and
spacing rules, so it falls as evidence ages and when a miss arrives.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from lessons.models import Depth
from mastery.models import Grade, Level, Mode
from mastery.scheduling import DEFAULT_MODEL, MemoryModel, elapsed_days

# A self-grade as the chance it stands for a right answer: Good and Easy both mean "recalled"
# (Easy earns no more than Good here, so grading everything Easy buys nothing).
SELF_GRADE_SCORE: dict[int, float] = {Grade.AGAIN: 0.0, Grade.HARD: 0.6, Grade.GOOD: 0.95, Grade.EASY: 1.0}
SUCCESS = 0.5
PEEK_MS = 3000
PEEK_CAP = 0.25
RECENT = 5

# Probability thresholds of the levels (the estimate of a right answer now).
FAMILIAR_P = 0.5
PROFICIENT_P = 0.7
MASTERED_P = 0.85
PROFICIENT_DAYS = 2
MASTERED_DAYS = 2
MASTERED_GAP_DAYS = 3
# Two successes count as two days only when they are on different local dates AND this far
# apart: ten minutes either side of midnight is one sitting, not spaced practice.
SPACING_HOURS = 16
# Key-point coverage that counts as objective-enough evidence for Mastered.
KEY_POINTS_MASTERED = 0.8

# Knowledge share: Beta pseudo-counts of the prior, and how much each new counted attempt
# discounts the older ones (recent performance matters more: R-PFA, Galyardt & Goldin 2015).
PRIOR_WEIGHT = 2.0
# A miss counts half as much as a success in the knowledge share: the learner sees the
# answer right after it (feedback is restudy), so a miss says less about the next answer.
# PFA gives successes and failures separate weights for the same reason (Pavlik et al.
# 2009); 0.5 was measured best on the simulation and the real log (docs/learner-model.md).
MISS_WEIGHT = 0.5
RECENCY = 0.7
DEFAULT_PRIOR = 0.5
# Concept stability (days): the first success, the growth on a spaced success, the loss on a miss.
FIRST_STABILITY = 1.0
STABILITY_GAIN = 24.0
STABILITY_SHRINK = 0.6
STABILITY_MIN = 0.1
# Trust of self-grades when a learner has no multiple-choice results to compare them with.
TRUST_UNKNOWN = 0.6
TRUST_PRIOR_CONCEPTS = 3.0
TRUST_MIN = 0.1
# Depth weights: deeper questions say more about the concept (Applied twice Introduced).
DEPTH_WEIGHT: dict[int, float] = {Depth.INTRODUCED: 0.5, Depth.DEVELOPED: 0.75, Depth.APPLIED: 1.0}

DEPTH_FOR_LEVEL: dict[Level, int] = {
    Level.FAMILIAR: Depth.INTRODUCED,
    Level.PROFICIENT: Depth.DEVELOPED,
    Level.MASTERED: Depth.APPLIED,
}
P_FOR_LEVEL: dict[Level, float] = {
    Level.FAMILIAR: FAMILIAR_P,
    Level.PROFICIENT: PROFICIENT_P,
    Level.MASTERED: MASTERED_P,
}
TARGET_FOR_DEPTH: dict[int, Level | None] = {
    Depth.MENTIONED: None,
    Depth.INTRODUCED: Level.FAMILIAR,
    Depth.DEVELOPED: Level.PROFICIENT,
    Depth.APPLIED: Level.MASTERED,
}


def target_for_depth(depth: int | None) -> Level | None:
    """The level the curriculum asks for, from the deepest depth a concept is taught at."""
    return TARGET_FOR_DEPTH.get(depth) if depth is not None else None


# Labels by value, read once: an enum's `values` and `label` build lists on every access,
# and the recompute asks for them on every attempt.
DEPTH_LABELS: dict[int, str] = {int(depth): str(depth.label) for depth in Depth}
GRADE_LABELS: dict[int, str] = {int(grade): str(grade.label) for grade in Grade}


def depth_label(depth: int) -> str:
    return DEPTH_LABELS.get(depth, str(depth))


@dataclass(frozen=True)
class EvidenceItem:
    """One attempt as the model sees it."""

    depth: int
    kind: str  # "free" or "choice", as Question.Kind
    mode: str
    grade: int | None
    is_correct: bool | None
    revealed: bool
    think_ms: int | None
    created_at: datetime
    question: str = ""  # a label (the question slug) so evidence can be shown
    key_points_total: int | None = None
    key_points_recalled: int | None = None
    options: int = 0  # options on a multiple-choice question (its guessing chance is 1/options)

    @property
    def coverage(self) -> float | None:
        """Share of the key points the learner ticked; None without a checklist."""
        if not self.key_points_total or self.key_points_recalled is None:
            return None
        return max(0.0, min(1.0, self.key_points_recalled / self.key_points_total))


@dataclass(frozen=True)
class CountedItem:
    """An attempt with what it was worth and why."""

    item: EvidenceItem
    depth: int  # MENTIONED counts as INTRODUCED
    raw: float  # the score before trust: 1 right, 0 wrong, 0 to 1 for a self-grade or checklist
    score: float  # after the peek cap
    counts: bool  # False: only shows the concept was attempted (cram, or no answer)
    why: str
    weight: float = 0.0  # how much it moves the estimate: depth x trust (0 when it does not count)
    objective: bool = False  # marked by the platform (multiple choice) or itemised (key points)

    @property
    def success(self) -> bool:
        return self.counts and self.score >= SUCCESS

    @property
    def miss(self) -> bool:
        return self.counts and self.score < SUCCESS

    def as_json(self) -> dict[str, Any]:
        item = self.item
        if item.coverage is not None:
            result = f"{item.key_points_recalled} of {item.key_points_total} key points"
        elif item.grade is not None:
            result = GRADE_LABELS.get(item.grade, str(item.grade))
        elif item.is_correct is not None:
            result = "Right" if item.is_correct else "Wrong"
        else:
            result = "No answer"
        return {
            "question": item.question,
            "at": item.created_at.isoformat(),
            "mode": item.mode,
            "depth": self.depth,
            "result": result,
            "score": round(self.score, 2),
            "weight": round(self.weight, 2),
            "counts": self.counts,
            "success": self.success,
            "objective": self.objective,
            "why": self.why,
        }


def count_item(item: EvidenceItem, trust: float = 1.0) -> CountedItem:
    """Score one attempt: what it shows, and how far it can be trusted.

    `trust` (0 to 1) weighs self-grades: how well this learner's self-grades agree with
    their multiple-choice results (self_grade_trust).
    """
    depth = max(Depth.INTRODUCED, min(Depth.APPLIED, item.depth))
    depth_weight = DEPTH_WEIGHT[depth]
    coverage = item.coverage
    objective = False
    if coverage is not None:
        raw = coverage
        what = f"{item.key_points_recalled} of {item.key_points_total} key points recalled"
        # Ticking listed points is still self-report, but itemised: harder to inflate.
        trusted = 0.5 + 0.5 * trust
        objective = True
    elif item.grade is not None:
        raw = SELF_GRADE_SCORE.get(item.grade, 0.0)
        what = f"self-graded {GRADE_LABELS[item.grade]}" if item.grade in GRADE_LABELS else "self-graded"
        trusted = trust
    elif item.is_correct is not None:
        raw = 1.0 if item.is_correct else 0.0
        what = "right answer" if item.is_correct else "wrong answer"
        # A right pick could be a guess: with n options it says (1 - 1/n) of a recall.
        guess = guess_chance(item.options)
        trusted = 1.0 - guess if item.is_correct else 1.0
        objective = True
    else:
        return CountedItem(item, depth, 0.0, 0.0, False, "no answer was given: it shows an attempt only")
    if item.mode == Mode.CRAM:
        return CountedItem(item, depth, raw, raw, False, f"{what} while cramming: it shows an attempt only")
    peeked_choice = item.kind == "choice" and item.revealed
    peeked_quickly = item.revealed and item.think_ms is not None and item.think_ms < PEEK_MS
    weight = depth_weight * trusted
    if peeked_choice or peeked_quickly:
        score = min(raw, PEEK_CAP)
        why = (
            f"{what} after the answer was shown within {PEEK_MS // 1000} s: a peek counts at most {PEEK_CAP}"
            if peeked_quickly
            else f"{what} after the answer was shown: counts at most {PEEK_CAP}"
        )
        return CountedItem(item, depth, raw, score, True, why, depth_weight, False)
    why = f"{what} on a {depth_label(depth)} question"
    if not objective and trust < 1:
        why += (
            f", weighted {round(trust * 100)}% (how well your self-grades match your multiple-choice results)"
        )
    return CountedItem(item, depth, raw, raw, True, why, weight, objective)


# --- Trust of self-grades --------------------------------------------------------------


@dataclass(frozen=True)
class GradeRecord:
    """One of a learner's attempts, for comparing self-grades with objective results."""

    concept_id: int
    kind: str
    mode: str
    grade: int | None
    is_correct: bool | None
    revealed: bool
    options: int = 0


def self_grade_trust(records: Iterable[GradeRecord]) -> float:
    """How far a learner's self-grades can be trusted (TRUST_MIN to 1).

    On each concept where the learner has both self-graded and multiple-choice answers,
    compare the share of self-graded successes with the share of right picks (corrected
    for guessing). Claiming more than the picks show lowers trust; a learner without
    such pairs gets TRUST_UNKNOWN, and few pairs pull toward it.
    """
    free: dict[int, list[float]] = {}
    choice: dict[int, list[float]] = {}
    for r in records:
        if r.mode == Mode.CRAM:
            continue
        if r.kind == "choice" and r.is_correct is not None and not r.revealed:
            guess = guess_chance(r.options)
            known = 1.0 if r.is_correct else 0.0
            choice.setdefault(r.concept_id, []).append((known - guess) / (1 - guess) if r.is_correct else 0.0)
        elif r.grade is not None:
            free.setdefault(r.concept_id, []).append(
                1.0 if SELF_GRADE_SCORE.get(r.grade, 0) >= SUCCESS else 0.0
            )
    both = [c for c in free if c in choice]
    if not both:
        return TRUST_UNKNOWN
    overclaim = sum(
        max(0.0, sum(free[c]) / len(free[c]) - sum(choice[c]) / len(choice[c])) for c in both
    ) / len(both)
    observed = max(TRUST_MIN, 1.0 - 2.0 * overclaim)
    n = len(both)
    return (n * observed + TRUST_PRIOR_CONCEPTS * TRUST_UNKNOWN) / (n + TRUST_PRIOR_CONCEPTS)


def learner_prior(records: Iterable[GradeRecord], trust: float = TRUST_UNKNOWN) -> float:
    """A learner's chance of a right answer on a concept not yet practised: their success rate so far.

    Multiple-choice results count in full, self-graded successes as far as `trust` allows;
    smoothed toward DEFAULT_PRIOR; peeks and cram answers are left out.
    """
    right = total = 0.0
    for r in records:
        if r.mode == Mode.CRAM or (r.revealed and r.kind == "choice"):
            continue
        if r.kind == "choice" and r.is_correct is not None:
            total += 1
            right += 1.0 if r.is_correct else 0.0
        elif r.grade is not None:
            total += trust
            right += trust if SELF_GRADE_SCORE.get(r.grade, 0.0) >= SUCCESS else 0.0
    return (right + 4 * DEFAULT_PRIOR) / (total + 4)


# --- The concept memory trace ----------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    """What the evidence says about a concept: enough to give p at any later time."""

    knowledge: float  # share of answers right when the memory is fresh
    stability: float | None  # days until recall falls to 90 % (None: never succeeded)
    last: datetime | None  # the last counted attempt

    def probability(self, now: datetime, model: MemoryModel = DEFAULT_MODEL) -> float:
        """The chance of answering a question on the concept right at `now`."""
        if self.last is None or self.stability is None:
            return self.knowledge
        return self.knowledge * model.curve(elapsed_days(self.last, now), self.stability)


def probability_at(
    knowledge: float | None, stability: float | None, last: datetime | None, now: datetime
) -> float | None:
    """The chance of a right answer at `now` from ConceptMastery's stored trace; None without one."""
    if knowledge is None:
        return None
    return Trace(knowledge=knowledge, stability=stability, last=last).probability(now)


def trace(
    counted: Sequence[CountedItem], prior: float = DEFAULT_PRIOR, model: MemoryModel = DEFAULT_MODEL
) -> Trace:
    """Replay the counted attempts (oldest first) into a knowledge share and a concept stability."""
    a = PRIOR_WEIGHT * prior
    b = PRIOR_WEIGHT * (1 - prior)
    stability: float | None = None
    last: datetime | None = None
    for c in counted:
        if not c.counts or c.weight <= 0:
            continue
        w, s = c.weight, c.score
        a, b = a * RECENCY + w * s, b * RECENCY + w * MISS_WEIGHT * (1 - s)
        moment = c.item.created_at
        if c.success:
            if stability is None:
                stability = FIRST_STABILITY * (0.5 + s)
            else:
                recall = model.curve(elapsed_days(last or moment, moment), stability)
                # The spacing effect: a success gains most when some forgetting had set in.
                gain = STABILITY_GAIN * w * s * stability**-0.2 * (math.exp(1 - recall) - 1)
                stability *= 1 + gain
        elif stability is not None:
            stability = max(STABILITY_MIN, stability * (1 - STABILITY_SHRINK * w * (1 - s)))
        last = moment
    knowledge = a / (a + b) if a + b > 0 else prior
    return Trace(knowledge=knowledge, stability=stability, last=last)


def guess_chance(options: int) -> float:
    """The chance of picking the right option blindly: 1/n for n options, 0 for free recall."""
    return 1 / options if options > 1 else 0.0


def answer_probability(p: float, options: int = 0) -> float:
    """The chance of a right answer to a given question: multiple choice adds the guess (1/options)."""
    guess = guess_chance(options)
    return p + (1 - p) * guess


@dataclass(frozen=True)
class Standing:
    """What a concept's attempts settle until the next attempt: everything the level needs but p.

    The level, the explanation and the next step are functions of this, the estimate p at
    the moment asked and the course's content (target, question depths): the nightly
    refresh reads them from the stored standing, with no attempt replayed (mastery.progress).
    """

    attempted: bool = False  # any attempt at all (else Not started)
    counts: bool = False  # any attempt that counts toward a level (not only cram)
    success: bool = False
    lapsed: bool = False  # the latest counted attempt was a miss
    developed_days: int = 0  # spaced days of Developed-or-deeper successes
    applied_days: int = 0  # spaced days of Applied successes ...
    applied_first: datetime | None = None  # ... the first of them ...
    applied_span: bool = False  # ... and whether the last is MASTERED_GAP_DAYS after the first
    proof: bool = False  # a checked Applied success (_has_proof)

    @classmethod
    def of(cls, counted: Sequence[CountedItem], tz: tzinfo = UTC) -> Standing:
        scored = [c for c in counted if c.counts and c.weight > 0]
        applied = spaced_days(counted, Depth.APPLIED, tz)
        return cls(
            attempted=bool(counted),
            counts=any(c.counts for c in counted),
            success=any(c.success for c in counted),
            lapsed=bool(scored) and scored[-1].miss,
            developed_days=len(spaced_days(counted, Depth.DEVELOPED, tz)),
            applied_days=len(applied),
            applied_first=applied[0] if applied else None,
            applied_span=bool(applied) and applied[-1] - applied[0] >= timedelta(days=MASTERED_GAP_DAYS),
            proof=_has_proof(counted),
        )

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {key: getattr(self, key) for key in self.__dataclass_fields__}
        data["applied_first"] = self.applied_first.isoformat() if self.applied_first else None
        return data

    @classmethod
    def from_json(cls, data: Any) -> Standing | None:
        """The stored standing; None when missing or malformed (the caller recomputes from attempts)."""
        if not isinstance(data, dict) or set(data) != set(cls.__dataclass_fields__):
            return None
        try:
            first = data["applied_first"]
            return cls(
                **{**data, "applied_first": datetime.fromisoformat(first) if first is not None else None}
            )
        except (TypeError, ValueError):
            return None


# --- Levels ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    level: Level
    target: Level | None
    evidence: list[CountedItem]  # oldest first
    recent_accuracy: float | None
    explanation: str
    next_step: str
    probability: float | None = None  # chance of a right answer now (None: not started)
    trace: Trace | None = None
    trust: float = 1.0
    standing: Standing = Standing()

    @property
    def reached_target(self) -> bool:
        return self.target is not None and self.level >= self.target

    def evidence_json(self, limit: int = 30) -> list[dict[str, Any]]:
        """The most recent evidence, newest first, as stored on ConceptMastery."""
        return [counted.as_json() for counted in reversed(self.evidence[-limit:])]


def recent_accuracy(counted: Sequence[CountedItem], last: int = RECENT) -> float | None:
    """The weighted mean score of the last few counted attempts; None without any."""
    recent = [c for c in counted if c.counts and c.weight > 0][-last:]
    if not recent:
        return None
    return sum(c.score * c.weight for c in recent) / sum(c.weight for c in recent)


def spaced_days(counted: Sequence[CountedItem], min_depth: int, tz: tzinfo = UTC) -> list[datetime]:
    """Successes at `min_depth` or deeper that count as separate days, in time order.

    Each must fall on a later local date than the one before it and at least
    SPACING_HOURS after it.
    """
    chosen: list[datetime] = []
    for c in counted:
        if not (c.success and c.depth >= min_depth):
            continue
        moment = c.item.created_at
        if not chosen or (
            moment.astimezone(tz).date() > chosen[-1].astimezone(tz).date()
            and moment - chosen[-1] >= timedelta(hours=SPACING_HOURS)
        ):
            chosen.append(moment)
    return chosen


def _has_proof(counted: Sequence[CountedItem]) -> bool:
    """Mastered needs a right multiple-choice pick or a key-point checklist at Applied depth."""
    return any(
        c.success
        and c.depth >= Depth.APPLIED
        and c.objective
        and (c.item.coverage is None or c.item.coverage >= KEY_POINTS_MASTERED)
        for c in counted
    )


def _level(standing: Standing, p: float | None) -> Level:
    if not standing.attempted:
        return Level.NOT_STARTED
    if p is None or not standing.success or p < FAMILIAR_P:
        return Level.ATTEMPTED
    if (
        p >= MASTERED_P
        and standing.applied_days >= MASTERED_DAYS
        and standing.applied_span
        and standing.proof
    ):
        return Level.MASTERED
    if p >= PROFICIENT_P and standing.developed_days >= PROFICIENT_DAYS:
        return Level.PROFICIENT
    return Level.FAMILIAR


@dataclass(frozen=True)
class Reading:
    """The level at one moment, and the words that go with it."""

    level: Level
    lapsed: bool
    explanation: str
    next_step: str


def read_level(
    standing: Standing,
    p: float | None,
    *,
    target: Level | None,
    available_depths: Iterable[int] = (),
    tz: tzinfo = UTC,
) -> Reading:
    """The level, explanation and next step that `standing` and the estimate `p` give (no attempts needed)."""
    level = _level(standing, p)
    lapsed = standing.lapsed and level > Level.ATTEMPTED
    if lapsed:
        level = Level(level - 1)
    depths = {max(Depth.INTRODUCED, d) for d in available_depths}
    return Reading(
        level=level,
        lapsed=lapsed,
        explanation=_explain(level, standing, p, lapsed),
        next_step=_next_step(level, target, standing, p, depths, lapsed, tz),
    )


def assess(
    items: Iterable[EvidenceItem],
    *,
    target: Level | None,
    available_depths: Iterable[int] = (),
    now: datetime | None = None,
    trust: float = 1.0,
    prior: float = DEFAULT_PRIOR,
    tz: tzinfo = UTC,
    model: MemoryModel = DEFAULT_MODEL,
) -> Assessment:
    """The probability and level the attempts support at `now`, the evidence counted, and what would move it.

    `now` defaults to the last attempt's time; `tz` is the learner's time zone (days in
    the spacing rules are their local dates). `available_depths` are the depths of the
    concept's questions: "what's next" never asks for a question the course does not have.
    """
    ordered = sorted(items, key=lambda i: i.created_at)
    counted = [count_item(item, trust) for item in ordered]
    moment = now or (ordered[-1].created_at if ordered else datetime.now(UTC))
    memory = trace(counted, prior, model)
    p = memory.probability(moment, model) if counted else None
    standing = Standing.of(counted, tz)
    reading = read_level(standing, p, target=target, available_depths=available_depths, tz=tz)
    return Assessment(
        level=reading.level,
        target=target,
        evidence=counted,
        recent_accuracy=recent_accuracy(counted),
        explanation=reading.explanation,
        next_step=reading.next_step,
        probability=p,
        trace=memory if counted else None,
        trust=trust,
        standing=standing,
    )


def _percent(value: float | None) -> str:
    return f"{round((value or 0) * 100)}%"


def _explain(level: Level, standing: Standing, p: float | None, lapsed: bool) -> str:
    if level == Level.NOT_STARTED:
        return "Not started: you have not answered a question on this concept yet."
    chance = f"We estimate a {_percent(p)} chance you would answer a question on it right now"
    if lapsed:
        return (
            f"{level.label}: your latest answer was a miss, which holds the level one step below "
            f"what your earlier answers show until you get it right again. {chance}."
        )
    if level == Level.ATTEMPTED:
        if not standing.counts:
            return "Attempted: so far only cram or unanswered attempts, which do not count toward a level."
        if standing.success:
            return (
                f"Attempted: {chance}, under the {_percent(FAMILIAR_P)} Familiar needs (it fades with time)."
            )
        return f"Attempted: none of your answers on this concept counted as a success yet. {chance}."
    if level == Level.FAMILIAR:
        return f"Familiar: {chance}."
    if level == Level.PROFICIENT:
        days = standing.developed_days
        return f"Proficient: {chance}, with Developed-depth successes on {days} separate days."
    return (
        f"Mastered: {chance}, with Applied-depth successes days apart, checked by a multiple-choice "
        "answer or a key-point checklist."
    )


def _next_step(
    level: Level,
    target: Level | None,
    standing: Standing,
    p: float | None,
    depths: set[int],
    lapsed: bool,
    tz: tzinfo,
) -> str:
    if lapsed:
        return "Reread the section linked below and answer the question again when it comes up for review."
    if target is not None and level >= target:
        return (
            "You have reached the target. It holds while your estimate stays high: answer reviews "
            "when they are due, since a miss or a long gap lowers it."
        )
    if level == Level.MASTERED:
        return "This is the top level. Keep answering reviews when they are due."
    goal = Level(max(Level.FAMILIAR, level + 1))
    need_depth = DEPTH_FOR_LEVEL[goal]
    if depths and not any(d >= need_depth for d in depths):
        return (
            f"The questions here go no deeper than {depth_label(max(depths))}, so {level.label} "
            "is as far as they can show. Answer them again when they are due."
        )
    parts = []
    need_p = P_FOR_LEVEL[goal]
    if p is None or p < need_p:
        parts.append(f"lift the estimate from {_percent(p)} to {_percent(need_p)} with right answers")
    if goal == Level.FAMILIAR:
        if level == Level.ATTEMPTED and standing.attempted and not standing.counts:
            return "Answer a question outside cram mode: cram practice does not move your level."
        if not standing.success:
            return "Answer one question on this concept correctly, without peeking at the answer."
        return _sentence(parts or ["answer a question on this concept again"])
    if goal == Level.PROFICIENT:
        if standing.developed_days < PROFICIENT_DAYS:
            more = PROFICIENT_DAYS - standing.developed_days
            parts.append(
                f"answer a Developed or Applied question correctly on {more} more "
                f"day{'s' if more > 1 else ''} (at least {SPACING_HOURS} hours apart)"
            )
        return _sentence(parts)
    first = standing.applied_first
    if first is None:
        parts.append(
            f"answer Applied questions correctly on two days at least {MASTERED_GAP_DAYS} days apart"
        )
    elif standing.applied_days < MASTERED_DAYS or not standing.applied_span:
        parts.append(
            f"answer an Applied question correctly again at least {MASTERED_GAP_DAYS} days after "
            f"{first.astimezone(tz).date().isoformat()}"
        )
    if not standing.proof:
        parts.append("get an Applied multiple-choice question right or tick most key points of one")
    return _sentence(parts)


def _sentence(parts: list[str]) -> str:
    if not parts:
        return "Keep answering reviews when they are due."
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return text[0].upper() + text[1:] + "."
