"""Mastery per concept: recompute ConceptMastery rows from attempts and FSRS cards.

The rules live in mastery.levels (pure); this module loads what they need in a fixed
number of queries and writes the result in one upsert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.days import learner_tz
from courses.models import Concept
from mastery import scheduling
from mastery.levels import (
    EvidenceItem,
    GradeRecord,
    Level,
    assess,
    learner_prior,
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


def mastery_decay_all(now: datetime | None = None) -> int:
    """Refresh every learner who has mastery rows, one learner per transaction; returns how many learners.

    Levels only change with attempts, but retrievability falls with time, so the nightly
    run recomputes both. Each learner costs the same few queries however many concepts.
    """
    now = now or timezone.now()
    # Learners with attempts but no mastery rows yet are included: their after-attempt
    # recompute may have been lost (broker down), and this run is what catches it up.
    learner_ids = sorted(
        # order_by(): the models' default ordering is not allowed inside a UNION.
        ConceptMastery.objects.order_by()
        .values_list("learner_id", flat=True)
        .union(Attempt.objects.order_by().values_list("learner_id", flat=True))
    )
    for learner_id in learner_ids:
        mastery_recompute(learner_id=learner_id, now=now)
    return len(learner_ids)
