"""The nightly refresh, fanned out: a run split into chunks of learners that workers take in parallel.

A run (NightlyRun, named by its UTC date) fixes the moment every chunk refreshes at and
the learner-id ranges of its chunks (NightlyChunk). A chunk refreshes its learners'
mastery rows (mastery.progress.mastery_refresh: time only, attempts replayed only where
rows miss some) and the dashboard snapshots of those whose levels moved, and marks itself done in the same
transaction: a chunk done is never redone, a chunk whose worker died rolled back and is
done again when the run is resumed (the beat task run again, or a redelivered task).
Each chunk logs a line; the last one logs the run's totals.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from mastery.models import Attempt, ConceptMastery, NightlyChunk, NightlyRun
from mastery.progress import mastery_refresh
from mastery.snapshot import snapshots_build

logger = logging.getLogger(__name__)

CHUNK_SIZE = 50


def _learners(first: int | None = None, last: int | None = None) -> list[int]:
    """Learners with mastery rows or attempts (optionally within an id range), in id order.

    Those with attempts but no rows are included: their after-attempt recompute may have
    been lost (broker down), and the nightly run is what catches it up.
    """
    within = Q() if first is None else Q(learner_id__gte=first, learner_id__lte=last)
    # order_by(): the models' default ordering is not allowed inside a UNION.
    return sorted(
        ConceptMastery.objects.filter(within)
        .order_by()
        .values_list("learner_id", flat=True)
        .union(Attempt.objects.filter(within).order_by().values_list("learner_id", flat=True))
    )


def nightly_plan(now: datetime, key: str | None = None, size: int | None = None) -> NightlyRun:
    """The run named `key` (now's UTC date by default), with its chunks; planned once, then resumed."""
    key = key or now.astimezone(UTC).date().isoformat()
    size = size or CHUNK_SIZE
    with transaction.atomic():
        run, _ = NightlyRun.objects.select_for_update().get_or_create(key=key, defaults={"now": now})
        if not run.chunk_rows.exists():
            ids = _learners()
            groups = [ids[start : start + size] for start in range(0, len(ids), size)]
            NightlyChunk.objects.bulk_create(
                NightlyChunk(run=run, index=index, first_learner=group[0], last_learner=group[-1])
                for index, group in enumerate(groups)
            )
            run.chunks = len(groups)
            run.save(update_fields=["chunks"])
    return run


def pending_chunks(run: NightlyRun) -> QuerySet[NightlyChunk]:
    return run.chunk_rows.filter(done_at__isnull=True).order_by("index")


def nightly_chunk(chunk_id: int) -> NightlyChunk | None:
    """Refresh one chunk's learners at its run's moment; None when another worker holds it.

    Idempotent: a chunk already done is left alone. Everything, the done mark included,
    commits together, so a worker killed halfway leaves the chunk to do again.
    """
    with transaction.atomic():
        chunk = (
            NightlyChunk.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("run")
            .filter(pk=chunk_id)
            .first()
        )
        if chunk is None or chunk.done_at is not None:
            return chunk
        started = time.monotonic()
        ids = _learners(chunk.first_learner, chunk.last_learner)
        result = mastery_refresh(ids, chunk.run.now)
        # A snapshot stores levels, not estimates (those are read from the trace when the page
        # is), and its forecast is redrawn when the page finds it dated another day: only the
        # learners whose levels moved need theirs rebuilt tonight.
        snapshots_build(sorted(result.relevelled), chunk.run.now)
        chunk.done_at = timezone.now()
        chunk.learners = result.learners
        chunk.recomputed = result.recomputed
        chunk.rows = result.rows
        chunk.seconds = time.monotonic() - started
        chunk.save(update_fields=["done_at", "learners", "recomputed", "rows", "seconds"])
    run = chunk.run
    logger.info(
        "nightly %s chunk %d/%d: %d learners (%d replayed from attempts), %d mastery rows moved, %.2f s",
        run.key,
        chunk.index + 1,
        run.chunks,
        chunk.learners,
        chunk.recomputed,
        chunk.rows,
        chunk.seconds,
    )
    nightly_finish(run)
    return chunk


@dataclass(frozen=True)
class Totals:
    chunks: int
    done: int
    learners: int
    recomputed: int
    rows: int
    seconds: float  # summed over chunks (work time, not wall time)


def run_totals(run: NightlyRun) -> Totals:
    agg = run.chunk_rows.aggregate(
        done=Count("pk", filter=Q(done_at__isnull=False)),
        learners=Sum("learners"),
        recomputed=Sum("recomputed"),
        rows=Sum("rows"),
        seconds=Sum("seconds"),
    )
    return Totals(
        chunks=run.chunks,
        done=agg["done"],
        learners=agg["learners"] or 0,
        recomputed=agg["recomputed"] or 0,
        rows=agg["rows"] or 0,
        seconds=agg["seconds"] or 0.0,
    )


def nightly_finish(run: NightlyRun) -> bool:
    """Close the run once every chunk is done (only the first caller logs the totals)."""
    if pending_chunks(run).exists():
        return False
    now = timezone.now()
    if not NightlyRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(finished_at=now):
        return False
    totals = run_totals(run)
    logger.info(
        "nightly %s done: %d chunks, %d learners (%d replayed from attempts), %d mastery rows moved, "
        "%.1f s of chunk work, %.1f s since planned",
        run.key,
        totals.chunks,
        totals.learners,
        totals.recomputed,
        totals.rows,
        totals.seconds,
        (now - run.started_at).total_seconds(),
    )
    return True


def nightly_run_here(now: datetime, key: str | None = None, size: int | None = None) -> Totals:
    """Plan (or resume) the run and do every pending chunk in this process, in order."""
    run = nightly_plan(now, key, size)
    for chunk_id in list(pending_chunks(run).values_list("pk", flat=True)):
        nightly_chunk(chunk_id)
    nightly_finish(run)
    return run_totals(run)
