"""The check fragment's context after an answer, shared by the check endpoints and the Review page."""

from __future__ import annotations

from typing import Any

from mastery.models import Grade
from quizzes.access import section_labels
from quizzes.models import Option, Question


def check_jump(question: Question) -> dict[str, str]:
    """Where to reread after an answer: the section link ("Jump to §2.3"), or the reference as text."""
    label = section_labels([question]).get(question.pk, "")
    return {"jump_url": question.section_url(), "jump_label": label}


def check_result_context(
    question: Question,
    *,
    chosen: Option | None,
    is_right: bool,
    grade: Grade,
    key_points: tuple[int, int] | None,
) -> dict[str, Any]:
    """What the check fragment shows once answered, on every page (the Review page too).

    A multiple-choice answer shows every option with the correct one and the learner's
    marked, a self-grade the model answer; both the explanation and where to reread.
    """
    if question.is_choice:
        return {"state": "answered", "chosen": chosen, "is_right": is_right, **check_jump(question)}
    return {"state": "graded", "grade": grade, "key_points": key_points, **check_jump(question)}
