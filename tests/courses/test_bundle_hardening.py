"""Imports that cannot hurt: a corpus of malformed bundles, each refused with file:line and no write.

Every case starts from the same small valid bundle (imported once, so "unchanged" means
an existing course stays exactly as it was), breaks it one way, and expects one message.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from courses.bundles import BundleError, import_bundle, safety
from tests.courses.bundle_helpers import canonical_dump, counts

pytestmark = pytest.mark.django_db

COURSE = """---
slug: tides
title: Why the sea rises twice a day
summary: Gravity, rotation and a bulge on each side.
---
A short course on tides.
"""
MODULE = """---
slug: pull
title: The pull of the moon
order: 1
---
## Concept Index

| Concept | Depth | Lesson | Notes |
|---|---|---|---|
| Tidal force | DEVELOPED | bulges | The difference of pulls across the Earth. |
"""
LESSON = """---
slug: bulges
title: Two bulges, not one
kind: BUILD
order: 1
---
## The near side

The moon pulls the near ocean harder than the Earth's centre.

{{check: why-two}}

## The far side

The far ocean is pulled least and is left behind.
"""
QUESTIONS = """- slug: why-two
  prompt: Why are there two high tides a day and not one?
  answer: The far side is pulled less than the centre, so it bulges away too.
  concepts: [tidal-force]
  lesson: bulges
  ref: "§2"
- slug: pick-one
  kind: choice
  prompt: Which body raises the larger tides?
  options:
    - text: The moon
      correct: true
    - text: The sun
"""
CONCEPTS = """- slug: tidal-force
  name: Tidal force
  description: How much harder one side is pulled than the other.
