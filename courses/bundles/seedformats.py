"""Tolerant parsers for documents written like the example course material.

Those documents are flattened web pages: list markers turn into `•` or `1.` with odd
indentation, headings lose their `#` and sometimes keep a trailing `¶`. The parsers here
turn them into the same plain data the bundle reader produces, so the importer never
needs to know where a document came from. The canonical bundle files reuse the record and
recall parsers (they are the same formats with front matter on top).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from courses.bundles.data import (
    IndexEntryData,
    LessonData,
    ModuleData,
    QuestionData,
    QuizData,
    RecallDayData,
    RecallPlanData,
    RecallPromptData,
    Source,
)
from courses.bundles.errors import BundleError
from courses.bundles.textutil import (
    BULLET_RE,
    DAY_NAMES,
    DEPTHS,
    LEADING_NUMBER_RE,
    LESSON_KINDS,
    make_slug,
    parse_depth,
    split_table_row,
    split_trailing_ref,
    strip_pilcrow,
)

KINDS = ("record", "recall", "explainer")

HEADING_RE = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
BOLD_LABEL_RE = re.compile(r"^\*\*(?P<label>[^*]+?)\*\*\s*:?\s*(?P<rest>.*)$")
STATUS_COUNT_RE = re.compile(r"^(?P<status>.*?)\s*\((?P<built>\d+)\s+of\s+(?P<planned>\d+)\b[^)]*\)\s*$")
QUESTION_REF_RE = re.compile(r"^\{\{\s*question\s*:\s*(?P<slug>[a-z0-9_-]+)\s*\}\}$")


# --- kind detection ---------------------------------------------------------------------


def detect_kind(text: str, *, path: str) -> str:
    """record, recall or explainer, judged from the content of a document."""
    lines = [strip_pilcrow(line) for line in text.splitlines()]
    if any(re.match(r"^#\s+Module\b", line) for line in lines) or any(
        re.match(r"^#{2,3}\s+Concept Index\s*$", line, re.IGNORECASE) for line in lines
    ):
        return "record"
    if any(line.strip().lower() == "show answer" for line in lines) or any(
        re.match(r"^Read\s+~?\d+\s*min", line) for line in lines
    ):
        return "explainer"
    if any(_day_heading(line, canonical=False) for line in lines):
        return "recall"
    if any(line.startswith("**Goal:**") for line in lines):
        return "record"
    if sum(1 for line in lines if re.fullmatch(r"\d{2}", line.strip())) >= 2:
        return "explainer"
    raise BundleError(
        path, None, "cannot tell what kind of document this is; pass --kind record|recall|explainer"
    )


# --- module record ----------------------------------------------------------------------

_RECORD_LABELS = (
    ("concepts taught", ""),  # the concept index is the source of truth for these
    ("mental model", "mental_models_md"),
    ("key analogies", "analogies_md"),
    ("analogies", "analogies_md"),
    ("how concepts were taught", "how_taught_md"),
    ("how taught", "how_taught_md"),
    ("how it is taught", "how_taught_md"),
    ("what is not covered", "not_covered_md"),
    ("not covered", "not_covered_md"),
    ("notebook", "notebook"),
)
LESSON_HEADING_RE = re.compile(
    r"^(?:Lesson\s+(?P<number>\d+)\s*[:.—\u2013-]\s*)?(?P<title>.*?)\s*(?:\((?P<kind>[A-Za-z]+)\))?$"
)


@dataclass
class _SummaryLesson:
    title: str
    kind: str
    order: int
    line: int
    fields: dict[str, list[str]] = field(default_factory=dict)


def parse_record(text: str, *, path: str, first_line: int = 1) -> ModuleData:
    """A module record: title, goal, status, concept index table, per-lesson summaries, the rest.

    Returns a ModuleData whose slug may be empty (the caller picks one) and whose lessons
    are those of the per-lesson summaries (record_only).
    """
    module = ModuleData(slug="", title="", source=Source(path, first_line))
    record_lines: list[str] = []
    section = ""  # "" preamble, "index", "summaries", "record"
    summaries: list[_SummaryLesson] = []
    current_field: list[str] | None = None
    seen_header = False
    for offset, raw in enumerate(text.split("\n")):
        lineno = first_line + offset
        line = strip_pilcrow(raw)
        heading = HEADING_RE.match(line)
        level = len(heading.group("hashes")) if heading else 0
        if heading and level == 1 and not module.title and section == "":
            module.title = _record_title(heading.group("text"))
            continue
        if heading and level == 2:
            name = heading.group("text").strip().lower()
            if name.startswith("concept index"):
                section = "index"
                continue
            if "lesson summaries" in name or name.startswith("per-lesson"):
                section = "summaries"
                current_field = None
                continue
            section = "record"
        if section in ("", "record"):
            label = BOLD_LABEL_RE.match(line)
            if section == "" and label and label.group("label").strip().rstrip(":").lower() == "goal":
                module.goal = label.group("rest").strip()
                continue
            if section == "" and label and label.group("label").strip().rstrip(":").lower() == "status":
                _apply_status(module, label.group("rest").strip())
                continue
            record_lines.append(raw.rstrip())
        elif section == "index":
            if not line.strip().startswith("|"):
                continue
            cells = split_table_row(line)
            if not seen_header and cells and cells[0].strip().lower() == "concept":
                seen_header = True
                continue
            if all(re.fullmatch(r":?-{2,}:?", cell.strip()) for cell in cells if cell.strip()):
                continue
            module.index.append(_index_row(cells, path=path, line=lineno, order=len(module.index) + 1))
        elif section == "summaries":
            if heading and level >= 3:
                summaries.append(_summary_heading(heading.group("text"), len(summaries) + 1, lineno))
                current_field = None
                continue
            if not summaries:
                continue
            label = BOLD_LABEL_RE.match(line)
            target = _record_field(label.group("label")) if label else None
            if label and target is not None:
                current_field = summaries[-1].fields.setdefault(target, []) if target else []
                if label.group("rest").strip():
                    current_field.append(label.group("rest").strip())
                continue
            if current_field is not None:
                current_field.append(raw.rstrip())
    module.record_md = "\n".join(record_lines).strip()
    module.lessons = _summary_lessons(summaries, module.index, path=path)
    return module


def _record_title(text: str) -> str:
    title = re.sub(r"^Module\s+[\w.]+\s*[:.—\u2013-]\s*", "", text.strip())
    title = re.sub(r"\s*(?:--|—|\u2013|-)\s*Record\s*$", "", title, flags=re.IGNORECASE)
    return title.strip() or text.strip()


def _apply_status(module: ModuleData, text: str) -> None:
    match = STATUS_COUNT_RE.match(text)
    if match:
        module.status = match.group("status").strip()
        module.planned_lessons = int(match.group("planned"))
    else:
        module.status = text


def _index_row(cells: list[str], *, path: str, line: int, order: int) -> IndexEntryData:
    if len(cells) == 3:
        cells = [*cells, ""]
    if len(cells) != 4:
        raise BundleError(
            path,
            line,
            f"a concept-index row needs 4 cells (Concept | Depth | Lesson | Notes), found {len(cells)}",
        )
    concept, depth_text, lesson, notes = cells
    if not concept:
        raise BundleError(path, line, "the Concept cell is empty")
    depth = parse_depth(depth_text)
    if depth is None:
        raise BundleError(path, line, f"unknown depth {depth_text!r} (expected one of {', '.join(DEPTHS)})")
    if not lesson:
        raise BundleError(path, line, "the Lesson cell is empty")
    return IndexEntryData(
        concept=concept,
        depth=depth,
        lesson=lesson.strip("`"),
        notes=notes,
        order=order,
        source=Source(path, line),
    )


def _summary_heading(text: str, position: int, line: int) -> _SummaryLesson:
    match = LESSON_HEADING_RE.match(text.strip())
    assert match is not None  # the pattern accepts any text
    kind = (match.group("kind") or "").upper()
    title = match.group("title").strip()
    if kind and kind not in LESSON_KINDS:
        title, kind = text.strip(), ""
    order = int(match.group("number")) if match.group("number") else position
    return _SummaryLesson(title=title, kind=kind or "BUILD", order=order, line=line)


def _record_field(label: str) -> str | None:
    key = label.strip().rstrip(":").lower()
    for prefix, target in _RECORD_LABELS:
        if key.startswith(prefix):
            return target
    return None


def _summary_lessons(
    summaries: list[_SummaryLesson], index: list[IndexEntryData], *, path: str
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
                lesson.notebook = _notebook_name(value)
            else:
                setattr(lesson, target, value)
        lessons.append(lesson)
    return lessons


def _notebook_name(text: str) -> str:
    named = re.search(r"`([^`]+)`", text)
    if named:
        return named.group(1).strip()[:300]
    if not text or re.match(r"^none\b", text, re.IGNORECASE):
        return ""
    return re.split(r"\s+(?:--|—)\s+", text, maxsplit=1)[0].strip()[:300]


# --- daily recall -----------------------------------------------------------------------

_DAY_RE = re.compile(
    r"^(?P<name>(?:" + "|".join(DAY_NAMES) + r")\b|day\s+\d+\b)\s*(?:\((?P<note>[^()]*)\))?\s*:?\s*$",
    re.IGNORECASE,
)
_NOTE_RE = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<note>[^()]*)\))?\s*$")


def _day_heading(line: str, *, canonical: bool) -> tuple[str, str] | None:
    """(name, note) when the line opens a day, else None."""
    text = strip_pilcrow(line).strip()
    heading = HEADING_RE.match(text)
    if heading and canonical and len(heading.group("hashes")) == 2:
        match = _NOTE_RE.match(heading.group("text"))
        assert match is not None
        return match.group("name").strip(), (match.group("note") or "").strip()
    if heading:
        text = heading.group("text").strip()
    match = _DAY_RE.match(text)
    if not match:
        return None
    name = match.group("name").strip()
    return name[:1].upper() + name[1:], (match.group("note") or "").strip()


def parse_recall(text: str, *, path: str, first_line: int = 1, canonical: bool = False) -> RecallPlanData:
    """A week of daily recall. In a canonical file every `##` heading opens a day."""
    plan = RecallPlanData(slug="", title="", source=Source(path, first_line))
    intro: list[str] = []
    day: RecallDayData | None = None
    prompt_lines: list[tuple[int, list[str]]] = []

    def close_day() -> None:
        if day is None:
            return
        for lineno, lines in prompt_lines:
            day.prompts.append(_recall_prompt(lines, Source(path, lineno)))
        prompt_lines.clear()

    for offset, raw in enumerate(text.split("\n")):
        lineno = first_line + offset
        if not raw.strip():
            continue
        opened = _day_heading(raw, canonical=canonical)
        if opened:
            close_day()
            day = RecallDayData(name=opened[0], unlock_note=opened[1], source=Source(path, lineno))
            plan.days.append(day)
            continue
        if day is None:
            line = strip_pilcrow(raw)
            heading = HEADING_RE.match(line)
            if not plan.title and not intro and (heading or raw.rstrip().endswith("¶")):
                title = heading.group("text") if heading else line
                plan.title = LEADING_NUMBER_RE.sub("", title.strip())
            else:
                intro.append(raw.rstrip())
            continue
        bullet = BULLET_RE.match(raw)
        if bullet:
            prompt_lines.append((lineno, [bullet.group("text").strip()]))
        elif raw[:1].isspace() and prompt_lines:
            prompt_lines[-1][1].append(raw.strip())
        else:
            # A list marker lost in flattening: the line is still a prompt of its own.
            prompt_lines.append((lineno, [strip_pilcrow(raw).strip()]))
    close_day()
    plan.intro_md = "\n".join(intro).strip()
    return plan


def _recall_prompt(lines: list[str], source: Source) -> RecallPromptData:
    text = "\n".join(lines).strip()
    named = QUESTION_REF_RE.match(text)
    if named:
        return RecallPromptData(text="", raw_ref="", question_slug=named.group("slug"), source=source)
    body, ref = split_trailing_ref(text)
    return RecallPromptData(text=body, raw_ref=ref, source=source)


# --- inline quizzes ---------------------------------------------------------------------

_ITEM_RE = re.compile(r"^\s*(?P<number>\d{1,3})[.)]\s+(?P<text>.*\S)\s*$")
_SHOW_RE = re.compile(r"^\s*show answer\s*$", re.IGNORECASE)


@dataclass
class InlineQuestion:
    prompt: str
    answer: str
    line: int


def _next_nonblank(lines: list[str], start: int) -> int | None:
    return next((i for i in range(start, len(lines)) if lines[i].strip()), None)


def _is_quiz_item(lines: list[str], index: int) -> bool:
    if not _ITEM_RE.match(lines[index]):
        return False
    following = _next_nonblank(lines, index + 1)
    return following is not None and bool(_SHOW_RE.match(lines[following]))


def find_inline_quiz(lines: list[str]) -> int | None:
    """Index of the first numbered question followed by "Show answer", or None."""
    return next((i for i in range(len(lines)) if _is_quiz_item(lines, i)), None)


def parse_inline_quiz(lines: list[str], *, first_line: int) -> list[InlineQuestion]:
    """Numbered questions, each followed by a "Show answer" line and its answer."""
    questions: list[InlineQuestion] = []
    answer: list[str] = []
    for index, raw in enumerate(lines):
        if _is_quiz_item(lines, index):
            if questions:
                questions[-1].answer = _dedent(answer)
            answer = []
            match = _ITEM_RE.match(raw)
            assert match is not None
            questions.append(InlineQuestion(prompt=match.group("text"), answer="", line=first_line + index))
        elif _SHOW_RE.match(raw):
            continue
        elif questions:
            answer.append(raw)
    if questions:
        questions[-1].answer = _dedent(answer)
    return questions


def _dedent(lines: list[str]) -> str:
    return textwrap.dedent("\n".join(lines)).strip()


# --- explainer ("pillar") ---------------------------------------------------------------

_CHAPTER_RE = re.compile(r"^\s*(?P<number>\d{2})\s*$")
_MARKER_RE = re.compile(
    r"^(?P<kind>TL;DR|EXAMPLE|PITFALL|THE INSIGHT|INSIGHT|REMEMBER)(?:\s*[—\u2013-]+\s*(?P<title>.+?))?\s*$"
)
_MARKER_KINDS = {
    "TL;DR": "tldr",
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
    kind = _MARKER_KINDS[match.group("kind")]
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


def _chapters_markdown(blocks: list[_Block]) -> tuple[list[str], int]:
    out: list[str] = []
    chapters = 0
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.kind == "chapter":
            chapters += 1
            texts = [b for b in blocks[i + 1 : i + 3] if b.kind == "text"]
            kicker = texts[0].first if len(texts) == 2 else ""
            title = texts[-1].first if texts else f"Chapter {chapters}"
            out += [f"## {title}", ""]
            if kicker:
                out += [kicker, "{: .kicker }", ""]
            i += 1 + len(texts)
            continue
        if block.kind == "marker":
            out += [_callout_opening(block), ""]
            kind = _MARKER_KINDS[_MARKER_RE.match(block.first).group("kind")]  # type: ignore[union-attr]
            i += 1
            first = True
            while i < len(blocks) and blocks[i].kind not in ("chapter", "marker"):
                inner = blocks[i]
                if inner.is_heading() and not (first and kind in ("example", "insight")):
                    break
                lines = [f"**{inner.first}**"] if inner.is_heading() else _block_markdown(inner)
                out += [f"    {line}" if line else "" for line in lines] + [""]
                first = False
                i += 1
            continue
        if _is_compare(blocks, i):
            left, left_items, right, right_items = blocks[i : i + 4]
            out.append(f'!!! compare "{_quoted(left.first)} vs {_quoted(right.first)}"')
            for head, items in ((left, left_items), (right, right_items)):
                out.append(f'    !!! column "{_quoted(head.first)}"')
                out += [f"        {line}" for line in _block_markdown(items)]
            out.append("")
            i += 4
            continue
        if block.is_heading():
            out += [f"### {block.first}", ""]
        else:
            out += [*_block_markdown(block), ""]
        i += 1
    return out, chapters


def parse_explainer(text: str, *, path: str) -> ExplainerData:
    """A long explainer page: header, two-digit chapters, callouts, reading path, readiness quiz."""
    lines = text.replace("\r\n", "\n").split("\n")
    quiz_at = find_inline_quiz(lines)
    quiz_title = ""
    end = len(lines)
    if quiz_at is not None:
        end = quiz_at
        before = next((i for i in range(quiz_at - 1, -1, -1) if lines[i].strip()), None)
        if before is not None and _Block("text", [lines[before]], 0).is_heading():
            quiz_title = lines[before].strip()
            end = before
    first_chapter = next((i for i in range(end) if _CHAPTER_RE.match(lines[i])), end)

    header = [line.strip() for line in lines[:first_chapter] if line.strip()]
    read_at = next((i for i, line in enumerate(header) if _READ_RE.search(line)), None)
    lesson = LessonData(slug="", title="", source=Source(path, 1))
    if header:
        if len(header) >= 2 and (read_at is None or read_at >= 2):
            lesson.kicker, lesson.title = header[0][:120], header[1]
            intro = header[2:read_at] if read_at is not None else header[2:]
        else:
            lesson.title = header[0]
            intro = header[1:read_at] if read_at is not None else header[1:]
        lesson.summary = "\n\n".join(intro)
    if not lesson.title:
        raise BundleError(path, 1, "an explainer page needs a title line before its first chapter")
    lesson.slug = make_slug(lesson.title)
    body: list[str] = []
    if read_at is not None:
        meta = header[read_at]
        lesson.read_minutes = int(_READ_RE.search(meta).group("minutes"))  # type: ignore[union-attr]
        difficulty = _DIFFICULTY_RE.search(meta)
        lesson.difficulty = difficulty.group("difficulty")[:60] if difficulty else ""
        asked = _ASKED_RE.search(meta)
        if asked:
            body += [f"*Asked at {asked.group('where')}*", ""]

    region = lines[first_chapter:end]
    reading_at = next(
        (
            i
            for i, line in enumerate(region)
            if "reading path" in line.lower() and _Block("text", [line], 0).is_heading()
        ),
        len(region),
    )
    chapter_md, _count = _chapters_markdown(_blocks(region[:reading_at], first_chapter + 1))
    body += chapter_md
    if reading_at < len(region):
        body += [f"## {region[reading_at].strip()} {{#reading-path}}", ""]
        for block in _blocks(region[reading_at + 1 :], first_chapter + reading_at + 2):
            body += [*_block_markdown(block), ""]
    lesson.body_md = "\n".join(body).strip()

    quiz: QuizData | None = None
    questions: list[QuestionData] = []
    if quiz_at is not None:
        quiz_slug = f"{lesson.slug}-readiness"
        quiz = QuizData(
            slug=quiz_slug,
            title=quiz_title or f"{lesson.title} — readiness check",
            kind="readiness",
            source=Source(path, quiz_at + 1),
        )
        for n, item in enumerate(parse_inline_quiz(lines[quiz_at:], first_line=quiz_at + 1), start=1):
            slug = f"{quiz_slug}-q{n}"
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
    return ExplainerData(lesson=lesson, quiz=quiz, questions=questions)
