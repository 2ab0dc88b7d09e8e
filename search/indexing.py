"""Building the search entries of a course: what is indexed, and what never is.

Indexed: each lesson section (its heading and the text up to the next heading; the text
before the first heading belongs to the lesson itself), each concept (name and
description) and each question's prompt. Never indexed: answers, options (so never their
correctness), key points and explanations; embedded checks appear in a lesson body only
as markers, so a section's text carries none of them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.urls import reverse

from config.bulk import insert_many
from courses.models import Concept, Course
from lessons.models import Lesson
from quizzes.models import Question
from search.models import SearchEntry

HEADING_RE = re.compile(r"<h([1-6])\b[^>]*\bid=\"([^\"]+)\"[^>]*>(.*?)</h\1>", re.DOTALL)
SECTION_NUMBER_RE = re.compile(r"<a class=\"section-number\"[^>]*>.*?</a>", re.DOTALL)
TAG_RE = re.compile(r"<[^>]+>")
SPACE_RE = re.compile(r"\s+")
TITLE_MAX, CONTEXT_MAX, URL_MAX = 400, 700, 500
SEP = " \u203a "  # a single right-pointing angle quotation mark between course, module and lesson


def plain_text(fragment: str) -> str:
    """The readable text of sanitized HTML: tags (and comments such as check markers) dropped."""
    return SPACE_RE.sub(" ", html.unescape(TAG_RE.sub(" ", fragment))).strip()


@dataclass(frozen=True)
class SectionText:
    anchor: str
    title: str
    text: str


def section_texts(body_html: str) -> list[SectionText]:
    """The body cut at each heading with an id: ("", "", intro) first, then one part per heading."""
    parts: list[SectionText] = []
    pos, anchor, title = 0, "", ""
    for match in HEADING_RE.finditer(body_html):
        parts.append(SectionText(anchor, title, plain_text(body_html[pos : match.start()])))
        anchor = match.group(2)
        title = plain_text(SECTION_NUMBER_RE.sub("", match.group(3)))
        pos = match.end()
    parts.append(SectionText(anchor, title, plain_text(body_html[pos:])))
    return [part for part in parts if part.anchor or part.text]


def _entries_for(course: Course) -> list[SearchEntry]:
    entries: list[SearchEntry] = []
    lessons = (
        Lesson.objects.filter(module__course=course)
        .select_related("module")
        .prefetch_related("sections")
        .only(
            "slug", "title", "summary", "body_html", "order", "module__slug", "module__title", "module__order"
        )
        .order_by("module__order", "module_id", "order", "id")
    )
    order = 0
    for lesson in lessons:
        lesson_url = reverse("lessons:lesson", args=[course.slug, lesson.module.slug, lesson.slug])
        context = SEP.join((course.title, lesson.module.title, lesson.title))
        labels = {s.anchor: s.label for s in lesson.sections.all()}
        for part in section_texts(lesson.body_html):
            order += 1
            if part.anchor:
                label = labels.get(part.anchor, "")
                title = f"{label} {part.title}" if label.startswith("§") else part.title
                url, body = f"{lesson_url}#{part.anchor}", part.text
            else:
                title, url = lesson.title, lesson_url
                body = f"{lesson.summary} {part.text}".strip()
            entries.append(
                SearchEntry(
                    course=course,
                    kind=SearchEntry.Kind.SECTION,
                    lesson=lesson,
                    title=(title or lesson.title)[:TITLE_MAX],
                    context=context[:CONTEXT_MAX],
                    url=url[:URL_MAX],
                    body=body,
                    order=order,
                )
            )
    for concept in Concept.objects.filter(course=course).only("slug", "name", "description"):
        order += 1
        entries.append(
            SearchEntry(
                course=course,
                kind=SearchEntry.Kind.CONCEPT,
                concept=concept,
                title=concept.name[:TITLE_MAX],
                context=course.title[:CONTEXT_MAX],
                url=reverse("courses:concept", args=[course.slug, concept.slug]),
                body=concept.description,
                order=order,
            )
        )
    questions = (
        Question.objects.filter(course=course)
        .select_related("lesson__module")
        .only("slug", "prompt_html", "anchor", "lesson__slug", "lesson__title", "lesson__module__slug")
        .order_by("slug")
    )
    for question in questions:
        order += 1
        prompt = plain_text(question.prompt_html)
        if question.lesson is not None:
            lesson = question.lesson
            url = reverse("lessons:lesson", args=[course.slug, lesson.module.slug, lesson.slug])
            url += f"#{question.anchor}" if question.anchor else ""
            context = SEP.join((course.title, lesson.title))
        else:
            url, context = reverse("courses:course", args=[course.slug]), course.title
        entries.append(
            SearchEntry(
                course=course,
                kind=SearchEntry.Kind.QUESTION,
                question=question,
                # The prompt is the title only: counted once, a question does not outrank
                # the section that explains the same words.
                title=prompt[:TITLE_MAX],
                context=context[:CONTEXT_MAX],
                url=url[:URL_MAX],
                body="",
                order=order,
            )
        )
    return entries


def course_index(*, course: Course) -> int:
    """Rebuild the course's search entries from its stored HTML; returns how many.

    A constant number of queries whatever the size of the course.
    """
    from search import signals

    with transaction.atomic():
        SearchEntry.objects.filter(course=course).delete()
        count = insert_many(SearchEntry, _entries_for(course))
        if connection.vendor == "postgresql":
            from search.backends import postgres_document

            SearchEntry.objects.filter(course=course).update(document=postgres_document())
    signals.forget(course.pk)
    return count


def courses_index(course_ids: set[int]) -> None:
    for course in Course.objects.filter(pk__in=course_ids):
        course_index(course=course)
