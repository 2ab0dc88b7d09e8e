"""Cached learner state: the one place that decides what a learner's own pages may reuse and when
it is stale (courses/content_cache.py is its counterpart for content).

Each learner has a stamp in the shared cache (Redis in production, so every web node and worker
sees the same one). Every write that can change what a learner's pages show gives that learner
a new stamp (learner_changed): the signals below for rows saved one at a time, and an explicit
call where rows are written in bulk (the nightly's upserts, mastery/snapshot.py and
mastery/progress.py). A part (the dashboard's drawing, the Review page's queue, a lesson's
answered checks) is kept as (stamp, valid until, value), so a part kept under an older stamp is
a miss, and so is one whose moment has passed: a card that falls due or an answer that leaves
its sitting changes a page without any write, so the part says until when it holds.

The signed-in user is kept too (with their profile), read by the authentication backend in
place of a query per request; a change of the user row or the profile drops it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from config.cache import set_each

T = TypeVar("T")

# Part of every key: bump it when a kept part's shape changes (the code fingerprint covers deploys).
SCHEMA = 1
# Parts never outlive a day: a local day's boundary changes most of them anyway.
TIMEOUT = 24 * 60 * 60


def _stamp_key(learner_id: int) -> str:
    return f"learner-stamp:{learner_id}"


def _part_key(learner_id: int, part: str) -> str:
    from courses.content_cache import code_fingerprint

    return f"learner:{SCHEMA}:{code_fingerprint()}:{learner_id}:{part}"


def _fresh() -> str:
    return uuid.uuid4().hex


# --- stamps -------------------------------------------------------------------------------------


class StampsOnCommit:
    """The on-commit half of learner_changed: one per transaction, gathering every learner its
    writes touched (an answer saves an attempt and a card: one set of new stamps at commit)."""

    def __init__(self) -> None:
        self.ids: set[int] = set()
        self.read_since = False  # a part was read after the last stamp (read_parts says so)

    def __call__(self) -> None:
        _stamp(self.ids)


def _stamp(ids: Iterable[int], also: Mapping[str, tuple[Any, float | None]] | None = None) -> None:
    set_each(cache, {**{_stamp_key(pk): (_fresh(), None) for pk in ids}, **(also or {})})


def learner_changed(
    learner_ids: Iterable[int], *, also: Mapping[str, tuple[Any, float | None]] | None = None
) -> None:
    """What these learners' pages show may have changed: new stamps now and when the writer commits.

    Now, so a reader inside the same transaction (a test, the rest of a request) sees the
    change; at commit, so a reader who kept a part built from the old rows between the first
    stamp and the commit kept it under a stamp nobody asks for any more. `also` holds the
    cache writes that changed it (key → value, timeout), sent with the stamps in one round trip.
    """
    ids = {int(pk) for pk in learner_ids}
    if not ids:
        set_each(cache, also or {})
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _stamp(ids, also)
        return  # autocommit: the rows are committed already
    pending = _pending(connection)
    if pending is None:
        pending = StampsOnCommit()
        transaction.on_commit(pending)
    # A learner this transaction stamped already is not stamped again now (an answer writes an
    # attempt, then a card: one new stamp then, one at commit), unless a part was read since.
    fresh = ids - pending.ids if not pending.read_since else ids
    pending.read_since = False
    _stamp(fresh, also)
    pending.ids |= ids


def _pending(connection: Any) -> StampsOnCommit | None:
    return next(
        (func for _sids, func, _robust in connection.run_on_commit if isinstance(func, StampsOnCommit)), None
    )


def _stamp_made(learner_id: int) -> str:
    """A stamp for a learner the cache holds none for (first visit, or evicted): a fresh one, so
    a part kept before an eviction is never valid again."""
    cache.add(_stamp_key(learner_id), _fresh(), None)
    return str(cache.get(_stamp_key(learner_id)) or _fresh())


# --- parts --------------------------------------------------------------------------------------


class Parts:
    """The learner's stamp and the parts asked for, read in one round trip (read_parts)."""

    def __init__(self, learner_id: int, stamp: str, found: dict[str, Any]) -> None:
        self.learner_id = learner_id
        self.stamp = stamp
        self._found = found

    def get(self, part: str, now: datetime) -> Any | None:
        """The part's value if it was kept under this stamp and still holds at `now`; else None."""
        kept = self._found.get(part)
        if kept is None:
            return None
        stamp, until, value = kept
        if stamp != self.stamp or (until is not None and now.timestamp() >= until):
            return None
        return value

    def keep(self, part: str, value: Any, *, until: datetime | None, now: datetime) -> None:
        """Keep a part built now from the learner's rows, valid until `until` (None: until a write)."""
        if until is not None and until <= now:
            return
        ttl = TIMEOUT if until is None else max(1, min(TIMEOUT, int(until.timestamp() - now.timestamp()) + 1))
        limit = None if until is None else until.timestamp()
        cache.set(_part_key(self.learner_id, part), (self.stamp, limit, value), ttl)

    def cached(self, part: str, now: datetime, build: Callable[[], tuple[T, datetime | None]]) -> T:
        """The part, built and kept on a miss: build() returns the value and until when it holds."""
        value = self.get(part, now)
        if value is None:
            value, until = build()
            self.keep(part, value, until=until, now=now)
        return value


