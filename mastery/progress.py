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
from django.db.models import Max, Q
from django.utils import timezone

from accounts.days import learner_tz
from courses.models import Concept
from mastery import scheduling
from mastery.levels import EvidenceItem, Level, assess, target_for_depth
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


def mean_retrievability(cards: Iterable[ReviewCard], now: datetime) -> float | None:
    """Mean recall probability of the reviewed cards; None when none was reviewed yet."""
    values = [scheduling.retrievability(rc, now) for rc in cards if rc.last_review is not None]
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

    Idempotent: the same attempts and cards give the same rows. Eight queries whatever
    the number of concepts or attempts.
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
    links = list(
        ConceptQuestion.objects.filter(concept_id__in=ids).values_list(
            "concept_id", "question_id", "question__depth", "question__kind", "question__slug"
        )
    )
    question_ids = {question_id for _, question_id, *_ in links}
    attempts = (
        Attempt.objects.filter(learner_id=learner_id, question_id__in=question_ids)
        .order_by("created_at", "id")
        .values_list("question_id", "mode", "grade", "is_correct", "revealed", "think_ms", "created_at")
    )
    by_question: dict[int, list[tuple]] = defaultdict(list)
    for row in attempts:
        by_question[row[0]].append(row)
    cards = {
        rc.question_id: rc
        for rc in ReviewCard.objects.filter(learner_id=learner_id, question_id__in=question_ids).only(
            "question_id", "state", "step", "stability", "difficulty", "due", "last_review"
        )
    }
    targets = concept_targets(ids)
    # The model counts days (spacing, clean runs) from created_at.date(): hand it the
    # learner's local time so those days are the learner's, not UTC's.
    tz = learner_tz(learner_id)

    questions_of: dict[int, list[tuple[int, int, str, str]]] = defaultdict(list)
    for concept_id, question_id, depth, kind, slug in links:
        questions_of[concept_id].append((question_id, depth, kind, slug))

    rows = []
    for concept_id in ids:
        items: list[EvidenceItem] = []
        for question_id, depth, kind, slug in questions_of[concept_id]:
            for _, mode, grade, is_correct, revealed, think_ms, created_at in by_question[question_id]:
                items.append(
                    EvidenceItem(
                        depth=depth,
                        kind=kind,
                        mode=mode,
                        grade=grade,
                        is_correct=is_correct,
                        revealed=revealed,
                        think_ms=think_ms,
                        created_at=created_at.astimezone(tz),
                        question=slug,
                    )
                )
        result = assess(
            items,
            target=targets[concept_id],
            available_depths=[depth for _, depth, _, _ in questions_of[concept_id]],
        )
        concept_cards = [cards[q] for q, *_ in questions_of[concept_id] if q in cards]
        rows.append(
            ConceptMastery(
                learner_id=learner_id,
                concept_id=concept_id,
                level=result.level,
                retrievability=mean_retrievability(concept_cards, now),
                evidence=result.evidence_json(EVIDENCE_KEPT),
                explanation=result.explanation[:500],
                next_step=result.next_step[:500],
                attempts_count=len(items),
                last_attempt_at=max((item.created_at for item in items), default=None),
                updated_at=now,
            )
        )
    ConceptMastery.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["learner", "concept"],
        update_fields=[
            "level",
            "retrievability",
            "evidence",
            "explanation",
            "next_step",
            "attempts_count",
            "last_attempt_at",
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
