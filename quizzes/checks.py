"""The check fragment's context after an answer, shared by the check endpoints and the Review page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mastery.models import Attempt, Grade, Mode
from mastery.services import attempt_grade, attempt_saved_messages
from quizzes.access import section_labels
from quizzes.forms import TOKEN_MAX_AGE
from quizzes.models import Option, Question


def check_jump(question: Question, label: str | None = None) -> dict[str, str]:
    """Where to reread after an answer: the section link ("Jump to §2.3"), or the reference as text.

    label: the question's section label when the caller already has it (section_labels of many).
    """
    if label is None:
        label = section_labels([question]).get(question.pk, "")
    return {"jump_url": question.section_url(), "jump_label": label}


def check_result_context(
    question: Question,
    *,
    chosen: Option | None,
    is_right: bool,
    grade: Grade,
    key_points: tuple[int, int] | None,
    jump_label: str | None = None,
) -> dict[str, Any]:
    """What the check fragment shows once answered, on every page (the Review page too).

    A multiple-choice answer shows every option with the correct one and the learner's
    marked, a self-grade the model answer; both the explanation and where to reread.
    """
    jump = check_jump(question, jump_label)
    if question.is_choice:
        return {"state": "answered", "chosen": chosen, "is_right": is_right, **jump}
    return {"state": "graded", "grade": grade, "key_points": key_points, **jump}


def check_states(
    *, learner_id: int, questions: list[Question], now: datetime, labels: dict[int, str] | None = None
) -> dict[int, dict[str, Any]]:
    """Question id → the check fragment's context for the checks this learner already answered
    in this sitting, so a reloaded page shows them as they were left: one query, and when some
    were answered their cards' due times and (unless the caller has them: labels) their
    section labels.

    A sitting is the lifetime of a check token: an answer given on a study page within it
    comes back answered (choice) or graded (self-grade, with its key points); older answers
    leave the check open again, since the question's return is the Review page's business.
    A reveal that was never graded stores nothing, so such a check shows unanswered.
    """
    if not questions:
        return {}
    by_id = {question.pk: question for question in questions}
    attempts = (
        Attempt.objects.filter(
            learner_id=learner_id,
            question_id__in=by_id,
            mode=Mode.STUDY,
            created_at__gte=now - timedelta(seconds=TOKEN_MAX_AGE),
        )
        .select_related("option")
        .order_by("question_id", "-created_at", "-id")
    )
    latest: dict[int, Attempt] = {}
    for attempt in attempts:
        latest.setdefault(attempt.question_id, attempt)
    if not latest:
        return {}
    saved = attempt_saved_messages(learner_id=learner_id, attempts=list(latest.values()), now=now)
    if labels is None:
        labels = section_labels([by_id[question_id] for question_id in latest])
    states = {}
    for question_id, attempt in latest.items():
        points = (
            (attempt.key_points_recalled, attempt.key_points_total)
            if attempt.key_points_total is not None and attempt.key_points_recalled is not None
            else None
        )
        states[question_id] = {
            **check_result_context(
                by_id[question_id],
                chosen=attempt.option,
                is_right=bool(attempt.is_correct),
                grade=attempt_grade(attempt),
                key_points=points,
                jump_label=labels.get(question_id, ""),
            ),
            "saved": saved[attempt.pk],
        }
    return states
