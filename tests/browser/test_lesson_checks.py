"""What only a browser shows: checks answered over htmx, the no-JavaScript fallback, phone layout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from courses.bundles import import_bundle
from lessons.models import Lesson
from quizzes.models import Question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _demo_lesson_with(kind: str) -> tuple[Lesson, Question]:
    """The first demo lesson that embeds a check of `kind`, and that check's question."""
    import_bundle(settings.DEMO_BUNDLE_DIR)
    for lesson in Lesson.objects.select_related("module__course").order_by("module__order", "order"):
        slugs = lesson.check_slugs()
        questions = {q.slug: q for q in Question.objects.filter(slug__in=slugs, kind=kind)}
        for slug in slugs:
            if slug in questions:
                return lesson, questions[slug]
    raise AssertionError(f"the demo course has no embedded {kind} check")


def _open(new_context: Callable[..., Any], url: str, **context_options: Any) -> Any:
    page = new_context(**context_options).new_page()
    page.goto(url)
    return page


def test_show_answer_fetches_it_and_self_grade_acknowledges(
    new_context: Callable[..., Any], live_server: Any, screenshot_dir: Path
) -> None:
    lesson, question = _demo_lesson_with(Question.Kind.FREE)
    page = _open(new_context, live_server.url + lesson.get_absolute_url())
    page.screenshot(path=str(screenshot_dir / "lesson.png"))

    check = page.locator(f"#check-{question.slug}")
    check.scroll_into_view_if_needed()
    assert check.locator(".check-answer").count() == 0
    assert question.answer_html not in page.content()
    page.screenshot(path=str(screenshot_dir / "check-before-reveal.png"))

    check.get_by_role("button", name="Show answer").click()
    answer = page.locator(f"#check-{question.slug} .check-answer")
    answer.wait_for()
    assert answer.is_visible()
    page.screenshot(path=str(screenshot_dir / "check-after-reveal.png"))
    # htmx swapped a fragment in place: still the same page, not a navigation.
    assert page.url == live_server.url + lesson.get_absolute_url()

    page.locator(f"#check-{question.slug}").get_by_role("button", name="Good").click()
    page.locator(f"#check-{question.slug} .check-marked").wait_for()
    assert "Marked: Good" in page.locator(f"#check-{question.slug}").inner_text()


def test_a_reveal_survives_a_reload_and_grades_after_it(
    new_context: Callable[..., Any],
    live_server: Any,
    sign_in: Callable[..., None],
    make_learner: Callable[..., Any],
) -> None:
    from mastery.models import Attempt

    learner = make_learner("reloader")
    lesson, question = _demo_lesson_with(Question.Kind.FREE)
    page = new_context().new_page()
    sign_in(page, "reloader")
    page.goto(live_server.url + lesson.get_absolute_url())
    check = page.locator(f"#check-{question.slug}")
    check.scroll_into_view_if_needed()
    check.get_by_role("button", name="Show answer").click()
    page.locator(f"#check-{question.slug} .check-answer").wait_for()

    page.reload()

    check = page.locator(f"#check-{question.slug}")
    assert "is-revealed" in (check.get_attribute("class") or "")
    answer = check.locator(".check-answer")
    answer.scroll_into_view_if_needed()
    assert answer.is_visible() and "model answer" in answer.inner_text().lower()
    assert check.get_by_role("button", name="Show answer").count() == 0
    check.get_by_role("button", name="Good").click()
    page.locator(f"#check-{question.slug} .check-marked").wait_for()
    attempt = Attempt.objects.get(learner=learner, question=question)
    assert attempt.revealed


def test_multiple_choice_says_right_and_why(
    new_context: Callable[..., Any], live_server: Any, screenshot_dir: Path
) -> None:
    lesson, question = _demo_lesson_with(Question.Kind.CHOICE)
    correct = question.options.get(is_correct=True)
    page = _open(new_context, live_server.url + lesson.get_absolute_url())
    check = page.locator(f"#check-{question.slug}")
    check.scroll_into_view_if_needed()
    check.locator(f"input[value='{correct.pk}']").check()
    check.get_by_role("button", name="Submit").click()
    verdict = page.locator(f"#check-{question.slug} .verdict-right")
    verdict.wait_for()
    assert page.locator(f"#check-{question.slug} .option-correct").count() == 1
    page.locator(f"#check-{question.slug}").screenshot(
        path=str(screenshot_dir / "multiple-choice-answered.png")
    )


def test_checks_work_without_javascript(new_context: Callable[..., Any], live_server: Any) -> None:
    lesson, question = _demo_lesson_with(Question.Kind.FREE)
    page = _open(new_context, live_server.url + lesson.get_absolute_url(), java_script_enabled=False)
    page.locator(f"#check-{question.slug}").get_by_role("button", name="Show answer").click()
    page.wait_for_load_state()
    # A plain form post: a new page with the answer and a way back to the lesson.
    assert page.url != live_server.url + lesson.get_absolute_url()
    assert page.locator(".check-answer").is_visible()
    page.get_by_role("button", name="Easy").click()
    page.wait_for_load_state()
    assert "Marked: Easy" in page.content()


def test_lesson_fits_a_phone_screen(
    new_context: Callable[..., Any], live_server: Any, screenshot_dir: Path
) -> None:
    lesson, _ = _demo_lesson_with(Question.Kind.FREE)
    page = new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    ).new_page()
    page.goto(live_server.url + lesson.get_absolute_url())
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    page.screenshot(path=str(screenshot_dir / "lesson-phone.png"))
