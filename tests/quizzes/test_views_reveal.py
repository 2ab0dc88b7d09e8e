"""Reveal: the model answer of a free-recall check, fetched only when asked for."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client

from lessons.models import Section
from quizzes.models import Question
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    OptionFactory,
    QuestionFactory,
    check_token_for,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def question() -> Question:
    course = CourseFactory(slug="llm")
    lesson = LessonFactory(module=ModuleFactory(course=course, slug="m1"), slug="sft")
    Section.objects.create(lesson=lesson, number="3.2", anchor="s3-2", title="Quality")
    return QuestionFactory(
        course=course,
        slug="why-quality",
        prompt_html="<p>Why does quality win?</p>",
        answer_html="<p>THE-ANSWER</p>",
        explanation_html="<p>THE-WHY</p>",
        lesson=lesson,
        anchor="s3-2",
        section_ref="§3.2",
    )


def test_htmx_gets_the_check_fragment_with_answer_and_grades(client: Client, question: Question) -> None:
    response = client.post(question.reveal_url(), {"next": "/courses/llm/"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert '<section class="check check-free is-revealed" id="check-why-quality"' in html
    assert "THE-ANSWER" in html and "THE-WHY" in html
    assert '<a href="/courses/llm/modules/m1/sft/#s3-2">Jump to §3.2</a>' in html
    assert 'hx-post="/courses/llm/questions/why-quality/grade/"' in html
    assert 'hx-target="#check-why-quality"' in html
    # One grade format on the wire, the same as on the Review page: 1 Again to 4 Easy.
    for grade in ("1", "2", "3", "4"):
        assert f'name="grade" value="{grade}"' in html
    assert 'data-key="1"' in html and 'data-grade="4"' in html
    assert 'name="next" value="/courses/llm/"' in html


def test_plain_post_gets_a_page_with_the_answer_and_a_way_back(client: Client, question: Question) -> None:
    response = client.post(question.reveal_url(), {"next": "/courses/llm/modules/m1/sft/#check-why-quality"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert "THE-ANSWER" in html
    assert '<a href="/courses/llm/modules/m1/sft/#check-why-quality">← Back to where you were</a>' in html


@pytest.mark.parametrize(
    "evil",
    ["https://evil.example/phish", "//evil.example/phish", "javascript:alert(1)", "http:///evil.example"],
)
def test_foreign_next_is_replaced_by_the_questions_section(
    client: Client, question: Question, evil: str
) -> None:
    html = client.post(question.reveal_url(), {"next": evil}).content.decode()

    assert "evil.example" not in html and "javascript:" not in html
    assert '<a href="/courses/llm/modules/m1/sft/#s3-2">← Back to where you were</a>' in html


def test_staff_and_students_can_reveal(
    student_client: Client, instructor_client: Client, student, instructor, question: Question
) -> None:
    for visitor, user in ((student_client, student), (instructor_client, instructor)):
        token = check_token_for(user, question)
        html = visitor.post(question.reveal_url(), {"token": token}, **HTMX).content.decode()
        assert "THE-ANSWER" in html
        # The grade form carries a fresh token that records the reveal.
        assert 'name="token"' in html and token not in html


def test_unpublished_course_is_404_except_for_staff(
    client: Client, student_client: Client, instructor_client: Client, instructor
) -> None:
    question = QuestionFactory(course=CourseFactory(is_published=False), answer_html="<p>A</p>")

    assert client.post(question.reveal_url()).status_code == 404
    assert student_client.post(question.reveal_url()).status_code == 404
    token = check_token_for(instructor, question)
    assert instructor_client.post(question.reveal_url(), {"token": token}).status_code == 200


def test_unknown_question_or_course_is_404(client: Client, question: Question) -> None:
    assert client.post("/courses/llm/questions/nope/reveal/").status_code == 404
    assert client.post("/courses/nope/questions/why-quality/reveal/").status_code == 404


def test_get_is_not_allowed(client: Client, question: Question) -> None:
    response = client.get(question.reveal_url())

    assert response.status_code == 405
    assert "THE-ANSWER" not in response.content.decode()


def test_csrf_is_enforced(question: Question) -> None:
    client = Client(enforce_csrf_checks=True)

    assert client.post(question.reveal_url()).status_code == 403


def test_the_pages_htmx_header_token_passes_csrf(question: Question) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(question.course.get_absolute_url()).content.decode()
    match = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page)
    assert match is not None

    response = client.post(question.reveal_url(), HTTP_X_CSRFTOKEN=match.group(1), **HTMX)

    assert response.status_code == 200


def test_choice_question_cannot_be_revealed(client: Client, question: Question) -> None:
    choice = QuestionFactory(
        course=question.course, kind=Question.Kind.CHOICE, explanation_html="<p>SECRET</p>"
    )
    OptionFactory(question=choice, text="Right one", is_correct=True)

    response = client.post(choice.reveal_url(), **HTMX)

    assert response.status_code == 400
    html = response.content.decode()
    assert "multiple-choice question" in html
    assert "SECRET" not in html and "Right one" not in html
    assert response["HX-Retarget"] == f"#check-{choice.slug}-error"
    assert response["HX-Reswap"] == "innerHTML"


def test_prompt_without_model_answer_reveals_its_section_and_grades(
    client: Client, question: Question
) -> None:
    # Recall-week prompts often have no model answer: the section that teaches it is the answer.
    bare = QuestionFactory(course=question.course, answer_md="", answer_html="")

    response = client.post(bare.reveal_url(), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "no model answer" in html.lower()
    assert 'name="grade"' in html


def test_prompt_without_model_answer_offers_check_myself(client: Client, question: Question) -> None:
    bare = QuestionFactory(course=question.course, answer_md="", answer_html="")
    lesson_html = render_to_string("quizzes/_check.html#check", {"q": bare, "next": "/"})
    assert "Check myself" in lesson_html


def test_signed_in_reveal_needs_a_valid_token(student_client: Client, student, question: Question) -> None:
    response = student_client.post(question.reveal_url(), {"token": "forged"}, **HTMX)

    assert response.status_code == 400
    assert "This check has expired" in response.content.decode()
    assert "THE-ANSWER" not in response.content.decode()


def test_anonymous_reveal_carries_no_token(client: Client, question: Question) -> None:
    html = client.post(question.reveal_url(), **HTMX).content.decode()

    assert "THE-ANSWER" in html and 'name="token"' not in html


def test_lesson_grade_buttons_show_no_keyboard_hints(client: Client, question: Question) -> None:
    """Digits 1-4 grade only on the Review page (static/js/review.js); a lesson shows no <kbd> hint."""
    html = client.post(question.reveal_url(), {"next": "/courses/llm/"}, **HTMX).content.decode()

    assert 'data-key="3"' in html
    assert "<kbd>" not in html


def test_a_signed_in_reveal_is_kept_for_the_sitting(
    student_client: Client, student, question: Question, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import caches

    from quizzes.forms import TOKEN_MAX_AGE, check_token_read

    store = caches["default"]
    timeouts: list[object] = []
    real_set = store.set

    def spy(key: str, value: object, timeout: object = None, **kwargs: object) -> None:
        if key.startswith("check-revealed:"):
            timeouts.append(timeout)
        real_set(key, value, timeout, **kwargs)

    monkeypatch.setattr(store, "set", spy)

    html = student_client.post(
        question.reveal_url(), {"token": check_token_for(student, question)}, **HTMX
    ).content.decode()

    kept = store.get(f"check-revealed:{student.pk}:{question.pk}")
    # The kept token is the one the fragment's grade form carries, with its reveal time, for the sitting.
    assert kept is not None and f'name="token" value="{kept}"' in html
    assert check_token_read(kept, learner_id=student.pk, question_id=question.pk).revealed_ms is not None
    assert timeouts == [TOKEN_MAX_AGE]


def test_a_visitors_or_failed_reveal_keeps_nothing(
    client: Client, student_client: Client, student, question: Question
) -> None:
    from django.core.cache import caches

    store = caches["default"]
    client.post(question.reveal_url(), **HTMX)
    student_client.post(question.reveal_url(), {"token": "forged"}, **HTMX)

    assert store.get(f"check-revealed:{student.pk}:{question.pk}") is None


def test_the_revealed_check_is_rendered_once_and_filled_per_request(
    student_client: Client, student, outsider, question: Question, monkeypatch: pytest.MonkeyPatch
) -> None:
    from courses import content_cache

    rendered: list[str] = []
    real = content_cache.render_kept

    def counting(*args: object, **kwargs: object) -> str:
        rendered.append("x")
        return real(*args, **kwargs)

    monkeypatch.setattr(content_cache, "render_kept", counting)
    first = student_client.post(
        question.reveal_url(), {"token": check_token_for(student, question), "next": "/a?x=1&y=2"}, **HTMX
    )
    other = Client()
    other.force_login(outsider)
    second = other.post(question.reveal_url(), {"token": check_token_for(outsider, question)}, **HTMX)

    assert len(rendered) == 1  # the second learner got the kept fragment
    html, again = first.content.decode(), second.content.decode()
    assert "THE-ANSWER" in again and "STUDYHALL" not in html + again
    token = re.search(r'name="token" value="([^"]+)"', again).group(1)
    from quizzes.forms import check_token_read

    read = check_token_read(token, learner_id=outsider.pk, question_id=question.pk)
    assert read.learner_id == outsider.pk and read.revealed_ms is not None
    assert 'name="next" value="/a?x=1&amp;y=2"' in html  # each its own return path, escaped
    assert 'name="next" value="/a?x=1' not in again
    csrf = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html + again)
    assert len(csrf) == 2 and csrf[0] != csrf[1]
