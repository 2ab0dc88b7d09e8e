"""A seeded learner simulation whose memory is NOT FSRS, driving the app's own model code.

Ground truth: each learner has an ability and a forgetting rate, each concept a difficulty
and maybe a prerequisite. A concept is learned (or not) when first studied; a learned
concept is recalled with probability exp(-t / h), an exponential curve whose half-life h
grows after a successful recall that came after some forgetting and shrinks after a
failure. Multiple choice can be guessed; some learners peek, misjudge their own recall
when self-grading, miss days, and live in many time zones.

Scheduling uses the app's FSRS scheduler (mastery.scheduling.review on unsaved cards);
the benchmark reads the app's retrievability and levels (mastery.levels) from the result.
"""

from __future__ import annotations

import math
import random
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from lessons.models import Depth
from mastery import scheduling
from mastery.evaluation import ConceptEvent, LogReview
from mastery.levels import (
    EvidenceItem,
    GradeRecord,
    assess,
    learner_prior,
    self_grade_trust,
    target_for_depth,
)
from mastery.models import Grade, Level, Mode, ReviewCard

START = datetime(2026, 1, 5, tzinfo=UTC)
ZONES = ["UTC", "America/Los_Angeles", "America/Sao_Paulo", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo"]
OPTIONS = 4
SESSION_CAP = 14
NEW_PER_DAY = 2

STRATEGIES = ("honest", "always Easy", "Hard after forgetting", "delayed peek", "cramming", "midnight split")


@dataclass(frozen=True)
class Concept:
    key: str
    depth: int
    difficulty: float
    prerequisite: int | None


@dataclass(frozen=True)
class Question:
    key: str
    concept: int
    kind: str  # "free" or "choice"
    depth: int
    key_points: int = 0


@dataclass
class Learner:
    key: str
    ability: float
    forgetting: float
    bias: str  # "honest", "over" (grades Good when they forgot), "under"
    peeks: float
    misses_days: float
    tz: tzinfo
    learned: dict[int, bool] = field(default_factory=dict)
    half_life: dict[int, float] = field(default_factory=dict)
    last_seen: dict[int, datetime] = field(default_factory=dict)

    def recall(self, concept: int, at: datetime) -> float:
        if not self.learned.get(concept):
            return 0.0
        days = (at - self.last_seen[concept]).total_seconds() / 86400
        return math.exp(-days / self.half_life[concept])


@dataclass
class World:
    concepts: list[Concept]
    questions: list[Question]
    learners: list[Learner]
    events: list[ConceptEvent] = field(default_factory=list)
    reviews: list[LogReview] = field(default_factory=list)
    end: datetime = START


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def build(seed: int, learners: int, concepts: int) -> World:
    """The course and the learners (their hidden knowledge parameters), from the seed alone."""
    rng = random.Random(seed)
    depths = [Depth.INTRODUCED, Depth.DEVELOPED, Depth.APPLIED]
    course = [
        Concept(
            key=f"c{i}",
            depth=depths[i % 3],
            difficulty=rng.gauss(0, 1),
            prerequisite=rng.randrange(i) if i and rng.random() < 0.4 else None,
        )
        for i in range(concepts)
    ]
    questions = []
    for i, c in enumerate(course):
        questions.append(Question(f"q{i}-free", i, "free", c.depth, key_points=4 if i % 2 else 0))
        questions.append(Question(f"q{i}-choice", i, "choice", c.depth))
        questions.append(Question(f"q{i}-intro", i, "free", Depth.INTRODUCED))
    people = []
    for n in range(learners):
        r = random.Random(seed * 7919 + n)
        people.append(
            Learner(
                key=f"l{n}",
                ability=r.gauss(0.3, 1),
                forgetting=math.exp(r.gauss(0, 0.4)),
                bias=r.choices(["honest", "over", "under"], weights=[6, 3, 1])[0],
                peeks=r.choice([0.0, 0.0, 0.1, 0.25]),
                misses_days=r.choice([0.05, 0.15, 0.3]),
                tz=zoneinfo.ZoneInfo(r.choice(ZONES)),
            )
        )
    return World(course, questions, people)


def simulate(
    seed: int = 7, learners: int = 40, concepts: int = 12, days: int = 28, strategy: str = "mixed"
) -> World:
    """Run every learner through `days` days of study and review; "mixed" keeps each learner's own habits."""
    world = build(seed, learners, concepts)
    for index, learner in enumerate(world.learners):
        _run_learner(world, learner, random.Random(seed * 104_729 + index), days, strategy)
    world.end = START + timedelta(days=days + 1)
    world.events.sort(key=lambda e: e.item.created_at)
    return world


def _sessions(rng: random.Random, learner: Learner, day: int, days: int, strategy: str) -> list[datetime]:
    local_midnight = datetime.combine((START + timedelta(days=day)).date(), datetime.min.time(), learner.tz)
    if strategy == "cramming":
        return [local_midnight + timedelta(hours=h) for h in (10, 14, 19)] if day >= days - 2 else []
    # Every learner misses days at their own rate whatever the strategy (cramming is two
    # fixed days by definition).
    if rng.random() < learner.misses_days:
        return []
    if strategy == "midnight split":
        # Two days' work in one sitting across local midnight, every other day.
        if day % 2:
            return []
        return [
            local_midnight + timedelta(hours=23, minutes=50),
            local_midnight + timedelta(days=1, minutes=5),
        ]
    return [local_midnight + timedelta(hours=18 + rng.random() * 4)]


def _run_learner(world: World, learner: Learner, rng: random.Random, days: int, strategy: str) -> None:
    cards: dict[int, ReviewCard] = {}
    introduced = 0
    for day in range(days):
        for start in _sessions(rng, learner, day, days, strategy):
            now = start
            due = sorted((rc.due, q) for q, rc in cards.items() if rc.due <= now)
            work = [q for _, q in due][:SESSION_CAP]
            cram_all = strategy == "cramming"
            if cram_all:
                work = list(range(len(world.questions)))
            elif len(work) < SESSION_CAP and introduced < len(world.concepts):
                for c in range(introduced, min(len(world.concepts), introduced + NEW_PER_DAY)):
                    _study(world, learner, rng, c, now)
                    work += [q for q, question in enumerate(world.questions) if question.concept == c]
                introduced = min(len(world.concepts), introduced + NEW_PER_DAY)
            for q in work:
                if cram_all and not learner.learned and q % 3 == 0:
                    pass
                if cram_all and world.questions[q].concept not in learner.last_seen:
                    _study(world, learner, rng, world.questions[q].concept, now)
                now += timedelta(seconds=40 + rng.random() * 60)
                _answer(world, learner, rng, q, now, cards, strategy)


def _study(world: World, learner: Learner, rng: random.Random, c: int, at: datetime) -> None:
    concept = world.concepts[c]
    missing = concept.prerequisite is not None and not learner.learned.get(concept.prerequisite)
    chance = _sigmoid(1.2 + learner.ability - concept.difficulty - (1.5 if missing else 0.0))
    learner.learned[c] = rng.random() < chance
    learner.half_life[c] = 1.2 * math.exp(0.4 * (learner.ability - concept.difficulty)) / learner.forgetting
    learner.last_seen[c] = at


def _answer(
    world: World,
    learner: Learner,
    rng: random.Random,
    q: int,
    at: datetime,
    cards: dict[int, ReviewCard],
    strategy: str,
) -> None:
    question = world.questions[q]
    c = question.concept
    p = learner.recall(c, at)
    recalled = rng.random() < p
    honest = strategy == "honest"
    peek_habit = 0.0 if honest or strategy != "mixed" else learner.peeks
    peeked = question.kind == "free" and (strategy == "delayed peek" or rng.random() < peek_habit)
    think_ms = (
        3_200 if strategy == "delayed peek" else (1_500 if peeked else int(4_000 + rng.random() * 20_000))
    )
    grade: int | None = None
    is_correct: bool | None = None
    kp_total = kp_recalled = None
    if question.kind == "choice":
        is_correct = recalled or rng.random() < 1 / OPTIONS
        fsrs_grade = scheduling.grade_for_choice(is_correct, think_ms)
        outcome = int(is_correct)
    else:
        outcome = int(recalled and not peeked)
        bias = "honest" if honest or strategy != "mixed" else learner.bias
        if strategy == "always Easy":
            grade = Grade.EASY
        elif strategy == "Hard after forgetting":
            grade = Grade.GOOD if recalled else Grade.HARD
        elif strategy == "delayed peek":
            grade = Grade.GOOD
        elif recalled:
            grade = Grade.AGAIN if bias == "under" and rng.random() < 0.3 else Grade.GOOD
        else:
            grade = Grade.GOOD if bias == "over" and rng.random() < 0.5 else Grade.AGAIN
        if question.key_points and grade is not None and strategy not in {"always Easy", "delayed peek"}:
            kp_total = question.key_points
            kp_recalled = sum(rng.random() < (0.9 if recalled else 0.15) for _ in range(kp_total))
        fsrs_grade = Grade(grade)
    # Truth moves: retrieval strengthens memory most after some forgetting; a failure (or
    # a peek, which is restudy without retrieval) resets the clock with a weaker trace.
    if learner.learned.get(c):
        if recalled and not peeked:
            learner.half_life[c] *= 1.3 + 2.5 * (1 - p)
        else:
            learner.half_life[c] = max(0.3, learner.half_life[c] * 0.8)
    elif rng.random() < 0.25 * _sigmoid(learner.ability - world.concepts[c].difficulty):
        learner.learned[c] = True
        learner.half_life.setdefault(c, 1.0)
    learner.last_seen[c] = at
    rc = cards.setdefault(q, ReviewCard(state=ReviewCard.State.LEARNING))
    world.reviews.append(LogReview(learner.key, question.key, at, int(fsrs_grade)))
    scheduling.review(rc, fsrs_grade, at)
    item = EvidenceItem(
        depth=question.depth,
        kind=question.kind,
        mode=Mode.REVIEW,
        grade=grade,
        is_correct=is_correct,
        revealed=peeked or question.kind == "free",
        think_ms=think_ms,
        created_at=at,
        question=question.key,
        key_points_total=kp_total,
        key_points_recalled=kp_recalled,
        options=OPTIONS if question.kind == "choice" else 0,
    )
    world.events.append(ConceptEvent(learner.key, world.concepts[c].key, item, outcome))


@dataclass(frozen=True)
class GamingRow:
    strategy: str
    reached: int
    with_target: int
    true_recall: float | None  # mean true recall at the end over the concepts at target


def gaming(seed: int = 7, learners: int = 40, concepts: int = 12, days: int = 28) -> list[GamingRow]:
    """Each strategy applied by every learner to the same simulated knowledge: targets reached at the end."""
    rows = []
    for strategy in STRATEGIES:
        world = simulate(seed, learners, concepts, days, strategy)
        reached = with_target = 0
        recall_sum = 0.0
        for learner in world.learners:
            items: dict[str, list[EvidenceItem]] = {}
            for e in world.events:
                if e.learner == learner.key:
                    items.setdefault(e.concept, []).append(e.item)
            records = [_record(world, e) for e in world.events if e.learner == learner.key]
            trust = self_grade_trust(records)
            prior = learner_prior(records, trust)
            for index, concept in enumerate(world.concepts):
                target = target_for_depth(concept.depth)
                if target is None:
                    continue
                with_target += 1
                result = assess(
                    items.get(concept.key, []),
                    target=target,
                    now=world.end,
                    trust=trust,
                    prior=prior,
                    tz=learner.tz,
                )
                if result.level >= target:
                    reached += 1
                    recall_sum += learner.recall(index, world.end)
        rows.append(GamingRow(strategy, reached, with_target, recall_sum / reached if reached else None))
    return rows


def _record(world: World, e: ConceptEvent) -> GradeRecord:
    return GradeRecord(
        concept_id=int(e.concept[1:]),
        kind=e.item.kind,
        mode=e.item.mode,
        grade=e.item.grade,
        is_correct=e.item.is_correct,
        revealed=e.item.revealed and e.item.kind == "choice",
        options=e.item.options,
    )


def format_gaming(rows: list[GamingRow]) -> str:
    honest = next(r for r in rows if r.strategy == "honest")
    lines = [
        "Gaming: concepts at their curriculum target at the end (same learners, same hidden knowledge)",
        f"{'strategy':<22}  {'at target':>9}  {'vs honest':>9}  {'true recall of those':>20}",
    ]
    for r in rows:
        recall = f"{r.true_recall:.3f}" if r.true_recall is not None else "-"
        lines.append(
            f"{r.strategy:<22}  {r.reached:>4}/{r.with_target:<4}  "
            f"{r.reached - honest.reached:>+9}  {recall:>20}"
        )
    return "\n".join(lines)


_ = Level  # levels are read through assess
