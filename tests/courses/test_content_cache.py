"""The content cache: exact invalidation, nothing per-request in a cached page, headers and 304."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from courses import content_cache
from courses.bundles import import_bundle
from courses.models import Course, Enrollment
from lessons.models import Lesson
from lessons.services import lesson_render
from tests.courses.bundle_helpers import copy_rich
from tests.factories import CourseFactory, LessonFactory, QuestionFactory, build_course


def _version(course: Course) -> int:
    return Course.objects.values_list("content_version", flat=True).get(pk=course.pk)


def _lesson(course: Course) -> Lesson:
    lesson = Lesson.objects.filter(module__course=course).select_related("module__course").first()
    assert lesson is not None
    return lesson


@pytest.mark.django_db
def test_every_content_save_bumps_the_course_version_and_the_page_shows_it() -> None:
    course = build_course(checks_per_lesson=1)
    lesson = _lesson(course)
    client = Client()
    assert "Fresh title" not in client.get(lesson.get_absolute_url()).content.decode()
    before = _version(course)

    lesson.title = "Fresh title"
    lesson.save()  # what the admin's save does, through the same signal

    assert _version(course) == before + 1
    assert "Fresh title" in client.get(lesson.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_question_edit_invalidates_the_lesson_that_embeds_it() -> None:
    course = build_course(checks_per_lesson=1)
    lesson = _lesson(course)
    question = course.questions.get(slug=lesson.check_slugs()[0])
    client = Client()
    client.get(lesson.get_absolute_url())

    question.prompt_html = "<p>A brand new prompt</p>"
    question.save()

    assert "A brand new prompt" in client.get(lesson.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_another_course_keeps_its_version() -> None:
    one, other = build_course(), CourseFactory()
    before = _version(other)
    lesson = _lesson(one)
    lesson.title = "Changed"
    lesson.save()
    assert _version(other) == before


@pytest.mark.django_db
def test_a_full_save_of_a_stale_course_instance_never_moves_the_version_back() -> None:
    course = CourseFactory()
    stale = Course.objects.get(pk=course.pk)
    LessonFactory(module__course=course)  # bumps in the database; `stale` still holds the old value
    bumped = _version(course)

    stale.title = "Renamed"
    stale.save()

    assert _version(course) == bumped + 1


@pytest.mark.django_db
def test_import_bumps_once_and_the_page_shows_the_new_text(tmp_path: Path, django_assert_num_queries) -> None:
    bundle = copy_rich(tmp_path)
    course = import_bundle(bundle).course
    lesson = _lesson(course)
    client = Client()
    old = client.get(lesson.get_absolute_url()).content.decode()
    before = _version(course)
    path = next(p for p in (bundle / "modules").rglob("*.md") if lesson.title in p.read_text())
    path.write_text(path.read_text().replace(lesson.title, "Retitled by import", 1))

    import_bundle(bundle)

    # Deferred during the import: one bump at the end, not one per saved row.
    assert _version(course) == before + 1
    new = client.get(lesson.get_absolute_url()).content.decode()
    assert new != old
    assert "Retitled by import" in new


@pytest.mark.django_db
def test_a_dry_run_changes_no_version(tmp_path: Path) -> None:
    bundle = copy_rich(tmp_path)
    course = import_bundle(bundle).course
    before = _version(course)
    import_bundle(bundle, dry_run=True)
    assert _version(course) == before


@pytest.mark.django_db
def test_rerendering_a_lesson_invalidates_it() -> None:
    course = build_course()
    lesson = _lesson(course)
    client = Client()
    client.get(lesson.get_absolute_url())
    lesson.body_md = "## One\n\nEntirely new body text.\n"
    lesson_render(lesson=lesson)
    assert "Entirely new body text." in client.get(lesson.get_absolute_url()).content.decode()


# --- nothing per-request or per-user in a cached page ---------------------------------------------


def _csrf_values(html: str) -> set[str]:
    import re

    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))


@pytest.mark.django_db
def test_visitors_each_get_their_own_csrf_token_from_one_cached_page() -> None:
    course = build_course(checks_per_lesson=2)
    url = _lesson(course).get_absolute_url()
    first, second = Client(), Client()

    one = first.get(url).content.decode()
    two = second.get(url).content.decode()  # from the cache

    assert content_cache.CSRF_PLACEHOLDER not in one + two
    assert len(_csrf_values(one)) >= 1 and len(_csrf_values(two)) >= 1
    assert _csrf_values(one).isdisjoint(_csrf_values(two))
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value


@pytest.mark.django_db
def test_no_leak_between_a_signed_in_and_an_anonymous_view(student: User, student_client: Client) -> None:
    course = build_course(checks_per_lesson=2)
    lesson = _lesson(course)
    for url in (lesson.get_absolute_url(), course.get_absolute_url(), lesson.module.get_absolute_url(), "/"):
        signed_in = student_client.get(url).content.decode()
        anonymous = Client().get(url).content.decode()
        assert "Sign out" in signed_in
        assert "Sign out" not in anonymous
        assert student.username not in anonymous
        assert 'name="token"' not in anonymous
        assert _csrf_values(signed_in).isdisjoint(_csrf_values(anonymous))
        # And the other way round: a visitor's cached copy does not reach the learner.
        again = student_client.get(url).content.decode()
        assert "Sign in</a>" not in again


# --- headers and conditional GET ------------------------------------------------------------------


@pytest.mark.django_db
def test_visitor_pages_revalidate_with_an_etag_and_answer_304(client: Client) -> None:
    course = build_course()
    lesson = _lesson(course)
    for url in (lesson.get_absolute_url(), course.get_absolute_url(), lesson.module.get_absolute_url(), "/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-cache" in response["Cache-Control"]
        assert "Cookie" in response["Vary"]
        etag = response["ETag"]

        unchanged = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert unchanged.status_code == 304
        assert unchanged.content == b""

    # Content changed: the old ETag no longer matches.
    lesson.title = "Changed"
    lesson.save()
    assert client.get(lesson.get_absolute_url(), HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.django_db
def test_a_304_costs_no_query(client: Client, django_assert_num_queries) -> None:
    url = _lesson(build_course(checks_per_lesson=3)).get_absolute_url()
    etag = client.get(url)["ETag"]
    with django_assert_num_queries(0):
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.django_db
def test_signed_in_pages_are_private_and_never_stored(student_client: Client) -> None:
    course = build_course()
    for url in (_lesson(course).get_absolute_url(), course.get_absolute_url(), "/"):
        response = student_client.get(url)
        assert "private" in response["Cache-Control"]
        assert "no-store" in response["Cache-Control"]
        assert "Cookie" in response["Vary"]
        assert not response.has_header("ETag")


@pytest.mark.django_db
def test_access_still_checked_on_a_warm_cache(student_client: Client, student: User) -> None:
    # Membership is not content: leaving a members-only course takes its pages away at once.
    course = build_course()
    course.enrollment = Course.Enrollment.CODE
    course.save()
    membership = Enrollment.objects.create(learner=student, course=course, via=Enrollment.Via.CODE)
    url = _lesson(course).get_absolute_url()
    assert student_client.get(url).status_code == 200  # warm now
    membership.delete()
    assert student_client.get(url).status_code == 403


@pytest.mark.django_db
def test_a_signed_in_learner_loses_an_unpublished_course_at_once(student_client: Client) -> None:
    course = build_course()
    url = _lesson(course).get_absolute_url()
    assert student_client.get(url).status_code == 200
    course.is_published = False
    course.save()  # a save bumps the pages' epoch, which the cached course facts live in
    assert student_client.get(url).status_code == 404


@pytest.mark.django_db
def test_unpublishing_takes_whole_visitor_pages_away(client: Client) -> None:
    course = build_course()
    url = _lesson(course).get_absolute_url()
    for page in (url, course.get_absolute_url(), "/"):
        assert client.get(page).status_code == 200  # kept whole now
    course.is_published = False
    course.save()  # the admin's way (and the importer's): a save, which bumps the pages' epoch
    assert client.get(url).status_code == 404
    assert client.get(course.get_absolute_url()).status_code == 404
    assert course.title not in client.get("/").content.decode()


@pytest.mark.django_db
def test_members_only_course_is_not_served_whole_to_visitors(client: Client) -> None:
    course = build_course()
    url = _lesson(course).get_absolute_url()
    assert client.get(url).status_code == 200
    course.enrollment = Course.Enrollment.CODE
    course.save()
    response = client.get(url)
    assert response.status_code == 403
    assert content_cache.CSRF_PLACEHOLDER not in response.content.decode()


@pytest.mark.django_db
def test_visitor_page_carries_the_visitors_own_token(client: Client) -> None:
    url = _lesson(build_course(checks_per_lesson=2)).get_absolute_url()
    first = client.get(url)
    html = client.get(url).content.decode()  # from the cache
    assert content_cache.CSRF_PLACEHOLDER not in first.content.decode()
    assert content_cache.CSRF_PLACEHOLDER not in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    other = Client()
    assert content_cache.CSRF_PLACEHOLDER not in other.get(url).content.decode()
    assert other.cookies["csrftoken"].value != client.cookies["csrftoken"].value


@pytest.mark.django_db
def test_a_query_string_or_htmx_request_is_rendered_not_kept(client: Client) -> None:
    url = _lesson(build_course()).get_absolute_url()
    assert client.get(url).has_header("ETag")  # kept whole
    for response in (client.get(url + "?x=1"), client.get(url, HTTP_HX_REQUEST="true")):
        assert response.status_code == 200
        assert not response.has_header("ETag")  # rendered by the view, not kept


def test_code_fingerprint_is_stable_within_a_process() -> None:
    assert content_cache.code_fingerprint() == content_cache.code_fingerprint()
    assert len(content_cache.code_fingerprint()) == 16


@pytest.mark.django_db
def test_missing_question_placeholder_is_cached_too(client: Client) -> None:
    course = build_course(checks_per_lesson=1)
    lesson = _lesson(course)
    course.questions.filter(slug=lesson.check_slugs()[0]).delete()
    assert "its question is missing" in client.get(lesson.get_absolute_url()).content.decode()
    QuestionFactory(course=course, slug=lesson.check_slugs()[0])
    assert "its question is missing" not in client.get(lesson.get_absolute_url()).content.decode()


def test_clear_command_empties_only_the_content_alias() -> None:
    from django.core.cache import cache, caches
    from django.core.management import call_command

    caches["content"].set("x", 1)
    cache.set("throttle", 1)
    call_command("clear_content_cache")
    assert caches["content"].get("x") is None
    assert cache.get("throttle") == 1


def test_a_process_reuses_a_read_entry_without_asking_the_cache_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under a key made by key() (a content version inside) a value never changes: the process
    keeps what it read, and clear() forgets it."""
    key = content_cache.key("memo-test", 1, 7)
    assert content_cache.cached(key, lambda: "rendered once") == "rendered once"
    store = content_cache.caches[content_cache.CACHE_ALIAS]
    monkeypatch.setattr(store, "get", lambda *args, **kwargs: pytest.fail("asked the cache again"))
    assert content_cache.cached(key, lambda: "rendered twice") == "rendered once"
    monkeypatch.undo()
    content_cache.clear()
    assert content_cache.cached(key, lambda: "rendered after a clear") == "rendered after a clear"


@pytest.mark.django_db
def test_a_value_a_caller_could_change_is_never_shared_between_requests() -> None:
    question = QuestionFactory()
    key = content_cache.key("memo-model", question.course_id, 1)
    first = content_cache.cached(key, lambda: question)
    second = content_cache.cached(key, lambda: question)
    assert first == second and first is not second  # each read its own copy, from the cache


@pytest.mark.django_db
def test_a_changeable_value_is_kept_as_its_pickle_and_read_without_the_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model instance comes back from the process's memo (no cache read) as a fresh copy:
    a change one request makes to its copy never reaches the next."""
    question = QuestionFactory()
    key = content_cache.key("memo-pickled", question.course_id, 1)
    content_cache.cached(key, lambda: question)
    store = content_cache.caches[content_cache.CACHE_ALIAS]
    monkeypatch.setattr(store, "get", lambda *args, **kwargs: pytest.fail("asked the cache again"))
    first: Any = content_cache.cached(key, lambda: pytest.fail("built again"))
    first.prompt_md = "changed by one request"
    second = content_cache.cached(key, lambda: pytest.fail("built again"))
    assert second.pk == question.pk and second.prompt_md == question.prompt_md and second is not first
