"""A review session in Chromium: keyboard and mouse, free recall and multiple choice, progress, summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mastery import scheduling
from mastery.models import Attempt, Grade, Mode
from quizzes.models import Question
from tests.factories import ReviewCardFactory, build_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _due_cards(learner: Any) -> list[Question]:
    """Four due cards in a known order: free, choice, free, choice (most overdue first)."""
    course = build_course(lessons=2, checks_per_lesson=2)
    free = list(Question.objects.filter(course=course, kind=Question.Kind.FREE).order_by("slug"))
    choice = list(Question.objects.filter(course=course, kind=Question.Kind.CHOICE).order_by("slug"))
    order = [free[0], choice[0], free[1], choice[1]]
    now = timezone.now()
    for position, question in enumerate(order):
        ReviewCardFactory(learner=learner, question=question, due=now - timedelta(hours=10 - position))
    return order


def _progress(page: Any) -> int:
    return int(page.locator("[data-review] [role=progressbar]").get_attribute("aria-valuenow"))


def _answered(page: Any, position: int) -> None:
    """Wait until htmx has swapped in the card after `position` (or the summary)."""
    page.wait_for_function(
        """pos => {
            const region = document.querySelector('[data-review]');
            const count = region && region.querySelector('.review-count');
            return region && (region.querySelector('.review-summary') ||
                (count && !count.textContent.startsWith(pos + ' of')));
        }""",
        arg=position,
    )


def test_review_session_with_keyboard_and_mouse(
    new_context: Callable[..., Any],
    live_server: Any,
    screenshot_dir: Path,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    learner = make_learner("reviewer")
    cards = _due_cards(learner)
    page = new_context().new_page()
    sign_in(page, "reviewer")
    page.goto(live_server.url + "/review/")
    region = page.locator("[data-review]")
    expect(region.locator(".review-count")).to_have_text("1 of 4 due today")
    progress = [_progress(page)]
    page.screenshot(path=str(screenshot_dir / "review-session-start.png"))

    # 1. Free recall by keyboard: Space reveals the model answer, 3 grades Good.
    expect(region.locator(".check-prompt")).to_contain_text(f"Prompt for {cards[0].slug}?")
    assert region.locator(".check-answer").count() == 0
    page.keyboard.press("Space")
    region.locator(".check-answer").wait_for()
    expect(region.locator(".check-answer")).to_contain_text(f"Answer for {cards[0].slug}.")
    page.screenshot(path=str(screenshot_dir / "review-session-revealed.png"))
    page.keyboard.press("3")
    _answered(page, 1)
    expect(region.locator(".review-feedback")).to_contain_text("Good")
    progress.append(_progress(page))

    # 2. Multiple choice by keyboard: the digit of the right option as shown (the order is
    # the learner's own shuffle, so it is read from the page), then Enter submits.
    expect(region.locator(".check-prompt")).to_contain_text(f"Prompt for {cards[1].slug}?")
    right = region.locator("label.option", has_text=f"Right option for {cards[1].slug}")
    key = right.locator("input[type=radio]").get_attribute("data-key")
    expect(right.locator("kbd")).to_have_text(key)
    page.keyboard.press(key)
    expect(right.locator("input[type=radio]")).to_be_checked()
    page.screenshot(path=str(screenshot_dir / "review-session-choice.png"))
    page.keyboard.press("Enter")
    _answered(page, 2)
    expect(region.locator(".review-feedback")).to_contain_text("Right")
    progress.append(_progress(page))

    # 3. Free recall by mouse: Show answer, then Hard.
    expect(region.locator(".check-prompt")).to_contain_text(f"Prompt for {cards[2].slug}?")
    region.get_by_role("button", name="Show answer").click()
    region.locator(".check-answer").wait_for()
    region.get_by_role("button", name="Hard").click()
    _answered(page, 3)
    expect(region.locator(".review-feedback")).to_contain_text("Hard")
    progress.append(_progress(page))

    # 4. Multiple choice by mouse: a wrong option, then Submit. The miss shows the correct
    # option, the explanation and the section to reread before the next card.
    expect(region.locator(".check-prompt")).to_contain_text(f"Prompt for {cards[3].slug}?")
    region.locator("label.option", has_text=f"Wrong option for {cards[3].slug}").click()
    region.get_by_role("button", name="Submit").click()
    verdict = region.locator(".verdict-wrong")
    verdict.wait_for()
    expect(verdict).to_contain_text("Not quite.")
    expect(verdict.locator(".correct-answer")).to_have_text(f"Right option for {cards[3].slug}")
    expect(region.locator(".option-correct")).to_contain_text("✓ Correct answer")
    expect(region.locator(".option-chosen")).to_contain_text("✗ Wrong")
    expect(region.locator(".check-answer")).to_contain_text(f"Explanation for {cards[3].slug}.")
    jump = region.get_by_role("link", name="Jump to §1")
    expect(jump).to_have_attribute("href", cards[3].section_url())
    assert region.locator(".verdict-right").count() == 0
    page.screenshot(path=str(screenshot_dir / "review-session-miss.png"))
    page.keyboard.press("Space")  # the next card (here: the summary)

    summary = region.locator(".review-summary")
    expect(summary.get_by_role("heading", name="Session done")).to_be_visible()
    expect(summary).to_contain_text("You reviewed 4 cards today.")
    page.screenshot(path=str(screenshot_dir / "review-session-summary.png"))

    assert progress == sorted(progress) and len(set(progress)) == len(progress), progress
    assert progress[0] == 0

    # The summary counts each grade as recorded (a choice counts as the grade it stands for).
    attempts = list(Attempt.objects.filter(learner=learner, mode=Mode.REVIEW).order_by("id"))
    assert [a.question_id for a in attempts] == [q.pk for q in cards]
    recorded = Counter(
        Grade(a.grade or scheduling.grade_for_choice(bool(a.is_correct), a.think_ms)).label for a in attempts
    )
    assert recorded["Good"] + recorded["Easy"] >= 2 and recorded["Hard"] == 1 and recorded["Again"] == 1
    shown = {
        row.locator("th").inner_text(): int(row.locator("td").inner_text())
        for row in summary.locator("table.review-tally tbody tr").all()
    }
    assert shown == {grade.label: recorded.get(grade.label, 0) for grade in Grade}
