"""Search from the header box in Chromium: type a term, land on the section that explains it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.search.conftest import make_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_header_search_lands_on_the_section(new_context: Callable[..., Any], live_server: Any) -> None:
    make_course()  # indexed as the content is saved (after each commit) and once more explicitly
    page = new_context().new_page()
    page.goto(f"{live_server.url}/")
    page.get_by_role("searchbox", name="Search").first.fill("clock sweep victim")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")
    first = page.locator(".search-hit").first
    assert "Choosing a victim" in first.inner_text()
    first.locator("a.search-hit-title").click()
    page.wait_for_url("**/buffer-pool/#s2")
    assert page.locator("#s2").is_visible()
    assert "Choosing a victim" in page.locator("#s2").inner_text()