def read_parts(learner_id: int, *parts: str) -> Parts:
    """The learner's stamp and the named parts in one cache read."""
    keys = {part: _part_key(learner_id, part) for part in parts}
    connection = transaction.get_connection()
    if connection.in_atomic_block and (pending := _pending(connection)) is not None:
        pending.read_since = True  # a write after this read stamps again at once
    found = cache.get_many([_stamp_key(learner_id), *keys.values()])
    stamp = found.get(_stamp_key(learner_id))
    if stamp is None:
        return Parts(learner_id, _stamp_made(learner_id), {})
    return Parts(learner_id, str(stamp), {part: found[key] for part, key in keys.items() if key in found})


# --- the signed-in user -------------------------------------------------------------------------


def _user_key(user_id: object) -> str:
    return f"learner-user:{SCHEMA}:{user_id}"


class CachedUserBackend(ModelBackend):
    """Django's model backend, but the signed-in user of a request (with their profile) comes from
    the shared cache: a query saved on every signed-in page. Sign-in itself is unchanged."""

    def get_user(self, user_id: Any) -> User | None:
        key = _user_key(user_id)
        user = cache.get(key)
        if user is None:
            model = get_user_model()
            try:
                # A user without a profile yet is kept too: profile_for makes one, and its save
                # drops the kept user.
                user = model._default_manager.select_related("profile").get(pk=user_id)
            except model.DoesNotExist:
                return None
            cache.set(key, user, TIMEOUT)
        return user if self.user_can_authenticate(user) else None


def _user_dropped(user_id: int) -> None:
    def drop() -> None:
        cache.delete(_user_key(user_id))

    drop()
    transaction.on_commit(drop)


# --- signals ------------------------------------------------------------------------------------

# The models whose rows belong to one learner and change what the learner's pages show, and the
# field naming the learner. Rows written in bulk (no signal) call learner_changed themselves.
LEARNER_MODELS = {
    "auth.User": "pk",
    "accounts.Profile": "user_id",
    "accounts.CourseInstructor": "user_id",
    "courses.Enrollment": "learner_id",
    "mastery.Attempt": "learner_id",
    "mastery.ReviewCard": "learner_id",
    "mastery.ConceptMastery": "learner_id",
    "mastery.LessonRead": "learner_id",
    "mastery.RecallEnrollment": "learner_id",
    "mastery.QueueItem": "learner_id",
    "mastery.DigestLog": "learner_id",
    "mastery.DashboardSnapshot": "learner_id",
}
# Deleted rows: only the small tables (a receiver on a big one would stop Django's fast
# cascade delete, e.g. a course's attempts). A learner's own rows go with account_delete,
# which saves the user row (a new stamp).
ON_DELETE = {"auth.User", "accounts.Profile", "accounts.CourseInstructor", "courses.Enrollment"}


def _changed(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    field = LEARNER_MODELS[sender._meta.label]
    learner_id = getattr(instance, field)
    if learner_id is None:
        return
    learner_changed([learner_id])
    if sender._meta.label in ("auth.User", "accounts.Profile"):
        _user_dropped(learner_id)


def connect() -> None:
    from django.apps import apps

    for label in LEARNER_MODELS:
        model = apps.get_model(label)
        post_save.connect(_changed, sender=model, dispatch_uid=f"learner_cache:{label}:save")
        if label in ON_DELETE:
            post_delete.connect(_changed, sender=model, dispatch_uid=f"learner_cache:{label}:delete")
