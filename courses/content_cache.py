"""Cached content: the one place that decides what a content page may reuse and when it is stale.

Content changes only when an author saves (admin) or imports (bundles). Every such change
bumps its course's `content_version` (content_changed), and every cache key holds that
version, so invalidation is exact and needs no delete: a web node with its own local cache
simply stops asking for the old key. Entries live in the `content` cache alias (Redis in
production with its own key prefix, local memory in the embedded mode), so the benchmark
can measure a cold cache by clearing that alias alone.

What is cached is content only, rendered for a visitor: never a CSRF token (the fragment
carries CSRF_PLACEHOLDER, swapped per request), a user's name or a check token. A visitor's
whole page is kept too (visitor_page, below), served in one cache read; a signed-in page runs
its access check on every request (courses.access: for a course open to all from the cached
course facts, which every content change, a course save included, invalidates).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar, cast

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

T = TypeVar("T")

CACHE_ALIAS = "content"
# Part of every key: bump it when a cached template or a cached value's shape changes,
# so a deploy never reads entries written by the code it replaced.
SCHEMA = 1
# Entries are never stale (the version is in the key); the timeout only frees memory.
TIMEOUT = 24 * 60 * 60
# Rendered in place of the request's CSRF token inside cached HTML; letters only, so
# escaping leaves it intact. Replaced by csrf_fill on every response.
CSRF_PLACEHOLDER = "STUDYHALLCSRFPLACEHOLDER"

# Inside deferred() a signal does not bump at once: the caller bumps its course once at the
# end (an import saves hundreds of rows; one UPDATE is enough).
_deferred: ContextVar[bool] = ContextVar("content_cache_deferred", default=False)


# --- versions -----------------------------------------------------------------------------------


def content_changed(**course_filter: Any) -> None:
    """Bump the content version of the course(s) matching the filter, e.g. pk=3 or modules__id=7.

    Runs inside the writer's transaction, so the new version becomes visible exactly when
    the new content does. Does nothing inside deferred().
    """
    if _deferred.get():
        return
    from courses.models import Course

    Course.objects.filter(**course_filter).update(content_version=F("content_version") + 1)
    pages_changed()


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Suppress per-row bumps (a bulk write); the caller calls course_content_bump once itself."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def course_content_bump(course_id: int) -> None:
    """Explicit bump for bulk writes (importer, re-render, queryset.update): one UPDATE."""
    from courses.models import Course

    Course.objects.filter(pk=course_id).update(content_version=F("content_version") + 1)
    pages_changed()


# --- lookups ------------------------------------------------------------------------------------


def key(kind: str, course_id: int, version: int, *parts: object) -> str:
    """The cache key of one cached value of one course's content at one version, under the
    fingerprint of the code that made it (a deploy never reads values of another shape)."""
    return ":".join(str(p) for p in (SCHEMA, code_fingerprint(), kind, course_id, version, *parts))


# A web process also keeps the entries it read last (MEMO_SIZE of them): a key made by key() holds
# its course's content version, so what is under it never changes and the process may reuse it
# without a round trip to Redis or unpickling a rendered lesson again. A visitor page (and any
# value kept per epoch) is reused the same way while the epoch it was kept in is current. Only
# values under such keys go through cached(), cached_many() and epoch_read(); clear() empties this.
# A value no caller can change (a string, a number, a frozen dataclass, a tuple or dict of
# strings) is kept as it is and every request of the process gets the same object; any other
# (a model instance: a question with its options) is kept as its pickle, and each request gets
# its own copy of it, as it would from Redis, for the cost of unpickling it but no round trip.
MEMO_SIZE = 256
_memo: OrderedDict[str, Any] = OrderedDict()
_memo_lock = threading.Lock()


class _Pickled(bytes):
    """A memo entry kept as its pickle (see above)."""


def _memo_get(cache_key: str) -> Any | None:
    with _memo_lock:
        value = _memo.get(cache_key)
        if value is not None:
            _memo.move_to_end(cache_key)
    if isinstance(value, _Pickled):
        return pickle.loads(value)  # written by _memo_put in this process
    return value


def _memoable(value: Any) -> bool:
    if isinstance(value, str | int | float):
        return True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return bool(value.__dataclass_params__.frozen)  # type: ignore[attr-defined]
    if isinstance(value, tuple):
        return all(_memoable(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(item, str) for item in value.values())
    return False


def _memo_put(cache_key: str, value: Any) -> None:
    kept = value if _memoable(value) else _Pickled(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    with _memo_lock:
        _memo[cache_key] = kept
        _memo.move_to_end(cache_key)
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)


def memo_clear() -> None:
    """Forget what this process kept (clear() does it; so does a benchmark's cold request)."""
    with _memo_lock:
        _memo.clear()


def cached(cache_key: str, build: Callable[[], T]) -> T:
    """The value under cache_key (made by key(): it holds a content version), built (and stored)
    on a miss."""
    value = _memo_get(cache_key)
    if value is not None:
        return cast(T, value)
    store = caches[CACHE_ALIAS]
    value = store.get(cache_key)
    if value is None:
        value = build()
        store.set(cache_key, value, TIMEOUT)
    if value is not None:
        _memo_put(cache_key, value)
    return cast(T, value)


K = TypeVar("K")


def cached_many(keys: Mapping[K, str], build: Callable[[list[K]], Mapping[K, T]]) -> dict[K, T]:
    """The values under several keys in one cache read; build(missing) makes the missing ones
    at once (one pass over the database for all of them) and they are stored."""
    if not keys:
        return {}
    result: dict[K, T] = {}
    for name, cache_key in keys.items():
        value = _memo_get(cache_key)
        if value is not None:
            result[name] = value
    store = caches[CACHE_ALIAS]
    unread = {name: cache_key for name, cache_key in keys.items() if name not in result}
    if unread:
        found = store.get_many(list(unread.values()))
        for name, cache_key in unread.items():
            if cache_key in found:
                result[name] = found[cache_key]
                _memo_put(cache_key, found[cache_key])
    missing = [name for name in keys if name not in result]
    if missing:
        built = build(missing)
        store.set_many({keys[name]: value for name, value in built.items()}, TIMEOUT)
        for name, value in built.items():
            if value is not None:
                _memo_put(keys[name], value)
        result.update(built)
    return result


def clear() -> int | None:
    """Empty the content cache (a cold start, for the benchmark and tests); entries removed if known.

    Redis's clear() would flush the whole database, throttles and broker included, so
    there only this alias's own prefix is deleted.
    """
    memo_clear()
    store = caches[CACHE_ALIAS]
    if isinstance(store, RedisCache):
        client = store._cache.get_client(write=True)  # type: ignore[attr-defined]
        names = list(client.scan_iter(match=f"{store.key_prefix}:*", count=1000))
        for start in range(0, len(names), 1000):
            client.delete(*names[start : start + 1000])
        return len(names)
    store.clear()
    return None


# --- responses ----------------------------------------------------------------------------------


def csrf_fill(request: HttpRequest, html: str) -> str:
    """Cached HTML with this request's CSRF token in place of the placeholder (left in place
    while the page is rendered to be kept whole: visitor_page fills it on the way out)."""
    if keeps_page(request) or CSRF_PLACEHOLDER not in html:
        return html
    return html.replace(CSRF_PLACEHOLDER, _token(request))


def _token(request: HttpRequest) -> str:
    """The request's masked CSRF token, made once (get_token masks anew on every call)."""
    token: str | None = getattr(request, "_studyhall_csrf_token", None)
    if token is None:
        token = get_token(request)
        request._studyhall_csrf_token = token  # type: ignore[attr-defined]
    return token


def visitor_etag(request: HttpRequest, cache_key: str) -> str:
    """ETag of a visitor's cached page: its content key and the visitor's CSRF secret.

    The page's shell carries a CSRF token made from that secret, so a 304 is only right
    while the browser still holds the same csrftoken cookie.
    """
    _token(request)  # ensures META["CSRF_COOKIE"] (a first visit gets its cookie)
    secret = request.META.get("CSRF_COOKIE", "")
    return '"' + hashlib.sha256(f"{cache_key}|{secret}".encode()).hexdigest()[:32] + '"'


def not_modified(request: HttpRequest, etag: str) -> HttpResponse | None:
    """A 304 when the browser's copy carries this ETag (If-None-Match); None otherwise."""
    response = get_conditional_response(request, etag=etag)
    if response is not None:
        content_headers(response, request, etag=etag)
    return response


def content_headers(response: HttpResponse, request: HttpRequest, *, etag: str = "") -> HttpResponse:
    """Cache headers of a content page.

    Visitors: shared caches may keep it but must revalidate (no-cache) with its ETag.
    Signed-in learners: private, never stored (check tokens are single-use per render).
    Either way the page depends on the session and CSRF cookies (Vary: Cookie).
    """
    patch_vary_headers(response, ["Cookie"])
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_store=True)
    else:
        patch_cache_control(response, no_cache=True, max_age=0)
        if etag:
            response["ETag"] = etag
    return response


