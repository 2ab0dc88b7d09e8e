"""The check fragment's context after an answer, shared by the check endpoints and the Review page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache

from accounts.learner_cache import learner_changed
from mastery.models import Attempt, Grade, Mode
from mastery.services import attempt_grade, attempt_saved_messages
from quizzes.access import section_labels
from quizzes.forms import TOKEN_MAX_AGE, TokenInvalid, check_token_read, grade_buttons
from quizzes.models import Option, Question

# A reveal that is not graded yet writes no attempt; the shared cache (Redis in production,
# so every web node sees it) keeps its revealed token for the sitting instead of a DB write
# on the reveal path, a hot path. It is the learner cache's own (the default alias), so the
# token goes with the learner's new stamp in one write (learner_changed's `also`).


def _reveal_key(learner_id: int, question_id: int) -> str:
    return f"check-revealed:{learner_id}:{question_id}"


def check_reveal_keep(*, learner_id: int, question_id: int, token: str) -> None:
    """Remember a study-page reveal for the sitting, so a reloaded page shows the answer and grades.

    Kept under learner + question for the token's lifetime: the revealed token itself, so
    the grade given after a reload is the same attempt (same key) with the same reveal time.
    """
    # A lesson page kept for the learner shows it now: a new stamp, in the same round trip.
    learner_changed([learner_id], also={_reveal_key(learner_id, question_id): (token, TOKEN_MAX_AGE)})


def study_reveals(
    learner_id: int, question_ids: list[int]
) -> tuple[dict[int, tuple[str, int, str]], datetime | None]:
    """Question id → (attempt key, reveal ms, token as signed) of the revealed study tokens
    this learner still holds (one get_many), and until when that holds without a new reveal or
    answer: each for the token's lifetime from its reveal (None: no reveal to end)."""
    keys = {_reveal_key(learner_id, question_id): question_id for question_id in question_ids}
    found = cache.get_many(list(keys))
    reveals = {}
    for key, raw in found.items():
        try:
            token = check_token_read(str(raw), learner_id=learner_id, question_id=keys[key])
        except TokenInvalid:
            continue  # expired within the cache's timeout, or not ours: the check is open again
        if token.revealed_ms is not None and token.mode == Mode.STUDY:
            reveals[keys[key]] = (token.key, token.revealed_ms, str(raw))
    if not reveals:
        return reveals, None
    first = min(revealed_ms for _key, revealed_ms, _raw in reveals.values())
    return reveals, datetime.fromtimestamp(first / 1000, tz=UTC) + timedelta(seconds=TOKEN_MAX_AGE)


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


def recent_answers(
    *, learner_id: int, question_ids: list[int], now: datetime
) -> tuple[dict[int, Attempt], datetime | None]:
    """Question id → the learner's latest study answer still in its sitting (one query), and
    until when that holds without a new answer: the oldest leaves its sitting then (None: no
    answer to leave)."""
    attempts = (
        Attempt.objects.filter(
            learner_id=learner_id,
            question_id__in=question_ids,
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
        return latest, None
    oldest = min(attempt.created_at for attempt in latest.values())
    return latest, oldest + timedelta(seconds=TOKEN_MAX_AGE)


def check_states(
    *,
    learner_id: int,
    question_ids: list[int],
    load: Callable[[], dict[int, Question]],
    now: datetime,
    labels: dict[int, str] | None = None,
    recent: dict[int, Attempt] | None = None,
    reveals: dict[int, tuple[str, int, str]] | None = None,
) -> dict[int, dict[str, Any]]:
    """Question id → the check fragment's context for the checks this learner already answered
    or revealed in this sitting, so a reloaded page shows them as they were left: one query
    and one cache get_many, and when some were answered their cards' due times and (unless
    the caller has them: labels) their section labels. load() gives the questions by id,
    and is called only when some check has a state to restore.

    A sitting is the lifetime of a check token: an answer given on a study page within it
    comes back answered (choice) or graded (self-grade, with its key points); a reveal not
    graded since (check_reveal_keep) comes back revealed, with the model answer and the
    grade form carrying the revealed token; older answers leave the check open again, since
    the question's return is the Review page's business. `recent` and `reveals` are what
    recent_answers and study_reveals gave, when the caller keeps them.
    """
    if not question_ids:
        return {}
    if reveals is None:
        reveals, _ends = study_reveals(learner_id, question_ids)
    reveals = dict(reveals)
    if recent is None:
        recent, _until = recent_answers(learner_id=learner_id, question_ids=question_ids, now=now)
    latest = dict(recent)
    # A reveal is still open unless an answer came after it (its own grade has its key).
    for question_id, (key, revealed_ms, _raw) in list(reveals.items()):
        answered = latest.get(question_id)
        if answered is not None and (
            answered.key == key or answered.created_at.timestamp() * 1000 >= revealed_ms
        ):
            del reveals[question_id]
        else:
            latest.pop(question_id, None)
    if not latest and not reveals:
        return {}
    by_id = load()  # id → question, asked for only now: most pages have nothing to restore
    if labels is None:
        labels = section_labels([by_id[question_id] for question_id in [*latest, *reveals]])
    states: dict[int, dict[str, Any]] = {}
    for question_id, (_key, _ms, raw) in reveals.items():
        states[question_id] = {
            "state": "revealed",
            "grades": grade_buttons(),
            # As signed at the reveal: re-signing would stretch the sitting past the token's lifetime.
            "token": raw,
            **check_jump(by_id[question_id], labels.get(question_id, "")),
        }
    if not latest:
        return states
    saved = attempt_saved_messages(learner_id=learner_id, attempts=list(latest.values()), now=now)
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
