"""Cached content: the one place that decides what a content page may reuse and when it is stale.

Content changes only when an author saves (admin) or imports (bundles). Every such change
bumps its course's `content_version` (content_changed), and every cache key holds that
version, so invalidation is exact and needs no delete: a web node with its own local cache
simply stops asking for the old key. Entries live in the `content` cache alias (Redis in
production with its own key prefix, local memory in the embedded mode), so the benchmark
can measure a cold cache by clearing that alias alone.

What is cached is content only, rendered for a visitor: never a CSRF token (the fragment
carries CSRF_PLACEHOLDER, swapped per request), a user's name or a check token. The access
check of each page runs on every request before the lookup (it is also the query that
reads the version), so a visibility rule changed later still holds for cached pages.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
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


# --- lookups ------------------------------------------------------------------------------------


def key(kind: str, course_id: int, version: int, *parts: object) -> str:
    """The cache key of one cached value of one course's content at one version."""
    return ":".join(str(p) for p in (SCHEMA, kind, course_id, version, *parts))


def cached(cache_key: str, build: Callable[[], T]) -> T:
    """The value under cache_key, built (and stored) on a miss."""
    store = caches[CACHE_ALIAS]
    value = store.get(cache_key)
    if value is None:
        value = build()
        store.set(cache_key, value, TIMEOUT)
    return value


def clear() -> int | None:
    """Empty the content cache (a cold start, for the benchmark and tests); entries removed if known.

    Redis's clear() would flush the whole database, throttles and broker included, so
    there only this alias's own prefix is deleted.
    """
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
    """Cached HTML with this request's CSRF token in place of the placeholder."""
    return html.replace(CSRF_PLACEHOLDER, get_token(request)) if CSRF_PLACEHOLDER in html else html


def visitor_etag(request: HttpRequest, cache_key: str) -> str:
    """ETag of a visitor's cached page: its content key and the visitor's CSRF secret.

    The page's shell carries a CSRF token made from that secret, so a 304 is only right
    while the browser still holds the same csrftoken cookie.
    """
    get_token(request)  # ensures META["CSRF_COOKIE"] (a first visit gets its cookie)
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
