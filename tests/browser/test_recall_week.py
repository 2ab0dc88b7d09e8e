"""A recall week in Chromium: start it, answer today's prompts, jump to a section, unlock a day by reading."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from courses.services import course_render
from lessons.models import Lesson
from mastery.models import Attempt, Mode, RecallEnrollment
from quizzes.models import Question, RecallPlan
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    RecallDayFactory,
    RecallPlanFactory,
    RecallPromptFactory,
)

# Anchored: "Today, Tuesday 24 November" heads the day's work when the week starts on a Tuesday.
# Days are headed by the learner's own dates ("Day 2: Tomorrow, …"); the plan's name sits under it.
TUESDAY = "“Tuesday” in the plan"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = (
    "## Where it starts\n\nThe opening idea, in a few words.\n\n"
    + "Filler paragraph to push the next heading below the fold.\n\n" * 40
    + "## The part the prompt asks about\n\nThe detail that answers the prompt.\n\n"
    + "More filler, so the page can scroll the section to the top.\n\n" * 30
)


def _week() -> tuple[RecallPlan, Lesson, Lesson, dict[str, Question]]:
    """A week of two days: Monday opens by date alone, Tuesday only once lesson "second" is read."""
    course = CourseFactory(is_published=True, slug="recall-course")
    module = ModuleFactory(course=course, slug="basics")
    first = LessonFactory(module=module, slug="first", title="First lesson", order=0, body_md=BODY)
    second = LessonFactory(module=module, slug="second", title="Second lesson", order=1, body_md=BODY)
    questions = {
        # No model answer: the learner checks against the section ("Check myself").
        "self-check": QuestionFactory(
            course=course,
            slug="self-check",
            prompt_md="Say the opening idea in your own words.",
            answer_md="",
            lesson=first,
            section_ref="§1",
        ),
        "jump": QuestionFactory(
            course=course,
            slug="jump",
            prompt_md="Which detail answers this prompt?",
            answer_md="The detail.",
            lesson=first,
            section_ref="§2",
        ),
        "tuesday": QuestionFactory(
            course=course,
            slug="tuesday",
            prompt_md="Recall the second lesson's opening.",
            answer_md="Its opening idea.",
            lesson=second,
            section_ref="§1",
        ),
    }
    plan = RecallPlanFactory(course=course, module=module, slug="week-1", title="Week 1 recall")
    monday = RecallDayFactory(plan=plan, name="Monday", order=0)
    tuesday = RecallDayFactory(plan=plan, name="Tuesday", order=1)
    tuesday.unlock_lessons.set([second])
    RecallPromptFactory(day=monday, question=questions["self-check"], order=0)
    RecallPromptFactory(day=monday, question=questions["jump"], order=1)
    RecallPromptFactory(day=tuesday, question=questions["tuesday"], order=0)
    course_render(course=course)
    for question in questions.values():
        question.refresh_from_db()
    return plan, first, second, questions


def test_recall_week_today_jump_and_unlock_by_reading(
    new_context: Callable[..., Any],
    live_server: Any,
    screenshot_dir: Path,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    plan, first, second, questions = _week()
    learner = make_learner("weekly")
    page = new_context().new_page()
    sign_in(page, "weekly")
    week_url = live_server.url + plan.get_absolute_url()

    page.goto(week_url)
    page.get_by_role("button", name="Start this week").click()
    today = page.locator(".recall-today")
    today.wait_for()
    assert RecallEnrollment.objects.filter(learner=learner, plan=plan).count() == 1

    # Monday is today and open; its prompts are the day's work. Tuesday waits for its lesson.
    expect(today.locator("#check-self-check")).to_be_visible()
    expect(today.locator("#check-jump")).to_be_visible()
    assert today.locator("#check-tuesday").count() == 0
    tuesday = page.locator(".recall-day", has_text=TUESDAY)
    expect(tuesday).to_have_class("recall-day is-locked")
    expect(tuesday.locator(".day-state")).to_contain_text("Locked")
    expect(tuesday.locator(".day-state").get_by_role("link", name="Second lesson")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "recall-week-today.png"), full_page=True)

    # A prompt without a model answer: "Check myself", compare with the section, then grade.
    check = page.locator("#check-self-check")
    check.get_by_role("button", name="Check myself").click()
    page.locator("#check-self-check .check-answer").wait_for()
    expect(page.locator("#check-self-check .check-answer")).to_contain_text("Check yourself")
    page.screenshot(path=str(screenshot_dir / "recall-week-check-myself.png"), full_page=True)
    page.locator("#check-self-check").get_by_role("button", name="Hard").click()
    expect(page.locator("#check-self-check .check-marked")).to_have_text("Marked: Hard")
    attempts = list(Attempt.objects.filter(learner=learner).values_list("question__slug", "grade", "mode"))
    assert attempts == [("self-check", 2, Mode.STUDY)]

    # "Jump to §2" lands on the lesson at the section's anchor, with its heading on screen.
    jump = questions["jump"]
    assert jump.anchor
    page.locator("#check-jump").get_by_role("link", name="Jump to §2").click()
    page.wait_for_url(f"**{first.get_absolute_url()}#{jump.anchor}")
    heading = page.locator(f"[id='{jump.anchor}']")
    expect(heading).to_contain_text("The part the prompt asks about")
    expect(heading).to_be_in_viewport()
    page.screenshot(path=str(screenshot_dir / "recall-week-jump.png"))

    # Reading the second lesson lifts Tuesday's lock; its date (tomorrow) is all that is left.
    page.goto(live_server.url + second.get_absolute_url())
    page.get_by_role("button", name="Mark as read").click()
    page.locator(".lesson-read-done").wait_for()
    page.goto(week_url)
    tuesday_state = page.locator(".recall-day", has_text=TUESDAY).locator(".day-state")
    expect(tuesday_state).to_contain_text("Opens tomorrow, ")
    expect(page.locator(".recall-day", has_text=TUESDAY).locator("h2")).to_contain_text("Day 2: Tomorrow, ")
    expect(tuesday_state).not_to_contain_text("read first")

    # A day later (the week moved back a day, nothing in flight): Tuesday is today and open.
    RecallEnrollment.objects.filter(learner=learner, plan=plan).update(
        started_on=RecallEnrollment.objects.get(learner=learner, plan=plan).started_on - timedelta(days=1)
    )
    page.reload()
    tuesday = page.locator(".recall-day", has_text=TUESDAY)
    expect(tuesday).to_have_class("recall-day is-unlocked is-today")
    expect(page.locator(".recall-today #check-tuesday")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "recall-week-unlocked.png"), full_page=True)


def test_a_day_stays_locked_while_its_lesson_is_unread(
    new_context: Callable[..., Any],
    live_server: Any,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    # Even once its date has come, a day whose lesson is unread shows locked and offers no prompts.
    plan, _, second, _ = _week()
    learner = make_learner("unread")
    page = new_context().new_page()
    sign_in(page, "unread")
    page.goto(live_server.url + plan.get_absolute_url())
    page.get_by_role("button", name="Start this week").click()
    page.locator(".recall-today").wait_for()
    enrollment = RecallEnrollment.objects.get(learner=learner, plan=plan)
    RecallEnrollment.objects.filter(pk=enrollment.pk).update(
        started_on=enrollment.started_on - timedelta(days=1)
    )
    page.reload()
    tuesday = page.locator(".recall-day", has_text=TUESDAY)
    expect(tuesday).to_have_class("recall-day is-locked is-today")
    expect(tuesday.locator(".day-state")).to_contain_text("Locked")
    expect(tuesday.locator(".day-state").get_by_role("link", name=second.title)).to_be_visible()
    assert page.locator(".recall-today #check-tuesday").count() == 0
