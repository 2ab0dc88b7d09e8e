"""References that never lie: which lesson, if any, a prompt's reference or a day's unlock note names.

A reference that names a document ("explainer §3.4", "(embeddings §2.1)") may only link
into that document's lesson, and only when the section exists there; otherwise it stays
text as written. A bare reference ("§2.1", "ELI5") links to the first lesson that has the
section, looking in the plan's module first. The importer and the exporter both ask here,
so a round trip derives the same links.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from courses.bundles.parsers.common import DOCUMENT_WORDS, HAS_SECTION_RE, make_slug

# Words around a document name that are not part of it.
FILLER_RE = re.compile(r"^(?:see|in|the|from|of|per|at)\s+", re.IGNORECASE)
PART_SPLIT_RE = re.compile(r"\s*[+,;&]\s*|\s+and\s+", re.IGNORECASE)
CHAPTERS_RE = re.compile(
    r"\bch(?:apters?|s?\.)?\s*(?P<first>\d+)(?:\s*(?:-|\u2013|—|to|and|&)\s*(?P<last>\d+))?", re.I
)
WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class _Named(Protocol):
    """What resolution needs of a lesson (a Lesson row satisfies it)."""

    @property
    def slug(self) -> str: ...

    @property
    def title(self) -> str: ...


LessonLike = TypeVar("LessonLike", bound=_Named)


@dataclass(frozen=True)
class SplitRef:
    document: str  # "" when the reference names no document
    sections: str  # the reference without the document name


def split_document(raw: str) -> SplitRef:
    """("explainer", "§3.4") from "explainer §3.4"; ("", "ELI5 + §6.1") from "ELI5 + §6.1"."""
    raw = " ".join(raw.split())
    first = PART_SPLIT_RE.split(raw)[0]
    mark = HAS_SECTION_RE.search(first)
    if mark is None or mark.start() == 0:
        return SplitRef("", raw)
    document = FILLER_RE.sub("", first[: mark.start()].strip()).strip()
    return SplitRef(document, raw[mark.start() :].strip() if document else raw)


def _named(document: str, lessons: Sequence[LessonLike]) -> list[LessonLike]:
    key = make_slug(document)
    return [
        lesson
        for lesson in lessons
        if key and (lesson.slug == key or make_slug(lesson.title) == key or lesson.slug.startswith(key + "-"))
    ]


def candidates_for(
    raw: str,
    *,
    module_lessons: Sequence[LessonLike],
    course_lessons: Sequence[LessonLike],
    explainers: Sequence[LessonLike] = (),
) -> tuple[list[LessonLike], str]:
    """The lessons a reference may link into, in preference order, and the reference to keep if it links.

    A generic document word ("explainer") means the plan's own module when that module is
    one document (a single lesson), else the course's one explainer (a module that is a
    single lesson), else nothing; any other name is matched by lesson slug or title.
    """
    head, _, rest = raw.strip().partition(" ")
    exact = [lesson for lesson in course_lessons if lesson.slug == head]
    if exact and rest.strip():
        # "embeddings §2.1", "intro ELI5": the export form, a lesson slug then the reference.
        return exact[:1], rest.strip()
    split = split_document(raw)
    if not split.document:
        seen = {id(lesson) for lesson in module_lessons}
        return [*module_lessons, *(lesson for lesson in course_lessons if id(lesson) not in seen)], raw
    if split.document.lower() in DOCUMENT_WORDS:
        for pool in (module_lessons, explainers):
            if len(pool) == 1:
                return list(pool), split.sections
        return [], split.sections
    return _named(split.document, course_lessons), split.sections


def unlocked_by(
    note: str,
    *,
    module_lessons: Sequence[LessonLike],
    course_lessons: Sequence[LessonLike],
    has_chapter: Callable[[LessonLike, int], bool],
) -> list[LessonLike]:
    """Lessons an unlock note names: lesson slugs as words, and "chapter N" / "chapters N-M".

    Chapter N is the module's Nth lesson when the plan has a module with that many lessons;
    otherwise the one lesson (module first, then course) with a top-level section N. A
    chapter nobody has stays unresolved: the note is shown as written.
    """
    words = set(WORD_RE.findall(note))
    named = [lesson for lesson in course_lessons if lesson.slug in words]
    for match in CHAPTERS_RE.finditer(note):
        first = int(match.group("first"))
        last = int(match.group("last") or first)
        for number in range(first, min(last, first + 50) + 1):
            named += _chapter(number, module_lessons, course_lessons, has_chapter)
    unique: list[LessonLike] = []
    for lesson in named:
        if all(lesson is not other for other in unique):
            unique.append(lesson)
    return unique


def _chapter(
    number: int,
    module_lessons: Sequence[LessonLike],
    course_lessons: Sequence[LessonLike],
    has_chapter: Callable[[LessonLike, int], bool],
) -> list[LessonLike]:
    if len(module_lessons) > 1 and number <= len(module_lessons):
        return [module_lessons[number - 1]]
    for pool in (module_lessons, course_lessons):
        holders = [lesson for lesson in pool if has_chapter(lesson, number)]
        if len(holders) == 1:
            return holders
    return []
