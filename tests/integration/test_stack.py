"""The running stack, over HTTP: a new learner answers checks and the real worker's recompute shows.

Everything goes through gunicorn as a browser without JavaScript would (plain form posts
with the CSRF cookie); PostgreSQL is read directly only to learn which concepts the
answered questions teach. The mastery recompute must be done by the Celery worker
through Redis: the stack is not eager, and the worker's log gains the task's success lines.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin

import psycopg
import pytest
import redis

from tests.integration.conftest import Stack

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
DEMO_COURSE = "database-internals"
# The worker picks the task up within milliseconds; the bound only stops a broken stack hanging CI.
DASHBOARD_WAIT_S = 30
NOT_STARTED = "0"


@dataclass
class Form:
    action: str
    classes: set[str]
    fields: dict[str, str] = field(default_factory=dict)
    radios: list[str] = field(default_factory=list)
    check: str = ""


class FormParser(HTMLParser):
    """The forms of a page: action, hidden and text fields, radio values, the check section they sit in."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None
        self._check = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "section" and a.get("id", "").startswith("check-"):
            self._check = a["id"].removeprefix("check-")
        elif tag == "form":
            self._current = Form(action=a.get("action", ""), classes=set(a.get("class", "").split()))
            self._current.check = self._check
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and "name" in a:
            if a.get("type") == "radio":
                self._current.radios.append(a.get("value", ""))
            else:
                self._current.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms_of(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


class Browser:
    """Cookies and CSRF like a browser without JavaScript, on plain HTTP to the loopback stack."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(
        self, path: str, data: dict[str, str] | list[tuple[str, str]] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        url = urljoin(self.base + "/", path)
        body = urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(urllib.request.Request(url, data=body), timeout=60) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), dict(exc.headers)

    def get(self, path: str) -> str:
        status, html, _ = self.request(path)
        assert status == 200, f"GET {path}: {status}\n{html[:2000]}"
        return html

    def submit(self, form: Form, **values: str) -> str:
        status, html, _ = self.request(form.action, {**form.fields, **values})
        assert status == 200, f"POST {form.action}: {status}\n{html[:2000]}"
        return html


def concepts_of(database_url: str, question_slugs: list[str]) -> dict[str, set[str]]:
    """Question slug → the slugs of the concepts it is tagged with, in the demo course."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            """
            SELECT q.slug, c.slug
            FROM quizzes_question q
            JOIN courses_course course ON course.id = q.course_id
            JOIN quizzes_question_concepts qc ON qc.question_id = q.id
            JOIN courses_concept c ON c.id = qc.concept_id
            WHERE course.slug = %s AND q.slug = ANY(%s)
            """,
            [DEMO_COURSE, question_slugs],
        ).fetchall()
    tagged: dict[str, set[str]] = {slug: set() for slug in question_slugs}
    for question, concept in rows:
        tagged[question].add(concept)
    return tagged


def concept_levels(dashboard_html: str) -> dict[str, str]:
    """Concept slug → the level value the dashboard's concept grid shows for the demo course."""
    cell = re.compile(
        rf'<a href="/courses/{DEMO_COURSE}/concepts/(?P<slug>[^/"]+)/">.*?data-level="(?P<level>\d)"', re.S
    )
    return {match["slug"]: match["level"] for match in cell.finditer(dashboard_html)}


def recompute_successes(log: Path) -> int:
    return len(re.findall(r"recompute_pending\[[0-9a-f-]+\] succeeded", log.read_text()))


def process_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def sign_up(browser: Browser, prefix: str) -> tuple[str, str, str]:
    """A new learner through the sign-up form (which signs them in): name, password, the page it lands on."""
    signup = next(f for f in forms_of(browser.get("/accounts/signup/")) if "csrfmiddlewaretoken" in f.fields)
    name, password = f"{prefix}-{uuid.uuid4().hex[:10]}", f"Pw-{uuid.uuid4().hex}"
    fields = {"username": name, "email": f"{name}@example.com", "password1": password, "password2": password}
    return name, password, browser.submit(signup, **fields, time_zone="UTC")


def reveal_and_grade_good(browser: Browser, reveal_forms: list[Form]) -> None:
    """Reveal each recall check, then grade it Good, as the lesson page's forms do."""
    for reveal_form in reveal_forms:
        revealed = browser.submit(reveal_form)
        grade_form = next(form for form in forms_of(revealed) if "grade-form" in form.classes)
        assert "Marked: Good" in browser.submit(grade_form, grade="3")


@pytest.fixture(scope="module")
def demo(stack: Stack) -> str:
    """The demo course on the stack (loaded here if the runner has not done it); its lesson paths in order."""
    browser = Browser(stack.url)
    status, _, _ = browser.request(f"/courses/{DEMO_COURSE}/")
    if status == 404:
        subprocess.run(
            [sys.executable, "manage.py", "load_demo", "--allow-production"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return browser.get(f"/courses/{DEMO_COURSE}/")


def first_lesson(course_html: str) -> str:
    paths = re.findall(rf'href="(/courses/{DEMO_COURSE}/modules/[^/"]+/[^/"]+/)"', course_html)
    lessons = [path for path in paths if not path.endswith("/cheat-sheet/")]
    assert lessons, "the demo course page links no lesson"
    return lessons[0]


def test_the_stack_runs_gunicorn_whitenoise_postgres_redis_worker_and_beat(stack: Stack) -> None:
    status, body, headers = Browser(stack.url).request("/healthz")
    assert status == 200, body
    assert headers.get("Server", "").startswith("gunicorn"), headers

    home = Browser(stack.url).get("/")
    stylesheet = re.search(r'href="(/static/css/[^"]+\.css)"', home)
    assert stylesheet, "the home page links no stylesheet"
    status, css, headers = Browser(stack.url).request(stylesheet[1])
    assert status == 200 and css.strip()
    # WhiteNoise serves hashed (manifest) names as cacheable forever; Django itself serves no static
    # files with DEBUG off.
    assert "immutable" in headers.get("Cache-Control", ""), headers

    with psycopg.connect(stack.database_url) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    assert version is not None and version[0].startswith("15")
    assert redis.Redis.from_url(stack.redis_url).ping()

    for name in ("gunicorn", "worker", "beat"):
        assert process_alive(stack.pid(name)), f"{name} is not running"
    assert "ready." in stack.log("worker").read_text()
    assert "beat: Starting" in stack.log("beat").read_text()


def test_the_stack_is_not_eager(stack: Stack) -> None:
    # The web processes share this environment (scripts/stack.sh env): with a broker URL set,
    # tasks are queued for the worker, never run inside the request.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from config.celery import app; "
            "print(app.conf.task_always_eager, app.conf.broker_url.split('://')[0])",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.split() == ["False", "redis"], result.stdout + result.stderr


def test_a_new_learner_answers_checks_and_the_worker_updates_the_dashboard(stack: Stack, demo: str) -> None:
    browser = Browser(stack.url)
    _, _, dashboard = sign_up(browser, "stack")
    levels_before = concept_levels(dashboard)
    assert levels_before and set(levels_before.values()) == {NOT_STARTED}, "a new learner starts from nothing"

    lesson = browser.get(first_lesson(demo))
    checks = [form for form in forms_of(lesson) if form.fields.get("token")]
    tagged = concepts_of(stack.database_url, [form.check for form in checks])
    free = [form for form in checks if "reveal-form" in form.classes and tagged[form.check]][:2]
    choice = [form for form in checks if "choice-form" in form.classes and form.radios][:1]
    assert len(free) == 2 and len(choice) == 1, "the first demo lesson needs two recall checks and a choice"
    worker_log = stack.log("worker")
    successes_before = recompute_successes(worker_log)

    reveal_and_grade_good(browser, free)
    answered = browser.submit(choice[0], option=choice[0].radios[0])
    assert "Saved" in answered

    answered_concepts = set().union(*(tagged[form.check] for form in free))
    deadline = time.monotonic() + DASHBOARD_WAIT_S
    while True:
        levels = concept_levels(browser.get("/dashboard/"))
        moved = {slug for slug in answered_concepts if levels.get(slug, NOT_STARTED) != NOT_STARTED}
        # Three answers in quick succession share one task (mastery.pending) or two.
        done = recompute_successes(worker_log) >= successes_before + 1
        if (moved and done) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert moved, f"no answered concept left 'Not started' within {DASHBOARD_WAIT_S}s: {answered_concepts}"
    # The answers queued the recompute on commit; the worker (not gunicorn) ran it.
    assert recompute_successes(worker_log) >= successes_before + 1