# --- whole visitor pages ------------------------------------------------------------------------
#
# A visitor (no user) of a content page sees exactly what every other visitor sees but for the
# CSRF token, so the whole response is kept, shell included, and a hit costs no query and no
# template: one cache read (the pages' epoch and the page) and the token swapped in. A page is
# kept with the epoch it was rendered in, one number for all courses that every content change
# bumps (pages_changed), and is only served in that epoch; its key holds a fingerprint of the
# code that renders pages, so a deploy that changes a template never serves the old HTML. A
# miss runs the view as before (its access check, the per-course cached pieces) and keeps what
# it rendered. Visibility is content too: publishing,
# unpublishing or changing a course's enrollment is a Course save, which bumps the epoch, and
# only 200 pages are kept, so a page a visitor may no longer see is never served from here.

EPOCH_KEY = "pages-epoch"
# Set on a request whose page is being rendered to be kept: the CSRF token is the placeholder.
_KEEPING = "_studyhall_keeping_page"


@functools.cache
def code_fingerprint() -> str:
    """A hash of the templates and the Python code that render pages (read once per process)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(str(SCHEMA).encode())
    for path in sorted(root.glob("*/templates/**/*.html")) + sorted(root.glob("templates/**/*.html")):
        digest.update(path.read_bytes())
    for app in ("accounts", "config", "courses", "lessons", "mastery", "quizzes", "search"):
        for path in sorted((root / app).glob("**/*.py")):
            if "migrations" not in path.parts and "tests" not in path.parts:
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def epoch() -> int:
    """The pages' current epoch; a fresh one (the clock) when the cache holds none."""
    store = caches[CACHE_ALIAS]
    value = store.get(EPOCH_KEY)
    if value is None:
        # The clock, so an epoch made after an eviction never equals one that pages were kept under.
        store.add(EPOCH_KEY, time.time_ns(), None)
        value = store.get(EPOCH_KEY)
    return int(value or 0)


