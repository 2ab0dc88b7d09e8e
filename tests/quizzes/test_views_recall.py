"""The recall week page: days in order, unlock notes, prompts that jump back to sections."""

from __future__ import annotations

import pytest
from django.test import Client

from lessons.models import Section
from quizzes.models import RecallPlan
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    RecallDayFactory,
    RecallPlanFactory,
    RecallPromptFactory,
    build_course,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan() -> RecallPlan:
    course = CourseFactory(slug="llm")
    module = ModuleFactory(course=course, slug="m1")
    lesson = LessonFactory(module=module, slug="sft", title="Supervised fine-tuning")
    Section.objects.create(lesson=lesson, number="2.1", anchor="s2-1", title="Data quality")
    plan = RecallPlanFactory(course=course, module=module, slug="week-5", title="Week 5")
    tuesday = RecallDayFactory(plan=plan, name="Tuesday", order=2, unlock_note="chapter 3")
    monday = RecallDayFactory(plan=plan, name="Monday", order=1, unlock_note="after the intro")
    monday.unlock_lessons.add(lesson)
    RecallPromptFactory(
        day=monday,
        question=QuestionFactory(
            course=course,
            slug="p-quality",
            prompt_html="<p>Why does quality beat quantity?</p>",
            answer_html="<p>SECRET-QUALITY</p>",
            lesson=lesson,
            anchor="s2-1",
            section_ref="§2.1",
        ),
    )
    RecallPromptFactory(
        day=tuesday,
        question=QuestionFactory(
            course=course,
            slug="p-eli5",
            prompt_html="<p>Explain it to a child.</p>",
            answer_html="",
            lesson=lesson,
            anchor="",
            section_ref="ELI5",
        ),
    )
    return plan


def test_days_in_order_with_unlock_notes_and_lessons(client: Client, plan: RecallPlan) -> None:
    response = client.get(plan.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(">Monday<") < html.index(">Tuesday<")
    assert "After the intro" in html
    assert "After chapter 3" in html  # "after" is added when the author left it out
    assert '<a href="/courses/llm/modules/m1/sft/">Supervised fine-tuning</a>' in html


def test_prompts_jump_to_their_sections(client: Client, plan: RecallPlan) -> None:
    html = client.get(plan.get_absolute_url()).content.decode()

    assert "Why does quality beat quantity?" in html
    assert '<a href="/courses/llm/modules/m1/sft/#s2-1">Jump to §2.1</a>' in html
    # No section matches: the reference is shown as written.
    assert '<a href="/courses/llm/modules/m1/sft/">Jump to ELI5</a>' in html


def test_reveal_only_where_there_is_a_model_answer(client: Client, plan: RecallPlan) -> None:
    html = client.get(plan.get_absolute_url()).content.decode()

    assert "/questions/p-quality/reveal/" in html
    assert "/questions/p-eli5/reveal/" not in html
    assert "SECRET-QUALITY" not in html


def test_empty_plan(client: Client) -> None:
    plan = RecallPlanFactory()

    assert "This week has no days yet." in client.get(plan.get_absolute_url()).content.decode()


def test_access(client: Client, student_client: Client, instructor_client: Client) -> None:
    plan = RecallPlanFactory(course=CourseFactory(is_published=False))

    assert client.get(plan.get_absolute_url()).status_code == 404
    assert student_client.get(plan.get_absolute_url()).status_code == 404
    assert instructor_client.get(plan.get_absolute_url()).status_code == 200
    assert client.get(f"/courses/{plan.course.slug}/recall/nope/").status_code == 404


@pytest.mark.parametrize(
    "size",
    [
        {"modules": 1, "lessons": 1, "concepts": 2, "checks_per_lesson": 2},
        {"modules": 8, "lessons": 30, "concepts": 40, "checks_per_lesson": 4},
    ],
)
def test_query_count_does_not_grow(client: Client, django_assert_num_queries, size: dict[str, int]) -> None:
    course = build_course(**size)
    plan = course.recall_plans.get()
    url = plan.get_absolute_url()

    # plan+course+module, days, unlock lessons, prompts+questions, options, section labels
    with django_assert_num_queries(6):
        response = client.get(url)
    html = response.content.decode()
    assert html.count('class="recall-day"') == size["modules"]
    assert html.count("Jump to §1") == size["lessons"] * size["checks_per_lesson"]
