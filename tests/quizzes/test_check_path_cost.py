"""The check endpoints' cost: a reveal and a graded answer in a course open to all run a fixed,
small number of queries (the question is cached content), and a visibility change still holds."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import Course
from mastery.models import Attempt, ReviewCard
from quizzes.models import Question
from tests.factories import AttemptFactory, CourseFactory, QuestionFactory, check_token_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def question() -> Question:
    return QuestionFactory(course=CourseFactory(slug="cost"), slug="why", answer_html="<p>Because.</p>")


def _url(question: Question, action: str) -> str:
    return reverse(f"quizzes:{action}", args=[question.course.slug, question.slug])


def test_a_reveal_costs_the_session_and_the_user(
    student_client: Client, student, question: Question, django_assert_num_queries
) -> None:
    student_client.post(_url(question, "reveal"), {"token": check_token_for(student, question)}, **HTMX)
    # session (the user is kept): the question and its section label are cached
    with django_assert_num_queries(1):
        response = student_client.post(
            _url(question, "reveal"), {"token": check_token_for(student, question)}, **HTMX
        )
    assert "Because." in response.content.decode()


@pytest.mark.parametrize("history", [0, 40])
def test_a_graded_answer_costs_the_same_whatever_the_history(
    student_client: Client, student, question: Question, django_assert_num_queries, history: int
) -> None:
    for _ in range(history):
        AttemptFactory(learner=student, question=question)
    first = check_token_for(student, question, revealed=True)
    student_client.post(
        _url(question, "grade"), {"grade": "3", "token": first}, **HTMX
    )  # the card exists now
    # session (the user is kept); the one transaction (a savepoint inside the test's own,
    # BEGIN/COMMIT in production) holding the attempt insert, the card lock and the card update:
    # no savepoint of its own around the insert. The question, its concepts and the course's
    # memory model are cached; the recompute is queued after commit.
    with django_assert_num_queries(6):
        response = student_client.post(
            _url(question, "grade"),
            {"grade": "3", "token": check_token_for(student, question, revealed=True)},
            **HTMX,
        )
    assert response.status_code == 200
    assert Attempt.objects.filter(learner=student, question=question).count() == history + 2
    assert ReviewCard.objects.filter(learner=student, question=question).count() == 1


def test_the_same_token_twice_records_one_attempt(
    student_client: Client, student, question: Question
) -> None:
    token = check_token_for(student, question, revealed=True)
    for _ in range(2):
        assert (
            student_client.post(_url(question, "grade"), {"grade": "3", "token": token}, **HTMX).status_code
            == 200
        )
    assert Attempt.objects.filter(learner=student, question=question).count() == 1


def test_unpublishing_closes_the_cached_question(
    client: Client, student_client: Client, student, question: Question
) -> None:
    token = check_token_for(student, question)
    assert student_client.post(_url(question, "reveal"), {"token": token}, **HTMX).status_code == 200
    course = question.course
    course.is_published = False
    course.save()
    assert student_client.post(_url(question, "reveal"), {"token": token}, **HTMX).status_code == 404


def test_members_only_course_is_checked_per_learner(
    student_client: Client, student, question: Question
) -> None:
    token = check_token_for(student, question)
    assert student_client.post(_url(question, "reveal"), {"token": token}, **HTMX).status_code == 200
    course = question.course
    course.enrollment = Course.Enrollment.CODE
    course.save()
    assert student_client.post(_url(question, "reveal"), {"token": token}, **HTMX).status_code == 403


def test_a_course_memory_change_reaches_the_answer_path(question: Question) -> None:
    from mastery import scheduling
    from mastery.models import CourseMemory

    assert scheduling.course_model(question.course_id).desired_retention == scheduling.DEFAULT_RETENTION
    CourseMemory.objects.create(course_id=question.course_id, desired_retention=0.8)
    assert scheduling.course_model(question.course_id).desired_retention == 0.8


def test_the_cached_question_leaves_its_lessons_body_behind(student, django_assert_num_queries) -> None:
    from quizzes.access import get_question_for_user
    from tests.factories import LessonFactory

    lesson = LessonFactory(body_md="long " * 2000, body_html="<p>" + "long " * 2000 + "</p>")
    question = QuestionFactory(course=lesson.module.course, lesson=lesson, slug="light")
    get_question_for_user(student, question.course.slug, question.slug)

    cached = get_question_for_user(student, question.course.slug, question.slug)

    assert {"body_md", "body_html", "toc"} <= cached.lesson.get_deferred_fields()
    assert "description_html" in cached.course.get_deferred_fields()
    # What a check shows of its lesson and course needs no query.
    with django_assert_num_queries(0):
        assert cached.section_url() and cached.lesson.title and cached.course.title
