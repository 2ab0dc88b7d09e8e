"""Inline quiz questions: a numbered or "Q:" question, "Show answer", "Answer:" or "A:", the answer."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from courses.bundles.report import Ledger

ITEM_RE = re.compile(
    r"^\s*(?:(?P<number>\d{1,3})[.)]|Q\d*\s*[:.)]|\*\*Q\d*[:.)]?\*\*:?)\s+(?P<text>.*\S)\s*$"
)
SHOW_RE = re.compile(r"^\s*show answer\s*$", re.IGNORECASE)
ANSWER_RE = re.compile(
    r"^\s*(?:\*\*)?(?:answer|a)\s*(?:\*\*)?\s*[:.)]\s*(?:\*\*)?\s*(?P<text>.*)$", re.IGNORECASE
)


@dataclass
class InlineQuestion:
    prompt: str
    answer: str
    line: int


def _next_nonblank(lines: list[str], start: int) -> int | None:
    return next((i for i in range(start, len(lines)) if lines[i].strip()), None)


def is_answer_marker(line: str) -> bool:
    return bool(SHOW_RE.match(line) or ANSWER_RE.match(line))


def is_quiz_item(lines: list[str], index: int) -> bool:
    if not ITEM_RE.match(lines[index]) or is_answer_marker(lines[index]):
        return False
    following = _next_nonblank(lines, index + 1)
    return following is not None and is_answer_marker(lines[following])


def find_inline_quiz(lines: list[str]) -> int | None:
    """Index of the first question followed by an answer marker, or None."""
    return next((i for i in range(len(lines)) if is_quiz_item(lines, i)), None)


def parse_inline_quiz(lines: list[str], *, first_line: int, ledger: Ledger) -> list[InlineQuestion]:
    """Every question from the first one on, each with the answer lines that follow its marker."""
    questions: list[InlineQuestion] = []
    answer: list[str] = []
    for index, raw in enumerate(lines):
        lineno = first_line + index
        if is_quiz_item(lines, index):
            _finish(questions, answer)
            answer = []
            match = ITEM_RE.match(raw)
            assert match is not None
            questions.append(InlineQuestion(prompt=match.group("text"), answer="", line=lineno))
            ledger.use(lineno)
            continue
        if not raw.strip():
            answer.append(raw)
            continue
        marker = ANSWER_RE.match(raw) if questions and not any(a.strip() for a in answer) else None
        ledger.use(lineno)
        if SHOW_RE.match(raw):
            continue
        if marker:
            answer.append(marker.group("text"))
        elif questions:
            answer.append(raw)
    _finish(questions, answer)
    return questions


def _finish(questions: list[InlineQuestion], answer: list[str]) -> None:
    if questions:
        questions[-1].answer = textwrap.dedent("\n".join(answer)).strip()
