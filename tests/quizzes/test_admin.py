"""The question, quiz and recall-plan admins: option rules, re-rendering, day pages."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from quizzes.models import Option, Question, Quiz, RecallPrompt
from tests import factories
from tests.admin_utils import admin_form_data


def choice_question_data(course_pk: int, options: list[tuple[str, bool]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "course": str(course_pk),
        "slug": "which-tide",
        "kind": "choice",
        "prompt_md": "Which tide leaves the most rock *uncovered*?",
        "answer_md": "",
        "explanation_md": "The spring low tide reaches furthest down the shore.",
        "depth": "2",
        "lesson": "",
        "section_ref": "",
        "options-TOTAL_FORMS": str(len(options)),
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
    }
    for index, (text, correct) in enumerate(options):
        data[f"options-{index}-text"] = text
        data[f"options-{index}-order"] = str(index)
        if correct:
            data[f"options-{index}-is_correct"] = "on"
    return data


def test_choice_question_with_two_correct_options_is_a_form_error(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    data = choice_question_data(course.pk, [("Spring low", True), ("Neap low", True), ("High", False)])
    response = instructor_client.post(reverse("admin:quizzes_question_add"), data)
    assert response.status_code == 200
    assert "exactly one correct option" in response.content.decode()
    assert not Question.objects.exists()
    assert not Option.objects.exists()


def test_choice_question_with_no_correct_option_is_a_form_error(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    data = choice_question_data(course.pk, [("Spring low", False), ("Neap low", False)])
    response = instructor_client.post(reverse("admin:quizzes_question_add"), data)
    assert response.status_code == 200
    assert "exactly one correct option" in response.content.decode()
    assert not Question.objects.exists()


def test_choice_question_needs_two_options(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    response = instructor_client.post(
        reverse("admin:quizzes_question_add"), choice_question_data(course.pk, [("Spring low", True)])
    )
    assert response.status_code == 200
    assert "at least two options" in response.content.decode()
    assert not Question.objects.exists()


def test_valid_choice_question_is_saved_and_rendered(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    data = choice_question_data(course.pk, [("Spring low", True), ("Neap low", False)])
    response = instructor_client.post(reverse("admin:quizzes_question_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    question = Question.objects.get(slug="which-tide")
    assert [(o.text, o.is_correct) for o in question.options.all()] == [
        ("Spring low", True),
        ("Neap low", False),
    ]
    assert "<em>uncovered</em>" in question.prompt_html
    assert "furthest down" in question.explanation_html


def test_moving_the_correct_mark_and_swapping_order_saves(instructor_client: Client) -> None:
    question = factories.QuestionFactory(kind="choice")
    first = factories.OptionFactory(question=question, text="Spring low", is_correct=True, order=0)
    second = factories.OptionFactory(question=question, text="Neap low", order=1)
    url = reverse("admin:quizzes_question_change", args=[question.pk])
    data = admin_form_data(instructor_client.get(url))
    data.pop("options-0-is_correct")
    data["options-1-is_correct"] = "on"
    data["options-0-order"], data["options-1-order"] = "1", "0"

    response = instructor_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_correct, first.order) == (False, 1)
    assert (second.is_correct, second.order) == (True, 0)


def test_free_question_with_options_is_a_form_error(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    data = choice_question_data(course.pk, [("Spring low", True), ("Neap low", False)])
    data["kind"] = "free"
    response = instructor_client.post(reverse("admin:quizzes_question_add"), data)
    assert response.status_code == 200
    assert "takes no options" in response.content.decode()
    assert not Question.objects.exists()


def test_question_lesson_must_be_in_its_course(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    data = choice_question_data(course.pk, [("Spring low", True), ("Neap low", False)])
    data["lesson"] = str(factories.LessonFactory().pk)
    response = instructor_client.post(reverse("admin:quizzes_question_add"), data)
    assert response.status_code == 200
    assert "another course" in response.content.decode()
    assert not Question.objects.exists()


def test_question_section_ref_resolves_on_save(instructor_client: Client) -> None:
    from lessons.services import lesson_render

    lesson = factories.LessonFactory()
    lesson_render(lesson=lesson)
    course = lesson.module.course
    data = choice_question_data(course.pk, [("Spring low", True), ("Neap low", False)])
    data.update({"lesson": str(lesson.pk), "section_ref": "§1.1"})
    response = instructor_client.post(reverse("admin:quizzes_question_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Question.objects.get(slug="which-tide").anchor == "s1-1"


def test_quiz_items_inline_and_intro_render(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    question = factories.QuestionFactory(course=course)
    data = {
        "course": str(course.pk),
        "module": "",
        "lesson": "",
        "slug": "shore-check",
        "title": "Shore check",
        "kind": "readiness",
        "intro_md": "Answer **before** the next tide.",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-question": str(question.pk),
        "items-0-order": "0",
    }
    response = instructor_client.post(reverse("admin:quizzes_quiz_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    quiz = Quiz.objects.get(slug="shore-check")
    assert list(quiz.questions.all()) == [question]
    assert "<strong>before</strong>" in quiz.intro_html


def test_recall_plan_links_each_day_and_renders_intro(instructor_client: Client) -> None:
    day = factories.RecallDayFactory()
    plan = day.plan
    url = reverse("admin:quizzes_recallplan_change", args=[plan.pk])
    response = instructor_client.get(url)
    assert reverse("admin:quizzes_recallday_change", args=[day.pk]) in response.content.decode()

    data = admin_form_data(response)
    data["intro_md"] = "One prompt a day, *no more*."
    response = instructor_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    plan.refresh_from_db()
    assert "<em>no more</em>" in plan.intro_html


def test_recall_day_page_edits_prompts(instructor_client: Client) -> None:
    day = factories.RecallDayFactory()
    question = factories.QuestionFactory(course=day.plan.course)
    url = reverse("admin:quizzes_recallday_change", args=[day.pk])
    data = admin_form_data(instructor_client.get(url))
    data.update({"prompts-TOTAL_FORMS": "1", "prompts-0-question": str(question.pk), "prompts-0-order": "0"})
    response = instructor_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(RecallPrompt.objects.filter(day=day).values_list("question", flat=True)) == [question.pk]


def test_new_options_without_order_are_numbered_after_the_others(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    data = choice_question_data(course.pk, [("Spring low", False), ("Neap low", True), ("High", False)])
    data["options-0-order"] = "5"
    data["options-1-order"] = data["options-2-order"] = ""
    response = instructor_client.post(reverse("admin:quizzes_question_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    options = Question.objects.get(slug="which-tide").options.all()
    assert [(o.text, o.order) for o in options] == [("Spring low", 5), ("Neap low", 6), ("High", 7)]


def test_recall_days_can_swap_order(instructor_client: Client) -> None:
    plan = factories.RecallPlanFactory()
    monday = factories.RecallDayFactory(plan=plan, name="Monday", order=0)
    tuesday = factories.RecallDayFactory(plan=plan, name="Tuesday", order=1)
    url = reverse("admin:quizzes_recallplan_change", args=[plan.pk])
    data = admin_form_data(instructor_client.get(url))
    data["days-0-order"], data["days-1-order"] = "1", "0"
    response = instructor_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(plan.days.values_list("name", flat=True)) == ["Tuesday", "Monday"]
    assert {monday.pk, tuesday.pk} == set(plan.days.values_list("pk", flat=True))


def test_two_options_with_the_same_order_is_a_form_error(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    data = choice_question_data(course.pk, [("Spring low", True), ("Neap low", False)])
    data["options-1-order"] = "0"
    response = instructor_client.post(reverse("admin:quizzes_question_add"), data)
    assert response.status_code == 200
    assert "duplicate data for order" in response.content.decode()
    assert not Question.objects.exists()


def test_quiz_rejects_a_question_of_another_course(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    stranger = factories.QuestionFactory()
    data = {
        "course": str(course.pk),
        "slug": "shore-check",
        "title": "Shore check",
        "kind": "readiness",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-question": str(stranger.pk),
        "items-0-order": "0",
    }
    response = instructor_client.post(reverse("admin:quizzes_quiz_add"), data)
    assert response.status_code == 200
    assert "belongs to another course" in response.content.decode()
    assert not Quiz.objects.exists()
