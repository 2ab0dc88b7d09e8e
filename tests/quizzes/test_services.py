from __future__ import annotations

import pytest
from pytest_django import DjangoAssertNumQueries

from lessons.models import Lesson
from lessons.rendering import SectionInfo
from lessons.services import lesson_render
from quizzes.models import Option, Question
from quizzes.services import question_render, question_validate, quiz_render, recall_plan_render
from tests.factories import LessonFactory, OptionFactory, QuestionFactory, QuizFactory, RecallPlanFactory

pytestmark = pytest.mark.django_db

BODY = "## Warm start\n\nText.\n\n### Why it helps\n\nText.\n\n## Simply put {#eli5}\n\nText.\n"


@pytest.fixture
def lesson() -> Lesson:
    lesson: Lesson = LessonFactory(body_md=BODY)
    lesson_render(lesson=lesson)
    return lesson


def test_question_render_renders_markdown_fields(lesson: Lesson) -> None:
    question = QuestionFactory(
        course=lesson.module.course,
        prompt_md="Why is `lr` *small*?",
        answer_md="Because **steps** overshoot.",
        explanation_md="<img src=x onerror=alert(1)>See the plot.",
    )

    question_render(question=question)

    question.refresh_from_db()
    assert question.prompt_html == "<p>Why is <code>lr</code> <em>small</em>?</p>"
    assert "<strong>steps</strong>" in question.answer_html
    assert "onerror" not in question.explanation_html
    assert "See the plot." in question.explanation_html


@pytest.mark.parametrize(("ref", "anchor"), [("§1.1", "s1-1"), ("ELI5", "eli5"), ("§7", ""), ("", "")])
def test_question_render_resolves_anchor_from_lesson_sections(lesson: Lesson, ref: str, anchor: str) -> None:
    question = QuestionFactory(course=lesson.module.course, lesson=lesson, section_ref=ref)

    question_render(question=question)

    question.refresh_from_db()
    assert question.anchor == anchor


def test_question_render_without_lesson_clears_anchor() -> None:
    question = QuestionFactory(section_ref="§1")
    Question.objects.filter(pk=question.pk).update(anchor="stale")
    question.refresh_from_db()

    question_render(question=question)

    question.refresh_from_db()
    assert question.anchor == ""


def test_question_render_uses_given_sections_without_querying(
    lesson: Lesson, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    question = QuestionFactory(course=lesson.module.course, lesson=lesson, section_ref="§2")
    given = [SectionInfo(number="2", anchor="s2", title="Given", level=2)]

    # The save, and the bump of the course's content version (cached pages show the question).
    with django_assert_num_queries(2):
        question_render(question=question, sections=given)

    question.refresh_from_db()
    assert question.anchor == "s2"


def test_quiz_and_recall_plan_intros_are_rendered() -> None:
    quiz = QuizFactory(intro_md="Answer **all** of them.")
    plan = RecallPlanFactory(intro_md="One *short* session a day.")

    quiz_render(quiz=quiz)
    recall_plan_render(plan=plan)

    quiz.refresh_from_db()
    plan.refresh_from_db()
    assert quiz.intro_html == "<p>Answer <strong>all</strong> of them.</p>"
    assert plan.intro_html == "<p>One <em>short</em> session a day.</p>"


def _choice(*flags: bool) -> tuple[Question, list[Option]]:
    question = QuestionFactory(kind=Question.Kind.CHOICE)
    # Unsaved options: validation runs on what a form or importer is about to save.
    options = [Option(question=question, text=f"Choice {n}", is_correct=flag) for n, flag in enumerate(flags)]
    return question, options


def test_valid_choice_question_has_no_problems() -> None:
    question, options = _choice(True, False, False)

    assert question_validate(question=question, options=options) == []


def test_choice_question_needs_two_options() -> None:
    question, options = _choice(True)

    problems = question_validate(question=question, options=options)

    assert problems == ["A multiple-choice question needs at least two options; it has 1."]


@pytest.mark.parametrize("flags", [(False, False), (True, True, False)])
def test_choice_question_needs_exactly_one_correct_option(flags: tuple[bool, ...]) -> None:
    question, options = _choice(*flags)

    problems = question_validate(question=question, options=options)

    assert len(problems) == 1
    assert "exactly one correct option" in problems[0]


def test_choice_question_without_options_reports_both_problems() -> None:
    question, options = _choice()

    assert len(question_validate(question=question, options=options)) == 2


def test_blank_option_text_is_reported() -> None:
    question, options = _choice(True, False)
    options[1].text = "  "

    assert question_validate(question=question, options=options) == ["Option 2 has no text."]


def test_free_question_with_options_is_a_problem() -> None:
    question = QuestionFactory(kind=Question.Kind.FREE)
    options = [OptionFactory(question=question)]

    problems = question_validate(question=question, options=options)

    assert len(problems) == 1
    assert "free-recall" in problems[0]


def test_free_question_without_options_is_fine() -> None:
    assert question_validate(question=QuestionFactory(kind=Question.Kind.FREE), options=[]) == []


def test_empty_prompt_is_reported() -> None:
    question = QuestionFactory(kind=Question.Kind.FREE, prompt_md="   ")

    assert question_validate(question=question, options=[]) == ["The prompt is empty."]
