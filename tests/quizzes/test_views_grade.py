"""Grade: the learner's self-grade after revealing a free-recall answer."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from mastery.models import Attempt, Grade, Mode, ReviewCard
from quizzes import views
from quizzes.models import Question
from tests.factories import CourseFactory, QuestionFactory, check_token_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def question() -> Question:
    return QuestionFactory(
        course=CourseFactory(slug="llm"), slug="why-kl", prompt_html="<p>Why KL?</p>", answer_html="<p>A</p>"
    )


def grade_url(question: Question) -> str:
    return reverse("quizzes:grade", args=[question.course.slug, question.slug])


@pytest.mark.parametrize(("grade", "label"), [("1", "Again"), ("2", "Hard"), ("3", "Good"), ("4", "Easy")])
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

    html = client.post(grade_url(question), {"grade": "3", "next": "/courses/llm/"}, **HTMX).content.decode()

    assert f'<a href="/admin/login/?next={quote("/courses/llm/", safe="")}">Sign in</a>' in html


def test_signed_in_learners_are_not_invited(student_client: Client, student, question: Question) -> None:
    token = check_token_for(student, question, revealed=True)
    html = student_client.post(grade_url(question), {"grade": "2", "token": token}, **HTMX).content.decode()

    assert "Marked: Hard" in html
    assert "Saved — next review in" in html
    assert "Sign in" not in html


def test_plain_post_gets_a_full_page(client: Client, question: Question) -> None:
    response = client.post(grade_url(question), {"grade": "4", "next": "/courses/llm/"})

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

    response = client.post(grade_url(choice), {"grade": "3"}, **HTMX)

    assert response.status_code == 400


def test_foreign_next_does_not_reach_the_login_link(client: Client, question: Question) -> None:
    html = client.post(grade_url(question), {"grade": "3", "next": "https://evil.example/"}).content.decode()

    assert "evil.example" not in html


def test_records_through_the_single_hook(
    client: Client, question: Question, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, object]] = []

    real = views.answer_record

    def record(**kwargs):
        calls.append((kwargs["question"].slug, kwargs["answer"].grade))
        return real(**kwargs)

    monkeypatch.setattr("quizzes.views.answer_record", record)

    client.post(grade_url(question), {"grade": "3"}, **HTMX)
    client.post(grade_url(question), {"grade": "nope"}, **HTMX)
    client.post(grade_url(question), {"grade": "good"}, **HTMX)  # the old wire format is gone

    assert calls == [("why-kl", Grade.GOOD)]


def test_access(client: Client, student_client: Client, instructor_client: Client, instructor) -> None:
    question = QuestionFactory(course=CourseFactory(is_published=False))
    token = check_token_for(instructor, question)

    assert client.post(grade_url(question), {"grade": "3"}).status_code == 404
    assert student_client.post(grade_url(question), {"grade": "3"}).status_code == 404
    assert instructor_client.post(grade_url(question), {"grade": "3", "token": token}).status_code == 200
    assert client.post("/courses/llm/questions/nope/grade/", {"grade": "3"}).status_code == 404


def test_get_is_not_allowed_and_csrf_is_enforced(question: Question) -> None:
    client = Client(enforce_csrf_checks=True)

    assert client.get(grade_url(question)).status_code == 405
    assert client.post(grade_url(question), {"grade": "3"}).status_code == 403


# --- Recording attempts for signed-in learners ----------------------------------------------------


def test_signed_in_grade_records_one_attempt_even_when_replayed(
    student_client: Client, student, question: Question
) -> None:
    token = check_token_for(student, question, revealed=True)

    first = student_client.post(grade_url(question), {"grade": "3", "token": token}, **HTMX)
    replay = student_client.post(grade_url(question), {"grade": "3", "token": token}, **HTMX)

    assert first.status_code == replay.status_code == 200
    attempt = Attempt.objects.get(learner=student)
    assert (attempt.mode, attempt.grade, attempt.revealed) == (Mode.STUDY, 3, True)
    # No page script said when the check came on screen: the timing is unknown, not guessed.
    assert attempt.time_taken_ms is None and attempt.think_ms is None
    assert ReviewCard.objects.get(learner=student).reps == 1
    assert "Saved — next review in" in replay.content.decode()


def test_mode_comes_from_the_token_not_the_bare_field(student_client: Client, student, question) -> None:
    token = check_token_for(student, question, mode="cram", revealed=True)

    html = student_client.post(
        grade_url(question), {"grade": "4", "token": token, "mode": "study"}, **HTMX
    ).content.decode()

    assert "Cram: not scheduled" in html
    assert Attempt.objects.get(learner=student).mode == Mode.CRAM
    assert not ReviewCard.objects.exists()


@pytest.mark.parametrize("problem", ["missing", "tampered", "other-learner", "other-question", "expired"])
def test_bad_tokens_are_a_400_and_record_nothing(
    student_client: Client, student, outsider, question: Question, problem: str, monkeypatch
) -> None:
    token = {
        "missing": "",
        "tampered": check_token_for(student, question)[:-3] + "xyz",
        "other-learner": check_token_for(outsider, question),
        "other-question": check_token_for(student, QuestionFactory(course=question.course)),
        "expired": check_token_for(student, question),
    }[problem]
    if problem == "expired":
        monkeypatch.setattr("quizzes.forms.TOKEN_MAX_AGE", -1)

    fragment = student_client.post(grade_url(question), {"grade": "3", "token": token}, **HTMX)
    page = student_client.post(grade_url(question), {"grade": "3", "token": token})

    assert fragment.status_code == page.status_code == 400
    assert "This check has expired — reload the page" in fragment.content.decode()
    assert "<html" in page.content.decode()
    assert not Attempt.objects.exists()


def test_anonymous_grades_record_nothing(client: Client, student, question: Question) -> None:
    # Even a valid token of someone else posted anonymously is ignored: nothing is kept for visitors.
    token = check_token_for(student, question)

    response = client.post(grade_url(question), {"grade": "3", "token": token}, **HTMX)

    assert response.status_code == 200 and "Sign in" in response.content.decode()
    assert not Attempt.objects.exists()


# --- The graded fragment is kept as content ---------------------------------------------------------


def test_the_kept_fragment_carries_each_requests_own_return_path_and_saved_line(
    client: Client, student_client: Client, student, question: Question, settings
) -> None:
    settings.LOGIN_URL = "/admin/login/"
    first = client.post(grade_url(question), {"grade": "3", "next": "/courses/llm/"}, **HTMX).content.decode()
    # Same question and grade: the kept fragment, with this visitor's return path in the sign-in link.
    second = client.post(
        grade_url(question), {"grade": "3", "next": "/courses/llm/?a=1&b=2"}, **HTMX
    ).content.decode()
    token = check_token_for(student, question, revealed=True)
    signed_in = student_client.post(
        grade_url(question), {"grade": "3", "token": token}, **HTMX
    ).content.decode()

    assert f'href="/admin/login/?next={quote("/courses/llm/", safe="")}"' in first
    assert f'href="/admin/login/?next={quote("/courses/llm/?a=1&b=2", safe="")}"' in second
    assert "Saved — next review in" in signed_in and "Sign in" not in signed_in
    for html in (first, second, signed_in):
        assert "STUDYHALL" not in html
        assert "Marked: Good" in html and "<p>A</p>" in html


def test_the_kept_fragment_follows_the_question_and_the_grade(client: Client, question: Question) -> None:
    client.post(grade_url(question), {"grade": "3"}, **HTMX)
    question.answer_html = "<p>A better answer</p>"
    question.save()

    again = client.post(grade_url(question), {"grade": "1"}, **HTMX).content.decode()
    good = client.post(grade_url(question), {"grade": "3"}, **HTMX).content.decode()

    assert "A better answer" in again and "Marked: Again" in again and "not recalled this time" in again
    assert "A better answer" in good and "Marked: Good" in good
