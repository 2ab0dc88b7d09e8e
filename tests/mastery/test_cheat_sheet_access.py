"""Answers stay earned: who may read a cheat sheet, and what the locked sheet asks for."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from courses.models import Course, Module
from quizzes.models import Question, Quiz
from quizzes.services import question_render
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    RecallDayFactory,
    RecallPlanFactory,
    RecallPromptFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SECRET = "SECRET-ANSWER-TEXT"


def url(module: Module) -> str:
    return reverse("mastery:cheat_sheet", args=[module.course.slug, module.slug])


def course_url(course: Course) -> str:
    return reverse("mastery:course_cheat_sheet", args=[course.slug])


@pytest.fixture
def module() -> Module:
    """Three facts: one embedded in its lesson, one in a readiness quiz, one in a recall week."""
    module = ModuleFactory(title="Locks", course=CourseFactory(title="Databases"))
    lesson = LessonFactory(
        module=module, title="Latches", body_md="## Intro\n\nText.\n\n{{check: embedded}}\n"
    )
    for slug in ("embedded", "quizzed", "recalled"):
        question = QuestionFactory(
            course=module.course, slug=slug, lesson=lesson, answer_md=f"{SECRET} {slug}", section_ref="§1"
        )
        question_render(question=question)
    from lessons.services import lesson_render_sections

    lesson_render_sections(lesson=lesson)
    quiz = QuizFactory(course=module.course, module=module, kind=Quiz.Kind.READINESS, title="Locks drill")
    QuizItemFactory(quiz=quiz, question=Question.objects.get(slug="quizzed"))
    plan = RecallPlanFactory(course=module.course, title="Locks week")
    RecallPromptFactory(day=RecallDayFactory(plan=plan), question=Question.objects.get(slug="recalled"))
    return module


def test_default_is_after_the_checks() -> None:
    assert CourseFactory().cheat_sheet_access == Course.CheatSheetAccess.AFTER_CHECKS


def test_anonymous_is_sent_to_sign_in(client: Client, module: Module) -> None:
    for target in (url(module), course_url(module.course)):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={target}"


def test_student_before_answering_sees_what_to_do_and_no_answer(
    student_client: Client, module: Module
) -> None:
    response = student_client.get(url(module))

    assert response.status_code == 200
    html = response.content.decode()
    assert SECRET not in html
    assert "Locked" in html and "answered each of its 3 checks once" in html
    assert "You have answered 0; 3 to go." in html
    lesson = module.lessons.get()
    quiz = Quiz.objects.get()
    assert f'Answer 1 in <a href="{lesson.get_absolute_url()}">the checks in “Latches”</a>' in html
    assert f'Answer 1 in <a href="{quiz.get_absolute_url()}">the quiz “Locks drill”</a>' in html
    assert "the recall week “Locks week”" in html
    # The readiness quiz is still offered: it is how the sheet is earned.
    assert f'href="{quiz.get_absolute_url()}"' in html


def test_student_partway_still_locked(student: User, student_client: Client, module: Module) -> None:
    AttemptFactory(learner=student, question=Question.objects.get(slug="embedded"))

    html = student_client.get(url(module)).content.decode()

    assert SECRET not in html
    assert "You have answered 1; 2 to go." in html
    assert "the checks in “Latches”" not in html


def test_student_after_answering_each_once_reads_it(
    student: User, student_client: Client, module: Module
) -> None:
    for question in Question.objects.all():
        AttemptFactory(learner=student, question=question, is_correct=False, grade=1)

    html = student_client.get(url(module)).content.decode()

    assert "Locked" not in html
    assert html.count(SECRET) == 3


def test_outsider_does_not_inherit_another_learners_attempts(student: User, module: Module) -> None:
    for question in Question.objects.all():
        AttemptFactory(learner=student, question=question)
    outsider = Client()
    outsider.force_login(UserFactory(username="outsider"))

    html = outsider.get(url(module)).content.decode()

    assert SECRET not in html and "You have answered 0; 3 to go." in html


def test_instructor_reads_it_at_once(instructor_client: Client, module: Module) -> None:
    html = instructor_client.get(url(module)).content.decode()

    assert "Locked" not in html and html.count(SECRET) == 3


def test_a_course_can_open_its_sheets_at_once(student_client: Client, module: Module) -> None:
    Course.objects.update(cheat_sheet_access=Course.CheatSheetAccess.OPEN)

    html = student_client.get(url(module)).content.decode()

    assert "Locked" not in html and html.count(SECRET) == 3


def test_drafts_stay_hidden(student_client: Client, instructor_client: Client) -> None:
    draft = ModuleFactory(course=CourseFactory(is_published=False))

    assert student_client.get(url(draft)).status_code == 404
    assert student_client.get(course_url(draft.course)).status_code == 404
    assert instructor_client.get(url(draft)).status_code == 200
    assert student_client.get(f"/courses/{draft.course.slug}/modules/nope/cheat-sheet/").status_code == 404
    assert student_client.get("/courses/nope/cheat-sheet/").status_code == 404


def test_course_sheet_locks_module_by_module(student: User, student_client: Client, module: Module) -> None:
    easy = ModuleFactory(course=module.course, title="Easy part", order=module.order + 1)
    done = QuestionFactory(course=module.course, lesson=LessonFactory(module=easy), answer_md="EASY-FACT")
    question_render(question=done)
    AttemptFactory(learner=student, question=done)

    html = student_client.get(course_url(module.course)).content.decode()

    assert "EASY-FACT" in html
    assert SECRET not in html
    assert "so it opens once you have answered each of its 3 checks once" in html


def test_locked_queries_are_bounded(
    student_client: Client, module: Module, django_assert_num_queries
) -> None:
    # session, user, module, lessons, questions, options, attempts, quiz items, recall prompts,
    # quizzes (a student is no instructor: roles.teaches asks nothing more)
    with django_assert_num_queries(10):
        student_client.get(url(module))


def test_a_fact_asked_nowhere_is_not_a_check(student: User, student_client: Client, module: Module) -> None:
    """Only Review could ask it, and Review asks only what was answered before: it cannot count."""
    lesson = module.lessons.get()
    stray = QuestionFactory(course=module.course, slug="stray", lesson=lesson, answer_md=f"{SECRET} stray")
    question_render(question=stray)
    for question in Question.objects.exclude(slug="stray"):
        AttemptFactory(learner=student, question=question)

    html = student_client.get(url(module)).content.decode()

    assert "Locked" not in html and html.count(SECRET) == 4
