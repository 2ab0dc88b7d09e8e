"""axe-core 4 on every page type, in light and in dark mode (docs/accessibility.md).

axe-core comes from npm (package.json, installed by `make install` into node_modules); it is
injected into each page after it loaded, and the test fails on any violation axe rates
serious or critical, printing the rule, the help text and the nodes. The pages show real
data: the demo course, the demo instructor and student, and the student's history
(courses/demo_history.py), so the dashboard, cohort and recall week are full, not empty.

Adding a page type is one line in PAGES: a name, who looks at it, and its address (or a
function of the loaded demo that returns it), optionally with something to do first.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from courses.bundles import import_bundle
from courses.demo import DEMO_ACCOUNTS, demo_accounts_ensure
from courses.demo_history import DEMO_LEARNERS, demo_history_ensure
from courses.models import Concept, Course, Module
from lessons.models import Lesson
from mastery.models import ReviewCard
from quizzes.models import Quiz, RecallPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
# Rules that fail whatever impact axe gives them: axe rates repeated landmark labels
# "moderate", yet two regions both called "Check" leave a screen-reader user lost.
FAILING_RULES = ("landmark-unique",)
PASSWORDS = {account.username: account.password for account in DEMO_ACCOUNTS}


@dataclass(frozen=True)
class Demo:
    course: Course
    module: Module
    lesson: Lesson  # the first lesson with highlighted code
    concept: Concept
    quiz: Quiz
    plan: RecallPlan


def _reveal_first_check(page: Any) -> None:
    page.locator("[data-review] [data-reveal]").first.click()
    page.locator("[data-review] .check-answer").first.wait_for()


def _finish_quiz(page: Any) -> None:
    """Answer the quiz's first check, then finish: the score page, with a concept to revisit or not."""
    check = page.locator("section.check").first
    if check.locator("input[type=radio]").count():
        check.locator("input[type=radio]").last.check()
        check.get_by_role("button", name="Submit").click()
    else:
        check.locator("[data-reveal]").click()
        page.locator("section.check").first.get_by_role("button", name="Again").click()
    page.locator("section.check").first.locator(".verdict").wait_for()
    page.get_by_role("button", name="Finish and see my score").click()
    page.locator(".score-line").wait_for()


def _to_first_code(page: Any) -> None:
    page.locator(".highlight").first.scroll_into_view_if_needed()


def _to_the_days(page: Any) -> None:
    page.locator(".recall-day").first.scroll_into_view_if_needed()


@dataclass(frozen=True)
class PageType:
    name: str
    who: str  # "visitor", or a demo account's username
    url: Callable[[Demo], str]
    then: Callable[[Any], None] | None = None
    # A README screenshot of the page, light (NAME.png) and dark (NAME-dark.png).
    shot: str = ""


PAGES = (
    PageType("catalog", "visitor", lambda d: reverse("courses:catalog")),
    PageType("course", "student", lambda d: d.course.get_absolute_url()),
    PageType("module", "student", lambda d: d.module.get_absolute_url()),
    PageType("concept", "student", lambda d: d.concept.get_absolute_url()),
    PageType("lesson", "student", lambda d: d.lesson.get_absolute_url(), _to_first_code, shot="demo-lesson"),
    PageType("lesson (visitor)", "visitor", lambda d: d.lesson.get_absolute_url()),
    PageType("readiness quiz", "student", lambda d: d.quiz.get_absolute_url()),
    PageType(
        "readiness quiz, score",
        "student",
        lambda d: d.quiz.get_absolute_url(),
        _finish_quiz,
        shot="demo-quiz-score",
    ),
    PageType(
        "recall week", "student", lambda d: d.plan.get_absolute_url(), _to_the_days, shot="demo-recall-week"
    ),
    PageType("review session, revealed", "student", lambda d: reverse("mastery:review"), _reveal_first_check),
    PageType("dashboard", "student", lambda d: reverse("mastery:dashboard"), shot="demo-dashboard"),
    PageType(
        "cohort", "instructor", lambda d: reverse("mastery:cohort", args=[d.course.slug]), shot="demo-cohort"
    ),
    PageType(
        "cheat sheet",
        "student",
        lambda d: reverse("mastery:cheat_sheet", args=[d.course.slug, d.module.slug]),
    ),
    PageType(
        "cohort, one learner",
        "instructor",
        lambda d: reverse(
            "mastery:cohort_learner", args=[d.course.slug, User.objects.get(username="student").pk]
        ),
    ),
    PageType("members", "instructor", lambda d: reverse("courses:members", args=[d.course.slug])),
    PageType("join with a code", "student", lambda d: reverse("courses:join")),
    PageType(
        "search results", "visitor", lambda d: reverse("search:results") + "?q=" + d.lesson.title.split()[-1]
    ),
    PageType("sign-in", "visitor", lambda d: reverse("login")),
    PageType("sign-up", "visitor", lambda d: reverse("accounts:signup")),
    PageType("profile", "student", lambda d: reverse("accounts:profile")),
    PageType("403", "student", lambda d: reverse("mastery:cohort", args=[d.course.slug])),
    PageType("404", "visitor", lambda d: "/courses/no-such-course/"),
)


