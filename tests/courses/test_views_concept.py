"""The concept page: where a concept is taught, its target depth, the questions on it."""

from __future__ import annotations

import pytest
from django.test import Client

from courses.models import Concept
from lessons.models import Depth, Section
from tests.factories import (
    ConceptFactory,
    ConceptIndexEntryFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    build_course,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def concept() -> Concept:
    course = CourseFactory()
    second = ModuleFactory(course=course, order=2, title="Second module")
    first = ModuleFactory(course=course, order=1, title="First module")
    late = LessonFactory(module=second, order=1, title="Late lesson")
    early = LessonFactory(module=first, order=5, title="Early lesson")
    concept = ConceptFactory(
        course=course, slug="kl-penalty", name="KL penalty", description="Keeps the policy near."
    )
    ConceptIndexEntryFactory(concept=concept, lesson=late, depth=Depth.APPLIED, notes="Tuned in the lab.")
    ConceptIndexEntryFactory(concept=concept, lesson=early, depth=Depth.INTRODUCED, notes="First seen here.")
    Section.objects.create(lesson=early, number="2.3", anchor="s2-3", title="The penalty")
    question = QuestionFactory(
        course=course,
        prompt_html="<p>What does the KL term protect?</p>",
        answer_html="<p>SECRET-ANSWER</p>",
        lesson=early,
        anchor="s2-3",
        section_ref="§2.3",
    )
    question.concepts.add(concept)
    return concept


def test_lessons_in_course_order_with_depth_and_notes(client: Client, concept: Concept) -> None:
    html = client.get(concept.get_absolute_url()).content.decode()

    assert "Keeps the policy near." in html
    assert html.index("Early lesson") < html.index("Late lesson")
    assert "First seen here." in html and "Tuned in the lab." in html
    assert 'class="badge depth depth-2"' in html


def test_target_depth_is_the_deepest(client: Client, concept: Concept) -> None:
    html = client.get(concept.get_absolute_url()).content.decode()
    target = html[html.index('class="target"') :]

    assert 'class="badge depth depth-4"' in target[: target.index("</p>")]


def test_questions_show_prompts_and_jump_links_only(client: Client, concept: Concept) -> None:
    html = client.get(concept.get_absolute_url()).content.decode()

    assert "What does the KL term protect?" in html
    assert "#s2-3" in html
    assert "Jump to §2.3" in html
    assert "SECRET-ANSWER" not in html


def test_concept_without_lessons_or_questions(client: Client) -> None:
    concept = ConceptFactory()

    html = client.get(concept.get_absolute_url()).content.decode()

    assert "No lesson teaches this concept yet." in html
    assert "No questions test this concept yet." in html
    assert "Target depth" not in html


def test_access(client: Client, student_client: Client, instructor_client: Client) -> None:
    concept = ConceptFactory(course=CourseFactory(is_published=False))

    assert client.get(concept.get_absolute_url()).status_code == 404
    assert student_client.get(concept.get_absolute_url()).status_code == 404
    assert instructor_client.get(concept.get_absolute_url()).status_code == 200
    assert client.get(f"/courses/{concept.course.slug}/concepts/unknown/").status_code == 404


@pytest.mark.parametrize(
    "size",
    [
        {"modules": 1, "lessons": 1, "concepts": 2, "checks_per_lesson": 2},
        {"modules": 8, "lessons": 30, "concepts": 40, "checks_per_lesson": 4},
    ],
)
def test_query_count_does_not_grow(client: Client, django_assert_num_queries, size: dict[str, int]) -> None:
    course = build_course(**size)
    concept = course.concepts.order_by("pk").first()  # taught in every lesson, on every question
    assert concept is not None

    # concept+course, index entries, questions, section labels
    with django_assert_num_queries(4):
        response = client.get(concept.get_absolute_url())
    html = response.content.decode()
    assert html.count("Jump to §1") == size["lessons"] * size["checks_per_lesson"]
