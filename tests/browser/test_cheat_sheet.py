"""The night-before cheat sheet in a browser: locked, earned, and printed to PDF.

The printed pages are rendered back to images (pypdfium2) to check what only print shows:
page margins, "page N of M" at the foot, and the course name on every page.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from courses.bundles import import_bundle
from courses.models import Module
from quizzes.models import Question
from tests.factories import AttemptFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def write_png(path: Path, width: int, height: int, rgb: bytes) -> None:
    """A minimal RGB PNG writer (the standard library has zlib but no image encoder)."""
    stride = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride : (y + 1) * stride] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def pdf_page_png(pdf: Path, index: int, target: Path) -> None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    bitmap = document[index].render(scale=1.5, rev_byteorder=True)
    width, height, stride, channels = bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels
    buffer = bytes(bitmap.buffer)
    rows = []
    for y in range(height):
        row = buffer[y * stride : y * stride + width * channels]
        rows.append(row if channels == 3 else b"".join(row[i : i + 3] for i in range(0, len(row), channels)))
    write_png(target, width, height, b"".join(rows))
    document.close()


def test_locked_then_earned_then_printed(
    new_context: Callable[..., Any],
    live_server: Any,
    screenshot_dir: Path,
    make_learner: Callable[..., Any],
    sign_in: Callable[[Any, str], None],
    tmp_path: Path,
) -> None:
    course = import_bundle(settings.DEMO_BUNDLE_DIR).course
    module = Module.objects.filter(course=course).order_by("order").first()
    assert module is not None
    learner = make_learner("nightowl")
    page = new_context().new_page()
    sign_in(page, "nightowl")
    sheet_url = live_server.url + reverse("mastery:cheat_sheet", args=[course.slug, module.slug])

    page.goto(sheet_url)
    expect(page.locator(".sheet-locked")).to_contain_text("Locked")
    page.screenshot(path=str(screenshot_dir / "cheat-sheet-locked.png"))

    for question in Question.objects.filter(lesson__module=module):
        AttemptFactory(learner=learner, question=question)
    page.goto(sheet_url)
    glance = page.locator(".at-a-glance")
    expect(glance).to_contain_text("Ch 1:")
    first_group = glance.locator("a").first
    target = first_group.get_attribute("href")
    assert target is not None
    first_group.click()
    expect(page.locator(target)).to_be_in_viewport()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "cheat-sheet.png"))

    pdf = tmp_path / "sheet.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    pages = len(document)
    texts = [document[i].get_textpage().get_text_range() for i in range(pages)]
    document.close()
    assert pages >= 2
    for number, text in enumerate(texts, start=1):
        # The course's name and the page number on every printed page; no site navigation.
        assert course.title in " ".join(text.split()), f"page {number} lost the course name"
        assert f"page {number} of {pages}" in text
        assert "Sign out" not in text
    assert "Chapters at a glance" in texts[0] or "Lessons at a glance" in texts[0]
    pdf_page_png(pdf, 0, screenshot_dir / "cheat-sheet-print.png")
    pdf_page_png(pdf, 1, screenshot_dir / "cheat-sheet-print-page-2.png")