def _demo() -> Demo:
    import_bundle(settings.DEMO_BUNDLE_DIR)
    demo_accounts_ensure()
    # The student and two classmates: a full dashboard, a cohort and a recall week.
    demo_history_ensure(course_slug=settings.DEMO_COURSE_SLUG, learners=DEMO_LEARNERS[:3])
    student = User.objects.get(username="student")
    # Some cards due now, so the Review page has a card to reveal.
    cards = ReviewCard.objects.filter(learner=student).order_by("due")[:3]
    ReviewCard.objects.filter(pk__in=[card.pk for card in cards]).update(
        due=timezone.now() - timedelta(minutes=5)
    )
    course = Course.objects.get(slug=settings.DEMO_COURSE_SLUG)
    lessons = Lesson.objects.filter(module__course=course).select_related("module__course")
    lesson = next(
        lesson
        for lesson in lessons.order_by("module__order", "order")
        if 'class="highlight"' in lesson.body_html
    )
    return Demo(
        course=course,
        module=lesson.module,
        lesson=lesson,
        concept=Concept.objects.filter(course=course).order_by("id").first() or Concept(),
        quiz=Quiz.objects.filter(course=course, kind=Quiz.Kind.READINESS).order_by("id").first() or Quiz(),
        plan=RecallPlan.objects.filter(course=course).order_by("order", "id").first() or RecallPlan(),
    )


def _axe(page: Any) -> list[dict[str, Any]]:
    # axe is loaded by the context's init script (context.add_init_script): the site's CSP
    # refuses inline <script> tags, and an init script is not subject to it.
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in FAILING_IMPACTS or v["id"] in FAILING_RULES]


def _report(name: str, scheme: str, violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{name} [{scheme}] {violation['impact']} {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:8]:
            lines.append(
                f"    {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}"
            )
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more nodes")
    return "\n".join(lines)


@pytest.fixture
def axe_path() -> Path:
    if not AXE.exists():
        reason = f"{AXE} is missing: run `make install` (npm ci installs axe-core from package.json)"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{reason}; CI=true, so the accessibility test must run", pytrace=False)
        pytest.skip(reason)
    return AXE


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_or_critical_axe_violation_on_any_page_type(
    scheme: str,
    axe_path: Path,
    new_context: Callable[..., Any],
    live_server: Any,
    sign_in: Callable[[Any, str, str], None],
    screenshot_dir: Path,
) -> None:
    demo = _demo()
    pages: dict[str, Any] = {}
    failures: list[str] = []
    checked = []
    for page_type in PAGES:
        page = pages.get(page_type.who)
        if page is None:
            context = new_context(color_scheme=scheme)
            context.add_init_script(path=str(axe_path))
            page = context.new_page()
            if page_type.who != "visitor":
                sign_in(page, page_type.who, PASSWORDS[page_type.who])
            pages[page_type.who] = page
        response = page.goto(live_server.url + page_type.url(demo))
        assert response is not None
        expected = 403 if page_type.name == "403" else 404 if page_type.name == "404" else 200
        assert response.status == expected, f"{page_type.name}: HTTP {response.status}"
        if page_type.then is not None:
            page_type.then(page)
        violations = _axe(page)
        checked.append(page_type.name)
        if page_type.shot:
            suffix = "" if scheme == "light" else "-dark"
            page.screenshot(path=str(screenshot_dir / f"{page_type.shot}{suffix}.png"))
        if violations:
            failures.append(_report(page_type.name, scheme, violations))
    assert len(checked) == len(PAGES)
    assert not failures, "axe-core found serious or critical violations:\n" + "\n".join(failures)
