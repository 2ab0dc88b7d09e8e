"""The answer path in Chromium: shuffled options, the key-point checklist, the think clock from on-screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.services import course_render
from lessons.models import Lesson
from mastery.models import Attempt, Grade
from quizzes.models import Question
from tests.factories import OptionFactory, ReviewCardFactory, build_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shown(check: Any) -> list[str]:
    return [text.strip() for text in check.locator("label.option .option-text").all_inner_texts()]


def test_each_learner_sees_their_own_stable_option_order(
    new_context: Callable[..., Any],
    live_server: Any,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    course = build_course(lessons=1, checks_per_lesson=2)
    question = Question.objects.get(course=course, kind=Question.Kind.CHOICE)
    for i in range(3):
        OptionFactory(question=question, text=f"Extra option {i}", order=10 + i)
    ada, bob = make_learner("ada"), make_learner("bob")
    expected = {
        learner.username: [option.text for option in question.options_for(learner.pk)]
        for learner in (ada, bob)
    }
    # Six options: two learners almost never share an order; the test needs them to differ.
    assert expected["ada"] != expected["bob"]
    url = live_server.url + question.section_url()

    for learner in (ada, bob):
        page = new_context().new_page()
        sign_in(page, learner.username)
        page.goto(url)
        check = page.locator(f"#check-{question.slug}")
        assert _shown(check) == expected[learner.username]
        page.reload()
        assert _shown(page.locator(f"#check-{question.slug}")) == expected[learner.username]

    # Pinned by the author (saved as the admin saves it, which invalidates the cached page):
    # everyone sees the authored order.
    question.shuffle_options = False
    question.save()
    page = new_context().new_page()
    page.goto(url)
    assert _shown(page.locator(f"#check-{question.slug}")) == [o.text for o in question.options.all()]


def test_key_point_checklist_becomes_the_grade(
    new_context: Callable[..., Any],
    live_server: Any,
    screenshot_dir: Path,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    course = build_course(lessons=1, checks_per_lesson=1)
    question = Question.objects.get(course=course)
    Question.objects.filter(pk=question.pk).update(
        key_points="Names the log record\nSays it is written first\nSays why a crash is safe"
    )
    learner = make_learner("ticker")
    page = new_context().new_page()
    sign_in(page, "ticker")
    page.goto(live_server.url + question.section_url())
    check = page.locator(f"#check-{question.slug}")
    assert check.locator("input[type=checkbox]").count() == 0  # nothing of the answer before the reveal

    check.get_by_role("button", name="Show answer").click()
    checklist = page.locator(f"#check-{question.slug} .checklist-form")
    checklist.wait_for()
    expect(checklist.locator("input[type=checkbox]")).to_have_count(3)
    assert checklist.get_by_role("button", name="Good").count() == 0
    checklist.get_by_label("Names the log record").check()
    checklist.get_by_label("Says why a crash is safe").check()
    screenshot_dir_path = screenshot_dir / "key-point-checklist.png"
    page.locator(f"#check-{question.slug}").screenshot(path=str(screenshot_dir_path))
    checklist.get_by_role("button", name="Grade from my ticks").click()

    marked = page.locator(f"#check-{question.slug} .check-marked")
    expect(marked).to_have_text("Marked: Hard")
    expect(page.locator(f"#check-{question.slug}")).to_contain_text("you ticked 2 of 3 key points")
    attempt = Attempt.objects.get(learner=learner)
    assert (attempt.grade, attempt.key_points_recalled, attempt.key_points_total) == (Grade.HARD, 2, 3)
    assert attempt.revealed is True


def _lesson_with_a_check_below_the_fold(prompt_lines: int = 1) -> tuple[Lesson, Question]:
    course = build_course(lessons=1, checks_per_lesson=1)
    question = Question.objects.get(course=course)
    if prompt_lines > 1:
        question.prompt_md = "\n\n".join(f"Line {i} of a long prompt." for i in range(prompt_lines))
        question.save()
    lesson = question.lesson
    assert lesson is not None
    filler = "\n\n".join(f"Paragraph {i} of reading before the check." for i in range(120))
    lesson.body_md = f"## First part\n\n{filler}\n\n{{{{check: {question.slug}}}}}\n"
    lesson.save()
    course_render(course=course)
    return lesson, question


def test_think_clock_starts_when_the_check_comes_on_screen(
    new_context: Callable[..., Any],
    live_server: Any,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    lesson, question = _lesson_with_a_check_below_the_fold()
    learner = make_learner("reader")
    page = new_context().new_page()
    sign_in(page, "reader")
    page.goto(live_server.url + lesson.get_absolute_url())
    check = page.locator(f"#check-{question.slug}")
    loaded = time.monotonic()

    # Reading the top of the page: the check is far below, its clock has not started.
    page.wait_for_timeout(3000)
    assert check.get_attribute("data-onscreen-started") is None
    check.scroll_into_view_if_needed()
    expect(check).to_have_attribute("data-onscreen-started", "")
    page.wait_for_timeout(500)
    check.get_by_role("button", name="Show answer").click()
    page.locator(f"#check-{question.slug} .check-answer").wait_for()
    since_load_ms = (time.monotonic() - loaded) * 1000
    page.locator(f"#check-{question.slug}").get_by_role("button", name="Good").click()
    page.locator(f"#check-{question.slug} .check-marked").wait_for()

    attempt = Attempt.objects.get(learner=learner)
    assert attempt.think_ms is not None
    # From on-screen to the reveal: the half second of looking at it, not the 3 s of reading above.
    assert 400 <= attempt.think_ms < 2500, attempt.think_ms
    assert since_load_ms >= 3500


def test_without_javascript_the_timing_is_unknown(
    new_context: Callable[..., Any],
    live_server: Any,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    course = build_course(lessons=1, checks_per_lesson=2)
    question = Question.objects.get(course=course, kind=Question.Kind.CHOICE)
    learner = make_learner("nojs")
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "nojs")
    page.goto(live_server.url + question.section_url())
    check = page.locator(f"#check-{question.slug}")
    check.get_by_label(f"Wrong option for {question.slug}").check()
    check.get_by_role("button", name="Submit").click()

    # A plain form post: a whole page with the result, the correct option and where to reread.
    expect(page.locator(".verdict-wrong")).to_contain_text(f"Right option for {question.slug}")
    expect(page.get_by_role("link", name="Jump to §1")).to_be_visible()
    attempt = Attempt.objects.get(learner=learner)
    assert attempt.is_correct is False
    assert attempt.think_ms is None and attempt.time_taken_ms is None


def test_review_checklist_by_keyboard(
    new_context: Callable[..., Any],
    live_server: Any,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    course = build_course(lessons=1, checks_per_lesson=1)
    question = Question.objects.get(course=course)
    Question.objects.filter(pk=question.pk).update(
        key_points="First point\nSecond point\nThird point\nFourth"
    )
    learner = make_learner("keys")
    ReviewCardFactory(learner=learner, question=question, due=timezone.now() - timedelta(hours=1))
    page = new_context().new_page()
    sign_in(page, "keys")
    page.goto(live_server.url + "/review/")
    region = page.locator("[data-review]")
    expect(region.get_by_role("button", name="Show answer")).to_be_visible()
    assert region.get_by_role("button", name="Easy").count() == 0  # no grading around the checklist

    page.keyboard.press("Space")
    region.locator(".checklist-form").wait_for()
    page.keyboard.press("1")
    page.keyboard.press("3")
    page.keyboard.press("3")  # a second press unticks
    page.keyboard.press("4")
    expect(region.locator("input[type=checkbox]:checked")).to_have_count(2)
    page.keyboard.press("Enter")

    # Two of four ticked: Hard, a success, so the summary follows with its line.
    expect(region.locator(".review-feedback")).to_contain_text("Hard")
    attempt = Attempt.objects.get(learner=learner)
    assert (attempt.grade, attempt.key_points_recalled, attempt.key_points_total) == (Grade.HARD, 2, 4)


def test_a_check_taller_than_the_screen_starts_its_clock_when_it_fills_it(
    new_context: Callable[..., Any],
    live_server: Any,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    lesson, question = _lesson_with_a_check_below_the_fold(prompt_lines=60)
    make_learner("phone")
    page = new_context(viewport={"width": 390, "height": 640}).new_page()
    sign_in(page, "phone")
    page.goto(live_server.url + lesson.get_absolute_url())
    check = page.locator(f"#check-{question.slug}")
    assert check.bounding_box()["height"] > 2 * 640  # never half visible at once
    assert check.get_attribute("data-onscreen-started") is None

    check.locator(".check-prompt").scroll_into_view_if_needed()
    expect(check).to_have_attribute("data-onscreen-started", "")
