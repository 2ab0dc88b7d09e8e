"""Which kind of document a text is, judged from its content the way a reader would."""

from __future__ import annotations

import re

from courses.bundles.errors import BundleError
from courses.bundles.parsers.cheatsheet import is_cheatsheet
from courses.bundles.parsers.common import label, strip_pilcrow
from courses.bundles.parsers.quiz import find_inline_quiz
from courses.bundles.parsers.recall import day_heading

KINDS = ("record", "recall", "explainer", "cheatsheet")
KIND_NAMES = {
    "record": "a module record",
    "recall": "a daily-recall week",
    "explainer": "an explainer page",
    "cheatsheet": "a cheat sheet",
}


def _is_record(lines: list[str]) -> bool:
    return any(re.match(r"^#?\s*Module\b.*\bRecord\s*$", line, re.IGNORECASE) for line in lines) or any(
        re.match(r"^(?:#{1,3}\s+)?(?:\*\*)?Concept Index(?:\*\*)?\s*$", line.strip(), re.IGNORECASE)
        for line in lines
    )


def _is_explainer(lines: list[str]) -> bool:
    if any(re.match(r"^Read\s+~?\d+\s*min", line.strip()) for line in lines):
        return True
    return sum(1 for line in lines if re.fullmatch(r"\d{2}", line.strip())) >= 2


def detect_kind(text: str, *, path: str) -> str:
    """record, recall, explainer or cheatsheet; BundleError when nothing fits."""
    lines = [strip_pilcrow(line) for line in text.split("\n")]
    if is_cheatsheet(lines):
        return "cheatsheet"
    if _is_record(lines):
        return "record"
    if _is_explainer(lines) or find_inline_quiz(lines) is not None:
        return "explainer"
    if any(day_heading(line) for line in lines):
        return "recall"
    if any((found := label(line)) and found[0] == "goal" for line in lines):
        return "record"
    raise BundleError(
        path,
        None,
        "cannot tell what kind of document this is; pass --kind record|recall|explainer|cheatsheet",
    )


def check_forced_kind(text: str, kind: str, *, path: str) -> None:
    """A forced kind that the content plainly contradicts is an error, not an empty import."""
    try:
        detected = detect_kind(text, path=path)
    except BundleError:
        return
    # Only strong signals overrule the author: a record's title or concept index, a cheat
    # sheet's shape. Otherwise --kind stays the escape hatch for a misread document.
    if detected != kind and (detected in ("record", "cheatsheet") or kind == "cheatsheet"):
        raise BundleError(
            path,
            None,
            f"this reads as {KIND_NAMES[detected]}, not {KIND_NAMES[kind]}; import it with --kind {detected}",
        )
