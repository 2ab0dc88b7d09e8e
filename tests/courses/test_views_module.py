"""The module record page: goal, status, lessons, concept index, lesson records, practice."""

from __future__ import annotations

import pytest
from django.test import Client

from courses.models import Module
from courses.services import module_render
from lessons.models import Depth
from lessons.services import lesson_render
from tests.factories import (
    ConceptFactory,
    ConceptIndexEntryFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuizFactory,
    RecallPlanFactory,
    build_course,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def module() -> Module:
    course = CourseFactory()
    module = ModuleFactory(
        course=course,
        title="Beyond pretraining",
        goal="Adapt a base model to a task.",
        status="Complete",
        record_md="## Key Mental Models\n\n1. The head is the only new part.",
    )
    module_render(module=module)
    heads = LessonFactory(
        module=module,
        slug="heads",
        title="Classification heads",
        kind="BUILD",
        read_minutes=14,
        order=1,
        mental_models_md="- Swap the head, keep the body.",
        analogies_md="- A new lens on the same camera.",
        how_taught_md="- Worked example first.",
        not_covered_md="- Multi-label tasks.",
        notebook="4-4-1-heads.ipynb",
    )
    lesson_render(lesson=heads)
    tuning = LessonFactory(module=module, slug="tuning", title="Instruction tuning", kind="STRETCH", order=2)
    frozen = ConceptFactory(course=course, slug="frozen-backbone", name="Frozen backbone")
    template = ConceptFactory(course=course, slug="chat-template", name="Chat templates")
    ConceptIndexEntryFactory(
        concept=frozen, lesson=heads, depth=Depth.DEVELOPED, notes="Same as CNN transfer."
    )
    ConceptIndexEntryFactory(concept=template, lesson=tuning, depth=Depth.MENTIONED)
    QuizFactory(course=course, module=module, slug="module-ready", title="Module readiness")
    RecallPlanFactory(course=course, module=module, slug="week-4", title="Week 4 recall")
    return module


def test_goal_status_and_lessons(client: Client, module: Module) -> None:
    html = client.get(module.get_absolute_url()).content.decode()

    assert "Adapt a base model to a task." in html
    assert "Complete (2 of 2 lessons built)" in html
    assert html.index("Classification heads") < html.index("Instruction tuning")
    assert "14 min read" in html
    assert 'class="badge kind kind-stretch"' in html


def test_concept_index_table_links_concepts_and_lessons(client: Client, module: Module) -> None:
    html = client.get(module.get_absolute_url()).content.decode()
    table = html[html.index('<table class="concept-index">') : html.index("</table>")]

    assert f'<a href="/courses/{module.course.slug}/concepts/frozen-backbone/">Frozen backbone</a>' in table
    assert 'class="badge depth depth-3"' in table
    assert 'class="badge depth depth-1"' in table
    assert "Same as CNN transfer." in table
    assert f"/modules/{module.slug}/heads/" in table


def test_lesson_records_and_module_record(client: Client, module: Module) -> None:
    html = client.get(module.get_absolute_url()).content.decode()

    assert "Swap the head, keep the body." in html
    assert "A new lens on the same camera." in html
    assert "Worked example first." in html
    assert "Multi-label tasks." in html
    assert "4-4-1-heads.ipynb" in html
    assert "The head is the only new part." in html


def test_links_the_modules_quizzes_and_recall_plans(client: Client, module: Module) -> None:
    html = client.get(module.get_absolute_url()).content.decode()

    assert "/quizzes/module-ready/" in html
    assert "/recall/week-4/" in html


def test_empty_module_shows_empty_states(client: Client) -> None:
    module = ModuleFactory()

    html = client.get(module.get_absolute_url()).content.decode()

    assert "No lessons in this module yet." in html
    assert "No concepts are indexed for this module yet." in html


def test_unpublished_course_hides_its_modules(
    client: Client, student_client: Client, instructor_client: Client
) -> None:
    module = ModuleFactory(course=CourseFactory(is_published=False))

    assert client.get(module.get_absolute_url()).status_code == 404
    assert student_client.get(module.get_absolute_url()).status_code == 404
    assert instructor_client.get(module.get_absolute_url()).status_code == 200


def test_unknown_module_or_wrong_course_is_404(client: Client, module: Module) -> None:
    other = CourseFactory()

    assert client.get(f"/courses/{module.course.slug}/modules/nope/").status_code == 404
    assert client.get(f"/courses/{other.slug}/modules/{module.slug}/").status_code == 404


@pytest.mark.parametrize(
    "size", [{"modules": 1, "lessons": 1, "concepts": 2}, {"modules": 1, "lessons": 30, "concepts": 40}]
)
def test_query_count_does_not_grow_with_the_module(
    client: Client,
    django_assert_num_queries,
    size: dict[str, int],
) -> None:
    course = build_course(**size)
    module = course.modules.get()

    # Cold: the access check (module id, course version), then module+course, lessons, index
    # entries+concepts, quizzes, recall plans. Warm: the whole page from the cache, no query.
    with django_assert_num_queries(6):
        client.get(module.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.get(module.get_absolute_url())
    html = response.content.decode()
    assert html.count('class="lesson-record"') == size["lessons"]
    assert html.count("<tr>") - 1 == size["lessons"] + size["concepts"] - 1  # header row excluded
