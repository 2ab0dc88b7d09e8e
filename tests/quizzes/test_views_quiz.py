"""The readiness quiz page: numbered checks, no answers in the page."""

from __future__ import annotations

import pytest
from django.test import Client

from quizzes.models import Question, Quiz
from quizzes.services import question_render, quiz_render
from tests.factories import (
    COURSE_SIZES,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    OptionFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    build_course,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz() -> Quiz:
    course = CourseFactory(slug="llm")
    module = ModuleFactory(course=course, title="Post-training")
    lesson = LessonFactory(module=module)
    quiz = QuizFactory(
        course=course, module=module, slug="ready", title="Ready for RLHF?", intro_md="Answer before peeking."
    )
    quiz_render(quiz=quiz)
    second = QuestionFactory(course=course, slug="second", prompt_md="Why a KL term?", answer_md="SECRET-2.")
    first = QuestionFactory(
        course=course,
        slug="first",
        kind=Question.Kind.CHOICE,
        prompt_md="Which needs a value model?",
        explanation_md="SECRET-WHY.",
        lesson=lesson,
    )
    OptionFactory(question=first, text="PPO", is_correct=True, order=1)
    OptionFactory(question=first, text="DPO", order=2)
    for question in (first, second):
        question_render(question=question)
    QuizItemFactory(quiz=quiz, question=second, order=2)
    QuizItemFactory(quiz=quiz, question=first, order=1)
    return quiz


def test_questions_as_numbered_checks_in_order(client: Client, quiz: Quiz) -> None:
    response = client.get(quiz.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ready for RLHF?" in html
    assert "Answer before peeking." in html
    assert '<ol class="check-list">' in html
    assert html.index("Which needs a value model?") < html.index("Why a KL term?")
    assert html.count('class="check ') == 2
    assert "Show answer" in html
    assert 'type="radio" name="option"' in html


def test_no_answer_or_correctness_before_reveal(client: Client, quiz: Quiz) -> None:
    html = client.get(quiz.get_absolute_url()).content.decode()

    assert "SECRET-2" not in html
    assert "SECRET-WHY" not in html
    checks = html[
        html.index('<ol class="check-list">') : html.index("</ol>", html.index('<ol class="check-list">'))
    ]
    assert "correct" not in checks.lower()


def test_empty_quiz(client: Client) -> None:
    quiz = QuizFactory()

    assert "This quiz has no questions yet." in client.get(quiz.get_absolute_url()).content.decode()


def test_access(client: Client, student_client: Client, instructor_client: Client) -> None:
    quiz = QuizFactory(course=CourseFactory(is_published=False))

    assert client.get(quiz.get_absolute_url()).status_code == 404
    assert student_client.get(quiz.get_absolute_url()).status_code == 404
    assert instructor_client.get(quiz.get_absolute_url()).status_code == 200
    assert client.get(f"/courses/{quiz.course.slug}/quizzes/nope/").status_code == 404


def test_post_is_not_allowed(client: Client, quiz: Quiz) -> None:
    assert client.post(quiz.get_absolute_url()).status_code == 405


@pytest.mark.parametrize(
    "size",
    COURSE_SIZES,
)
def test_query_count_does_not_grow(client: Client, django_assert_num_queries, size: dict[str, int]) -> None:
    course = build_course(**size)
    quiz = course.quizzes.get()
    url = quiz.get_absolute_url()

    # quiz+course+module+lesson, items+questions, options
    with django_assert_num_queries(3):
        response = client.get(url)
    assert response.content.decode().count('class="check ') == size["lessons"] * size["checks_per_lesson"]


def test_readiness_quiz_issues_cram_tokens_to_signed_in_learners(
    student_client: Client, client: Client, quiz: Quiz
) -> None:
    quiz.kind = Quiz.Kind.READINESS
    quiz.save()

    html = student_client.get(quiz.get_absolute_url()).content.decode()
    anonymous = client.get(quiz.get_absolute_url()).content.decode()

    assert 'name="mode" value="cram"' in html and 'name="token"' in html
    assert "do not change when questions come back" in html
    assert 'name="token"' not in anonymous


def test_lesson_check_quiz_is_study(student_client: Client, quiz: Quiz) -> None:
    quiz.kind = Quiz.Kind.LESSON_CHECK
    quiz.save()

    html = student_client.get(quiz.get_absolute_url()).content.decode()

    assert 'name="mode" value="study"' in html and 'value="cram"' not in html