def _epoch_bump() -> None:
    store = caches[CACHE_ALIAS]
    with contextlib.suppress(ValueError):  # no epoch kept: the next reader makes a fresh one
        store.incr(EPOCH_KEY)


def pages_changed() -> None:
    """Every kept visitor page is stale: bump the epoch now and again when the writer commits.

    Now, so that a test (or anything inside a transaction that never commits) does not read
    old pages; at commit, so that a visitor who rendered the old content between the first
    bump and the commit kept it under an epoch nobody asks for any more.
    """
    _epoch_bump()
    transaction.on_commit(_epoch_bump)


def _page_key(request: HttpRequest) -> str:
    return ":".join(str(p) for p in (SCHEMA, code_fingerprint(), "page", request.path))


def epoch_read(cache_key: str) -> tuple[int, Any]:
    """The current epoch and the value kept under cache_key if it was kept in that epoch: one round trip.

    A value is kept as (epoch, value) under a key without the epoch, so the epoch and the
    value come in one read; a value kept in an older epoch is a miss (and is overwritten).
    What this process read last is reused while the epoch stays (the memo above): then the
    round trip reads the epoch alone, not a whole page again.
    """
    store = caches[CACHE_ALIAS]
    kept = _memo_get(cache_key)
    if kept is not None:
        current = store.get(EPOCH_KEY)
        if current is None:
            current = epoch()
        if kept[0] == current:
            return int(current), kept[1]
        kept = store.get(cache_key)  # the epoch moved on: another process may have kept it anew
    else:
        found = store.get_many([EPOCH_KEY, cache_key])
        current = found.get(EPOCH_KEY)
        if current is None:
            current = epoch()
        kept = found.get(cache_key)
    if kept is not None and kept[0] == current:
        _memo_put(cache_key, kept)
        return int(current), kept[1]
    return int(current), None


def epoch_store(cache_key: str, current: int, value: Any) -> None:
    caches[CACHE_ALIAS].set(cache_key, (current, value), TIMEOUT)
    _memo_put(cache_key, (current, value))


def epoch_cached(cache_key: str, build: Callable[[], T | None]) -> T | None:
    """A value valid until the next content change anywhere (e.g. a course's visibility by slug);
    None (a missing row) is not kept."""
    current, value = epoch_read(cache_key)
    if value is None:
        value = build()
        if value is not None:
            epoch_store(cache_key, current, value)
    return cast("T | None", value)


