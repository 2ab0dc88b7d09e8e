"""Writes to lessons: rendering a lesson's Markdown into stored HTML and sections."""

from __future__ import annotations

from dataclasses import asdict

from django.db import transaction

from lessons.models import Lesson, Section
from lessons.rendering import SectionInfo, render_lesson, render_markdown

RECORD_FIELDS = ("concepts_taught", "mental_models", "analogies", "how_taught", "not_covered")
SECTION_TITLE_MAX = 300  # Section.title max_length

# savepoint=False: these run once per object inside course_render's transaction, where a
# savepoint each would add two queries per object; an error still rolls back the caller.


def lesson_render(*, lesson: Lesson) -> None:
    """Render body and record to HTML, rebuild the table of contents and the Section rows."""
    with transaction.atomic(savepoint=False):
        _render(lesson=lesson)


def lesson_render_sections(*, lesson: Lesson) -> list[SectionInfo]:
    """lesson_render that also returns the sections, so callers can resolve references without queries."""
    with transaction.atomic(savepoint=False):
        return _render(lesson=lesson)


def _render(*, lesson: Lesson) -> list[SectionInfo]:
    rendered = render_lesson(lesson.body_md)
    lesson.body_html = rendered.html
    lesson.toc = [asdict(section) for section in rendered.sections]
    for name in RECORD_FIELDS:
        setattr(lesson, f"{name}_html", render_markdown(getattr(lesson, f"{name}_md")))
    lesson.save(update_fields=["body_html", "toc", *(f"{name}_html" for name in RECORD_FIELDS), "updated_at"])
    Section.objects.filter(lesson=lesson).delete()
    Section.objects.bulk_create(
        Section(
            lesson=lesson,
            number=section.number,
            anchor=section.anchor,
            title=section.title[:SECTION_TITLE_MAX],
            level=section.level,
            order=order,
        )
        for order, section in enumerate(rendered.sections)
    )
    return rendered.sections
