"""An instructor edits a lesson in the Django admin; the public page shows the new section."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from courses.demo import instructors_group_ensure
from lessons.models import Lesson
from tests.browser.conftest import PASSWORD
from tests.factories import build_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_HEADING = "Added from the admin"
NEW_SENTENCE = "This sentence was typed into the change form a moment ago."


def test_admin_edit_shows_on_the_lesson_page(
    new_context: Callable[..., Any],
    live_server: Any,
    screenshot_dir: Path,
    make_learner: Callable[..., Any],
) -> None:
    course = build_course(lessons=1, checks_per_lesson=1)
    lesson = Lesson.objects.get(module__course=course)
    teacher = make_learner("teacher", is_staff=True)
    teacher.groups.add(instructors_group_ensure())
    page = new_context().new_page()

    # The public page before: no such section.
    page.goto(live_server.url + lesson.get_absolute_url())
    expect(page.locator("nav[aria-label='Table of contents']")).not_to_contain_text(NEW_HEADING)

    page.goto(live_server.url + "/admin/")
    page.fill("input[name=username]", "teacher")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/admin/")

    page.goto(live_server.url + f"/admin/lessons/lesson/{lesson.pk}/change/")
    body = page.locator("textarea[name=body_md]")
    body.fill(body.input_value() + f"\n\n## {NEW_HEADING}\n\n{NEW_SENTENCE}\n")
    page.screenshot(path=str(screenshot_dir / "admin-lesson-edit.png"), full_page=True)
    page.locator("input[name=_continue]").click()
    page.locator(".messagelist .success").wait_for()
    # The change form's outline of sections already lists the new one (rendered on save).
    expect(page.locator(".lesson-sections")).to_contain_text(NEW_HEADING)

    page.goto(live_server.url + lesson.get_absolute_url())
    toc_link = page.locator("nav[aria-label='Table of contents']").get_by_role("link", name=NEW_HEADING)
    expect(toc_link).to_be_visible()
    # A new top-level heading after the existing "## First part": numbered §2.
    expect(toc_link).to_have_text(re.compile(rf"^§2\s+{NEW_HEADING}$"))
    anchor = toc_link.get_attribute("href")
    assert anchor is not None and anchor.startswith("#")
    heading = page.locator(f".lesson-body [id='{anchor[1:]}']")
    expect(heading).to_contain_text(NEW_HEADING)
    expect(page.locator(".lesson-body")).to_contain_text(NEW_SENTENCE)
    toc_link.click()
    expect(heading).to_be_in_viewport()
    page.screenshot(path=str(screenshot_dir / "admin-edit-on-lesson-page.png"), full_page=True)


def test_options_added_with_add_another_save_in_order(
    new_context: Callable[..., Any], live_server: Any, make_learner: Callable[..., Any]
) -> None:
    """Two rows added with "Add another Option" used to both say order 0, and the save failed."""
    from quizzes.models import Option
    from tests.factories import CourseFactory, QuestionFactory

    question = QuestionFactory(course=CourseFactory(), kind="choice", prompt_md="Which tide is lowest?")
    teacher = make_learner("optioneer", is_staff=True)
    teacher.groups.add(instructors_group_ensure())
    page = new_context().new_page()
    page.goto(live_server.url + "/admin/")
    page.fill("input[name=username]", "optioneer")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/admin/")

    page.goto(live_server.url + f"/admin/quizzes/question/{question.pk}/change/")
    add_row = page.locator(".add-row a.addlink")
    add_row.click()
    add_row.click()
    expect(page.locator("input[name=options-0-order]")).to_have_value("")
    page.fill("input[name=options-0-text]", "Spring low")
    page.check("input[name=options-0-is_correct]")
    page.fill("input[name=options-1-text]", "Neap low")
    page.locator("input[name=_continue]").click()
    page.locator(".messagelist .success").wait_for()

    options = Option.objects.filter(question=question).order_by("order")
    assert [(o.text, o.order, o.is_correct) for o in options] == [
        ("Spring low", 0, True),
        ("Neap low", 1, False),
    ]
