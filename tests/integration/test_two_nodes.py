"""Two web nodes behind one nginx (scripts/stack.sh, WEB_NODES=2): nothing a node keeps is needed by another.

A learner signs in on node 1, answers checks on node 2 and sees the same dashboard on
either; an author saves a lesson in the admin on one node and both nodes (and nginx in
front of them) serve the new text on the very next request, after each had served the
old one. Everything goes over HTTP as a browser without JavaScript would; PostgreSQL is
read directly only to find the lesson's admin id.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.integration import test_stack
from tests.integration.conftest import Stack, required
from tests.integration.test_stack import (
    DASHBOARD_WAIT_S,
    DEMO_COURSE,
    NOT_STARTED,
    ROOT,
    Browser,
    concept_levels,
    concepts_of,
    first_lesson,
    forms_of,
    recompute_successes,
    reveal_and_grade_good,
    sign_up,
)
from tests.integration.test_stack_nginx import nginx_url

pytestmark = pytest.mark.stack
demo = test_stack.demo  # the module fixture: the demo course on the stack, its page


@pytest.fixture(scope="module")
def nodes(stack: Stack) -> list[str]:
    """Each gunicorn node's own URL (STACK_NODE_URLS from scripts/stack.sh env), node 1 first."""
    urls = [url.rstrip("/") for url in os.environ.get("STACK_NODE_URLS", "").split(",") if url.strip()]
    if len(urls) < 2:
        reason = (
            f"needs a stack with two web nodes (WEB_NODES=2 scripts/stack.sh start); STACK_NODE_URLS={urls}"
        )
        if required("STUDYHALL_REQUIRE_STACK"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    assert urls[0] == stack.url, "node 1 is the stack's WEB_PORT"
    return urls[:2]


def on(browser: Browser, node: str) -> Browser:
    """The same browser (one cookie jar: cookies are per host, not per port) talking to another node."""
    browser.base = node
    return browser


def dashboard_numbers(html: str) -> dict[str, str]:
    """What the dashboard states: every concept's level and each stat it names by test id."""
    stats = dict(re.findall(r'data-testid="([\w-]+)">\s*([^<]*?)\s*<', html))
    return {**{f"level:{slug}": level for slug, level in concept_levels(html).items()}, **stats}


def test_a_learner_signs_in_on_one_node_answers_on_the_other_and_sees_one_dashboard(
    stack: Stack, nodes: list[str], demo: str
) -> None:
    node_one, node_two = nodes
    name, password, _ = sign_up(Browser(node_one), "nodes")

    # Sign in on node 1, through the login form.
    browser = Browser(node_one)
    login = next(f for f in forms_of(browser.get("/accounts/login/")) if "csrfmiddlewaretoken" in f.fields)
    browser.submit(login, username=name, password=password)
    assert name in browser.get("/dashboard/"), "signed in on node 1"
    # Node 2 knows the session node 1 made (the session lives in PostgreSQL, not in node 1).
    status, body, _ = on(browser, node_two).request("/dashboard/")
    assert status == 200 and name in body, f"node 2 did not know the session: {status}"

    # Answer on node 2: a page and its signed check tokens, the reveal and the grade.
    lesson = browser.get(first_lesson(demo))
    checks = [f for f in forms_of(lesson) if f.fields.get("token") and "reveal-form" in f.classes]
    tagged = concepts_of(stack.database_url, [f.check for f in checks])
    answered = [f for f in checks if tagged[f.check]][:2]
    assert len(answered) == 2, "the first demo lesson needs two recall checks tagged with concepts"
    worker_log = stack.log("worker")
    successes_before = recompute_successes(worker_log)
    reveal_and_grade_good(browser, answered)

    concepts = set().union(*(tagged[f.check] for f in answered))
    deadline = time.monotonic() + DASHBOARD_WAIT_S
    while True:
        seen = {node: dashboard_numbers(on(browser, node).get("/dashboard/")) for node in nodes}
        moved = {slug for slug in concepts if seen[node_two].get(f"level:{slug}", NOT_STARTED) != NOT_STARTED}
        done = recompute_successes(worker_log) >= successes_before + len(answered)
        if (moved and done and seen[node_one] == seen[node_two]) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert moved, f"no answered concept left 'Not started' within {DASHBOARD_WAIT_S}s: {concepts}"
    assert seen[node_one] == seen[node_two], "the two nodes show different dashboards"
    assert any(key.startswith("level:") for key in seen[node_one]) and "due-today" in seen[node_one]


class AdminForm(HTMLParser):
    """The fields of a Django admin change form as a browser would post them (inlines included)."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form, self.action = True, a.get("action", "")
        if not self._in_form or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select is not None and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            # A browser drops the one newline that follows <textarea>; so does Django's widget.
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


def staff_author(stack_env: dict[str, str]) -> tuple[str, str]:
    """A new superuser on the stack's database (manage.py in the stack's environment)."""
    name, password = f"author-{uuid.uuid4().hex[:8]}", f"Pw-{uuid.uuid4().hex}"
    code = (
        "from django.contrib.auth.models import User; "
        f"User.objects.create_superuser({name!r}, {name + '@example.com'!r}, {password!r})"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=stack_env, check=True, timeout=120
    )
    return name, password


def lesson_admin_id(database_url: str, lesson_path: str) -> int:
    _, _, course, _, module, lesson, _ = urlsplit(lesson_path).path.split("/")
    assert course == DEMO_COURSE
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            """
            SELECT l.id FROM lessons_lesson l
            JOIN courses_module m ON m.id = l.module_id
            JOIN courses_course c ON c.id = m.course_id
            WHERE c.slug = %s AND m.slug = %s AND l.slug = %s
            """,
            [course, module, lesson],
        ).fetchone()
    assert row is not None, lesson_path
    return int(row[0])


def test_an_authors_save_on_one_node_is_served_by_both_at_once(
    stack: Stack, nodes: list[str], demo: str
) -> None:
    node_one, node_two = nodes
    path = first_lesson(demo)
    nginx = nginx_url(stack)
    marker = f"Saved on one node at {uuid.uuid4().hex[:12]}"
    # Both nodes (and nginx) serve the page before the edit, anonymous and signed in: whatever
    # they cache of it is now warm.
    learner = Browser(node_one)
    sign_up(learner, "reader")
    readers = [Browser(node_one), Browser(node_two), Browser(nginx), on(learner, node_one)]
    for _ in range(2):
        for reader in readers:
            assert marker not in reader.get(path)
        assert marker not in on(learner, node_two).get(path)

    author = Browser(node_one)
    username, secret = staff_author({**os.environ})
    login = next(f for f in forms_of(author.get("/admin/login/")) if "csrfmiddlewaretoken" in f.fields)
    author.submit(login, username=username, password=secret)
    change_path = f"/admin/lessons/lesson/{lesson_admin_id(stack.database_url, path)}/change/"
    parser = AdminForm()
    parser.feed(author.get(change_path))
    fields = dict(parser.fields)
    assert "body_md" in fields and "csrfmiddlewaretoken" in fields, sorted(fields)
    body = fields["body_md"]
    first_paragraph_end = body.index("\n\n", body.index("\n## ") + 1 if "\n## " in body else 0)
    edited = body[:first_paragraph_end] + f"\n\n{marker}." + body[first_paragraph_end:]
    posted = [(key, edited if key == "body_md" else value) for key, value in parser.fields]
    status, html, _ = author.request(change_path, posted)
    assert status == 200 and "was changed successfully" in html, html[:3000]
    for reader in [*readers, on(learner, node_two)]:
        assert marker in reader.get(path), f"{reader.base} still serves the lesson as it was before the save"

    # The other way round: the author puts the text back on node 2; node 1 serves it at once.
    restore = AdminForm()
    restore.feed(on(author, node_two).get(change_path))
    put_back = [(key, body if key == "body_md" else value) for key, value in restore.fields]
    status, html, _ = author.request(change_path, put_back)
    assert status == 200 and "was changed successfully" in html, html[:3000]
    for reader in [*readers, on(learner, node_two)]:
        assert marker not in reader.get(path), f"{reader.base} still serves the edited lesson"
