"""The demo course, end to end: it loads, every page answers, and no page gives an answer away."""

from __future__ import annotations

import re
from collections import Counter, deque
from urllib.parse import urldefrag

import pytest
from django.conf import settings
from django.test import Client

from courses.bundles import import_bundle
from courses.models import Concept, Course
from lessons.models import ConceptIndexEntry, Depth, Lesson
from quizzes.models import Question, Quiz, RecallPlan

HREF_RE = re.compile(r'href="(/[^"]*)"')
OPTION_INPUT_RE = re.compile(r"<input[^>]*name=\"option\"[^>]*>")


@pytest.fixture
def demo(db: None) -> Course:
    return import_bundle(settings.DEMO_BUNDLE_DIR).course


def _crawl(client: Client) -> dict[str, str]:
    """Every page reachable from the catalog by following site links (GET only)."""
    seen: dict[str, str] = {}
    queue = deque(["/"])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        if not response["Content-Type"].startswith("text/html"):
            continue  # a download (the learner's data export), not a page with links
        html = response.content.decode()
        seen[url] = html
        for href in HREF_RE.findall(html):
            target = urldefrag(href)[0]
            if target.startswith(("/admin/", "/static/")) or target in seen:
                continue
            queue.append(target)
    return seen


def test_demo_course_has_the_promised_shape(demo: Course) -> None:
    assert demo.modules.count() >= 2
    assert Lesson.objects.filter(module__course=demo).count() >= 6
    assert Concept.objects.filter(course=demo).count() >= 25
    depths = set(ConceptIndexEntry.objects.filter(concept__course=demo).values_list("depth", flat=True))
    assert depths == {Depth.MENTIONED, Depth.INTRODUCED, Depth.DEVELOPED, Depth.APPLIED}
    questions = Question.objects.filter(course=demo)
    assert questions.count() >= 40
    assert questions.filter(kind=Question.Kind.FREE).exists()
    assert questions.filter(kind=Question.Kind.CHOICE).exists()
    assert Quiz.objects.filter(course=demo, kind=Quiz.Kind.READINESS).exists()
    assert RecallPlan.objects.filter(course=demo).exists()
    for lesson in Lesson.objects.filter(module__course=demo):
        html = lesson.body_html
        assert "callout-" in html and "highlight" in html and "table-wrap" in html, lesson.slug
        assert lesson.check_slugs(), f"{lesson.slug} embeds no check"


def test_every_page_answers_and_gives_nothing_away(demo: Course, student_client: Client) -> None:
    # A signed-in learner who has answered nothing: the cheat sheets are locked for them too.
    pages = _crawl(student_client)
    lessons = Lesson.objects.filter(module__course=demo)
    for lesson in lessons:
        assert lesson.get_absolute_url() in pages, f"{lesson.slug} is not linked from the site"
    secrets = []
    for question in Question.objects.filter(course=demo).exclude(answer_html="", explanation_html=""):
        secrets += [
            (question.slug, text) for text in (question.answer_html, question.explanation_html) if text
        ]
    assert secrets
    cheat_sheets = [url for url in pages if url.endswith("/cheat-sheet/")]
    assert cheat_sheets, "the module pages link their night-before cheat sheets"
    for url, html in pages.items():
        for slug, secret in secrets:
            assert secret not in html, f"{url} shows the answer of {slug} before it was asked for"
        for tag in OPTION_INPUT_RE.findall(html):
            assert "correct" not in tag.lower() and "checked" not in tag.lower(), f"{url}: {tag}"
    assert len(pages) >= 1 + 1 + 2 + 6 + 25


def test_every_check_can_be_answered(demo: Course, client: Client) -> None:
    for question in Question.objects.filter(course=demo).prefetch_related("options"):
        if question.is_choice:
            correct = next(o for o in question.options.all() if o.is_correct)
            response = client.post(question.answer_url(), {"option": correct.pk}, HTTP_HX_REQUEST="true")
            assert response.status_code == 200
            assert "verdict-right" in response.content.decode(), question.slug
        elif question.answer_html:
            response = client.post(question.reveal_url(), HTTP_HX_REQUEST="true")
            assert response.status_code == 200
            assert question.answer_html in response.content.decode(), question.slug


def test_correct_options_are_spread_over_the_authored_positions(demo: Course) -> None:
    """Even before the per-learner shuffle, "the first option is right" is never the rule."""
    questions = Question.objects.filter(course=demo, kind=Question.Kind.CHOICE).prefetch_related("options")
    positions = Counter(
        next(i for i, option in enumerate(q.options.all()) if option.is_correct) for q in questions
    )

    assert sum(positions.values()) >= 20
    assert len(positions) >= 3
    assert max(positions.values()) <= 0.4 * sum(positions.values()), positions
