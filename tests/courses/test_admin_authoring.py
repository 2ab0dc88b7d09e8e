"""Authoring in the admin keeps files git-friendly and saves what a browser sends.

Browsers send textarea content with CRLF line endings; new inline rows come with the
order the form renders for them; check markers must name questions of the course.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse

from lessons.models import ConceptIndexEntry, Lesson
from quizzes.models import Option, QuizItem, RecallDay, RecallPrompt
from tests import factories
from tests.admin_utils import admin_form_data

pytestmark = pytest.mark.django_db

CURRICULUM_APPS = {"courses", "lessons", "quizzes"}


def _text_fields(form_class: Any, model: type[models.Model]) -> list[str]:
    text = {f.name for f in model._meta.get_fields() if isinstance(f, models.TextField)}
    return [name for name in form_class.base_fields if name in text]


def test_every_text_field_of_every_curriculum_admin_stores_lf(instructor: Any) -> None:
    request = RequestFactory().get("/admin/")
    request.user = instructor
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in CURRICULUM_APPS:
            continue
        forms = [(model_admin.get_form(request), model)]
        for inline in model_admin.get_inline_instances(request):
            forms.append((inline.get_formset(request).form, inline.model))
        for form_class, form_model in forms:
            for name in _text_fields(form_class, form_model):
                field = form_class.base_fields[name]
                assert field.clean("one\r\ntwo\rthree\n") == "one\ntwo\nthree", (form_model, name)
                checked += 1
    assert checked >= 15


def test_a_lesson_body_typed_in_a_browser_is_stored_with_lf(instructor_client: Client) -> None:
    lesson = factories.LessonFactory()
    change = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = admin_form_data(instructor_client.get(change))
    data["body_md"] = "## Tides\r\n\r\nThe sea comes in.\r\n"
    data["summary"] = "Line one\r\nLine two"

    response = instructor_client.post(change, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    lesson.refresh_from_db()
    assert lesson.body_md == "## Tides\n\nThe sea comes in."
    assert lesson.summary == "Line one\nLine two"


def test_a_check_marker_must_name_a_question_of_the_course(instructor_client: Client) -> None:
    lesson = factories.LessonFactory()
    factories.QuestionFactory(course=lesson.module.course, slug="known-one")
    factories.QuestionFactory(slug="elsewhere")  # another course
    change = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = admin_form_data(instructor_client.get(change))
    data["body_md"] = (
        "## A\n\n{{check: known-one}}\n\n{{check: no-such-question}}\n\n{{ check: elsewhere }}\n"
    )

    response = instructor_client.post(change, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "no-such-question" in html and "elsewhere" in html
    assert "No question with these slugs in" in html
    lesson.refresh_from_db()
    assert "no-such-question" not in lesson.body_md


def test_known_check_markers_save(instructor_client: Client) -> None:
    lesson = factories.LessonFactory()
    factories.QuestionFactory(course=lesson.module.course, slug="known-one")
    change = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = admin_form_data(instructor_client.get(change))
    data["body_md"] = "## A\n\n{{check: known-one}}\n"

    assert instructor_client.post(change, data).status_code == 302
    assert Lesson.objects.get().check_slugs() == ["known-one"]


def test_new_options_as_the_browser_renders_them_save_with_distinct_orders(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    add = reverse("admin:quizzes_question_add")
    page = instructor_client.get(add)
    # The row "Add another option" would copy must not carry a fixed order either.
    assert 'name="options-__prefix__-order" value="0"' not in page.content.decode()
    data = admin_form_data(page)
    data.update(
        {
            "course": str(course.pk),
            "slug": "which-tide",
            "kind": "choice",
            "prompt_md": "Which tide is lowest?",
            "options-0-text": "Spring low",
            "options-0-is_correct": "on",
            "options-1-text": "Neap low",
        }
    )
    data.pop("concepts")  # an empty multiple select is absent from a real POST

    response = instructor_client.post(add, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    options = Option.objects.filter(question__slug="which-tide").order_by("order")
    assert [(o.text, o.order) for o in options] == [("Spring low", 0), ("Neap low", 1)]


def test_new_rows_of_every_ordered_inline_get_distinct_orders(instructor_client: Client) -> None:
    """Quiz items, recall days and prompts, lessons, modules and index entries alike."""
    course = factories.CourseFactory()
    module = factories.ModuleFactory(course=course)
    lesson = factories.LessonFactory(module=module)
    questions = [factories.QuestionFactory(course=course) for _ in range(2)]
    concepts = [factories.ConceptFactory(course=course) for _ in range(2)]
    plan = factories.RecallPlanFactory(course=course)
    day = factories.RecallDayFactory(plan=plan)
    quiz = factories.QuizFactory(course=course)
    cases = [
        ("admin:quizzes_quiz_change", quiz.pk, "items", {"question": questions}, QuizItem, {"quiz": quiz}),
        ("admin:quizzes_recallday_change", day.pk, "prompts", {"question": questions}, RecallPrompt,
         {"day": day}),
        ("admin:quizzes_recallplan_change", plan.pk, "days", {"name": ["Mon", "Tue"]}, RecallDay,
         {"plan": plan}),
        ("admin:lessons_lesson_change", lesson.pk, "index_entries", {"concept": concepts}, ConceptIndexEntry,
         {"lesson": lesson}),
        ("admin:courses_module_change", module.pk, "lessons", {"slug": ["x-1", "x-2"], "title": ["X1", "X2"]},
         Lesson, {"module": module, "slug__startswith": "x-"}),
    ]  # fmt: skip
    for url_name, pk, prefix, values, model, lookup in cases:
        change = reverse(url_name, args=[pk])
        page = instructor_client.get(change)
        data = admin_form_data(page)
        total = int(data[f"{prefix}-TOTAL_FORMS"])
        for offset in range(2):
            index = total + offset
            # What the browser posts for a row added with "Add another": the rendered blank row.
            empty = page.context["inline_admin_formsets"]
            formset = next(f.formset for f in empty if f.formset.prefix == prefix)
            for name in formset.empty_form.fields:
                value = formset.empty_form[name].value()
                data[f"{prefix}-{index}-{name}"] = "" if value is None else value
            for name, choices in values.items():
                chosen = choices[offset]
                data[f"{prefix}-{index}-{name}"] = str(getattr(chosen, "pk", chosen))
            if prefix == "lessons":
                data[f"{prefix}-{index}-kind"] = "BUILD"
                data[f"{prefix}-{index}-read_minutes"] = "0"
            if prefix == "index_entries":
                data[f"{prefix}-{index}-depth"] = "2"
            data.pop(f"{prefix}-{index}-id", None)
            data[f"{prefix}-{index}-{formset.fk.name}"] = str(pk)
        data[f"{prefix}-TOTAL_FORMS"] = str(total + 2)

        response = instructor_client.post(change, data)

        assert response.status_code == 302, (url_name, response.content.decode()[:3000])
        orders = list(model.objects.filter(**lookup).values_list("order", flat=True))
        assert len(orders) >= 2 and len(set(orders)) == len(orders), (url_name, orders)


def test_the_course_form_sets_when_cheat_sheets_open(instructor_client: Client) -> None:
    from courses.models import Course

    course = factories.CourseFactory()
    change = reverse("admin:courses_course_change", args=[course.pk])
    page = instructor_client.get(change)
    assert 'name="cheat_sheet_access"' in page.content.decode()
    data = admin_form_data(page)
    assert data["cheat_sheet_access"] == Course.CheatSheetAccess.AFTER_CHECKS
    data["cheat_sheet_access"] = Course.CheatSheetAccess.OPEN

    assert instructor_client.post(change, data).status_code == 302
    course.refresh_from_db()
    assert course.cheat_sheet_access == Course.CheatSheetAccess.OPEN
