"""A new student's first session, end to end in Chromium: sign up, read, answer, review, dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from courses.bundles import import_bundle
from lessons.models import Lesson
from mastery.models import Attempt, ConceptMastery, LessonRead, Level, Mode, ReviewCard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_up(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/signup/")
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", f"{username}@example.com")
    page.fill("input[name=password1]", "a-long-pass-phrase-42")
    page.fill("input[name=password2]", "a-long-pass-phrase-42")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/dashboard/")


def test_sign_up_answer_review_and_see_mastery(
    new_context: Callable[..., Any], live_server: Any, screenshot_dir: Path
) -> None:
    import_bundle(settings.DEMO_BUNDLE_DIR)
    lesson = Lesson.objects.select_related("module__course").order_by("module__order", "order").first()
    assert lesson is not None
    page = new_context().new_page()
    _sign_up(page, live_server.url, "newbie")
    learner = User.objects.get(username="newbie")

    # Answer every check of the first lesson: free recall with Good (or every key point ticked,
    # where the question lists them), multiple choice with the first option.
    page.goto(live_server.url + lesson.get_absolute_url())
    checks = page.locator("section.check")
    for index in range(checks.count()):
        check = checks.nth(index)
        check.scroll_into_view_if_needed()
        if check.get_by_role("button", name="Show answer").count():
            check.get_by_role("button", name="Show answer").click()
            revealed = page.locator("section.check").nth(index)
            revealed.locator(".grade-form").wait_for()
            if revealed.locator(".checklist-form").count():
                for box in revealed.locator("input[name=point]").all():
                    box.check()
                revealed.get_by_role("button", name="Grade from my ticks").click()
            else:
                revealed.get_by_role("button", name="Good").click()
        else:
            check.locator("input[type=radio]").first.check()
            check.get_by_role("button", name="Submit").click()
        page.locator("section.check").nth(index).locator("text=/Saved|Not quite|Right/").first.wait_for()
    assert Attempt.objects.filter(learner=learner, mode=Mode.STUDY).count() == checks.count()

    # A double click on a grade button still records one attempt.
    assert Attempt.objects.filter(learner=learner).values("key").distinct().count() == checks.count()

    page.get_by_role("button", name="Mark as read").click()
    page.locator(".lesson-read-done").wait_for()
    assert LessonRead.objects.filter(learner=learner, lesson=lesson).exists()

    # Make the cards due, then review with the keyboard: Space reveals, 3 grades Good.
    ReviewCard.objects.filter(learner=learner).update(due=timezone.now() - timedelta(minutes=1))
    page.goto(live_server.url + "/review/")
    page.screenshot(path=str(screenshot_dir / "review.png"))
    before = Attempt.objects.filter(learner=learner, mode=Mode.REVIEW).count()
    region = page.locator("[data-review]")
    card_text = region.inner_text()
    if region.locator("[data-reveal]").count():
        page.keyboard.press("Space")
        page.locator("[data-review] .check-answer").wait_for()
        page.screenshot(path=str(screenshot_dir / "review-revealed.png"))
        card_text = region.inner_text()
        if region.locator(".checklist-form").count():
            for digit in range(1, region.locator("input[name=point]").count() + 1):
                page.keyboard.press(str(digit))
            page.keyboard.press("Enter")
        else:
            page.keyboard.press("3")
    else:
        page.keyboard.press("1")
        page.keyboard.press("Enter")
    # Wait for htmx to swap in the next card before reading the database: the live server
    # shares the test's in-memory SQLite, which refuses a read during its write.
    page.wait_for_function(
        "old => { const r = document.querySelector('[data-review]'); return r && r.innerText !== old; }",
        arg=card_text,
    )
    assert Attempt.objects.filter(learner=learner, mode=Mode.REVIEW).count() == before + 1

    page.goto(live_server.url + "/dashboard/")
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)
    assert page.locator("svg").count() >= 1, "the retention forecast chart is drawn"
    levels = set(ConceptMastery.objects.filter(learner=learner).values_list("level", flat=True))
    assert levels and levels != {Level.NOT_STARTED}, "mastery was recomputed after the attempts"
