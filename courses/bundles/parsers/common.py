"""Line-level reading shared by the parsers: headings, bullets, labels, tables, references."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.text import slugify

HEADING_RE = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
BULLET_RE = re.compile(r"^\s*(?:[-*+•·▪◦‣\u2013]|\d{1,3}[.)]|\(\d{1,3}\))\s+(?P<text>.*)$")
NUMBERED_RE = re.compile(r"^\s*(?P<number>\d{1,3})[.)]\s+(?P<text>.*\S)\s*$")
# "**Goal:** x", "**Goal**: x", "__Goal__ — x" (bold) or "Goal: x" (plain, colon needed).
BOLD_LABEL_RE = re.compile(
    r"^\s*(\*\*|__)(?P<label>[^*_]{1,60}?)\s*:?\s*\1\s*(?::|—|\u2013|-)?\s*(?P<rest>.*)$"
)
PLAIN_LABEL_RE = re.compile(r"^\s*(?P<label>[A-Z][A-Za-z /&'()-]{0,48}?)\s*:\s*(?P<rest>.*)$")
TRAILING_PAREN_RE = re.compile(r"\s*\((?P<ref>[^()]*)\)\s*\.?\s*$")
# A reference: "§2.1", "§ 2.1", "§3.1-§3.2", "Sections 1.4 and 2.1", "Ch. 10", "chapter 3".
SECTION_MARK = r"(?:§+\s*\d|\bsections?\s+\d|\bsec\.\s*\d|\bch(?:apter)?s?\.?\s*\d)"
HAS_SECTION_RE = re.compile(SECTION_MARK, re.IGNORECASE)
# A word before an inline "§" names a document only when it is one of these or slug-like
# ("lora-basics §2"); "what does §2.1 say" names none.
DOCUMENT_WORDS = ("explainer", "lesson", "notes", "reading", "record", "handout", "eli5")
INLINE_REF_RE = re.compile(
    r"(?:\b(?P<doc>[A-Za-z][\w]*(?:-[\w]+)+|" + "|".join(DOCUMENT_WORDS) + r")\s+)?"
    r"(?P<ref>§+\s*\d+(?:\.\d+)*(?:\s*[-\u2013—]\s*§?\s*\d+(?:\.\d+)*)?)",
    re.IGNORECASE,
)


def strip_pilcrow(line: str) -> str:
    return line.rstrip().removesuffix("¶").rstrip()


def heading(line: str) -> tuple[int, str] | None:
    """(level, text) of a Markdown heading; a flattened "Title¶" line is level 0."""
    match = HEADING_RE.match(line.strip())
    if match:
        return len(match.group("hashes")), strip_pilcrow(match.group("text"))
    if line.rstrip().endswith("¶"):
        return 0, strip_pilcrow(line).strip()
    return None


def unbold(text: str) -> str:
    text = text.strip()
    for mark in ("**", "__"):
        if text.startswith(mark) and text.endswith(mark) and len(text) > 4:
            return text[2:-2].strip()
    return text


def label(line: str) -> tuple[str, str] | None:
    """(label, rest) for "**Goal:** x" / "Goal: x" / "**Goal** — x"; the label is lower case."""
    match = BOLD_LABEL_RE.match(line) or PLAIN_LABEL_RE.match(line)
    if not match:
        return None
    return match.group("label").strip().rstrip(":").lower(), match.group("rest").strip()


def bullet(line: str) -> str | None:
    match = BULLET_RE.match(line)
    return match.group("text").strip() if match else None


def make_slug(text: str, max_length: int = 80) -> str:
    """A slug from free text, cut at a word boundary so it fits the field."""
    slug = slugify(text.replace("&", " and ").replace("/", " "))
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug.strip("-")


def is_separator_row(cells: list[str]) -> bool:
    return all(re.fullmatch(r":?-{2,}:?", cell.strip()) for cell in cells if cell.strip())


def split_table_row(line: str) -> list[str]:
    """Cells of a Markdown table row; `\\|` is a literal bar, not a cell boundary."""
    body = line.strip().removeprefix("|")
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    parts = re.split(r"(?<!\\)\|", body)
    return [part.replace("\\|", "|").strip() for part in parts]


def escape_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


@dataclass
class Reference:
    """A prompt's text without its trailing reference, and every reference it makes."""

    text: str
    refs: list[str]

    @property
    def joined(self) -> str:
        return " + ".join(self.refs)


def looks_like_ref(text: str) -> bool:
    """A trailing parenthesis is a reference when it is short and names a section or a part."""
    words = text.split()
    return bool(text) and (bool(HAS_SECTION_RE.search(text)) or len(words) <= 4)


def split_refs(text: str) -> Reference:
    """("Why X?", ["§2.1"]) from "Why X? (§2.1)"; references mid-sentence are kept in the text too."""
    body = text.strip()
    refs: list[str] = []
    match = TRAILING_PAREN_RE.search(body)
    if match and (not match.group("ref").strip() or looks_like_ref(match.group("ref").strip())):
        # An empty "()" is how export keeps a prompt's own closing parenthesis.
        if match.group("ref").strip():
            refs.append(match.group("ref").strip())
        body = body[: match.start()].rstrip()
    for inline in INLINE_REF_RE.finditer(body):
        ref = " ".join(part for part in (inline.group("doc"), inline.group("ref")) if part)
        if not any(ref in known or known in ref for known in refs):
            refs.append(ref)
    return Reference(text=body, refs=refs)
