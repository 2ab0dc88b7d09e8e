"""Headless Chromium (Debian's package) driven by Playwright, against pytest-django's live server.

Playwright's own browser download is not used: the tests point it at the system
Chromium and skip, with the reason, when there is none. In CI (env CI=true) a missing
Chromium fails the run instead: there the browser tests must run, not quietly vanish.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        reason = "Chromium is not installed (apt-get install chromium); browser tests need it"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{reason}; CI=true, so the browser tests must run", pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page actions are still synchronous, so Django's async guard does not apply.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            yield instance
            instance.close()
    finally:
        # Subprocesses started by later tests (manage.py check --deploy) must not inherit it.
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _tasks_in_process() -> Iterator[None]:
    """Run Celery tasks in the live server's request, even when REDIS_URL points at a broker.

    The live server's database is the test database: a real worker (CI's stack) would
    look for these learners in another database and the mastery recompute would never land.
    """
    from config.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def screenshot_dir(request: pytest.FixtureRequest) -> Path:
    path = Path(request.config.getoption("--screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def new_context(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """Browser contexts for one test, closed before the live server stops.

    A page left open keeps requests in flight after the test; the live server's threads
    then touch the test database connection from the wrong thread.
    """
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 860})
        context = browser.new_context(**options)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


PASSWORD = "a-long-pass-phrase-42"


@pytest.fixture
def sign_in(live_server: Any) -> Callable[[Any, str], None]:
    """Sign a page in through the login form (a real session cookie, as a learner gets one)."""

    def go(page: Any, username: str, password: str = PASSWORD) -> None:
        page.goto(live_server.url + "/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.locator("main form button[type=submit]").click()
        # Wait for the redirect to finish: the test may read the database next.
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return go


@pytest.fixture
def make_learner(transactional_db: None) -> Callable[..., Any]:
    """A learner with a Profile (UTC unless told) whose password is PASSWORD."""
    from accounts.models import Profile
    from tests.factories import UserFactory

    def make(username: str, *, time_zone: str = "UTC", **user_fields: Any) -> Any:
        user = UserFactory.create(username=username, **user_fields)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        Profile.objects.create(user=user, time_zone=time_zone)
        return user

    return make
