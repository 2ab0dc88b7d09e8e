"""A learner who knows where they are, in Chromium: continuing a course, and a readiness quiz's score."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from courses.models import Course
from lessons.models import Lesson
from quizzes.models import Question, Quiz
from tests.factories import build_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _lessons(course: Course) -> list[Lesson]:
    return list(Lesson.objects.filter(module__course=course).order_by("module__order", "order", "id"))


def test_continue_where_you_left_off_from_the_catalog_and_the_dashboard(
    new_context: Callable[..., Any],
    live_server: Any,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    course = build_course(modules=1, lessons=3)
    first, second, third = _lessons(course)
    make_learner("continuer")
    page = new_context().new_page()
    sign_in(page, "continuer")

    # Not begun: the course page offers the first lesson (the catalog says nothing yet).
    page.goto(live_server.url + "/")
    expect(page.get_by_role("link", name=f"Start with {first.title}")).to_have_count(0)
    page.goto(live_server.url + course.get_absolute_url())
    start = page.get_by_role("link", name=f"Start with {first.title}")
    expect(start).to_be_visible()
    start.click()
    page.wait_for_url(live_server.url + first.get_absolute_url())
    page.get_by_role("button", name="Mark as read").click()
    expect(page.locator(".lesson-read-done")).to_be_visible()

    # Read: the catalog and the course page continue with the next lesson.
    page.goto(live_server.url + "/")
    page.get_by_role("link", name=f"Continue with {second.title}").click()
    page.wait_for_url(live_server.url + second.get_absolute_url())
    page.goto(live_server.url + course.get_absolute_url())
    expect(page.get_by_role("link", name=f"Continue with {second.title}")).to_be_visible()

    # An answer in the third lesson, after that read: continue there, at the answered check's section.
    page.goto(live_server.url + third.get_absolute_url())
    question = Question.objects.get(course=course, slug=third.check_slugs()[0])
    check = page.locator(f"#check-{question.slug}")
    check.scroll_into_view_if_needed()
    if question.is_choice:
        check.locator("input[type=radio]").first.check()
        check.get_by_role("button", name="Submit").click()
    else:
        check.get_by_role("button", name="Show answer").click()
        page.locator(f"#check-{question.slug}").get_by_role("button", name="Good").click()
    page.locator(f"#check-{question.slug} .verdict").wait_for()

    page.goto(live_server.url + "/dashboard/")
    continue_list = page.locator(".continue-list")
    expect(continue_list).to_contain_text("Continue where you left off")
    continue_list.get_by_role("link", name=third.title).click()
    page.wait_for_url(f"{live_server.url}{third.get_absolute_url()}#{question.anchor}")
    expect(page.get_by_role("heading", level=1)).to_have_text(third.title)


def test_a_readiness_quiz_ends_with_a_score_and_what_to_revisit(
    new_context: Callable[..., Any],
    live_server: Any,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    course = build_course(modules=1, lessons=2, checks_per_lesson=2)
    quiz = Quiz.objects.get(course=course, kind=Quiz.Kind.READINESS)
    items = list(quiz.items.select_related("question").order_by("order", "id"))
    make_learner("quizzer")
    page = new_context().new_page()
    sign_in(page, "quizzer")
    page.goto(live_server.url + quiz.get_absolute_url())

    # One miss (a wrong option, or "Again"), every other question right.
    missed = None
    for index, item in enumerate(items):
        question = item.question
        check = page.locator(f"#check-{question.slug}")
        check.scroll_into_view_if_needed()
        wrong = index == 0
        if question.is_choice:
            value = question.options.get(is_correct=not wrong).pk
            check.locator(f"input[value='{value}']").check()
            check.get_by_role("button", name="Submit").click()
        else:
            check.get_by_role("button", name="Show answer").click()
            page.locator(f"#check-{question.slug}").get_by_role(
                "button", name="Again" if wrong else "Good"
            ).click()
        page.locator(f"#check-{question.slug} .verdict").wait_for()
        if wrong:
            missed = question
    assert missed is not None

    page.get_by_role("button", name="Finish and see my score").click()
    score = page.locator(".score-line")
    expect(score).to_contain_text(f"{len(items) - 1} of {len(items)}")
    expect(page.locator(".cram-note")).to_be_visible()  # a practice run: the schedule did not move
    revisit = page.locator("ul.revisit")
    concept = missed.concepts.order_by("name").first()
    assert concept is not None
    expect(revisit).to_contain_text(concept.name)
    # The reread link takes the learner to the section that answers the missed question.
    page.locator(".score-rows").get_by_role("link", name="Reread").first.click()
    page.wait_for_url(live_server.url + missed.section_url())
    assert missed.lesson is not None
    expect(page.get_by_role("heading", level=1)).to_have_text(missed.lesson.title)
