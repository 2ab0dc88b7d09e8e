"""The end of a readiness quiz: a score, the concepts to revisit with their sections, no schedule moved."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.models import Section
from mastery.models import Attempt, Grade, Mode, ReviewCard
from quizzes.models import Question, Quiz
from quizzes.services import question_render
from tests.factories import (
    AttemptFactory,
    ConceptFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    OptionFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    ReviewCardFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def quiz() -> Quiz:
    course = CourseFactory(slug="db")
    module = ModuleFactory(course=course, slug="storage")
    lesson = LessonFactory(module=module, slug="pages")
    Section.objects.create(lesson=lesson, number="2.1", anchor="s2-1", title="The buffer pool")
    quiz = QuizFactory(course=course, module=module, slug="ready", kind=Quiz.Kind.READINESS)
    pool = ConceptFactory(course=course, name="Buffer pool", slug="buffer-pool")
    pages = ConceptFactory(course=course, name="Pages", slug="pages")
    recall = QuestionFactory(
        course=course,
        slug="evict",
        prompt_md="What does the pool evict?",
        lesson=lesson,
        anchor="s2-1",
        section_ref="§2.1",
    )
    recall.concepts.add(pool)
    choice = QuestionFactory(
        course=course,
        slug="unit",
        kind=Question.Kind.CHOICE,
        prompt_md="What is read from disk?",
        lesson=lesson,
    )
    choice.concepts.add(pages)
    OptionFactory(question=choice, text="A page", is_correct=True, order=1)
    OptionFactory(question=choice, text="A row", order=2)
    third = QuestionFactory(course=course, slug="skipped", prompt_md="Why 8 kB?", lesson=lesson)
    for order, question in enumerate((recall, choice, third)):
        question_render(question=question)
        QuizItemFactory(quiz=quiz, question=question, order=order)
    return quiz


def score_url(quiz: Quiz, since: object = None) -> str:
    url = reverse("quizzes:quiz_score", args=[quiz.course.slug, quiz.slug])
    return f"{url}?since={since}" if since is not None else url


def _answer_on_the_page(client: Client, quiz: Quiz) -> str:
    """Take the quiz through the real endpoints: recall missed (Again), choice right, third skipped."""
    page = client.get(quiz.get_absolute_url()).content.decode()
    tokens = {}
    for chunk in page.split('<section class="check ')[1:]:
        slug = re.search(r'id="check-([\w-]+)"', chunk)
        token = re.search(r'name="token" value="([^"]+)"', chunk)
        assert slug and token
        tokens[slug.group(1)] = token.group(1)
    since = re.search(r'name="since" value="(\d+)"', page)
    assert since is not None
    evict = Question.objects.get(slug="evict")
    revealed = client.post(evict.reveal_url(), {"token": tokens["evict"]}, **HTMX).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', revealed)
    assert token is not None
    client.post(evict.grade_url(), {"token": token.group(1), "grade": Grade.AGAIN}, **HTMX)
    unit = Question.objects.get(slug="unit")
    right = unit.options.get(is_correct=True)
    client.post(unit.answer_url(), {"token": tokens["unit"], "option": right.pk}, **HTMX)
    return since.group(1)


def test_anonymous_is_sent_to_sign_in_and_the_quiz_page_says_so(client: Client, quiz: Quiz) -> None:
    response = client.get(score_url(quiz))

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    page = client.get(quiz.get_absolute_url()).content.decode()
    assert "to get a score at the end" in page and "Finish and see my score" not in page


def test_score_counts_the_run_names_concepts_to_revisit_and_moves_no_card(
    student_client: Client, student: User, quiz: Quiz
) -> None:
    # A card the learner already has: cramming must leave it exactly as it was.
    evict = Question.objects.get(slug="evict")
    card = ReviewCardFactory(learner=student, question=evict, due=timezone.now() + timedelta(days=5))
    before = ReviewCard.objects.values().get(pk=card.pk)
    # An answer from before the run does not count.
    AttemptFactory(
        learner=student,
        question=Question.objects.get(slug="skipped"),
        mode=Mode.CRAM,
        is_correct=True,
        created_at=timezone.now() - timedelta(hours=2),
    )
    since = _answer_on_the_page(student_client, quiz)

    html = student_client.get(score_url(quiz, since)).content.decode()

    assert '<strong class="score-value">1 of 3</strong> right (33%); 1 not answered.' in html
    assert Attempt.objects.filter(learner=student, mode=Mode.CRAM).count() == 3
    # The missed question's concepts, each with the section to reread.
    assert (
        '<a href="/courses/db/concepts/buffer-pool/">Buffer pool</a> — reread '
        '<a href="/courses/db/modules/storage/pages/#s2-1">§2.1</a>'
    ) in html
    assert ">Pages</a>" not in html  # answered right
    assert "✗ Missed" in html and "✓ Right" in html and "Not answered" in html
    assert "do not move when questions come back" in html
    assert ReviewCard.objects.values().get(pk=card.pk) == before
    assert ReviewCard.objects.filter(learner=student).count() == 1


def test_another_learners_run_is_not_in_the_score(student_client: Client, outsider: User, quiz: Quiz) -> None:
    since = _answer_on_the_page(student_client, quiz)
    other = Client()
    other.force_login(outsider)

    html = other.get(score_url(quiz, since)).content.decode()

    assert "You have not answered any question of this quiz yet." in html
    assert "score-value" not in html


@pytest.mark.parametrize("since", ["soon", "1e9", "99999999999999999999"])
def test_a_bad_start_is_a_400_with_a_message(student_client: Client, quiz: Quiz, since: str) -> None:
    response = student_client.get(score_url(quiz, since))

    assert response.status_code == 400
    assert "quiz run" in response.content.decode()


def test_a_start_in_the_future_is_a_400(student_client: Client, quiz: Quiz) -> None:
    response = student_client.get(score_url(quiz, int(time.time()) + 3600))

    assert response.status_code == 400


def test_unpublished_course_is_404(student_client: Client, quiz: Quiz) -> None:
    quiz.course.is_published = False
    quiz.course.save()

    assert student_client.get(score_url(quiz)).status_code == 404


def test_query_count_does_not_grow_with_questions(
    student_client: Client, student: User, quiz: Quiz, django_assert_num_queries: Any
) -> None:
    for n in range(5):
        question = QuestionFactory(course=quiz.course, slug=f"more-{n}")
        question.concepts.add(ConceptFactory(course=quiz.course, slug=f"c-{n}"))
        QuizItemFactory(quiz=quiz, question=question, order=10 + n)
        AttemptFactory(learner=student, question=question, mode=Mode.CRAM, is_correct=False)

    # session, user; quiz, items, options; the run's attempts; questions' concepts (2); section labels
    with django_assert_num_queries(9):
        response = student_client.get(score_url(quiz))
    assert "0 of 8" in response.content.decode()


def test_a_quiz_over_several_lessons_names_the_lesson_of_each_section(
    student_client: Client, student: User, quiz: Quiz
) -> None:
    other = LessonFactory(module=quiz.module, slug="trees", title="B+trees")
    Section.objects.create(lesson=other, number="2.1", anchor="s2-1", title="Splits")
    question = QuestionFactory(
        course=quiz.course, slug="split", lesson=other, anchor="s2-1", section_ref="§2.1"
    )
    question.concepts.add(ConceptFactory(course=quiz.course, name="Page splits", slug="splits"))
    QuizItemFactory(quiz=quiz, question=question, order=9)
    AttemptFactory(learner=student, question=question, mode=Mode.CRAM, is_correct=False)

    html = student_client.get(score_url(quiz)).content.decode()

    assert '<a href="/courses/db/modules/storage/trees/#s2-1">§2.1 of B+trees</a>' in html
    # Not answered is not missed: the skipped question's concepts are not listed to revisit.
    assert "Buffer pool</a>" not in html
