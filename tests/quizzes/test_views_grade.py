"""Grade: the learner's self-grade after revealing a free-recall answer."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from quizzes.models import Question
from tests.factories import CourseFactory, QuestionFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def question() -> Question:
    return QuestionFactory(
        course=CourseFactory(slug="llm"), slug="why-kl", prompt_html="<p>Why KL?</p>", answer_html="<p>A</p>"
    )


def grade_url(question: Question) -> str:
    return reverse("quizzes:grade", args=[question.course.slug, question.slug])


@pytest.mark.parametrize(
    ("grade", "label"), [("again", "Again"), ("hard", "Hard"), ("good", "Good"), ("easy", "Easy")]
)
def test_acknowledges_the_grade_in_a_fragment(
    client: Client, question: Question, grade: str, label: str
) -> None:
    response = client.post(grade_url(question), {"grade": grade, "next": "/courses/llm/"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert f"Marked: {label}" in html
    assert 'id="check-why-kl"' in html


def test_anonymous_visitors_are_invited_to_sign_in(client: Client, question: Question, settings) -> None:
    settings.LOGIN_URL = "/admin/login/"

    html = client.post(
        grade_url(question), {"grade": "good", "next": "/courses/llm/"}, **HTMX
    ).content.decode()

    assert f'<a href="/admin/login/?next={quote("/courses/llm/", safe="")}">Sign in</a>' in html


def test_signed_in_learners_are_not_invited(student_client: Client, question: Question) -> None:
    html = student_client.post(grade_url(question), {"grade": "hard"}, **HTMX).content.decode()

    assert "Marked: Hard" in html
    assert "Sign in" not in html


def test_plain_post_gets_a_full_page(client: Client, question: Question) -> None:
    response = client.post(grade_url(question), {"grade": "easy", "next": "/courses/llm/"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Marked: Easy" in html
    assert '<a href="/courses/llm/">← Back to where you were</a>' in html


@pytest.mark.parametrize("data", [{}, {"grade": ""}, {"grade": "perfect"}, {"grade": "GOOD"}])
def test_unknown_grade_is_a_400_with_a_message(
    client: Client, question: Question, data: dict[str, str]
) -> None:
    fragment = client.post(grade_url(question), data, **HTMX)
    page = client.post(grade_url(question), data)

    assert fragment.status_code == page.status_code == 400
    assert "Again, Hard, Good or Easy" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    assert "Again, Hard, Good or Easy" in page.content.decode()
    assert "<html" in page.content.decode()


def test_choice_questions_are_not_self_graded(client: Client, question: Question) -> None:
    choice = QuestionFactory(course=question.course, kind=Question.Kind.CHOICE)

    response = client.post(grade_url(choice), {"grade": "good"}, **HTMX)

    assert response.status_code == 400


def test_foreign_next_does_not_reach_the_login_link(client: Client, question: Question) -> None:
    html = client.post(
        grade_url(question), {"grade": "good", "next": "https://evil.example/"}
    ).content.decode()

    assert "evil.example" not in html


def test_records_through_the_single_hook(
    client: Client, question: Question, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, object]] = []
    monkeypatch.setattr(
        "quizzes.views.record_attempt",
        lambda request, q, *, grade=None, option=None: calls.append((q.slug, grade)),
    )

    client.post(grade_url(question), {"grade": "good"}, **HTMX)
    client.post(grade_url(question), {"grade": "nope"}, **HTMX)

    assert calls == [("why-kl", "good")]


def test_access(client: Client, student_client: Client, instructor_client: Client) -> None:
    question = QuestionFactory(course=CourseFactory(is_published=False))

    assert client.post(grade_url(question), {"grade": "good"}).status_code == 404
    assert student_client.post(grade_url(question), {"grade": "good"}).status_code == 404
    assert instructor_client.post(grade_url(question), {"grade": "good"}).status_code == 200
    assert client.post("/courses/llm/questions/nope/grade/", {"grade": "good"}).status_code == 404


def test_get_is_not_allowed_and_csrf_is_enforced(question: Question) -> None:
    client = Client(enforce_csrf_checks=True)

    assert client.get(grade_url(question)).status_code == 405
    assert client.post(grade_url(question), {"grade": "good"}).status_code == 403