def keeps_page(request: HttpRequest) -> bool:
    """Whether this request's page is rendered to be kept (its CSRF token is the placeholder)."""
    return bool(getattr(request, _KEEPING, False))


def render_kept(request: HttpRequest, template_name: str, context: dict[str, Any]) -> str:
    """HTML rendered to be kept and served again (a learner part): the CSRF token is the
    placeholder, which csrf_fill swaps for the request's own."""
    setattr(request, _KEEPING, True)
    try:
        return render_to_string(template_name, context, request=request)
    finally:
        setattr(request, _KEEPING, False)


def page_csrf(request: HttpRequest) -> dict[str, str]:
    """Context processor: the placeholder for the CSRF token while a page is rendered to be kept."""
    return {"csrf_token": CSRF_PLACEHOLDER} if keeps_page(request) else {}


def _keepable(request: HttpRequest) -> bool:
    # A query string or an htmx request may change what a view answers: those are rendered.
    return (
        request.method == "GET"
        and not request.GET
        and "HX-Request" not in request.headers
        and not request.user.is_authenticated
    )


def visitor_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a visitor's plain GET of a content page whole from the cache (see above)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _keepable(request):
            return view(request, *args, **kwargs)
        cache_key = _page_key(request)
        current, html = epoch_read(cache_key)
        etag = visitor_etag(request, f"{cache_key}:{current}")
        if (unchanged := not_modified(request, etag)) is not None:
            return unchanged
        if html is not None:
            response = HttpResponse(csrf_fill(request, html))
            return content_headers(response, request, etag=etag)
        setattr(request, _KEEPING, True)
        try:
            response = view(request, *args, **kwargs)
        finally:
            setattr(request, _KEEPING, False)
        if getattr(response, "streaming", False):
            return response
        html = response.content.decode(response.charset)
        keep = response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")
        if keep:
            epoch_store(cache_key, current, html)
        # Whatever the view answered, the visitor gets their own token (a join page has forms too).
        response.content = csrf_fill(request, html)
        return content_headers(response, request, etag=etag if keep else "")

    return wrapped


# --- signals ------------------------------------------------------------------------------------


# Each content model and the path from it to its course, as a Course filter.
def _course_filters() -> dict[type, Callable[[Any], dict[str, Any]]]:
    from courses.models import Concept, Course, Module
    from lessons.models import ConceptIndexEntry, Lesson
    from quizzes.models import Option, Question, Quiz, QuizItem, RecallDay, RecallPlan, RecallPrompt

    def own(obj: Any) -> dict[str, Any]:
        return {"pk": obj.course_id}

    return {
        Course: lambda obj: {"pk": obj.pk},
        Module: own,
        Concept: own,
        Question: own,
        Quiz: own,
        RecallPlan: own,
        Lesson: lambda obj: {"modules__id": obj.module_id},
        ConceptIndexEntry: lambda obj: {"concepts__id": obj.concept_id},
        Option: lambda obj: {"questions__id": obj.question_id},
        QuizItem: lambda obj: {"quizzes__id": obj.quiz_id},
        RecallDay: lambda obj: {"recall_plans__id": obj.plan_id},
        RecallPrompt: lambda obj: {"recall_plans__days__id": obj.day_id},
    }


def _on_change(sender: type, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # loaddata
        return
    content_changed(**_FILTERS[sender](instance))


def _on_m2m(sender: type, instance: Any, action: str, **kwargs: Any) -> None:
    # instance is the question (question.concepts.add) or the concept (concept.questions.add):
    # both belong to the course.
    if action in ("post_add", "post_remove", "post_clear"):
        content_changed(pk=instance.course_id)


def _on_m2m_day(sender: type, instance: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        content_changed(recall_plans__id=instance.plan_id)


_FILTERS: dict[type, Callable[[Any], dict[str, Any]]] = {}


def connect() -> None:
    """Connect the signals (CoursesConfig.ready)."""
    from quizzes.models import Question, RecallDay

    _FILTERS.update(_course_filters())
    for model in _FILTERS:
        post_save.connect(_on_change, sender=model, dispatch_uid=f"content-save-{model.__name__}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"content-delete-{model.__name__}")
    m2m_changed.connect(_on_m2m, sender=Question.concepts.through, dispatch_uid="content-m2m-concepts")
    m2m_changed.connect(
        _on_m2m_day, sender=RecallDay.unlock_lessons.through, dispatch_uid="content-m2m-unlocks"
    )
