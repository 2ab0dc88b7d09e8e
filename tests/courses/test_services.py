from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import Course
from courses.services import course_render, module_render
from lessons.services import lesson_render
from quizzes.models import Question
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    QuizFactory,
    RecallPlanFactory,
)

pytestmark = pytest.mark.django_db


def test_module_render_renders_the_record() -> None:
    module = ModuleFactory(record_md="## Key ideas\n\n1. Small steps\n2. **Warm** starts\n")

    module_render(module=module)

    module.refresh_from_db()
    assert "<h2>Key ideas</h2>" in module.record_html
    assert "<strong>Warm</strong>" in module.record_html


def test_course_render_renders_everything() -> None:
    course = CourseFactory(description_md="A course about *optimizers*.")
    module = ModuleFactory(course=course, record_md="- remember the **schedule**")
    lesson = LessonFactory(
        module=module,
        body_md="## Step size\n\nText.\n\n### Decay\n\nText.\n",
        analogies_md="Like a *thermostat*.",
    )
    question = QuestionFactory(course=course, lesson=lesson, section_ref="§1.1", prompt_md="What **decays**?")
    quiz = QuizFactory(course=course, intro_md="Ten *quick* ones.")
    plan = RecallPlanFactory(course=course, intro_md="Daily, **briefly**.")

    course_render(course=course)

    for obj in (course, module, lesson, question, quiz, plan):
        obj.refresh_from_db()
    assert course.description_html == "<p>A course about <em>optimizers</em>.</p>"
    assert "<strong>schedule</strong>" in module.record_html
    assert '<h3 id="s1-1">' in lesson.body_html
    assert "<em>thermostat</em>" in lesson.analogies_html
    assert [s.anchor for s in lesson.sections.all()] == ["s1", "s1-1"]
    assert question.prompt_html == "<p>What <strong>decays</strong>?</p>"
    assert question.anchor == "s1-1"
    assert quiz.intro_html == "<p>Ten <em>quick</em> ones.</p>"
    assert plan.intro_html == "<p>Daily, <strong>briefly</strong>.</p>"


def test_course_render_leaves_other_courses_alone() -> None:
    mine, other = CourseFactory(description_md="mine"), CourseFactory(description_md="*other*")

    course_render(course=mine)

    other.refresh_from_db()
    assert other.description_html == ""


def test_course_render_resolves_refs_into_another_courses_lesson() -> None:
    foreign_lesson = LessonFactory(body_md="## Borrowed\n\n### Detail\n")
    lesson_render(lesson=foreign_lesson)
    course = CourseFactory()
    question = QuestionFactory(course=course, lesson=foreign_lesson, section_ref="§1.1")

    course_render(course=course)

    question.refresh_from_db()
    assert question.anchor == "s1-1"


def _course_with_questions(count: int) -> Course:
    course = CourseFactory()
    module = ModuleFactory(course=course)
    lessons = [LessonFactory(module=module, body_md="## One\n\n## Two\n\n### Two-a\n") for _ in range(2)]
    own_lessons = [lessons[n % 2] for n in range(count)]
    for n, lesson in enumerate(own_lessons):
        QuestionFactory(course=course, lesson=lesson, section_ref="§2.1" if n % 2 else "§1")
    foreign_lesson = LessonFactory(body_md="## Elsewhere\n")
    lesson_render(lesson=foreign_lesson)
    QuestionFactory(course=course, lesson=foreign_lesson, section_ref="§1")
    return course


def _queries_for(course: Course) -> int:
    with CaptureQueriesContext(connection) as ctx:
        course_render(course=course)
    return len(ctx.captured_queries)


def test_course_render_saves_questions_in_bulk() -> None:
    small, large = _course_with_questions(2), _course_with_questions(12)

    # The questions are saved with one bulk update, so ten more cost no query.
    assert _queries_for(large) == _queries_for(small)
    assert set(Question.objects.filter(course=large).values_list("anchor", flat=True)) == {"s1", "s2-1"}
