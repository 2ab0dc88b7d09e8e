"""Celery tasks: thin wrappers that take ids, call a service and can run twice safely."""

from __future__ import annotations

import logging

from celery import group, shared_task
from django.db import DatabaseError
from django.utils import timezone

from mastery import pending
from mastery.nightly import nightly_chunk, nightly_finish, nightly_plan, pending_chunks
from mastery.progress import mastery_recompute
from mastery.services import course_memory_fit_all, digest_send_all, recall_queue_prepare_all
from mastery.snapshot import snapshots_build

logger = logging.getLogger(__name__)

# Bounded retries with exponential backoff: a database blip retries, a bug does not loop forever.
RETRY = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RETRY)
def recompute_mastery(learner_id: int, concept_ids: list[int] | None = None) -> None:
    """Recompute the given concepts of a learner (all when None), then the learner's dashboard."""
    _recompute(learner_id, concept_ids)


def _recompute(learner_id: int, concept_ids: list[int] | None) -> None:
    now = timezone.now()
    mastery_recompute(learner_id=learner_id, concept_ids=concept_ids, now=now)
    snapshots_build([learner_id], now)


@shared_task(**RETRY)
def recompute_pending(learner_id: int) -> None:
    """After answers: recompute the concepts the learner's answers since the last run touched
    (mastery.pending gathers them), then their dashboard; on failure they wait for the retry."""
    concept_ids = pending.take(learner_id)
    try:
        _recompute(learner_id, sorted(concept_ids))
    except Exception:
        pending.put_back(learner_id, concept_ids)
        raise


@shared_task(**RETRY)
def refresh_dashboard(learner_id: int) -> None:
    """After a lesson read: rebuild the learner's dashboard snapshots (module progress moved)."""
    snapshots_build([learner_id], timezone.now())


@shared_task(**RETRY)
def nightly_mastery_decay(key: str | None = None) -> int:
    """Plan (or resume) tonight's refresh and fan its pending chunks out over the workers; how many chunks."""
    run = nightly_plan(timezone.now(), key)
    pending = list(pending_chunks(run).values_list("pk", flat=True))
    if not pending:
        nightly_finish(run)
        return 0
    try:
        group(nightly_mastery_chunk.s(chunk_id) for chunk_id in pending).apply_async()
    except Exception:  # kombu/redis raise several unrelated types when the broker is down
        # The chunks cannot be sent: do them here, one after the other (same rows, just slower).
        logger.warning(
            "could not fan the nightly run %s out; running its chunks here", run.key, exc_info=True
        )
        for chunk_id in pending:
            nightly_chunk(chunk_id)
    return len(pending)


@shared_task(**RETRY)
def nightly_mastery_chunk(chunk_id: int) -> None:
    """One chunk of the nightly refresh (mastery.nightly): done once, redone if its worker died."""
    nightly_chunk(chunk_id)


@shared_task(**RETRY)
def prepare_recall_queues() -> None:
    """Build tomorrow's capped recall queue for every learner with work in progress."""
    recall_queue_prepare_all()


@shared_task(**RETRY)
def send_daily_digests() -> None:
    """Email each learner whose local morning it is what is due today; once per local day."""
    digest_send_all()


@shared_task(**RETRY)
def fit_course_memory() -> None:
    """Refit each course's FSRS-6 parameters from its review history (the defaults until enough reviews)."""
    course_memory_fit_all()