"""
QUIZ = """---
slug: pull-check
title: The pull — check
questions: [why-two, pick-one]
---
"""
RECALL = """---
slug: tide-week
title: Tide week
---
## Monday (after bulges)
- Why does the far side bulge? (bulges §2)
"""

FILES = {
    "course.md": COURSE,
    "concepts.yaml": CONCEPTS,
    "modules/01-pull/module.md": MODULE,
    "modules/01-pull/01-bulges.md": LESSON,
    "modules/01-pull/questions.yaml": QUESTIONS,
    "quizzes/01-pull-check.md": QUIZ,
    "recall/01-tide-week.md": RECALL,
}
LESSON_FILE = "modules/01-pull/01-bulges.md"


def write_bundle(root: Path) -> Path:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def _write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return change


def _link(name: str, target: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / name
        if path.exists():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)

    return change


def _remove(name: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        (root / name).unlink()

    return change


def _many_files(count: int) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        for n in range(count):
            (root / "modules" / "01-pull" / f"extra-{n}.txt").write_text("x\n")

    return change


def _deep_folders(root: Path) -> None:
    (root / "modules" / "01-pull" / "a" / "b" / "c" / "d").mkdir(parents=True)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}]\n"
    for n in range(9)
)


@dataclass
class Case:
    name: str
    change: Callable[[Path], None]
    message: str  # the whole "path:line: message" start, relative to the bundle's parent


CASES = [
    Case(
        "lesson file is a symlink",
        _link(LESSON_FILE, "/etc/passwd"),
        "bundle/modules/01-pull/01-bulges.md: is a symbolic link",
    ),
    Case(
        "course.md is a symlink", _link("course.md", "/etc/hostname"), "bundle/course.md: is a symbolic link"
    ),
    Case(
        "module folder is a symlink",
        _link("modules/02-etc", "/etc"),
        "bundle/modules/02-etc: is a symbolic link",
    ),
    Case(
        "questions.yaml is a symlink to a sibling",
        _link("modules/01-pull/questions.yaml", "../../course.md"),
        "bundle/modules/01-pull/questions.yaml: is a symbolic link",
    ),
    Case(
        "alias bomb in concepts.yaml",
        _write("concepts.yaml", BOMB),
        "bundle/concepts.yaml:2: bad YAML: aliases (*name) are not allowed",
    ),
    Case(
        "self-referencing alias in front matter",
        _replace("course.md", "summary: Gravity", "tags: &loop [*loop]\nsummary: Gravity"),
        "bundle/course.md:4: bad YAML: aliases (*name) are not allowed",
    ),
    Case(
        "alias in questions.yaml",
        _replace("modules/01-pull/questions.yaml", "concepts: [tidal-force]", "concepts: *c"),
        "bundle/modules/01-pull/questions.yaml:4: bad YAML: aliases (*name) are not allowed",
    ),
    Case(
        "YAML nested too deep",
        _write("concepts.yaml", "- " + "[" * 30 + "]" * 30 + "\n"),
        "bundle/concepts.yaml:1: bad YAML: nested deeper than 20 levels",
    ),
    Case(
        "NUL byte in course.md",
        _replace("course.md", "A short course", "A short\x00 course"),
        "bundle/course.md:6: control character U+0000 is not allowed",
    ),
    Case(
        "bell character in a lesson",
        _replace(LESSON_FILE, "The far ocean", "The far\x07 ocean"),
        "bundle/modules/01-pull/01-bulges.md:15: control character U+0007 is not allowed",
    ),
    Case(
        "escape character in questions.yaml",
        _replace("modules/01-pull/questions.yaml", "Which body", "Which\x1b[31m body"),
        "bundle/modules/01-pull/questions.yaml:9: control character U+001B is not allowed",
    ),
    Case(
        "C1 control in a recall week",
        _replace("recall/01-tide-week.md", "far side", "far\x85 side"),
        "bundle/recall/01-tide-week.md:6: control character U+0085 is not allowed",
    ),
    Case(
        "not UTF-8",
        _write(LESSON_FILE, LESSON.encode() + b"\nbroken \xff byte\n"),
        "bundle/modules/01-pull/01-bulges.md:17: not UTF-8 text",
    ),
    Case(
        "file over the size limit",
        _write("modules/01-pull/02-huge.md", "x" * (safety.MAX_FILE_BYTES + 1)),
        "bundle/modules/01-pull/02-huge.md: is 2097153 bytes; a bundle file may be at most 2097152",
    ),
    Case(
        "too many files", _many_files(safety.MAX_FILES + 1), f"bundle: has more than {safety.MAX_FILES} files"
    ),
    Case(
        "folders nested too deep",
        _deep_folders,
        "bundle/modules/01-pull/a/b/c: folders nest deeper than 4 levels",
    ),
    Case(
        "front matter never closed",
        _write("course.md", "---\nslug: tides\ntitle: Tides\n"),
        "bundle/course.md:1: front matter opened with --- but never closed",
    ),
    Case(
        "unknown front-matter key",
        _replace(LESSON_FILE, "kind: BUILD", "kind: BUILD\ncolour: blue"),
        "bundle/modules/01-pull/01-bulges.md:5: unknown front-matter key 'colour'",
    ),
    Case(
        "bad YAML syntax",
        _replace("modules/01-pull/questions.yaml", '  ref: "§2"', "  ref: [§2"),
        "bundle/modules/01-pull/questions.yaml:7: bad YAML",
    ),
    Case(
        "question without a prompt",
        _replace("modules/01-pull/questions.yaml", "  prompt: Which body raises the larger tides?\n", ""),
        "bundle/modules/01-pull/questions.yaml:7: question 'pick-one' has no prompt",
    ),
    Case(
        "choice with two correct options",
        _replace(
            "modules/01-pull/questions.yaml",
            "    - text: The sun",
            "    - text: The sun\n      correct: true",
        ),
        "bundle/modules/01-pull/questions.yaml:7: choice question 'pick-one' needs two or more options",
    ),
    Case(
        "unknown depth in the concept index",
        _replace("modules/01-pull/module.md", "| DEVELOPED |", "| DEEP |"),
        "bundle/modules/01-pull/module.md:10: unknown depth 'DEEP'",
    ),
    Case(
        "concept index without a Lesson column",
        _replace(
            "modules/01-pull/module.md", "| Concept | Depth | Lesson | Notes |", "| Concept | Depth | Notes |"
        ),
        "bundle/modules/01-pull/module.md:8: the concept-index header needs columns concept, depth, lesson",
    ),
    Case(
        "index row with more cells than the header",
        _replace("modules/01-pull/module.md", "across the Earth. |", "across the Earth. | spare |"),
        "bundle/modules/01-pull/module.md:10: this row has 5 cells but the header has 4 columns",
    ),
    Case(
        "index row names an unknown lesson",
        _replace("modules/01-pull/module.md", "| bulges |", "| currents |"),
        "bundle/modules/01-pull/module.md:10: unknown lesson 'currents' in module 'pull'",
    ),
    Case(
        "check names an unknown question",
        _replace(LESSON_FILE, "{{check: why-two}}", "{{check: why-three}}"),
        "bundle/modules/01-pull/01-bulges.md:11: check names unknown question 'why-three'",
    ),
    Case(
        "check after blank lines at the top of the body",
        _replace(LESSON_FILE, "---\n## The near side", "---\n\n\n## The near side\n\n{{check: nowhere}}"),
        "bundle/modules/01-pull/01-bulges.md:11: check names unknown question 'nowhere'",
    ),
    Case(
        "quiz names an unknown question",
        _replace("quizzes/01-pull-check.md", "pick-one]", "pick-two]"),
        "bundle/quizzes/01-pull-check.md:4: unknown question 'pick-two'",
    ),
    Case(
        "duplicate question slug",
        _replace("modules/01-pull/questions.yaml", "slug: pick-one", "slug: why-two"),
        "bundle/modules/01-pull/questions.yaml:7: duplicate question slug 'why-two'",
    ),
    Case(
        "lesson slug that is not a slug",
        _replace(LESSON_FILE, "slug: bulges", "slug: Two Bulges"),
        "bundle/modules/01-pull/01-bulges.md:2: lesson slug 'Two Bulges' is not a slug",
    ),
    Case("missing course.md", _remove("course.md"), "bundle/course.md: a bundle needs a course.md"),
    Case(
        "module folder without module.md",
        _write("modules/02-empty/notes.md", "# nothing\n"),
        "bundle/modules/02-empty/module.md: each module folder needs a module.md",
    ),
    Case(
        "recall week without days",
        _write("recall/01-tide-week.md", "---\nslug: tide-week\n---\nJust words.\n"),
        "bundle/recall/01-tide-week.md:4: no days found",
    ),
    Case(
        "question names an unknown concept",
        _replace("modules/01-pull/questions.yaml", "[tidal-force]", "[moon-phase]"),
        "bundle/modules/01-pull/questions.yaml:1: question 'why-two': unknown concept 'moon-phase'",
    ),
    Case(
        "published is not true or false",
        _replace("course.md", "summary:", "published: sometimes\nsummary:"),
        "bundle/course.md:4: 'published' must be true or false",
    ),
    Case(
        "negative order",
        _replace("modules/01-pull/module.md", "order: 1", "order: -3"),
        "bundle/modules/01-pull/module.md:4: 'order' must be a whole number >= 0",
    ),
    Case(
        "unknown question key",
        _replace("modules/01-pull/questions.yaml", "  prompt: Why are there", "  promt: Why are there"),
        "bundle/modules/01-pull/questions.yaml:1: unknown question key 'promt'",
    ),
    Case(
        "prompt that is a mapping",
        _replace(
            "modules/01-pull/questions.yaml",
            "  prompt: Which body raises the larger tides?",
            "  prompt: {a: 1}",
        ),
        "bundle/modules/01-pull/questions.yaml:7: 'prompt' must be text",
    ),
]


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


def test_the_base_bundle_is_valid(tmp_path: Path) -> None:
    result = import_bundle(write_bundle(tmp_path / "bundle"))
    assert (result.lessons, result.questions, result.quizzes) == (1, 3, 1)
    assert result.report.line_totals()[1] == 0


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_malformed_bundle_is_refused_with_its_place_and_changes_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_bundle(tmp_path / "bundle")
    import_bundle(root)
    before, rows = counts(), canonical_dump()
    case.change(root)
    with pytest.raises(BundleError) as caught:
        import_bundle(root)
    message = str(caught.value).replace(str(tmp_path) + "/", "")
    assert message.startswith(case.message), message
    assert counts() == before
    assert canonical_dump() == rows


def test_a_single_document_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "week.txt"
    target.write_text("Week\nMonday (after intro)\n- What is it? (§1)\n")
    link = tmp_path / "link.txt"
    os.symlink(target, link)
    with pytest.raises(BundleError, match="is a symbolic link"):
        import_bundle(link, course_slug="c")
    assert counts()["Course"] == 0


def test_a_nul_byte_in_a_single_document_names_its_line(tmp_path: Path) -> None:
    document = tmp_path / "week.txt"
    document.write_text("Week\nMonday (after intro)\n- What\x00 is it? (§1)\n")
    with pytest.raises(BundleError) as caught:
        import_bundle(document, course_slug="c")
    assert str(caught.value) == f"{document}:3: control character U+0000 is not allowed in a bundle file"
    assert counts()["Course"] == 0


def test_a_git_checkout_is_imported_without_reading_its_hidden_folders(tmp_path: Path) -> None:
    root = write_bundle(tmp_path / "bundle")
    deep = root / ".git" / "logs" / "refs" / "remotes" / "origin"
    deep.mkdir(parents=True)
    (deep / "main").write_text("0000 1111 someone\n")
    os.symlink("/etc/passwd", root / ".git" / "link")
    result = import_bundle(root)
    assert result.lessons == 1
    assert all(".git" not in ledger.path for ledger in result.report.ledgers)
