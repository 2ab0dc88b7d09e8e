"""A module record: title, goal, status, a concept-index table, per-lesson summaries, the rest.

Tolerant the way a reader is: labels bold or not, with or without a colon; headings in
Markdown or flattened ("Concept Index¶" or the bare words on a line); the table read by
header name in any order and case, extra columns kept in the notes, alignment rows skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from courses.bundles.data import IndexEntryData, LessonData, ModuleData, Source
from courses.bundles.errors import BundleError
from courses.bundles.parsers.common import (
    heading,
    is_separator_row,
    label,
    make_slug,
    split_table_row,
    strip_pilcrow,
    unbold,
)
from courses.bundles.report import Ledger
from courses.bundles.schema import DEPTHS, LESSON_KINDS, parse_depth

STATUS_COUNT_RE = re.compile(r"^(?P<status>.*?)\s*\((?P<built>\d+)\s+of\s+(?P<planned>\d+)\b[^)]*\)\s*\.?$")
LESSON_HEADING_RE = re.compile(
    r"^(?:Lesson\s+(?P<number>\d+)\s*[:.—\u2013-]\s*)?(?P<title>.*?)\s*(?:\((?P<kind>[A-Za-z]+)\))?$"
)
PLAIN_LESSON_RE = re.compile(r"^Lesson\s+\d+\s*[:.—\u2013-]\s*\S")
INDEX_COLUMNS = ("concept", "depth", "lesson", "notes")
# Label (lower case, prefix match) -> LessonData field; "" keeps nothing separately.
RECORD_LABELS = (
    ("concepts taught", "concepts_taught_md"),
    ("mental model", "mental_models_md"),
    ("key analogies", "analogies_md"),
    ("analogies", "analogies_md"),
    ("how concepts were taught", "how_taught_md"),
    ("how taught", "how_taught_md"),
    ("how it is taught", "how_taught_md"),
    ("how it was taught", "how_taught_md"),
    ("what is not covered", "not_covered_md"),
    ("not covered", "not_covered_md"),
    ("notebook", "notebook"),
)


@dataclass
class _Summary:
    title: str
    kind: str
    order: int
    line: int
    fields: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _State:
    module: ModuleData
    ledger: Ledger
    section: str = ""  # "" preamble, "index", "summaries", "record"
    columns: list[str] = field(default_factory=list)
    summaries: list[_Summary] = field(default_factory=list)
    target: list[str] | None = None
    record: list[str] = field(default_factory=list)


def _section_name(line: str) -> tuple[int, str] | None:
    found = heading(line)
    if found:
        return found
    text = unbold(strip_pilcrow(line))
    if re.fullmatch(r"(?i)(concept index|per-lesson summaries|lesson summaries)", text):
        return 2, text
    return None


def parse_record(
    text: str, *, path: str, ledger: Ledger, first_line: int = 1, table_lessons: bool = False
) -> ModuleData:
    """A ModuleData whose slug may be empty (the caller picks one); lessons come from the summaries.

    With table_lessons (a record document on its own, not a bundle's module.md), a lesson the
    concept index names but no summary describes is created too, unbuilt, titled from its slug.
    """
    state = _State(module=ModuleData(slug="", title="", source=Source(path, first_line)), ledger=ledger)
    for offset, raw in enumerate(text.split("\n")):
        if raw.strip():
            _line(state, raw, first_line + offset, path)
    state.module.record_md = "\n".join(state.record).strip()
    state.module.lessons = _summary_lessons(state.summaries, state.module.index, path=path)
    if table_lessons:
        state.module.lessons += _table_lessons(state.module)
    return state.module


def _table_lessons(module: ModuleData) -> list[LessonData]:
    known = {lesson.slug for lesson in module.lessons}
    lessons: list[LessonData] = []
    for entry in module.index:
        if entry.lesson in known:
            continue
        known.add(entry.lesson)
        title = entry.lesson.replace("-", " ").replace("_", " ").capitalize()
        order = len(module.lessons) + len(lessons) + 1
        lessons.append(
            LessonData(slug=entry.lesson, title=title, order=order, record_only=True, source=entry.source)
        )
    return lessons


def _line(state: _State, raw: str, lineno: int, path: str) -> None:
    named = _section_name(raw)
    if named and _open_section(state, named, raw, lineno):
        return
    if state.section == "index":
        _index_line(state, raw, lineno, path)
    elif state.section == "summaries":
        _summary_line(state, raw, lineno)
    else:
        _record_line(state, raw, lineno)


def _open_section(state: _State, named: tuple[int, str], raw: str, lineno: int) -> bool:
    level, text = named
    key = text.strip().lower()
    if level <= 1 and not state.module.title and state.section == "" and not state.record:
        state.module.title = record_title(text)
        state.ledger.use(lineno)
        return True
    if key.startswith("concept index"):
        state.section = "index"
    elif "lesson summaries" in key or key.startswith("per-lesson"):
        state.section = "summaries"
        state.target = None
    elif state.section == "summaries" and (level >= 3 or PLAIN_LESSON_RE.match(text)):
        return False
    elif level in (0, 2):
        state.section = "record"
        return False
    else:
        return False
    state.ledger.use(lineno)
    return True


def record_title(text: str) -> str:
    title = re.sub(r"^Module\s+[\w.]+\s*[:.—\u2013-]\s*", "", text.strip())
    title = re.sub(r"\s*(?:--|—|\u2013|-)\s*Record\s*$", "", title, flags=re.IGNORECASE)
    return title.strip() or text.strip()


def _record_line(state: _State, raw: str, lineno: int) -> None:
    found = label(raw)
    if state.section == "" and found and found[0] in ("goal", "status"):
        if found[0] == "goal":
            state.module.goal = found[1]
        else:
            apply_status(state.module, found[1])
        state.ledger.use(lineno)
        return
    if state.section == "" and not state.module.title and re.match(r"^\s*Module\b", raw):
        state.module.title = record_title(strip_pilcrow(raw))
        state.ledger.use(lineno)
        return
    state.record.append(raw.rstrip())
    state.ledger.use(lineno)


def apply_status(module: ModuleData, text: str) -> None:
    match = STATUS_COUNT_RE.match(text)
    if match:
        module.status = match.group("status").strip()
        module.planned_lessons = int(match.group("planned"))
    else:
        module.status = text


# --- the concept index --------------------------------------------------------------------


def _index_line(state: _State, raw: str, lineno: int, path: str) -> None:
    if not raw.strip().startswith("|"):
        state.record.append(raw.rstrip())
        state.ledger.use(lineno)
        return
    cells = split_table_row(raw)
    state.ledger.use(lineno)
    if not state.columns:
        state.columns = _header(cells, path=path, line=lineno)
    elif not is_separator_row(cells):
        order = len(state.module.index) + 1
        state.module.index.append(index_row(state.columns, cells, path=path, line=lineno, order=order))


def _header(cells: list[str], *, path: str, line: int) -> list[str]:
    columns = [unbold(cell).lower() for cell in cells]
    missing = [name for name in INDEX_COLUMNS[:3] if name not in columns]
    if missing:
        raise BundleError(
            path,
            line,
            f"the concept-index header needs columns {', '.join(INDEX_COLUMNS[:3])} (any order); "
            f"missing: {', '.join(missing)}",
        )
    return [cell or f"column {n}" for n, cell in enumerate(columns, start=1)]


def index_row(columns: list[str], cells: list[str], *, path: str, line: int, order: int) -> IndexEntryData:
    cells = cells + [""] * (len(columns) - len(cells))
    if len(cells) > len(columns):
        raise BundleError(
            path, line, f"this row has {len(cells)} cells but the header has {len(columns)} columns"
        )
    row = dict(zip(columns, cells, strict=True))
    concept, depth_text, lesson = row["concept"], row["depth"], row["lesson"].strip("`* ")
    if not concept:
        raise BundleError(path, line, "the Concept cell is empty")
    depth = parse_depth(depth_text)
    if depth is None:
        raise BundleError(path, line, f"unknown depth {depth_text!r} (expected one of {', '.join(DEPTHS)})")
    if not lesson:
        raise BundleError(path, line, "the Lesson cell is empty")
    notes = [row.get("notes", "")]
    qualifier = re.sub(r"^[*_\s`]*[A-Za-z]+[*_`]*\s*", "", depth_text).strip()
    if qualifier:
        notes.append(f"Depth: {qualifier.strip('()')}.")
    notes += [
        f"{name.capitalize()}: {row[name]}" for name in columns if name not in INDEX_COLUMNS and row[name]
    ]
    return IndexEntryData(
        concept=unbold(concept),
        depth=depth,
        lesson=lesson,
        notes=" ".join(part for part in notes if part),
        order=order,
        source=Source(path, line),
    )


# --- per-lesson summaries -----------------------------------------------------------------


def _summary_line(state: _State, raw: str, lineno: int) -> None:
    named = heading(raw)
    text = strip_pilcrow(raw).strip()
    if (named and named[0] >= 3) or PLAIN_LESSON_RE.match(text):
        state.summaries.append(
            _summary_heading(named[1] if named else text, len(state.summaries) + 1, lineno)
        )
        state.target = None
        state.ledger.use(lineno)
        return
    if not state.summaries:
        state.record.append(raw.rstrip())
        state.ledger.use(lineno)
        return
    found = label(raw)
    target = _record_field(found[0]) if found else None
    if found and target is not None:
        state.target = state.summaries[-1].fields.setdefault(target, [])
        if found[1]:
            state.target.append(found[1])
        state.ledger.use(lineno)
    elif state.target is not None:
        state.target.append(raw.rstrip())
        state.ledger.use(lineno)
    else:
        state.ledger.skip(lineno, "text in a lesson summary before any known label (Mental models:, ...)")


def _summary_heading(text: str, position: int, line: int) -> _Summary:
    match = LESSON_HEADING_RE.match(text.strip())
    assert match is not None  # the pattern accepts any text
    kind = (match.group("kind") or "").upper()
    title = match.group("title").strip()
    if kind and kind not in LESSON_KINDS:
        title, kind = text.strip(), ""
    order = int(match.group("number")) if match.group("number") else position
    return _Summary(title=title, kind=kind or LESSON_KINDS[0], order=order, line=line)


def _record_field(name: str) -> str | None:
    return next((target for prefix, target in RECORD_LABELS if name.startswith(prefix)), None)


def _summary_lessons(
    summaries: list[_Summary], index: list[IndexEntryData], *, path: str
) -> list[LessonData]:
    # The summaries do not name slugs; the table does, in teaching order.
    slugs: list[str] = []
    for entry in index:
        if entry.lesson not in slugs:
            slugs.append(entry.lesson)
    lessons: list[LessonData] = []
    for position, summary in enumerate(summaries):
        slug = slugs[position] if position < len(slugs) else make_slug(summary.title)
        lesson = LessonData(
            slug=slug,
            title=summary.title,
            kind=summary.kind,
            order=summary.order,
            record_only=True,
            source=Source(path, summary.line),
        )
        for target, lines in summary.fields.items():
            value = "\n".join(lines).strip()
            if target == "notebook":
                lesson.notebook, lesson.notebook_about = notebook_parts(value)
            else:
                setattr(lesson, target, value)
        lessons.append(lesson)
    return lessons


def notebook_parts(text: str) -> tuple[str, str]:
    """(file name, description) of a "**Notebook:** `x.ipynb` -- what it does" line."""
    named = re.match(r"^\s*`(?P<name>[^`]+)`\s*(?:--|—|\u2013|-|:)?\s*(?P<about>.*)$", text, re.DOTALL)
    if named:
        return named.group("name").strip()[:300], named.group("about").strip()
    if not text or re.match(r"^none\b", text, re.IGNORECASE):
        return "", re.sub(r"^none\b[.:]?\s*", "", text, flags=re.IGNORECASE).strip()
    parts = re.split(r"\s+(?:--|—)\s+", text, maxsplit=1)
    return parts[0].strip()[:300], (parts[1] if len(parts) > 1 else "").strip()
