"""Writes to lessons: rendering a lesson's Markdown into stored HTML and sections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from django.db import transaction
from django.utils import timezone

from config.bulk import update_many
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


def lessons_render(*, lessons: Sequence[Lesson]) -> dict[int, list[SectionInfo]]:
    """lesson_render_sections for many lessons (a whole course) in a few queries; lesson id → sections.

    The rendered fields are written in one UPDATE per batch and the Section rows replaced in
    one DELETE and one INSERT: no save signals, so the caller bumps the content version and
    marks the search index itself (course_render does, by saving the course).
    """
    now = timezone.now()
    rendered = {lesson.pk: _render_unsaved(lesson) for lesson in lessons}
    for lesson in lessons:
        lesson.updated_at = now
    update_many(Lesson, list(lessons), RENDERED_FIELDS)
    Section.objects.filter(lesson__in=[lesson.pk for lesson in lessons]).delete()
    Section.objects.bulk_create(
        [row for lesson in lessons for row in _section_rows(lesson, rendered[lesson.pk])], batch_size=500
    )
    return rendered


RENDERED_FIELDS = ["body_html", "toc", *(f"{name}_html" for name in RECORD_FIELDS), "updated_at"]


def _render_unsaved(lesson: Lesson) -> list[SectionInfo]:
    rendered = render_lesson(lesson.body_md)
    lesson.body_html = rendered.html
    lesson.toc = [asdict(section) for section in rendered.sections]
    for name in RECORD_FIELDS:
        setattr(lesson, f"{name}_html", render_markdown(getattr(lesson, f"{name}_md")))
    return rendered.sections


def _section_rows(lesson: Lesson, sections: Sequence[SectionInfo]) -> list[Section]:
    return [
        Section(
            lesson=lesson,
            number=section.number,
            anchor=section.anchor,
            title=section.title[:SECTION_TITLE_MAX],
            level=section.level,
            order=order,
        )
        for order, section in enumerate(sections)
    ]


def _render(*, lesson: Lesson) -> list[SectionInfo]:
    sections = _render_unsaved(lesson)
    lesson.save(update_fields=RENDERED_FIELDS)
    Section.objects.filter(lesson=lesson).delete()
    Section.objects.bulk_create(_section_rows(lesson, sections))
    return sections
