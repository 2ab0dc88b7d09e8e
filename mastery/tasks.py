"""Celery tasks: thin wrappers that take ids, call a service and can run twice safely."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from mastery.progress import mastery_decay_all, mastery_recompute
from mastery.services import course_memory_fit_all, digest_send_all, recall_queue_prepare_all
from mastery.snapshot import snapshots_build

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
    """After attempts: recompute the given concepts (all when None), then the learner's dashboard."""
    now = timezone.now()
    mastery_recompute(learner_id=learner_id, concept_ids=concept_ids, now=now)
    snapshots_build([learner_id], now)


@shared_task(**RETRY)
def refresh_dashboard(learner_id: int) -> None:
    """After a lesson read: rebuild the learner's dashboard snapshots (module progress moved)."""
    snapshots_build([learner_id], timezone.now())


@shared_task(**RETRY)
def nightly_mastery_decay() -> None:
    """Refresh every learner's retrievability and levels as time passes."""
    mastery_decay_all()


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
