"""Mastery per concept: recompute ConceptMastery rows from attempts and FSRS cards.

The rules live in mastery.levels (pure); this module loads what they need in a fixed
number of queries and writes the result in one upsert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from accounts.days import learner_tzs
from accounts.learner_cache import learner_changed
from config.bulk import upsert
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
    depths = dict(Concept.objects.filter(pk__in=ids).with_deepest().values_list("pk", "deepest"))
    return {pk: target_for_depth(depths.get(pk)) for pk in ids}


def mean_retrievability(
    cards: Iterable[scheduling.CardRecall],
    now: datetime,
    model: scheduling.MemoryModel = scheduling.DEFAULT_MODEL,
) -> float | None:
    """Mean recall probability of the reviewed cards (RECALL_FIELDS values); None when none was reviewed."""
    values = [scheduling.recall_of(card, now, model) for card in cards if card[0] is not None]
    return sum(values) / len(values) if values else None


def _card_recalls(cards: QuerySet[ReviewCard]) -> dict[tuple[int, int], scheduling.CardRecall]:
    """(learner id, question id) → the card's RECALL_FIELDS values, for mean_retrievability."""
    return {
        (learner_id, question_id): tuple(card)
        for learner_id, question_id, *card in cards.values_list(
            "learner_id", "question_id", *scheduling.RECALL_FIELDS
        )
    }


def _concepts_to_recompute(
    learner_ids: Sequence[int], attempts: Mapping[int, list[tuple]], concepts_of: Mapping[int, list[tuple]]
) -> dict[int, list[int]]:
    """Learner id → every concept they touched: linked to a question they answered, or with a row."""
    touched: dict[int, set[int]] = defaultdict(set)
    for learner_id in learner_ids:
        for question_id in {row[0] for row in attempts.get(learner_id, ())}:
            touched[learner_id].update(concept_id for concept_id, *_ in concepts_of.get(question_id, ()))
    for learner_id, concept_id in ConceptMastery.objects.filter(learner_id__in=learner_ids).values_list(
        "learner_id", "concept_id"
    ):
        touched[learner_id].add(concept_id)
    return {learner_id: sorted(touched[learner_id]) for learner_id in learner_ids}


