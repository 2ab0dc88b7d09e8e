"""Enrolment by code and the instructor's learner page, in Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import CourseInstructor
from courses.models import Cohort, Course, Enrollment
from lessons.models import Lesson
from mastery.models import ConceptMastery, Level
from tests.factories import AttemptFactory, build_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_enters_a_code_and_lands_in_the_course(
    new_context: Callable[..., Any],
    live_server: Any,
    screenshot_dir: Path,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    course = build_course()
    Course.objects.filter(pk=course.pk).update(enrollment=Course.Enrollment.CODE, title="Members only")
    Cohort.objects.create(course=course, name="Tuesday", code="K7QP3MZA")
    learner = make_learner("joiner")
    lesson = Lesson.objects.filter(module__course=course).first()
    assert lesson is not None
    page = new_context().new_page()
    sign_in(page, "joiner")

    # The lesson is members-only: the page says so and offers the code form.
    page.goto(live_server.url + lesson.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Members only")
    page.get_by_label("Invitation code").fill("wrong-code")
    page.get_by_role("button", name="Join this course").click()
    expect(page.get_by_role("alert")).to_contain_text("does not open this course")
    page.screenshot(path=str(screenshot_dir / "enrol-bad-code.png"), full_page=True)

    # From the header-less "Join with a code" page, as an instructor's email would send them.
    page.goto(live_server.url + "/join/")
    page.get_by_label("Invitation code").fill("k7qp-3mza")
    page.get_by_role("button", name="Join").click()
    page.wait_for_url(live_server.url + course.get_absolute_url())
    expect(page.get_by_text("You are enrolled in this course.")).to_be_visible()
    assert Enrollment.objects.get(learner=learner, course=course).cohort.name == "Tuesday"
    page.goto(live_server.url + lesson.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(lesson.title)


def test_the_instructor_opens_a_learners_page_from_the_heatmap(
    new_context: Callable[..., Any],
    live_server: Any,
    screenshot_dir: Path,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    course = build_course(concepts=3)
    cohort = Cohort.objects.create(course=course, name="Evening", code="EVEN2345")
    teacher = make_learner("teacher")
    CourseInstructor.objects.create(user=teacher, course=course, role=CourseInstructor.Role.TA, cohort=cohort)
    learner = make_learner("ada")
    Enrollment.objects.create(learner=learner, course=course, cohort=cohort, via=Enrollment.Via.CODE)
    AttemptFactory(learner=learner, question=course.questions.first())
    concept = course.concepts.order_by("name").first()
    assert concept is not None
    ConceptMastery.objects.create(
        learner=learner, concept=concept, level=Level.FAMILIAR, explanation="Right twice, a day apart."
    )
    page = new_context().new_page()
    sign_in(page, "teacher")

    page.goto(live_server.url + course.get_absolute_url())
    page.get_by_role("link", name="Instructor view").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cohort")
    expect(page.locator("[data-scope]")).to_contain_text("Evening: 1 learner")
    page.screenshot(path=str(screenshot_dir / "cohort-per-cohort.png"), full_page=True)
    page.locator(".heatmap").get_by_role("link", name="ada").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ada")
    row = page.locator(f'tr[data-concept="{concept.slug}"]')
    expect(row).to_contain_text("Familiar")
    expect(row).to_contain_text("Right twice, a day apart.")
    expect(page.locator("[data-due]")).to_contain_text("due now")
    page.screenshot(path=str(screenshot_dir / "cohort-learner.png"), full_page=True)
