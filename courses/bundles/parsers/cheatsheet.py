"""A night-before cheat sheet as input: a question bank grouped by chapter (question, answer, why).

The shape (the one Studyhall generates): a title naming a cheat sheet, optionally a
"Course · Module" line and an "N chapters · M key facts" line, optionally "Chapters at a
glance" with one "Ch N: title — K facts" line each, then per chapter a "Ch N: title" line
and its facts. A fact is "Q:/A:/Why:" lines, one "question → answer → why" line, or text
run together by flattening ("…?The answer.Why: …"), split where a question mark or a
"Why:" shows the seam. A fact that cannot be split is reported, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from courses.bundles.parsers.common import bullet, heading, label, strip_pilcrow, unbold
from courses.bundles.report import Ledger

TITLE_RE = re.compile(r"\bcheat[ -]?sheet\b", re.IGNORECASE)
COUNT_RE = re.compile(
    r"^\s*(?P<chapters>\d+)\s+chapters?\s*[·•|,-]\s*(?P<facts>\d+)\s+(?:key\s+)?facts?\s*$", re.I
)
GLANCE_RE = re.compile(r"^\s*chapters at a glance\s*$", re.IGNORECASE)
CHAPTER_RE = re.compile(
    r"^(?:Ch(?:apter)?\.?\s*(?P<number>\d+)\s*[:.—\u2013-]\s*(?P<title>.+?))"
    r"(?:\s*(?:[·—\u2013(-]|--)\s*(?P<facts>\d+)\s+(?:key\s+)?facts?\)?)?\s*$",
    re.IGNORECASE,
)
ARROW_RE = re.compile(r"\s*(?:→|->|⇒)\s*")
WHY_RE = re.compile(r"\s*\b(?:why|because)\s*[:—\u2013-]\s*", re.IGNORECASE)
QUESTION_LABELS = ("q", "question")
ANSWER_LABELS = ("a", "answer")
WHY_LABELS = ("why", "because", "explanation")


@dataclass
class Fact:
    question: str
    line: int
    answer: str = ""
    why: str = ""


@dataclass
class Chapter:
    number: int
    title: str
    line: int
    facts: list[Fact] = field(default_factory=list)


@dataclass
class CheatSheetData:
    title: str = ""
    context: str = ""  # the "Course · Module" line, as written
    chapters: list[Chapter] = field(default_factory=list)
    stated_facts: int | None = None


def is_cheatsheet(lines: list[str]) -> bool:
    head = [line for line in lines if line.strip()][:4]
    return (
        any(COUNT_RE.match(line) for line in lines)
        or any(GLANCE_RE.match(line) for line in lines)
        or any(TITLE_RE.search(line) for line in head[:1])
    )


def chapter_line(line: str) -> re.Match[str] | None:
    found = heading(line)
    return CHAPTER_RE.match(unbold(found[1] if found else strip_pilcrow(line).strip()))


@dataclass
class _Reader:
    sheet: CheatSheetData
    ledger: Ledger
    glance: bool = False
    current: Chapter | None = None


def parse_cheatsheet(text: str, *, ledger: Ledger, first_line: int = 1) -> CheatSheetData:
    reader = _Reader(CheatSheetData(), ledger)
    for offset, raw in enumerate(text.split("\n")):
        if raw.strip():
            _line(reader, raw, first_line + offset)
    for chapter in reader.sheet.chapters:
        for fact in chapter.facts:
            if not fact.answer:
                ledger.used.discard(fact.line)
                ledger.skip(fact.line, "cannot split this into a question and its answer")
        chapter.facts = [fact for fact in chapter.facts if fact.answer]
    return reader.sheet


def _line(reader: _Reader, raw: str, lineno: int) -> None:
    sheet, text = reader.sheet, strip_pilcrow(raw).strip()
    reader.ledger.use(lineno)
    count = COUNT_RE.match(text)
    chapter = chapter_line(raw)
    if not sheet.title:
        sheet.title = unbold(heading(raw)[1] if heading(raw) else text)  # type: ignore[index]
    elif count:
        sheet.stated_facts = int(count.group("facts"))
    elif GLANCE_RE.match(text):
        reader.glance = True
    elif chapter and (reader.glance and chapter.group("facts")):
        return  # a line of "chapters at a glance": the chapter itself follows
    elif chapter:
        reader.glance = False
        reader.current = Chapter(int(chapter.group("number")), chapter.group("title").strip(), lineno)
        sheet.chapters.append(reader.current)
    elif reader.current is None and not sheet.chapters and not sheet.context and "·" in text:
        sheet.context = text
    elif reader.current is None:
        reader.ledger.used.discard(lineno)
        reader.ledger.skip(lineno, "text before the first chapter (Ch 1: …) of a cheat sheet")
    else:
        _fact_line(reader.current, text, lineno)


def _fact_line(chapter: Chapter, text: str, lineno: int) -> None:
    item = bullet(text)
    text = item if item is not None else text
    found = label(text)
    last = chapter.facts[-1] if chapter.facts else None
    if found and found[0] in QUESTION_LABELS:
        chapter.facts.append(split_fact(found[1], lineno))
    elif found and found[0] in ANSWER_LABELS and last is not None and not last.answer:
        last.answer = found[1]
    elif found and found[0] in WHY_LABELS and last is not None:
        last.why = " ".join(part for part in (last.why, found[1]) if part)
    elif last is not None and last.answer and item is None and not last.why and not _opens_fact(text):
        last.answer += " " + text
    else:
        chapter.facts.append(split_fact(text, lineno))


def _opens_fact(text: str) -> bool:
    return "?" in text or bool(ARROW_RE.search(text))


def split_fact(text: str, line: int) -> Fact:
    """A question, its answer and why, from one line: arrows first, then the first question mark."""
    parts = [part.strip() for part in ARROW_RE.split(text) if part.strip()]
    if len(parts) >= 2:
        why = " ".join(parts[2:])
        return Fact(question=parts[0], answer=parts[1], why=WHY_RE.sub("", why, count=1).strip(), line=line)
    mark = text.find("?")
    if mark == -1 or mark == len(text.rstrip()) - 1:
        return Fact(question=text.strip(), line=line)
    question, rest = text[: mark + 1].strip(), text[mark + 1 :].strip()
    pieces = WHY_RE.split(rest, maxsplit=1)
    why = pieces[1] if len(pieces) > 1 else ""
    return Fact(question=question, answer=pieces[0].strip(), why=why.strip(), line=line)
