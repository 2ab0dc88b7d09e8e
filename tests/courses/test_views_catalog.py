"""The catalog: published courses with counts; drafts only for staff."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import CourseFactory, LessonFactory, ModuleFactory, build_course

URL = reverse("courses:catalog")

pytestmark = pytest.mark.django_db


def test_lists_published_courses_with_counts(client: Client) -> None:
    course = CourseFactory(title="Tokens from scratch")
    first, second = ModuleFactory(course=course), ModuleFactory(course=course)
    LessonFactory(module=first)
    LessonFactory(module=first)
    LessonFactory(module=second)

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Tokens from scratch" in html
    assert course.get_absolute_url() in html
    assert "2 modules · 3 lessons" in html


def test_drafts_are_hidden_from_learners(client: Client, student_client: Client) -> None:
    CourseFactory(title="Secret draft", is_published=False)

    for visitor in (client, student_client):
        html = visitor.get(URL).content.decode()
        assert "Secret draft" not in html
        assert "There are no courses here yet" in html


def test_staff_see_drafts_marked(instructor_client: Client) -> None:
    CourseFactory(title="Secret draft", is_published=False)

    html = instructor_client.get(URL).content.decode()

    assert "Secret draft" in html
    assert "Draft" in html


def test_empty_state_for_staff_points_to_import(instructor_client: Client) -> None:
    html = instructor_client.get(URL).content.decode()

    assert "import_course" in html


def test_post_is_not_allowed(client: Client) -> None:
    assert client.post(URL).status_code == 405


@pytest.mark.parametrize("courses", [1, 6])
def test_one_query_whatever_the_number_of_courses(
    client: Client, django_assert_num_queries, courses: int
) -> None:
    for n in range(courses):
        build_course(modules=1 + n, lessons=1 + 3 * n, concepts=1)

    # Cold: the versions of the visible courses (the access check and the key), then the rows.
    with django_assert_num_queries(2):
        response = client.get(URL)
    assert response.content.decode().count('class="card"') == courses
    # Warm: the whole page from the cache, no query (content_cache.visitor_page).
    with django_assert_num_queries(0):
        response = client.get(URL)
    assert response.content.decode().count('class="card"') == courses
