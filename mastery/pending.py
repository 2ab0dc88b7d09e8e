"""After-attempt recomputes waiting for the worker: one queued task per learner, however many answers.

A learner who answers ten checks in a minute needs their mastery recomputed once for the ten,
not ten times: each recompute reads all of the learner's attempts and redraws their dashboard
(tens of milliseconds of a worker), and the tenth would make the first nine moot anyway. So an
answer adds its concepts to the learner's pending set, and only the answer that finds no task
waiting queues one, `DELAY_S` later; the task takes the whole set when it runs (`take`). Answers
made while it waits join it; an answer made after it took the set queues the next one.

Both steps are one Redis transaction each (MULTI), so an answer's concepts are either taken by
the task that runs or find the flag gone and queue another: none is left behind. The set lives
in the default cache's Redis (every web node and worker sees it). Without Redis (the embedded
mode, whose tasks run in the request) the local-memory cache holds them, under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

# Answers within this many seconds of the first share its recompute: the dashboard trails an
# answer by about this much, and a learner's rapid answers cost the worker one recompute.
DELAY_S = 2
# The waiting flag outlives a task that never ran (broker lost it, worker killed before the
# broker's redelivery) by at most this long; the next answer after it queues a task again.
FLAG_TTL_S = 5 * 60


def _keys(learner_id: int) -> tuple[str, str]:
    return f"recompute-queued:{learner_id}", f"recompute-concepts:{learner_id}"


def _raw(key: str) -> str:
    """The key as the cache stores it (prefix and version), for the raw Redis commands."""
    return cache.make_and_validate_key(key)


class _Local:
    """The same operations for a cache that is not Redis (local memory: one process, which the
    lock makes atomic). Kept in that cache, so clearing it clears them too."""

    lock = threading.Lock()

    def add(self, learner_id: int, concept_ids: list[int]) -> bool:
        with self.lock:
            self._join(learner_id, concept_ids)
            return bool(cache.add(_keys(learner_id)[0], 1, FLAG_TTL_S))

    def take(self, learner_id: int) -> set[int]:
        queued, concepts = _keys(learner_id)
        with self.lock:
            taken = set(cache.get(concepts, set()))
            cache.delete_many([queued, concepts])
            return taken

    def put_back(self, learner_id: int, concept_ids: list[int]) -> None:
        with self.lock:
            self._join(learner_id, concept_ids)

    @staticmethod
    def _join(learner_id: int, concept_ids: list[int]) -> None:
        concepts = _keys(learner_id)[1]
        cache.set(concepts, set(cache.get(concepts, set())) | set(concept_ids), FLAG_TTL_S * 2)

    def unqueue(self, learner_id: int) -> None:
        with self.lock:
            cache.delete(_keys(learner_id)[0])


_local = _Local()


def _redis() -> object | None:
    backend = caches["default"]  # `cache` is a proxy: isinstance needs the backend itself
    if not isinstance(backend, RedisCache):
        return None
    client: Any = backend._cache  # type: ignore[attr-defined]  # Django's private client, not typed
    return client.get_client(write=True)


def _join(pipe: Any, concepts: str, ids: list[int]) -> None:
    if ids:
        pipe.sadd(concepts, *ids)
        pipe.expire(concepts, FLAG_TTL_S * 2)


def add(learner_id: int, concept_ids: Iterable[int]) -> bool:
    """Add these concepts to the learner's pending recompute; True if no task waits (queue one)."""
    ids = sorted({int(pk) for pk in concept_ids})
    client = _redis()
    if client is None:
        return _local.add(learner_id, ids)
    queued, concepts = map(_raw, _keys(learner_id))
    pipe = client.pipeline(transaction=True)  # type: ignore[attr-defined]
    _join(pipe, concepts, ids)
    pipe.set(queued, 1, nx=True, ex=FLAG_TTL_S)
    return bool(pipe.execute()[-1])


def take(learner_id: int) -> set[int]:
    """The concepts waiting for the learner's recompute, removed; the next answer queues a new task."""
    client = _redis()
    if client is None:
        return _local.take(learner_id)
    queued, concepts = map(_raw, _keys(learner_id))
    pipe = client.pipeline(transaction=True)  # type: ignore[attr-defined]
    pipe.delete(queued)
    pipe.smembers(concepts)
    pipe.delete(concepts)
    members = pipe.execute()[1]
    return {int(pk) for pk in members}


def put_back(learner_id: int, concept_ids: Iterable[int]) -> None:
    """Return concepts a failed recompute took, for its retry (or the next answer's task)."""
    ids = sorted({int(pk) for pk in concept_ids})
    if not ids:
        return
    client = _redis()
    if client is None:
        _local.put_back(learner_id, ids)
        return
    pipe = client.pipeline(transaction=True)  # type: ignore[attr-defined]
    _join(pipe, _raw(_keys(learner_id)[1]), ids)
    pipe.execute()


def unqueue(learner_id: int) -> None:
    """The task could not be sent: clear the flag, so the next answer tries to queue one again."""
    client = _redis()
    if client is None:
        _local.unqueue(learner_id)
        return
    client.delete(_raw(_keys(learner_id)[0]))  # type: ignore[attr-defined]
