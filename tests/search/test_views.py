"""GET /search/: anonymous, student, staff; bad input; a pinned query count."""

from __future__ import annotations

import pytest
from django.test import Client

from courses.models import Course
from search import signals
from search.indexing import SEP
from tests.factories import build_course
from tests.search.conftest import make_course

pytestmark = pytest.mark.django_db


def test_the_header_box_is_on_every_page(client: Client, course: Course) -> None:
    page = client.get("/").content.decode()
    assert 'action="/search/"' in page and 'for="header-search-q"' in page


def test_empty_query_shows_the_form(client: Client) -> None:
    response = client.get("/search/")
    assert response.status_code == 200
    assert b'id="search-page-q"' in response.content and b"search-hit" not in response.content


def test_anonymous_sees_published_hits_linked_to_the_section(client: Client, course: Course) -> None:
    response = client.get("/search/", {"q": "victim"})
    assert response.status_code == 200
    assert b'href="/courses/storage/modules/buffers/buffer-pool/#s2"' in response.content
    assert SEP.join(("Storage engines", "Buffers", "The buffer pool")).encode() in response.content


def test_outsider_never_sees_a_draft(client: Client, draft: Course, outsider: object) -> None:
    client.force_login(outsider)
    response = client.get("/search/", {"q": "victim"})
    assert b"/courses/draft/" not in response.content and b"Nothing found" in response.content


def test_staff_sees_drafts(instructor_client: Client, draft: Course) -> None:
    assert b"/courses/draft/" in instructor_client.get("/search/", {"q": "victim"}).content


@pytest.mark.parametrize("query", ['"', "*", "(", "-", "x" * 1000])
def test_bad_input_is_a_400_with_a_message(client: Client, course: Course, query: str) -> None:
    response = client.get("/search/", {"q": query})
    assert response.status_code == 400
    assert b'role="alert"' in response.content


def test_post_is_refused(client: Client) -> None:
    assert client.post("/search/", {"q": "x"}).status_code == 405


@pytest.mark.parametrize("size", [1, 12])
def test_query_count_does_not_grow_with_content(
    student_client: Client, django_assert_num_queries: object, size: int
) -> None:
    from search.indexing import course_index

    course_index(course=build_course(modules=2, lessons=size, concepts=size, checks_per_lesson=2))
    signals.flush_marks_clear()
    # session, user, search.
    with django_assert_num_queries(3):
        response = student_client.get("/search/", {"q": "some text"})
    assert response.status_code == 200 and b"search-hit" in response.content


@pytest.mark.parametrize("who", ["anonymous", "student"])
def test_one_hit_and_many_hits_cost_the_same_queries(
    client: Client, student: object, django_assert_num_queries: object, who: str
) -> None:
    from courses.services import course_render
    from search.indexing import course_index

    course = build_course(modules=2, lessons=12, concepts=4, checks_per_lesson=2)
    lesson = course.modules.order_by("order").first().lessons.order_by("order").first()
    lesson.body_md += "\n\n## A lone word\n\nOnly here: quixotically.\n"
    lesson.save()
    course_render(course=course)
    course_index(course=course)
    signals.flush_marks_clear()
    if who == "student":
        client.force_login(student)
        client.get("/")  # the session's first read is not the search's business
    counts = {}
    for term in ("quixotically", "some text"):
        # anonymous: the search; signed in: session, search (the user is kept).
        with django_assert_num_queries(1 if who == "anonymous" else 2) as queries:
            response = client.get("/search/", {"q": term})
        counts[term] = (len(queries.captured_queries), response.content.count(b'<li class="search-hit">'))
    assert counts["quixotically"][1] == 1
    assert counts["some text"][1] > 10
    assert counts["quixotically"][0] == counts["some text"][0]


def test_saving_content_reindexes_after_commit(db: None, django_capture_on_commit_callbacks: object) -> None:
    from lessons.models import Lesson
    from lessons.services import lesson_render

    course = make_course()
    lesson = Lesson.objects.get(module__course=course)
    with django_capture_on_commit_callbacks(execute=True):
        lesson.body_md = "## Write-ahead logging\n\nThe log record reaches disk first.\n"
        lesson.save()
        lesson_render(lesson=lesson)
    client = Client()
    assert b"#s1" in client.get("/search/", {"q": "write-ahead"}).content
    assert b"Nothing found" in client.get("/search/", {"q": "victim"}).content
