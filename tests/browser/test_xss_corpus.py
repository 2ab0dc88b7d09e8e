"""The public XSS corpus through every author- and learner-controlled field: nothing runs in Chromium.

The payload lists are read from ../shared/data/xss-payloads/ at test time (never copied
into the project). Every payload goes into every text field an author controls (course,
module, lesson, concept, question, option, quiz and recall texts, Markdown and plain),
through the same rendering service that imports and the admin use, and into the sign-up
form, whose error page shows the typed values back. Pages are then opened as a learner
and as an instructor (course, module, lesson with every check, reveal, quiz, cheat
sheet, concept, cohort, admin lists and forms).

The Content-Security-Policy is switched off for this test (EXCLUDE_URL_PREFIXES): it
would block inline script anyway, and this test is about the layer beneath it, escaping
and sanitizing. Anything that runs is caught: alert/confirm/prompt/print are replaced by
functions that record the call, and any dialog Chromium opens is recorded. (eval is left
alone: Playwright's own evaluate needs it.)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from courses.models import Concept, Module
from lessons.models import Lesson
from quizzes.models import Option, Question, Quiz, QuizItem, RecallDay, RecallPlan, RecallPrompt
from tests.browser.conftest import PASSWORD
from tests.factories import CourseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "xss-payloads"

TRAP = """
window.__xss = [];
(function () {
  function trap(name) {
    return function () { window.__xss.push(name + "(" + Array.prototype.join.call(arguments, ",") + ")"); };
  }
  window.alert = trap("alert");
  window.confirm = trap("confirm");
  window.prompt = trap("prompt");
  window.print = trap("print");
})();
"""


def payloads() -> list[str]:
    if not CORPUS.is_dir():
        reason = f"the XSS corpus is not at {CORPUS} (the shared folder beside the project)"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    found: list[str] = []
    for path in sorted(CORPUS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip() and line not in found:
                found.append(line)
    assert len(found) > 250, f"only {len(found)} payloads found in {CORPUS}"
    return found


def build_hostile_course(corpus: list[str]) -> tuple[Any, Lesson, Quiz, list[Concept]]:
    from courses.services import course_render

    everything = "\n\n".join(corpus)
    course = CourseFactory(
        title=corpus[0][:200], summary=corpus[1][:500], description_md=everything, is_published=True
    )
    module = Module.objects.create(
        course=course, slug="m", title=corpus[2][:200], goal=everything, record_md=everything, order=0
    )
    lesson = Lesson.objects.create(
        module=module,
        slug="all-checks",
        title=corpus[3][:200],
        kicker=corpus[4][:40],
        summary=everything,
        difficulty=corpus[5][:60],
        mental_models_md=everything,
        analogies_md=everything,
        how_taught_md=everything,
        not_covered_md=everything,
        order=0,
    )
    quiz = Quiz.objects.create(
        course=course, module=module, slug="q", title=corpus[6][:200], intro_md=everything
    )
    plan = RecallPlan.objects.create(
        course=course, module=module, slug="w", title=corpus[7][:200], intro_md=everything
    )
    day = RecallDay.objects.create(plan=plan, name=corpus[8][:60], order=0, unlock_note=corpus[9][:200])
    concepts = []
    body = ["## Part\n"]
    for n, payload in enumerate(corpus):
        concept = Concept.objects.create(course=course, slug=f"c{n}", name=payload[:300], description=payload)
        concepts.append(concept)
        kind = Question.Kind.CHOICE if n % 2 else Question.Kind.FREE
        question = Question.objects.create(
            course=course,
            lesson=lesson,
            slug=f"x{n}",
            kind=kind,
            prompt_md=payload,
            answer_md="" if kind == Question.Kind.CHOICE else payload,
            explanation_md=payload,
            key_points=payload,
            section_ref="§1",
        )
        question.concepts.add(concept)
        if kind == Question.Kind.CHOICE:
            Option.objects.create(question=question, text=payload[:500], is_correct=True, order=0)
            Option.objects.create(question=question, text=payload[::-1][:500], order=1)
        QuizItem.objects.create(quiz=quiz, question=question, order=n)
        RecallPrompt.objects.create(day=day, question=question, order=n)
        body.append(f"{{{{check: x{n}}}}}\n")
    # The corpus last: a payload can open a raw-HTML block or code span that swallows what follows.
    lesson.body_md = "\n".join([*body, everything])
    lesson.save()
    course_render(course=course)
    return course, lesson, quiz, concepts


class Trap:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        page.on("dialog", self.on_dialog)

    def on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visit(self, url: str) -> None:
        self.page.goto(url)
        self.settle(url)

    def settle(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        # Event handlers (onerror, onfocus, onload) fire after load; give them a moment.
        self.page.wait_for_timeout(200)
        ran = self.page.evaluate("window.__xss || []")
        assert not ran and not self.dialogs, f"script ran on {where}: {ran + self.dialogs}"


def test_no_payload_runs_in_any_field(
    new_context: Callable[..., Any],
    live_server: Any,
    make_learner: Callable[..., Any],
    sign_in: Callable[..., None],
    settings: Any,
) -> None:
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": ["/"]}
    settings.RATELIMIT_ENABLE = False  # hundreds of sign-up posts from one address
    corpus = payloads()
    course, lesson, quiz, concepts = build_hostile_course(corpus)
    base = live_server.url
    from courses.demo import instructors_group_ensure

    make_learner("learner")
    teacher = make_learner("teacher", is_staff=True)
    teacher.groups.add(instructors_group_ensure())

    context = new_context()
    context.add_init_script(script=TRAP)
    page = context.new_page()
    learner = Trap(page)
    # The trap itself must catch a payload that does run, or a pass would prove nothing.
    probe = base + "/trap-probe/"
    page.route(
        probe,
        lambda route: route.fulfill(
            body="<img src=x onerror=alert(1)><script>confirm(2)</script>", content_type="text/html"
        ),
    )
    page.goto(probe)
    page.wait_for_timeout(300)
    assert sorted(page.evaluate("window.__xss")) == ["alert(1)", "confirm(2)"]
    sign_in(page, "learner")
    assert "Content-Security-Policy" not in (page.goto(base + "/").headers or {})
    learner.settle("the catalog")
    for url in [
        course.get_absolute_url(),
        f"/courses/{course.slug}/modules/m/",
        lesson.get_absolute_url(),
        f"/courses/{course.slug}/quizzes/q/",
        f"/courses/{course.slug}/recall/w/",
        f"/courses/{course.slug}/modules/m/cheat-sheet/",
        *[f"/courses/{course.slug}/concepts/{concept.slug}/" for concept in concepts[:40]],
    ]:
        learner.visit(base + url)
    # Reveal free-recall answers and answer multiple-choice checks: the fragments htmx swaps in.
    learner.visit(base + lesson.get_absolute_url())
    for n in range(0, 12, 2):
        page.locator(f"#check-x{n}").get_by_role("button", name="Show answer").click()
    for n in range(1, 12, 2):
        check = page.locator(f"#check-x{n}")
        check.locator("input[type=radio]").first.check()
        check.locator("button[type=submit]").first.click()
    learner.settle("the lesson after reveals and answers")
    learner.visit(base + "/dashboard/")
    learner.visit(base + "/review/")

    context = new_context()
    context.add_init_script(script=TRAP)
    page = context.new_page()
    instructor = Trap(page)
    sign_in(page, "teacher")
    for url in [
        f"/courses/{course.slug}/cohort/",
        "/admin/courses/course/",
        f"/admin/courses/course/{course.pk}/change/",
        "/admin/lessons/lesson/",
        f"/admin/lessons/lesson/{lesson.pk}/change/",
        "/admin/quizzes/question/",
        f"/admin/quizzes/question/{Question.objects.filter(course=course).first().pk}/change/",
        f"/admin/quizzes/quiz/{quiz.pk}/change/",
        "/admin/courses/concept/",
    ]:
        instructor.visit(base + url)

    # Sign-up: every payload typed into the name and address fields; the error page shows them back.
    context = new_context()
    context.add_init_script(script=TRAP)
    page = context.new_page()
    visitor = Trap(page)
    page.goto(base + "/accounts/signup/")
    for payload in corpus:
        page.fill("input[name=username]", payload[:150])
        page.fill("input[name=email]", payload[:254])
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("domcontentloaded")
        if "/accounts/signup/" not in page.url:
            page.goto(base + "/accounts/signup/")  # a payload that was a valid name signed up
    visitor.settle(f"the sign-up form after {len(corpus)} payloads")