# The columns of an attempt the recompute reads, in order (the first is the question).
ATTEMPT_FIELDS = (
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
# What a ConceptMastery row's upsert writes (all but the keys and the id).
MASTERY_FIELDS = [
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
]


def mastery_recompute(
    *, learner_id: int, concept_ids: list[int] | None = None, now: datetime | None = None
) -> int:
    """Recompute the learner's ConceptMastery rows (every concept they touched when None); returns how many.

    Idempotent: the same attempts and cards give the same rows. The after-attempt task's
    path; mastery_recompute_many with one learner, so a chunk of the nightly run writes
    exactly the rows this writes.
    """
    now = now or timezone.now()
    return mastery_recompute_many(
        [learner_id], now=now, concept_ids=None if concept_ids is None else {learner_id: concept_ids}
    )


@transaction.atomic
def mastery_recompute_many(
    learner_ids: Iterable[int], *, now: datetime, concept_ids: Mapping[int, Iterable[int]] | None = None
) -> int:
    """Recompute these learners' ConceptMastery rows from their attempts; returns how many rows.

    Every concept each learner touched, or only `concept_ids[learner]` when given. A fixed
    number of queries whatever the number of learners, concepts or attempts (about ten):
    the learners' row locks, their attempts, the links of the questions and concepts
    involved, time zones, memory models, cards, targets, then one upsert.
    """
    ids = sorted(set(learner_ids))
    if not ids:
        return 0
    # One recompute per learner at a time: two concurrent recomputes could each read the
    # attempts before the other's commit and the later writer would store a stale level.
    # Waiting on the learners' row locks (in id order, so two batches never deadlock) means
    # we read every attempt committed before us.
    # NO KEY UPDATE: serialises recomputes without blocking the learners' new attempt inserts.
    list(
        User.objects.select_for_update(no_key=True)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Every attempt of the learners, read once: the evidence of the concepts recomputed and
    # the records of trust and prior both come from it.
    attempts: dict[int, list[tuple]] = defaultdict(list)
    for learner_id, *row in (
        Attempt.objects.filter(learner_id__in=ids)
        .order_by("learner_id", "created_at", "id")
        .values_list("learner_id", *ATTEMPT_FIELDS)
    ):
        attempts[learner_id].append(tuple(row))
    # The links of every question the learners answered and of every concept to recompute:
    # trust and prior read all of a learner's answers, not only these concepts' (whether
    # self-grades match multiple-choice results is a fact about the learner).
    answered = Attempt.objects.filter(learner_id__in=ids).values("question_id")
    if concept_ids is None:
        concepts = Q(concept_id__in=ConceptMastery.objects.filter(learner_id__in=ids).values("concept_id"))
    else:
        concepts = Q(concept_id__in={pk for pks in concept_ids.values() for pk in pks})
    links = list(
        ConceptQuestion.objects.filter(concepts | Q(question_id__in=answered))
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
    concepts_of: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    questions_of: dict[int, list[tuple[int, int, str, str, int]]] = defaultdict(list)
    course_of: dict[int, int] = {}
    for concept_id, question_id, depth, kind, slug, options, course_id in links:
        concepts_of[question_id].append((concept_id, kind, options))
        questions_of[concept_id].append((question_id, depth, kind, slug, options))
        course_of[concept_id] = course_id
    if concept_ids is None:
        wanted = _concepts_to_recompute(ids, attempts, concepts_of)
    else:
        wanted = {pk: sorted(set(concept_ids.get(pk, ()))) for pk in ids}
    all_wanted = {pk for pks in wanted.values() for pk in pks}
    if not all_wanted:
        return 0
    question_ids = {question_id for pk in all_wanted for question_id, *_ in questions_of[pk]}
    models = scheduling.course_models({course_of[pk] for pk in all_wanted if pk in course_of})
    cards = _card_recalls(ReviewCard.objects.filter(learner_id__in=ids, question_id__in=question_ids))
    targets = concept_targets(all_wanted)
    zones = learner_tzs(ids)
    rows = []
    for learner_id in ids:
        rows += _learner_rows(
            learner_id,
            wanted[learner_id],
            attempts.get(learner_id, []),
            now=now,
            zone=zones[learner_id],
            concepts_of=concepts_of,
            questions_of=questions_of,
            course_of=course_of,
            models=models,
            cards=cards,
            targets=targets,
        )
    upsert(ConceptMastery, rows, unique_fields=["learner", "concept"], update_fields=MASTERY_FIELDS)
    learner_changed(ids)  # bulk rows send no signal (accounts/learner_cache.py)
    return len(rows)


def _learner_rows(
    learner_id: int,
    concept_ids: list[int],
    attempts: list[tuple],
    *,
    now: datetime,
    zone: tzinfo,
    concepts_of: Mapping[int, list[tuple[int, str, int]]],
    questions_of: Mapping[int, list[tuple[int, int, str, str, int]]],
    course_of: Mapping[int, int],
    models: Mapping[int, scheduling.MemoryModel],
    cards: Mapping[tuple[int, int], scheduling.CardRecall],
    targets: Mapping[int, Level | None],
) -> list[ConceptMastery]:
    """One learner's recomputed rows of these concepts, from their attempts (oldest first); no query."""
    if not concept_ids:
        return []
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
        for concept_id, kind, options in concepts_of.get(question_id, ())
    ]
    trust = self_grade_trust(records)
    prior = learner_prior(records, trust)
    question_ids = {question_id for pk in concept_ids for question_id, *_ in questions_of.get(pk, ())}
    by_question: dict[int, list[tuple]] = defaultdict(list)
    for row in attempts:
        if row[0] in question_ids:
            by_question[row[0]].append(row)
    rows = []
    for concept_id in concept_ids:
        questions = questions_of.get(concept_id, [])
        items: list[EvidenceItem] = []
        for question_id, depth, kind, slug, options in questions:
            for row in by_question.get(question_id, ()):
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
                        # The model counts days (spacing, clean runs) in the learner's local time.
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
            target=targets.get(concept_id),
            available_depths=[depth for _, depth, *_ in questions],
            now=now,
            trust=trust,
            prior=prior,
            tz=zone,
        )
        concept_cards = [cards[(learner_id, q)] for q, *_ in questions if (learner_id, q) in cards]
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
    return rows


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
    # One batch for all of them (the first night after an import or a lost broker: every learner).
    if stale:
        mastery_recompute_many(stale, now=now)
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
    cards = _card_recalls(ReviewCard.objects.filter(learner_id__in=fresh, last_review__isnull=False))
    models = scheduling.course_models({row[3] for pk in fresh for row in stored[pk]})
    zones = learner_tzs(fresh)
    changed: list[tuple] = []
    relevelled = set(stale)
    moved: set[int] = set()  # learners with a row that moved tonight
    for learner_id in fresh:
        zone = zones[learner_id]
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
                moved.add(learner_id)
                if new[0] != level:
                    relevelled.add(learner_id)
    _rows_update(changed, now)
    learner_changed(moved)  # bulk rows send no signal (accounts/learner_cache.py)
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
