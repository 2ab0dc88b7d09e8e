from __future__ import annotations

import pytest
from pytest_django import DjangoAssertNumQueries

from lessons.models import Section
from lessons.services import lesson_render, lesson_render_sections
from tests.factories import LessonFactory

pytestmark = pytest.mark.django_db

BODY = """\
## Reading the curve

Loss falls fast, then slowly.

{{check: curve-shape}}

### Plateaus

Flat stretches are normal.

## In plain words {#plain}

It gets easier, then harder.

{{check: plateau-cause}}
"""


def test_lesson_render_stores_html_toc_and_sections() -> None:
    lesson = LessonFactory(body_md=BODY)

    lesson_render(lesson=lesson)

    lesson.refresh_from_db()
    assert '<h2 id="s1"><a class="section-number" href="#s1"' in lesson.body_html
    assert lesson.toc == [
        {"number": "1", "anchor": "s1", "title": "Reading the curve", "level": 2},
        {"number": "1.1", "anchor": "s1-1", "title": "Plateaus", "level": 3},
        {"number": "", "anchor": "plain", "title": "In plain words", "level": 2},
    ]
    rows = list(lesson.sections.values_list("number", "anchor", "title", "level", "order"))
    assert rows == [
        ("1", "s1", "Reading the curve", 2, 0),
        ("1.1", "s1-1", "Plateaus", 3, 1),
        ("", "plain", "In plain words", 2, 2),
    ]


def test_check_markers_split_the_body() -> None:
    lesson = LessonFactory(body_md=BODY)

    lesson_render(lesson=lesson)

    lesson.refresh_from_db()
    assert lesson.check_slugs() == ["curve-shape", "plateau-cause"]
    parts = lesson.body_parts()
    assert [part.check_slug for part in parts] == ["", "curve-shape", "", "plateau-cause"]
    assert "Loss falls fast" in parts[0].html
    assert "Flat stretches" in parts[2].html
    assert "check" not in parts[2].html


def test_rerender_replaces_sections() -> None:
    lesson = LessonFactory(body_md=BODY)
    lesson_render(lesson=lesson)
    old_ids = set(Section.objects.filter(lesson=lesson).values_list("id", flat=True))

    lesson.body_md = "## Only one now\n\nShort.\n"
    lesson_render(lesson=lesson)

    sections = list(Section.objects.filter(lesson=lesson))
    assert [(s.number, s.anchor, s.title) for s in sections] == [("1", "s1", "Only one now")]
    assert not old_ids & {s.id for s in sections}


def test_rerender_leaves_other_lessons_alone() -> None:
    mine, other = LessonFactory(body_md=BODY), LessonFactory(body_md=BODY)
    lesson_render(lesson=other)

    lesson_render(lesson=mine)

    assert other.sections.count() == 3


def test_record_fields_are_rendered() -> None:
    lesson = LessonFactory(
        mental_models_md="- A **ramp** then a plateau",
        analogies_md="Like climbing *stairs*.",
        how_taught_md="1. Plot\n2. Discuss",
        not_covered_md="<script>alert(1)</script>Second-order methods.",
    )

    lesson_render(lesson=lesson)

    lesson.refresh_from_db()
    assert "<strong>ramp</strong>" in lesson.mental_models_html
    assert "<em>stairs</em>" in lesson.analogies_html
    assert "<ol>" in lesson.how_taught_html
    assert "Second-order methods." in lesson.not_covered_html
    assert "script" not in lesson.not_covered_html


def test_empty_body_clears_sections() -> None:
    lesson = LessonFactory(body_md=BODY)
    lesson_render(lesson=lesson)

    lesson.body_md = ""
    lesson_render(lesson=lesson)

    lesson.refresh_from_db()
    assert lesson.body_html == ""
    assert lesson.toc == []
    assert not lesson.sections.exists()


def test_lesson_render_sections_returns_what_it_stored() -> None:
    lesson = LessonFactory(body_md=BODY)

    sections = lesson_render_sections(lesson=lesson)

    assert [s.anchor for s in sections] == list(lesson.sections.values_list("anchor", flat=True))


def test_lesson_render_query_count_does_not_depend_on_section_count(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    lesson = LessonFactory(body_md="".join(f"## Part {n}\n\n### Sub {n}\n\n" for n in range(30)))

    # save, the course's content version bump, delete old sections, one bulk insert
    with django_assert_num_queries(4):
        lesson_render(lesson=lesson)
    assert lesson.sections.count() == 60
