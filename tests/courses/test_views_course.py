"""The course page: modules in order with status and lessons, quizzes and recall weeks."""

from __future__ import annotations

import pytest
from django.test import Client

from courses.models import Course
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuizFactory,
    RecallPlanFactory,
    build_course,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db) -> Course:
    course = CourseFactory(title="Training models", summary="From data to deployment.")
    later = ModuleFactory(course=course, title="Later module", order=2, kind="week")
    first = ModuleFactory(
        course=course, title="First module", order=1, goal="Explain the pipeline.", status="Draft"
    )
    LessonFactory(module=first, title="Built lesson", order=1)
    LessonFactory(module=first, title="Planned lesson", order=2, body_md="")
    LessonFactory(module=later, title="Week lesson", order=1)
    QuizFactory(course=course, module=first, title="Ready for week two?", slug="ready")
    QuizFactory(course=course, title="A lesson check", slug="lesson-check", kind="lesson_check")
    RecallPlanFactory(course=course, title="Week one recall", slug="week-one")
    return course


def test_modules_in_order_with_status_and_lessons(client: Client, course: Course) -> None:
    response = client.get(course.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("First module") < html.index("Later module")
    assert "Explain the pipeline." in html
    # The author's build status, labelled as such; a visitor has no progress bar of their own.
    assert "Author's build status: Draft (1 of 2 lessons built)" in html
    assert "<progress" not in html
    assert "Week" in html  # the module kind
    assert html.index("Built lesson") < html.index("Planned lesson") < html.index("Week lesson")
    assert "not written yet" in html


def test_links_readiness_quizzes_and_recall_weeks(client: Client, course: Course) -> None:
    html = client.get(course.get_absolute_url()).content.decode()

    assert "/quizzes/ready/" in html
    assert "/recall/week-one/" in html
    # Lesson checks belong on their lesson, not in the course's practice list.
    assert "A lesson check" not in html


def test_planned_lessons_count_towards_status(client: Client) -> None:
    course = CourseFactory()
    module = ModuleFactory(course=course, planned_lessons=5)
    LessonFactory(module=module)

    html = client.get(course.get_absolute_url()).content.decode()

    assert "1 of 5 lessons built" in html


def test_empty_course_says_so(client: Client) -> None:
    course = CourseFactory()

    html = client.get(course.get_absolute_url()).content.decode()

    assert "This course has no modules yet." in html


def test_unpublished_course_is_not_found_for_learners(client: Client, student_client: Client) -> None:
    course = CourseFactory(is_published=False)

    assert client.get(course.get_absolute_url()).status_code == 404
    assert student_client.get(course.get_absolute_url()).status_code == 404


def test_staff_see_unpublished_course_with_a_banner(instructor_client: Client) -> None:
    course = CourseFactory(is_published=False)

    response = instructor_client.get(course.get_absolute_url())

    assert response.status_code == 200
    assert "this course is not published" in response.content.decode()


def test_unknown_course_gets_the_friendly_404(client: Client) -> None:
    response = client.get("/courses/no-such-course/")

    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_post_is_not_allowed(client: Client, course: Course) -> None:
    assert client.post(course.get_absolute_url()).status_code == 405


@pytest.mark.parametrize(
    "size", [{"modules": 1, "lessons": 1, "concepts": 2}, {"modules": 8, "lessons": 30, "concepts": 40}]
)
def test_query_count_does_not_grow_with_the_course(
    client: Client,
    student_client: Client,
    django_assert_num_queries,
    size: dict[str, int],
) -> None:
    course = build_course(**size)

    # Cold: the access check (course id and version), then course, modules, lessons, readiness
    # quizzes, recall plans. Warm: the whole page from the cache, no query.
    with django_assert_num_queries(6):
        client.get(course.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.get(course.get_absolute_url())
    assert response.content.decode().count('class="module-card"') == size["modules"]
    # A signed-in learner (never cached): the access check, session, user, the lessons they
    # read, the five content queries, and where to continue (the outline, the last answer).
    with django_assert_num_queries(11):
        student_client.get(course.get_absolute_url())
