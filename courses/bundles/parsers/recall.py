"""A week of daily recall: a title line, day lines with what unlocks them, prompts with references.

Day lines may be headings, flattened "Monday (after …)¶" lines or "**Monday** — after
chapter 1"; prompts any kind of bullet. A flattened page may lose a prompt's bullet or
break a formula over two lines: a line without a bullet continues the prompt before it
unless that prompt is complete (it ends with its reference, or with a full stop or
question mark in a week whose prompts carry no references).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from courses.bundles.data import RecallDayData, RecallPlanData, RecallPromptData, Source
from courses.bundles.parsers.common import (
    TRAILING_PAREN_RE,
    bullet,
    heading,
    split_refs,
    strip_pilcrow,
    unbold,
)
from courses.bundles.report import Ledger

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend")
DAY_RE = re.compile(
    r"^(?P<name>(?:" + "|".join(DAY_NAMES) + r")\b|day\s+\d+\b)[*_]*\s*"
    r"(?:\((?P<note>[^()]*)\)|(?:[—\u2013:-]|--)\s*(?P<dash>.+?))?\s*:?\s*$",
    re.IGNORECASE,
)
NOTE_RE = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<note>[^()]*)\))?\s*$")
QUESTION_REF_RE = re.compile(r"^\{\{\s*question\s*:\s*(?P<slug>[a-z0-9_-]+)\s*\}\}$")
LEADING_NUMBER_RE = re.compile(r"^\d{1,3}[.)]\s+")


def day_heading(line: str, *, canonical: bool = False) -> tuple[str, str] | None:
    """(name, note) when the line opens a day, else None."""
    found = heading(line)
    if found and canonical and found[0] == 2:
        match = NOTE_RE.match(found[1])
        assert match is not None
        return match.group("name").strip(), (match.group("note") or "").strip()
    text = found[1] if found else strip_pilcrow(line).strip()
    text = re.sub(r"^(\*\*|__)(.+?)\1", r"\2", text).strip()
    match = DAY_RE.match(text)
    if not match:
        return None
    name = " ".join(match.group("name").split())
    note = (match.group("note") or match.group("dash") or "").strip()
    return name[:1].upper() + name[1:], unbold(note)


@dataclass
class _Prompt:
    line: int
    lines: list[str] = field(default_factory=list)

    def complete(self, refs_style: bool) -> bool:
        last = self.lines[-1].rstrip()
        if refs_style:
            return bool(TRAILING_PAREN_RE.search(last))
        return last.endswith(("?", ".", "!", ")"))


@dataclass
class _Week:
    plan: RecallPlanData
    ledger: Ledger
    refs_style: bool
    canonical: bool = False
    intro: list[str] = field(default_factory=list)
    day: RecallDayData | None = None
    prompts: list[_Prompt] = field(default_factory=list)


def parse_recall(
    text: str, *, path: str, ledger: Ledger, first_line: int = 1, canonical: bool = False
) -> RecallPlanData:
    """A week of daily recall. In a canonical file (front matter) every `##` heading opens a day."""
    lines = text.split("\n")
    ending = sum(1 for line in lines if bullet(line) is not None and TRAILING_PAREN_RE.search(line))
    plan = RecallPlanData(slug="", title="", source=Source(path, first_line))
    week = _Week(plan, ledger, ending > 0, canonical)
    for offset, raw in enumerate(lines):
        if raw.strip():
            _line(week, raw, first_line + offset, path, canonical)
    _close_day(week, path)
    week.plan.intro_md = "\n".join(week.intro).strip()
    return week.plan


def _line(week: _Week, raw: str, lineno: int, path: str, canonical: bool) -> None:
    opened = day_heading(raw, canonical=canonical)
    week.ledger.use(lineno)
    if opened:
        _close_day(week, path)
        week.day = RecallDayData(name=opened[0], unlock_note=opened[1], source=Source(path, lineno))
        week.plan.days.append(week.day)
    elif week.day is None:
        _preamble(week, raw)
    else:
        _prompt_line(week, raw, lineno)


def _preamble(week: _Week, raw: str) -> None:
    # A title is a heading or a flattened "Title¶" line before anything else; a file with
    # front matter takes its title from there, so every line before a day is intro.
    found = None if week.canonical else heading(raw)
    if found and not week.plan.title and not week.intro:
        week.plan.title = LEADING_NUMBER_RE.sub("", unbold(found[1]))
    else:
        week.intro.append(raw.rstrip())


def _prompt_line(week: _Week, raw: str, lineno: int) -> None:
    text = bullet(raw)
    if text is not None:
        week.prompts.append(_Prompt(lineno, [text]))
    elif week.prompts and (raw[:1].isspace() or not week.prompts[-1].complete(week.refs_style)):
        week.prompts[-1].lines.append(raw.strip())
    else:
        # A list marker lost in flattening: the line is still a prompt of its own.
        week.prompts.append(_Prompt(lineno, [strip_pilcrow(raw).strip()]))


def _close_day(week: _Week, path: str) -> None:
    if week.day is None:
        return
    for prompt in week.prompts:
        week.day.prompts.append(recall_prompt(prompt.lines, Source(path, prompt.line)))
    week.prompts = []


def recall_prompt(lines: list[str], source: Source) -> RecallPromptData:
    text = "\n".join(lines).strip()
    named = QUESTION_REF_RE.match(text)
    if named:
        return RecallPromptData(text="", raw_ref="", question_slug=named.group("slug"), source=source)
    found = split_refs(text)
    return RecallPromptData(text=found.text, raw_ref=found.joined, source=source)
