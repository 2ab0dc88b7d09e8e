"""The learner's dashboard in Chromium after a few attempts: concept grid, forecast, weakest, phone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from courses.models import Concept, Course
from lessons.models import Lesson
from mastery.models import Attempt, ConceptMastery, Level
from quizzes.models import Question
from tests.factories import build_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answer_first_lesson_badly(page: Any, base: str, course: Course) -> Lesson:
    """Again on the free-recall check, a wrong option on the multiple choice: a concept below target."""
    lesson = Lesson.objects.filter(module__course=course).order_by("order").first()
    assert lesson is not None
    free, choice = (f"{lesson.slug}-check-0", f"{lesson.slug}-check-1")
    page.goto(base + lesson.get_absolute_url())
    page.locator(f"#check-{free}").get_by_role("button", name="Show answer").click()
    page.locator(f"#check-{free}").get_by_role("button", name="Again").click()
    expect(page.locator(f"#check-{free} .check-marked")).to_have_text("Marked: Again")
    page.locator(f"#check-{choice}").get_by_text(f"Wrong option for {choice}").click()
    page.locator(f"#check-{choice}").get_by_role("button", name="Submit").click()
    page.locator(f"#check-{choice} .verdict-wrong").wait_for()
    return lesson


def test_dashboard_shows_levels_forecast_and_weakest_links(
    new_context: Callable[..., Any],
    live_server: Any,
    screenshot_dir: Path,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    course = build_course(lessons=2, concepts=3, checks_per_lesson=2)
    learner = make_learner("dashing")
    page = new_context().new_page()
    sign_in(page, "dashing")
    _answer_first_lesson_badly(page, live_server.url, course)
    assert Attempt.objects.filter(learner=learner).count() == 2

    page.goto(live_server.url + "/dashboard/")
    page.screenshot(path=str(screenshot_dir / "dashboard-after-attempts.png"), full_page=True)

    # The grid shows every concept of the course with the level the recompute stored.
    levels = {m.concept_id: Level(m.level).label for m in ConceptMastery.objects.filter(learner=learner)}
    concepts = list(Concept.objects.filter(course=course).order_by("pk"))
    grid = page.locator(".concept-grid")
    expect(grid.locator(".concept-cell")).to_have_count(len(concepts))
    taught_everywhere = concepts[0]
    assert levels.get(taught_everywhere.pk, Level.NOT_STARTED.label) != Level.NOT_STARTED.label
    for concept in concepts:
        cell = grid.locator(".concept-cell", has_text=concept.name)
        expect(cell.locator(".level-label")).to_have_text(levels.get(concept.pk, Level.NOT_STARTED.label))
        expect(cell.locator(".target-label")).to_be_visible()

    # The retention forecast is an SVG with an accessible title.
    chart = page.locator("svg.forecast-chart")
    expect(chart).to_be_visible()
    title = chart.locator("title")
    expect(title).to_have_count(1)
    assert title.text_content().strip()
    assert chart.get_attribute("role") == "img"

    # The concept answered badly is among the weakest, with links to reread its sections.
    weak = page.locator(".weakest li", has=page.get_by_role("link", name=taught_everywhere.name, exact=True))
    expect(weak).to_have_count(1)
    section_link = weak.locator(".reread a[href*='#']").first
    href = section_link.get_attribute("href")
    assert href is not None
    path, anchor = href.split("#", 1)
    question = (
        Question.objects.filter(concepts=taught_everywhere, anchor=anchor).select_related("lesson").first()
    )
    assert question is not None and question.lesson is not None
    assert path == question.lesson.get_absolute_url()
    section_link.click()
    page.wait_for_url(f"**{href}")
    expect(page.locator(f"[id='{anchor}']")).to_be_in_viewport()


def test_dashboard_fits_a_phone_screen(
    new_context: Callable[..., Any],
    live_server: Any,
    screenshot_dir: Path,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    course = build_course(lessons=2, concepts=6, checks_per_lesson=2)
    make_learner("pocket")
    page = new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    ).new_page()
    sign_in(page, "pocket")
    _answer_first_lesson_badly(page, live_server.url, course)
    page.goto(live_server.url + "/dashboard/")
    expect(page.locator("svg.forecast-chart")).to_be_visible()
    expect(page.locator(".weakest li").first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the dashboard scrolls sideways by {overflow}px on a phone"
    page.screenshot(path=str(screenshot_dir / "dashboard-phone.png"), full_page=True)
