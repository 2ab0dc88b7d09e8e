"""What a bundle may say, taken from the models: kinds, depths, slugs and front-matter keys.

The choice lists are read off the models' TextChoices/IntegerChoices so a new lesson kind
or depth is a one-place change (the model) and the bundle format follows it.
"""

from __future__ import annotations

import re

from courses.models import Course, Module
from lessons.models import Depth, Lesson
from quizzes.models import Question, Quiz

DEPTHS: dict[str, int] = {member.name: int(member.value) for member in Depth}
DEPTH_NAMES: dict[int, str] = {value: name for name, value in DEPTHS.items()}
DEFAULT_DEPTH = int(Depth.INTRODUCED)
LESSON_KINDS: tuple[str, ...] = tuple(str(value) for value in Lesson.Kind.values)
MODULE_KINDS: tuple[str, ...] = tuple(str(value) for value in Module.Kind.values)
QUIZ_KINDS: tuple[str, ...] = tuple(str(value) for value in Quiz.Kind.values)
QUESTION_KINDS: tuple[str, ...] = tuple(str(value) for value in Question.Kind.values)
FREE = str(Question.Kind.FREE)
CHOICE = str(Question.Kind.CHOICE)
CHEAT_SHEET_ACCESS: tuple[str, ...] = tuple(str(value) for value in Course.CheatSheetAccess.values)
DEFAULT_CHEAT_SHEET_ACCESS = str(Course.CheatSheetAccess.AFTER_CHECKS)

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

COURSE_KEYS = ("slug", "title", "summary", "order", "published", "cheat_sheets")
MODULE_KEYS = ("slug", "title", "kind", "order", "status", "planned_lessons", "goal")
LESSON_KEYS = (
    "slug", "title", "kind", "order", "kicker", "summary", "read_minutes", "difficulty", "notebook",
    "notebook_about", "concepts_taught", "mental_models", "analogies", "how_taught", "not_covered",
)  # fmt: skip
QUIZ_KEYS = ("slug", "title", "kind", "module", "lesson", "questions")
RECALL_KEYS = ("slug", "title", "module", "order", "unlock_lessons")
QUESTION_KEYS = (
    "slug", "kind", "prompt", "answer", "key_points", "options", "shuffle_options", "explanation",
    "concepts", "depth", "lesson", "ref",
)  # fmt: skip
OPTION_KEYS = ("text", "correct")
CONCEPT_KEYS = ("slug", "name", "description")


def parse_depth(text: str) -> int | None:
    """A depth cell: "DEVELOPED", "**developed**", "INTRODUCED (briefly)" all read by their first word."""
    word = re.match(r"[*_\s`]*([A-Za-z]+)", text)
    return DEPTHS.get(word.group(1).upper()) if word else None
