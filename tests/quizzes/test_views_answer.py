"""Answer: submitting a multiple-choice option, then seeing right/wrong and why."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from mastery.models import Attempt
from quizzes import views
from quizzes.models import Option, Question
from tests.factories import CourseFactory, LessonFactory, OptionFactory, QuestionFactory, check_token_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def question() -> Question:
    question = QuestionFactory(
        course=CourseFactory(slug="llm"),
        slug="value-model",
        kind=Question.Kind.CHOICE,
        prompt_html="<p>Which method needs a value model?</p>",
        explanation_html="<p>THE-WHY</p>",
        lesson=LessonFactory(),
        anchor="s4-2",
    )
    OptionFactory(question=question, text="PPO", is_correct=True, order=1)
    OptionFactory(question=question, text="DPO", order=2)
    return question


def _option(question: Question, text: str) -> Option:
    return question.options.get(text=text)


def test_right_answer_in_a_fragment(client: Client, question: Question) -> None:
    response = client.post(question.answer_url(), {"option": _option(question, "PPO").pk}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Right." in html
    assert '<li class="option option-correct option-chosen">' in html
    assert "THE-WHY" in html
    assert "#s4-2" in html


def test_wrong_answer_shows_the_choice_and_the_correct_option(client: Client, question: Question) -> None:
    html = client.post(
        question.answer_url(), {"option": _option(question, "DPO").pk}, **HTMX
    ).content.decode()

    assert "Not quite." in html
    assert '<li class="option option-chosen">' in html
    assert '<li class="option option-correct">' in html
    # The rows are in the learner's order; each carries its own marks.
    rows = dict(re.findall(r'<span class="option-text">(\w+)</span>(.*?)</li>', html, re.S))
    assert "Correct answer" in rows["PPO"] and "Your answer" not in rows["PPO"]
    assert "Your answer" in rows["DPO"] and "Wrong" in rows["DPO"] and "Correct answer" not in rows["DPO"]
    assert 'The correct answer is <strong class="correct-answer">PPO</strong>' in html
    assert "THE-WHY" in html


def test_plain_post_gets_a_full_page(client: Client, question: Question) -> None:
    response = client.post(
        question.answer_url(), {"option": _option(question, "DPO").pk, "next": "/courses/llm/"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Not quite." in html
    assert '<a href="/courses/llm/">← Back to where you were</a>' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Pick one of the options"),
        ({"option": "abc"}, "does not belong to this question"),
        ({"option": ""}, "Pick one of the options"),
        ({"option": "99999"}, "does not belong to this question"),
    ],
)
def test_malformed_option_is_a_400_fragment(
    client: Client, question: Question, data: dict[str, str], message: str
) -> None:
    response = client.post(question.answer_url(), data, **HTMX)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "<html" not in html
    assert "THE-WHY" not in html
    assert response["HX-Retarget"] == "#check-value-model-error"


def test_option_of_another_question_is_rejected(client: Client, question: Question) -> None:
    other = OptionFactory(question=QuestionFactory(course=question.course, kind=Question.Kind.CHOICE))

    response = client.post(question.answer_url(), {"option": other.pk})

    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" in html
    assert "does not belong to this question" in html
    # The page offers the question again, still without its answer.
    assert 'type="radio" name="option"' in html
    assert "THE-WHY" not in html


def test_free_recall_question_cannot_be_answered_with_an_option(client: Client, question: Question) -> None:
    free = QuestionFactory(course=question.course, answer_html="<p>SECRET</p>")

    response = client.post(free.answer_url(), {"option": "1"}, **HTMX)

    assert response.status_code == 400
    assert "SECRET" not in response.content.decode()


def test_foreign_next_is_not_echoed(client: Client, question: Question) -> None:
    html = client.post(
        question.answer_url(), {"option": _option(question, "PPO").pk, "next": "https://evil.example/"}
    ).content.decode()

    assert "evil.example" not in html


def test_records_through_the_single_hook(
    client: Client, question: Question, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, object]] = []

    real = views.answer_record

    def record(**kwargs):
        calls.append((kwargs["question"].slug, kwargs["answer"].option))
        return real(**kwargs)

    monkeypatch.setattr("quizzes.views.answer_record", record)
    chosen = _option(question, "DPO")

    client.post(question.answer_url(), {"option": chosen.pk}, **HTMX)
    client.post(question.answer_url(), {"option": "abc"}, **HTMX)

    assert calls == [("value-model", chosen)]


def test_access(client: Client, student_client: Client, instructor_client: Client, instructor) -> None:
    question = QuestionFactory(course=CourseFactory(is_published=False), kind=Question.Kind.CHOICE)
    option = OptionFactory(question=question, is_correct=True)
    token = check_token_for(instructor, question)

    assert client.post(question.answer_url(), {"option": option.pk}).status_code == 404
    assert student_client.post(question.answer_url(), {"option": option.pk}).status_code == 404
    assert (
        instructor_client.post(question.answer_url(), {"option": option.pk, "token": token}).status_code
        == 200
    )
    assert client.post("/courses/nope/questions/nope/answer/", {"option": option.pk}).status_code == 404


def test_get_is_not_allowed_and_csrf_is_enforced(question: Question) -> None:
    client = Client(enforce_csrf_checks=True)

    assert client.get(question.answer_url()).status_code == 405
    option = question.options.get(text="PPO")
    assert client.post(question.answer_url(), {"option": option.pk}).status_code == 403


def test_signed_in_answer_records_correctness_from_the_option(
    student_client: Client, student, question: Question
) -> None:
    token = check_token_for(student, question)

    html = student_client.post(
        question.answer_url(), {"option": _option(question, "DPO").pk, "token": token}, **HTMX
    ).content.decode()

    attempt = Attempt.objects.get(learner=student)
    assert attempt.is_correct is False and attempt.option == _option(question, "DPO")
    assert attempt.revealed is False and attempt.mode == "study"
    assert "Saved — next review in" in html and "Sign in" not in html


def test_signed_in_option_of_another_question_is_a_400(student_client: Client, student, question) -> None:
    other = OptionFactory(question=QuestionFactory(course=question.course, kind=Question.Kind.CHOICE))
    token = check_token_for(student, question)

    response = student_client.post(question.answer_url(), {"option": other.pk, "token": token}, **HTMX)

    assert response.status_code == 400
    assert "does not belong to this question" in response.content.decode()
    assert not Attempt.objects.exists()


def test_anonymous_answer_invites_to_sign_in_and_records_nothing(client: Client, question: Question) -> None:
    html = client.post(
        question.answer_url(), {"option": _option(question, "PPO").pk, "next": "/courses/llm/"}, **HTMX
    ).content.decode()

    assert "Sign in</a> to keep your progress" in html
    assert not Attempt.objects.exists()
