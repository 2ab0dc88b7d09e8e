"""Mastery per concept: recompute ConceptMastery rows from attempts and FSRS cards.

The rules live in mastery.levels (pure); this module loads what they need in a fixed
number of queries and writes the result in one upsert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.days import learner_tz
from accounts.models import Profile
from courses.models import Concept
from mastery import scheduling
from mastery.levels import (
    EvidenceItem,
    GradeRecord,
    Level,
    Standing,
    assess,
    learner_prior,
    probability_at,
    read_level,
    self_grade_trust,
    target_for_depth,
)
from mastery.models import Attempt, ConceptMastery, ReviewCard
from quizzes.models import Question

ConceptQuestion = Question.concepts.through

EVIDENCE_KEPT = 30


def concept_targets(concept_ids: Iterable[int]) -> dict[int, Level | None]:
    """Concept id → the level its deepest concept-index entry asks for (None: no target), one query."""
    ids = list(concept_ids)
    depths = dict(
        Concept.objects.filter(pk__in=ids)
        .annotate(deepest=Max("index_entries__depth"))
        .values_list("pk", "deepest")
    )
    return {pk: target_for_depth(depths.get(pk)) for pk in ids}


def mean_retrievability(
    cards: Iterable[ReviewCard], now: datetime, model: scheduling.MemoryModel = scheduling.DEFAULT_MODEL
) -> float | None:
    """Mean recall probability of the reviewed cards; None when none was reviewed yet."""
    values = [scheduling.retrievability(rc, now, model) for rc in cards if rc.last_review is not None]
    return sum(values) / len(values) if values else None


def _concepts_to_recompute(learner_id: int) -> list[int]:
    attempted = ConceptQuestion.objects.filter(question__attempts__learner_id=learner_id).values("concept_id")
    existing = ConceptMastery.objects.filter(learner_id=learner_id).values("concept_id")
    return list(
        Concept.objects.filter(Q(pk__in=attempted) | Q(pk__in=existing))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def mastery_recompute(
    *, learner_id: int, concept_ids: list[int] | None = None, now: datetime | None = None
) -> int:
    """Recompute the learner's ConceptMastery rows (every concept they touched when None); returns how many.

    Idempotent: the same attempts and cards give the same rows. Ten queries whatever
    the number of concepts or attempts: the extra ones read the learner's time zone, the
    courses' memory models and every attempt's concepts (for self-grade trust and prior).
    """
    now = now or timezone.now()
    # One recompute per learner at a time: two concurrent recomputes could each read the
    # attempts before the other's commit and the later writer would store a stale level.
    # Waiting on the learner's row lock means we read every attempt committed before us.
    # NO KEY UPDATE: serialises recomputes without blocking the learner's new attempt inserts.
    User.objects.select_for_update(no_key=True).filter(pk=learner_id).values_list("pk", flat=True).first()
    ids = sorted(set(concept_ids)) if concept_ids is not None else _concepts_to_recompute(learner_id)
    if not ids:
        return 0
    # The links of the concepts to recompute, and of every question the learner answered:
    # trust and prior read all of the learner's answers, not only these concepts' (whether
    # self-grades match multiple-choice results is a fact about the learner).
    answered = Attempt.objects.filter(learner_id=learner_id).values("question_id")
    links = list(
        ConceptQuestion.objects.filter(Q(concept_id__in=ids) | Q(question_id__in=answered))
        .annotate(options=Count("question__options"))  # type: ignore[misc]
        .order_by("concept_id", "question_id")
        .values_list(
            "concept_id",
            "question_id",
            "question__depth",
            "question__kind",
            "question__slug",
            "options",
            "concept__course_id",
        )
    )
    # Every attempt of the learner, read once: the evidence of the concepts recomputed and
    # the records of trust and prior both come from it.
    attempts = list(
        Attempt.objects.filter(learner_id=learner_id)
        .order_by("created_at", "id")
        .values_list(
            "question_id",
            "mode",
            "grade",
            "is_correct",
            "revealed",
            "think_ms",
            "created_at",
            "key_points_total",
            "key_points_recalled",
        )
    )
    concepts_of: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for concept_id, question_id, _, kind, _, options, _ in links:
        concepts_of[question_id].append((concept_id, kind, options))
    records = [
        GradeRecord(
            concept_id=concept_id,
            kind=kind,
            mode=mode,
            grade=grade,
            is_correct=ok,
            revealed=rev,
            options=options,
        )
        for question_id, mode, grade, ok, rev, *_ in attempts
        for concept_id, kind, options in concepts_of[question_id]
    ]
    trust = self_grade_trust(records)
    prior = learner_prior(records, trust)
    # The model counts days (spacing, clean runs) in the learner's local time, not UTC's.
    zone = learner_tz(learner_id)
    wanted = set(ids)
    questions_of: dict[int, list[tuple[int, int, str, str, int]]] = defaultdict(list)
    course_of: dict[int, int] = {}
    for concept_id, question_id, depth, kind, slug, options, course_id in links:
        if concept_id in wanted:
            questions_of[concept_id].append((question_id, depth, kind, slug, options))
            course_of[concept_id] = course_id
    question_ids = {question_id for rows in questions_of.values() for question_id, *_ in rows}
    models = scheduling.course_models(set(course_of.values()))
    by_question: dict[int, list[tuple]] = defaultdict(list)
    for row in attempts:
        if row[0] in question_ids:
            by_question[row[0]].append(row)
    cards = {
        rc.question_id: rc
        for rc in ReviewCard.objects.filter(learner_id=learner_id, question_id__in=question_ids).only(
            *ReviewCard.MEMORY_FIELDS
        )
    }
    targets = concept_targets(ids)

    rows = []
    for concept_id in ids:
        items: list[EvidenceItem] = []
        for question_id, depth, kind, slug, options in questions_of[concept_id]:
            for row in by_question[question_id]:
                _, mode, grade, is_correct, revealed, think_ms, created_at, kp_total, kp_recalled = row
                items.append(
                    EvidenceItem(
                        depth=depth,
                        kind=kind,
                        mode=mode,
                        grade=grade,
                        is_correct=is_correct,
                        revealed=revealed,
                        think_ms=think_ms,
                        created_at=created_at.astimezone(zone),
                        question=slug,
                        key_points_total=kp_total,
                        key_points_recalled=kp_recalled,
                        options=options,
                    )
                )
        model = models.get(course_of.get(concept_id, 0), scheduling.DEFAULT_MODEL)
        result = assess(
            items,
            target=targets[concept_id],
            available_depths=[depth for _, depth, *_ in questions_of[concept_id]],
            now=now,
            trust=trust,
            prior=prior,
            tz=zone,
        )
        concept_cards = [cards[q] for q, *_ in questions_of[concept_id] if q in cards]
        memory = result.trace
        rows.append(
            ConceptMastery(
                learner_id=learner_id,
                concept_id=concept_id,
                level=result.level,
                probability=result.probability,
                knowledge=memory.knowledge if memory else None,
                stability=memory.stability if memory else None,
                memory_at=memory.last if memory else None,
                retrievability=mean_retrievability(concept_cards, now, model),
                evidence=result.evidence_json(EVIDENCE_KEPT),
                explanation=result.explanation[:500],
                next_step=result.next_step[:500],
                attempts_count=len(items),
                last_attempt_at=max((item.created_at for item in items), default=None),
                standing=result.standing.as_json(),
                updated_at=now,
            )
        )
    ConceptMastery.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["learner", "concept"],
        update_fields=[
            "level",
            "probability",
            "knowledge",
            "stability",
            "memory_at",
            "retrievability",
            "evidence",
            "explanation",
            "next_step",
            "attempts_count",
            "last_attempt_at",
            "standing",
            "updated_at",
        ],
    )
    return len(rows)


@dataclass(frozen=True)
class Refresh:
    """What one refresh of some learners did."""

    learners: int
    recomputed: int  # learners replayed from their attempts (new answers, or no stored standing)
    rows: int  # mastery rows whose level, words, estimate or recall moved
    relevelled: frozenset[int] = frozenset()  # learners with a level that moved, or replayed


def _stale_learners(learner_ids: Sequence[int], stored: dict[int, list[tuple]]) -> set[int]:
    """Learners whose rows do not reflect their attempts: an answer after the newest one counted
    (its after-attempt task was lost), answers but no rows, or a row without a usable standing."""
    newest = dict(
        Attempt.objects.filter(learner_id__in=learner_ids, question__concepts__isnull=False)
        .order_by()
        .values("learner_id")
        .annotate(last=Max("created_at"))
        .values_list("learner_id", "last")
    )
    stale = set()
    for learner_id, last in newest.items():
        rows = stored.get(learner_id, [])
        counted = max((row[LAST_ATTEMPT] for row in rows if row[LAST_ATTEMPT]), default=None)
        if (
            counted is None
            or counted < last
            or any(Standing.from_json(row[STANDING]) is None for row in rows)
        ):
            stale.add(learner_id)
    return stale


# The columns the refresh reads, in order (indexes below name the ones it needs by name).
REFRESH_FIELDS = (
    "pk",
    "learner_id",
    "concept_id",
    "concept__course_id",
    "level",
    "probability",
    "retrievability",
    "explanation",
    "next_step",
    "knowledge",
    "stability",
    "memory_at",
    "standing",
    "last_attempt_at",
)
STANDING = REFRESH_FIELDS.index("standing")
LAST_ATTEMPT = REFRESH_FIELDS.index("last_attempt_at")


def mastery_refresh(learner_ids: Sequence[int], now: datetime) -> Refresh:
    """Bring these learners' ConceptMastery rows to `now`; what changes overnight is only time.

    A level, its explanation and next step are read from the stored standing and concept
    trace at `now` (levels.read_level, the rule assess uses), and each concept's recall
    from its cards: no attempt is replayed. A learner whose rows miss some of their
    attempts is recomputed from them instead (mastery_recompute). Only rows that moved are
    written, in batched UPDATEs. A fixed number of queries for any number of learners
    (plus the recompute of the stale ones); gives the same rows as mastery_recompute at `now`.
    """
    ids = sorted(set(learner_ids))
    stored: dict[int, list[tuple]] = defaultdict(list)
    for row in ConceptMastery.objects.filter(learner_id__in=ids).order_by("pk").values_list(*REFRESH_FIELDS):
        stored[row[1]].append(row)
    stale = _stale_learners(ids, stored)
    for learner_id in sorted(stale):
        mastery_recompute(learner_id=learner_id, now=now)
    fresh = [pk for pk in ids if pk not in stale and stored.get(pk)]
    concept_ids = {row[2] for pk in fresh for row in stored[pk]}
    targets = concept_targets(concept_ids)
    questions_of: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for concept_id, question_id, depth in (
        ConceptQuestion.objects.filter(concept_id__in=concept_ids)
        .order_by("concept_id", "question_id")
        .values_list("concept_id", "question_id", "question__depth")
    ):
        questions_of[concept_id].append((question_id, depth))
    cards: dict[tuple[int, int], ReviewCard] = {
        (rc.learner_id, rc.question_id): rc
        for rc in ReviewCard.objects.filter(learner_id__in=fresh, last_review__isnull=False).only(
            "learner_id", *ReviewCard.MEMORY_FIELDS
        )
    }
    models = scheduling.course_models({row[3] for pk in fresh for row in stored[pk]})
    zones = dict(Profile.objects.filter(user_id__in=fresh).values_list("user_id", "time_zone"))
    changed: list[tuple] = []
    relevelled = set(stale)
    for learner_id in fresh:
        zone = Profile(time_zone=zones.get(learner_id) or "UTC").tz
        for row in stored[learner_id]:
            pk, _, concept_id, course_id, level, probability, recall, explanation, next_step = row[:9]
            knowledge, stability, memory_at, standing_json = row[9:13]
            standing = Standing.from_json(standing_json)
            assert standing is not None  # _stale_learners sent the others to a recompute
            p = probability_at(knowledge, stability, memory_at, now) if standing.attempted else None
            reading = read_level(
                standing,
                p,
                target=targets[concept_id],
                available_depths=[depth for _, depth in questions_of[concept_id]],
                tz=zone,
            )
            concept_cards = [
                cards[(learner_id, q)] for q, _ in questions_of[concept_id] if (learner_id, q) in cards
            ]
            new = (
                int(reading.level),
                p,
                mean_retrievability(concept_cards, now, models.get(course_id, scheduling.DEFAULT_MODEL)),
                reading.explanation[:500],
                reading.next_step[:500],
            )
            if new != (level, probability, recall, explanation, next_step):
                changed.append((pk, *new))
                if new[0] != level:
                    relevelled.add(learner_id)
    _rows_update(changed, now)
    return Refresh(
        learners=len(ids), recomputed=len(stale), rows=len(changed), relevelled=frozenset(relevelled)
    )


UPDATE_BATCH = 2000


def _rows_update(changed: Sequence[tuple], now: datetime) -> None:
    """UPDATE ... FROM (VALUES ...) in batches: one statement per batch, on PostgreSQL and SQLite alike."""
    table = connection.ops.quote_name(ConceptMastery._meta.db_table)
    types = ("integer", "integer", "double precision", "double precision", "text", "text")
    row = "(" + ", ".join(f"CAST(%s AS {kind})" for kind in types) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(changed), UPDATE_BATCH):
            batch = changed[start : start + UPDATE_BATCH]
            cursor.execute(
                # A WITH list names the VALUES columns in both PostgreSQL and SQLite.
                f"WITH v(id, level, probability, recall, explanation, next_step) AS "
                f"(VALUES {', '.join([row] * len(batch))}) "
                f"UPDATE {table} SET level = v.level, probability = v.probability, "
                "retrievability = v.recall, explanation = v.explanation, next_step = v.next_step, "
                f"updated_at = %s FROM v WHERE {table}.id = v.id",
                [*(value for values in batch for value in values), now],
            )


def mastery_decay_all(now: datetime | None = None) -> int:
    """The nightly refresh of every learner, in this process: every chunk of a run (mastery.nightly).

    The beat task fans the same chunks out over the workers instead. A run of its own,
    named by the exact moment (the beat's runs are named by date, so that rerunning one
    resumes it); returns how many learners.
    """
    from mastery.nightly import nightly_run_here

    now = now or timezone.now()
    return nightly_run_here(now, key=f"here-{now.isoformat()}").learners
