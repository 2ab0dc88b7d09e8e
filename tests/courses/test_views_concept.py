"""The concept page: where a concept is taught, its target depth, the questions on it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from courses.models import Concept
from lessons.models import Depth, Section
from mastery.models import ConceptMastery, Grade, Level
from mastery.progress import mastery_recompute
from tests.factories import (
    COURSE_SIZES,
    LARGE_COURSE,
    SMALL_COURSE,
    AttemptFactory,
    ConceptFactory,
    ConceptIndexEntryFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    ReviewCardFactory,
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
    COURSE_SIZES,
)
def test_query_count_does_not_grow(client: Client, django_assert_num_queries, size: dict[str, int]) -> None:
    course = build_course(**size)
    concept = course.concepts.order_by("pk").first()  # taught in every lesson, on every question
    assert concept is not None

    # Cold: the access check (concept id, course version), then concept+course, index
    # entries, questions, section labels. Warm: the whole page from the cache, no query.
    for queries in (5, 0):
        with django_assert_num_queries(queries):
            response = client.get(concept.get_absolute_url())
        html = response.content.decode()
        assert html.count("Jump to §1") == size["lessons"] * size["checks_per_lesson"]


# --- The learner panel: level, target, retrievability apart, evidence, next step -----------


def test_anonymous_is_invited_to_sign_in(client: Client, concept: Concept) -> None:
    html = client.get(concept.get_absolute_url()).content.decode()

    assert "to see your level on this concept" in html
    assert "You and this concept" not in html


def test_learner_sees_level_target_evidence_and_next_step(
    student, student_client: Client, concept: Concept
) -> None:
    question = concept.questions.get()
    now = timezone.now()
    AttemptFactory(learner=student, question=question, grade=Grade.GOOD, created_at=now - timedelta(days=1))
    ReviewCardFactory(learner=student, question=question, stability=30.0, last_review=now - timedelta(days=1))
    mastery_recompute(learner_id=student.pk)

    html = student_client.get(concept.get_absolute_url()).content.decode()
    panel = html[html.index("You and this concept") : html.index('id="taught-h"')]

    assert 'data-testid="level">Familiar<' in panel
    assert 'data-testid="target">Mastered<' in panel
    assert re.search(r'data-testid="retrievability">(9\d|100)%<', panel)
    # One Good self-grade a day ago, with no multiple-choice results to check self-grades
    # against: the estimate is modest and says so.
    probability = re.search(r'data-testid="probability">(\d+)%<', panel)
    assert probability is not None and 50 <= int(probability.group(1)) < 70
    assert (
        "Familiar: We estimate a" in panel and "chance you would answer a question on it right now" in panel
    )
    assert "What would lower it:" in panel and "Without practice the estimate falls to" in panel
    # The only question is Introduced-depth: the next step says so rather than ask for the impossible.
    assert "Next:</strong> The questions here go no deeper than Introduced" in panel
    assert "What does the KL term protect?" in panel and "self-graded Good" in panel
    assert "SECRET-ANSWER" not in html


def test_learner_without_attempts_is_not_started(student_client: Client, concept: Concept) -> None:
    html = student_client.get(concept.get_absolute_url()).content.decode()

    assert 'data-testid="level">Not started<' in html
    assert 'data-testid="retrievability">—<' in html


def test_another_learners_panel_is_never_shown(student, outsider, concept: Concept) -> None:
    ConceptMastery.objects.create(
        learner=student, concept=concept, level=Level.MASTERED, explanation="STUDENT-ONLY-EXPLANATION"
    )
    ReviewCardFactory(learner=student, question=concept.questions.get(), last_review=timezone.now())
    client = Client()
    client.force_login(outsider)

    html = client.get(concept.get_absolute_url()).content.decode()

    assert 'data-testid="level">Not started<' in html
    assert "STUDENT-ONLY-EXPLANATION" not in html
    assert 'data-testid="retrievability">—<' in html


@pytest.mark.parametrize(
    ("size", "attempts"),
    [
        (SMALL_COURSE, 3),
        (LARGE_COURSE, 600),
    ],
)
def test_signed_in_query_count_does_not_grow(
    student, student_client: Client, django_assert_num_queries, size: dict[str, int], attempts: int
) -> None:
    course = build_course(**size)
    concept = course.concepts.order_by("pk").first()
    questions = list(concept.questions.all())
    for i in range(attempts):
        AttemptFactory(learner=student, question=questions[i % len(questions)])
    for question in questions:
        ReviewCardFactory(learner=student, question=question, last_review=timezone.now())
    mastery_recompute(learner_id=student.pk)

    # the access check, session, user, concept+course, index entries, questions, section
    # labels, mastery row, cards, the course's memory model
    with django_assert_num_queries(10):
        response = student_client.get(concept.get_absolute_url())
    assert 'data-testid="level">' in response.content.decode()
