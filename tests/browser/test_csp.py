"""Every page type under the Content-Security-Policy in Chromium: the header is there, nothing is blocked.

A blocked inline script, eval, style element or foreign resource shows up in the page as a
`securitypolicyviolation` event and in the console as a CSP error; both are collected from
before the first byte of each page (an init script) and the test fails on any of them.
The pages are used, not only opened: a check is revealed and graded through htmx, the
profile is saved through htmx, admin change forms with inlines and autocompletes load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from courses.demo import instructors_group_ensure
from lessons.models import Lesson
from quizzes.models import Question
from tests.factories import build_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class Watch:
    """Collects CSP reports of one browser page, from events and from the console."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.on(
            "console",
            lambda message: (
                self.console.append(message.text)
                if "Content Security Policy" in message.text or "Refused to" in message.text
                else None
            ),
        )

    def visit(self, url: str, expect_status: int = 200) -> None:
        response = self.page.goto(url)
        assert response is not None
        assert response.status == expect_status, url
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe-eval" not in policy, url
        assert "frame-ancestors 'none'" in policy, url
        assert response.headers.get("permissions-policy"), url
        assert response.headers.get("x-content-type-options") == "nosniff", url
        assert response.headers.get("referrer-policy") == "same-origin", url
        self.page.wait_for_load_state("networkidle")
        self.assert_clean(url)

    def assert_clean(self, where: str) -> None:
        events = self.page.evaluate("window.__cspViolations || []")
        assert not events and not self.console, f"CSP violations on {where}: {events + self.console}"


def test_no_page_type_violates_the_policy(
    new_context: Callable[..., Any],
    live_server: Any,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
) -> None:
    course = build_course(modules=1, lessons=2, checks_per_lesson=2)
    lesson = Lesson.objects.filter(module__course=course).order_by("order").first()
    module = lesson.module
    free = Question.objects.filter(course=course, kind=Question.Kind.FREE).first()
    concept = course.concepts.order_by("pk").first()
    quiz = course.quizzes.first()
    plan = course.recall_plans.first()
    base = live_server.url

    make_learner("learner")
    teacher = make_learner("teacher", is_staff=True)
    teacher.groups.add(instructors_group_ensure())

    # Anonymous: the public pages and the account doors.
    context = new_context()
    context.add_init_script(script=COLLECT)
    anonymous = Watch(context.new_page())
    for path in [
        "/",
        course.get_absolute_url(),
        f"/courses/{course.slug}/modules/{module.slug}/",
        lesson.get_absolute_url(),
        f"/courses/{course.slug}/concepts/{concept.slug}/",
        f"/courses/{course.slug}/quizzes/{quiz.slug}/",
        f"/courses/{course.slug}/recall/{plan.slug}/",
        "/accounts/signup/",
        "/accounts/login/",
        "/accounts/password_reset/",
    ]:
        anonymous.visit(base + path)
    anonymous.visit(base + "/courses/no-such-course/", expect_status=404)
    # Redirected to the admin's own sign-in page.
    anonymous.visit(base + "/admin/courses/module/add/?course=abc")

    # A learner: their pages, and a check revealed and graded through htmx.
    context = new_context()
    context.add_init_script(script=COLLECT)
    page = context.new_page()
    learner = Watch(page)
    sign_in(page, "learner")
    learner.visit(base + lesson.get_absolute_url())
    check = page.locator(f"#check-{free.slug}")
    check.get_by_role("button", name="Show answer").click()
    check.get_by_role("button", name="Good").click()
    page.wait_for_load_state("networkidle")
    learner.assert_clean("the lesson after reveal and grade")
    for path in ["/dashboard/", "/review/", "/accounts/password_change/", "/accounts/profile/"]:
        learner.visit(base + path)
    page.locator("select[name=time_zone]").select_option("Europe/Berlin")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    learner.assert_clean("the profile after saving")

    # An instructor: the cohort, the cheat sheet and the admin's pages.
    context = new_context()
    context.add_init_script(script=COLLECT)
    page = context.new_page()
    instructor = Watch(page)
    sign_in(page, "teacher")
    question = Question.objects.filter(course=course).order_by("pk").first()
    for path in [
        f"/courses/{course.slug}/cohort/",
        f"/courses/{course.slug}/modules/{module.slug}/cheat-sheet/",
        "/admin/",
        "/admin/courses/course/",
        f"/admin/courses/course/{course.pk}/change/",
        f"/admin/lessons/lesson/{lesson.pk}/change/",
        f"/admin/quizzes/question/{question.pk}/change/",
        "/admin/quizzes/question/add/",
        f"/admin/quizzes/quiz/{quiz.pk}/change/",
        f"/admin/quizzes/recallplan/{plan.pk}/change/",
    ]:
        instructor.visit(base + path)
    instructor.visit(base + "/admin/courses/module/add/?course=abc", expect_status=400)
