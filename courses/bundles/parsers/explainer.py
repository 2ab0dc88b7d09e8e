"""A long explainer page ("pillar"): header, two-digit chapters, callouts, reading path, readiness quiz.

Callout labels are read in any case ("TL;DR", "Example — …", "Pitfall: …", "Remember"),
with or without a subtitle; the Markdown they become is rendered by lessons/rendering.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from courses.bundles.data import LessonData, QuestionData, QuizData, Source
from courses.bundles.errors import BundleError
from courses.bundles.naming import quiz_question_slug, readiness_quiz_slug
from courses.bundles.parsers.common import make_slug
from courses.bundles.parsers.quiz import find_inline_quiz, parse_inline_quiz
from courses.bundles.report import Ledger

_CHAPTER_RE = re.compile(r"^\s*(?P<number>\d{2})\s*$")
_MARKER_RE = re.compile(
    r"^(?P<kind>TL;DR|TLDR|EXAMPLE|PITFALL|THE INSIGHT|INSIGHT|REMEMBER)"
    r"(?:\s*(?:[—\u2013:-]+|--)\s*(?P<title>.{1,100}?))?\s*:?\s*$",
    re.IGNORECASE,
)
_MARKER_KINDS = {
    "TL;DR": "tldr",
    "TLDR": "tldr",
    "EXAMPLE": "example",
    "PITFALL": "pitfall",
    "THE INSIGHT": "insight",
    "INSIGHT": "insight",
    "REMEMBER": "remember",
}
_READ_RE = re.compile(r"Read\s+~?\s*(?P<minutes>\d+)\s*min")
_DIFFICULTY_RE = re.compile(r"\bDifficulty\s+(?P<difficulty>.+?)\s*$")
_ASKED_RE = re.compile(r"\bAsked at\s+(?P<where>.+?)(?=\s+Difficulty\b|$)")
_SEED_BULLET_RE = re.compile(r"^\s*[•·▪◦\-*]\s+(?P<text>.*)$")
_SEED_NUMBER_RE = re.compile(r"^\s*(?P<number>\d{1,3})\.\s+(?P<text>.*)$")


@dataclass
class ExplainerData:
    lesson: LessonData
    quiz: QuizData | None
    questions: list[QuestionData]


@dataclass
class _Block:
    kind: str  # chapter | marker | bullets | numbers | text
    lines: list[str]
    line: int

    @property
    def first(self) -> str:
        return self.lines[0].strip()

    def is_heading(self) -> bool:
        if self.kind != "text" or len(self.lines) != 1 or self.lines[0][:1].isspace():
            return False
        text = self.first
        return (
            len(text) <= 100
            and text[-1] not in ".:;,?!"
            and not any(char in text for char in "=|[]{}<>")
            and not text[0].islower()
        )


def _blocks(lines: list[str], first_line: int) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for offset, raw in enumerate(lines):
        if not raw.strip():
            current = None
            continue
        lineno = first_line + offset
        if _CHAPTER_RE.match(raw) or _MARKER_RE.match(raw.strip()):
            kind = "chapter" if _CHAPTER_RE.match(raw) else "marker"
            blocks.append(_Block(kind, [raw], lineno))
            current = None
            continue
        item_kind = (
            "bullets" if _SEED_BULLET_RE.match(raw) else "numbers" if _SEED_NUMBER_RE.match(raw) else ""
        )
        if item_kind:
            if current is None or current.kind != item_kind:
                current = _Block(item_kind, [], lineno)
                blocks.append(current)
            current.lines.append(raw)
            continue
        if current is not None and (current.kind == "text" or raw[:1].isspace()):
            current.lines.append(raw)
            continue
        current = _Block("text", [raw], lineno)
        blocks.append(current)
    return blocks


def _block_markdown(block: _Block) -> list[str]:
    if block.kind in ("bullets", "numbers"):
        items: list[str] = []
        for raw in block.lines:
            bullet = _SEED_BULLET_RE.match(raw)
            number = _SEED_NUMBER_RE.match(raw)
            if bullet:
                items.append(f"- {bullet.group('text').strip()}")
            elif number:
                items.append(f"{number.group('number')}. {number.group('text').strip()}")
            elif items:
                items[-1] += " " + raw.strip()
        return items
    if len(block.lines) > 1 and any(line[:1].isspace() for line in block.lines[1:]):
        # Lines kept their indentation: preformatted (a formula or code), not prose.
        return ["    " + line.rstrip() for line in block.lines]
    return [" ".join(line.strip() for line in block.lines)]


def _quoted(title: str) -> str:
    # The admonition title is a double-quoted string; a stray quote would end it early.
    return title.replace('"', "'")


def _callout_opening(block: _Block) -> str:
    match = _MARKER_RE.match(block.first)
    assert match is not None
    kind = _MARKER_KINDS[match.group("kind").upper()]
    title = _quoted(match.group("title") or "")
    return f'!!! {kind} "{title}"' if title else f"!!! {kind}"


def _is_compare(blocks: list[_Block], i: int) -> bool:
    window = blocks[i : i + 4]
    return (
        len(window) == 4
        and window[0].is_heading()
        and window[1].kind == "bullets"
        and window[2].is_heading()
        and window[3].kind == "bullets"
    )


def _chapter(blocks: list[_Block], i: int, number: int) -> tuple[list[str], int]:
    texts = [b for b in blocks[i + 1 : i + 3] if b.kind == "text"]
    kicker = texts[0].first if len(texts) == 2 else ""
    title = texts[-1].first if texts else f"Chapter {number}"
    out = [f"## {title}", ""]
    if kicker:
        out += [kicker, "{: .kicker }", ""]
    return out, i + 1 + len(texts)


def _callout(blocks: list[_Block], i: int) -> tuple[list[str], int]:
    block = blocks[i]
    out = [_callout_opening(block), ""]
    kind = _MARKER_KINDS[_MARKER_RE.match(block.first).group("kind").upper()]  # type: ignore[union-attr]
    i += 1
    first = True
    while i < len(blocks) and blocks[i].kind not in ("chapter", "marker"):
        inner = blocks[i]
        # An example or insight may open with its own sub-heading; elsewhere a heading ends it.
        if inner.is_heading() and not (first and kind in ("example", "insight")):
            break
        lines = [f"**{inner.first}**"] if inner.is_heading() else _block_markdown(inner)
        out += [f"    {line}" if line else "" for line in lines] + [""]
        first = False
        i += 1
    return out, i


def _compare(blocks: list[_Block], i: int) -> tuple[list[str], int]:
    left, left_items, right, right_items = blocks[i : i + 4]
    out = [f'!!! compare "{_quoted(left.first)} vs {_quoted(right.first)}"']
    for head, items in ((left, left_items), (right, right_items)):
        out.append(f'    !!! column "{_quoted(head.first)}"')
        out += [f"        {line}" for line in _block_markdown(items)]
    return [*out, ""], i + 4


def _chapters_markdown(blocks: list[_Block]) -> list[str]:
    out: list[str] = []
    chapters = 0
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.kind == "chapter":
            chapters += 1
            lines, i = _chapter(blocks, i, chapters)
        elif block.kind == "marker":
            lines, i = _callout(blocks, i)
        elif _is_compare(blocks, i):
            lines, i = _compare(blocks, i)
        else:
            lines = [f"### {block.first}", ""] if block.is_heading() else [*_block_markdown(block), ""]
            i += 1
        out += lines
    return out


def _quiz_bounds(lines: list[str]) -> tuple[int | None, str, int]:
    """(index of the first quiz question, the quiz's title line, where the lesson body ends)."""
    quiz_at = find_inline_quiz(lines)
    if quiz_at is None:
        return None, "", len(lines)
    before = next((i for i in range(quiz_at - 1, -1, -1) if lines[i].strip()), None)
    if before is not None and _Block("text", [lines[before]], 0).is_heading():
        return quiz_at, lines[before].strip(), before
    return quiz_at, "", quiz_at


def _read_header(header: list[str], path: str) -> tuple[LessonData, int | None]:
    read_at = next((i for i, line in enumerate(header) if _READ_RE.search(line)), None)
    lesson = LessonData(slug="", title="", source=Source(path, 1))
    if header:
        start = 2 if len(header) >= 2 and (read_at is None or read_at >= 2) else 1
        if start == 2:
            lesson.kicker = header[0][:120]
        lesson.title = header[start - 1]
        intro = header[start:read_at] if read_at is not None else header[start:]
        if read_at is not None:
            intro += header[read_at + 1 :]
        lesson.summary = "\n\n".join(intro)
    if not lesson.title:
        raise BundleError(path, 1, "an explainer page needs a title line before its first chapter")
    lesson.slug = make_slug(lesson.title)
    return lesson, read_at


def _read_meta(lesson: LessonData, meta: str) -> list[str]:
    """Read time and difficulty onto the lesson; the "Asked at" note becomes a line above §1."""
    lesson.read_minutes = int(_READ_RE.search(meta).group("minutes"))  # type: ignore[union-attr]
    difficulty = _DIFFICULTY_RE.search(meta)
    lesson.difficulty = difficulty.group("difficulty")[:60] if difficulty else ""
    asked = _ASKED_RE.search(meta)
    return [f"*Asked at {asked.group('where')}*", ""] if asked else []


def _body(region: list[str], first_line: int) -> list[str]:
    reading_at = next(
        (
            i
            for i, line in enumerate(region)
            if "reading path" in line.lower() and _Block("text", [line], 0).is_heading()
        ),
        len(region),
    )
    body = _chapters_markdown(_blocks(region[:reading_at], first_line))
    if reading_at < len(region):
        body += [f"## {region[reading_at].strip()} {{#reading-path}}", ""]
        for block in _blocks(region[reading_at + 1 :], first_line + reading_at + 1):
            body += [*_block_markdown(block), ""]
    return body


def _readiness_quiz(
    lines: list[str], quiz_at: int, title: str, lesson: LessonData, *, path: str, ledger: Ledger
) -> tuple[QuizData, list[QuestionData]]:
    quiz_slug = readiness_quiz_slug(lesson.slug)
    quiz = QuizData(
        slug=quiz_slug,
        title=title or f"{lesson.title} — readiness check",
        kind="readiness",
        source=Source(path, quiz_at + 1),
    )
    questions: list[QuestionData] = []
    items = parse_inline_quiz(lines[quiz_at:], first_line=quiz_at + 1, ledger=ledger)
    for n, item in enumerate(items, start=1):
        slug = quiz_question_slug(quiz_slug, n)
        questions.append(
            QuestionData(
                slug=slug,
                prompt=item.prompt,
                answer=item.answer,
                lesson=lesson.slug,
                source=Source(path, item.line),
            )
        )
        quiz.question_slugs.append(slug)
    return quiz, questions


def parse_explainer(text: str, *, path: str, ledger: Ledger) -> ExplainerData:
    """A long explainer page: header, two-digit chapters, callouts, reading path, readiness quiz."""
    lines = text.split("\n")
    ledger.use_span(1, len(lines))  # every line of the page goes into the lesson or its quiz
    quiz_at, quiz_title, end = _quiz_bounds(lines)
    first_chapter = next((i for i in range(end) if _CHAPTER_RE.match(lines[i])), end)
    header = [line.strip() for line in lines[:first_chapter] if line.strip()]
    lesson, read_at = _read_header(header, path)
    body = _read_meta(lesson, header[read_at]) if read_at is not None else []
    body += _body(lines[first_chapter:end], first_chapter + 1)
    lesson.body_md = "\n".join(body).strip()
    if quiz_at is None:
        return ExplainerData(lesson=lesson, quiz=None, questions=[])
    quiz, questions = _readiness_quiz(lines, quiz_at, quiz_title, lesson, path=path, ledger=ledger)
    return ExplainerData(lesson=lesson, quiz=quiz, questions=questions)
