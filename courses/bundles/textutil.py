"""Small text helpers shared by the readers."""

from __future__ import annotations

import re

from django.utils.text import slugify

from lessons.models import Depth

DEPTHS: dict[str, int] = {name: int(value) for name, value in ((d.name, d.value) for d in Depth)}
DEPTH_NAMES: dict[int, str] = {value: name for name, value in DEPTHS.items()}
LESSON_KINDS = ("BUILD", "STRETCH", "CONSOLIDATE")
MODULE_KINDS = ("module", "week", "part")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend")

BULLET_RE = re.compile(r"^\s*(?:[-*+•·▪◦]|\d{1,3}[.)])\s+(?P<text>.*)$")
TRAILING_REF_RE = re.compile(r"\s*\((?P<ref>[^()]*)\)\s*$")
LEADING_NUMBER_RE = re.compile(r"^\d{1,3}[.)]\s+")


def make_slug(text: str, max_length: int = 80) -> str:
    """A slug from free text, cut at a word boundary so it fits the field."""
    slug = slugify(text.replace("&", " and ").replace("/", " "))
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] if "-" in slug[:max_length] else slug[:max_length]
    return slug.strip("-")


def strip_pilcrow(line: str) -> str:
    return line.rstrip().removesuffix("¶").rstrip()


def split_trailing_ref(text: str) -> tuple[str, str]:
    """("Why is X?", "§2.1") from "Why is X? (§2.1)"; the ref is "" when there is none."""
    match = TRAILING_REF_RE.search(text)
    if not match:
        return text.strip(), ""
    return text[: match.start()].rstrip(), match.group("ref").strip()


def split_table_row(line: str) -> list[str]:
    """Cells of a Markdown table row; `\\|` is a literal bar, not a cell boundary."""
    body = line.strip()
    body = body.removeprefix("|")
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body) and body[i + 1] == "|":
            current.append("|")
            i += 2
            continue
        if char == "|":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    cells.append("".join(current).strip())
    return cells


def escape_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def parse_depth(text: str) -> int | None:
    return DEPTHS.get(text.strip().strip("*").upper())
