"""Forms for answering checks: a self-grade for free recall, an option for multiple choice."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django import forms
from django.core import signing
from django.db import models

from quizzes.models import Option, Question


class Grade(models.TextChoices):
    """The four self-grades of spaced repetition, weakest recall first."""

    AGAIN = "again", "Again"
    HARD = "hard", "Hard"
    GOOD = "good", "Good"
    EASY = "easy", "Easy"


# Digits match the order of the buttons so the review keyboard shortcuts (1 to 4) can use them.
GRADE_KEYS = {Grade.AGAIN: "1", Grade.HARD: "2", Grade.GOOD: "3", Grade.EASY: "4"}


class GradeForm(forms.Form):
    grade = forms.ChoiceField(
        choices=Grade.choices,
        error_messages={
            "required": "Choose how well you remembered: Again, Hard, Good or Easy.",
            "invalid_choice": "“%(value)s” is not a grade. Choose Again, Hard, Good or Easy.",
        },
    )

    def grade_choice(self) -> Grade:
        return Grade(self.cleaned_data["grade"])


class AnswerForm(forms.Form):
    option = forms.TypedChoiceField(
        coerce=int,
        error_messages={
            "required": "Pick one of the options before submitting.",
            "invalid_choice": "That option does not belong to this question. Pick one of the options shown.",
        },
    )

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Options come from the question's prefetched list: validating here costs no query
        # and rejects ids of other questions' options.
        self.options = {option.pk: option for option in question.options.all()}
        field = self.fields["option"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(pk, option.text) for pk, option in self.options.items()]

    def chosen_option(self) -> Option:
        return self.options[self.cleaned_data["option"]]


def first_error(form: forms.Form) -> str:
    """The first validation message of a form, for a one-line error under a check."""
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return "The form was not valid."


# Check tokens. Every check rendered for a signed-in learner carries one: it says which
# question, for whom, in which mode (decided by the page that rendered it) and when it
# was shown, and after a reveal also when the answer was revealed. The attempt key is
# derived from the parts a reveal does not change, so a double click, a replayed POST or
# a replayed reveal all map to one attempt.
TOKEN_SALT = "studyhall.check-token"
TOKEN_MAX_AGE = 24 * 60 * 60
TOKEN_MODES = ("study", "review", "cram")
TOKEN_EXPIRED = "This check has expired — reload the page."
# Clocks of two web nodes may differ a little; more than this is not a token we issued.
TOKEN_CLOCK_SKEW_MS = 5 * 60 * 1000
# Primary keys are 64-bit; a larger number in a token could only overflow the query.
TOKEN_MAX_ID = 2**63 - 1


class TokenInvalid(ValueError):
    pass


@dataclass(frozen=True)
class CheckToken:
    question_id: int
    learner_id: int
    mode: str
    shown_ms: int
    nonce: str
    revealed_ms: int | None = None

    def sign(self) -> str:
        payload: dict[str, Any] = {
            "q": self.question_id,
            "u": self.learner_id,
            "m": self.mode,
            "t": self.shown_ms,
            "n": self.nonce,
        }
        if self.revealed_ms is not None:
            payload["r"] = self.revealed_ms
        return signing.dumps(payload, salt=TOKEN_SALT, compress=False)

    @property
    def key(self) -> str:
        """The attempt's idempotency key: one per rendered check, whatever happens to it after."""
        raw = f"{self.learner_id}:{self.question_id}:{self.shown_ms}:{self.nonce}"
        return hashlib.sha256(raw.encode()).hexdigest()

    def revealed_at(self, now_ms: int) -> CheckToken:
        """The same token after the answer was shown (a second reveal keeps the first time)."""
        return self if self.revealed_ms is not None else replace(self, revealed_ms=now_ms)


def now_ms() -> int:
    return int(time.time() * 1000)


def check_token_issue(*, learner_id: int, question_id: int, mode: str) -> str:
    """A fresh signed token for one check shown now."""
    if mode not in TOKEN_MODES:
        raise ValueError(f"Unknown mode {mode!r}")
    return CheckToken(
        question_id=question_id,
        learner_id=learner_id,
        mode=mode,
        shown_ms=now_ms(),
        nonce=secrets.token_urlsafe(12),
    ).sign()


def check_tokens(user: Any, questions: Iterable[Question], *, mode: str) -> dict[int, str]:
    """Question id → a fresh token for each check a page renders; {} for visitors (nothing is kept)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return {
        question.pk: check_token_issue(learner_id=user.pk, question_id=question.pk, mode=mode)
        for question in questions
    }


def check_token_read(raw: str, *, learner_id: int, question_id: int | None) -> CheckToken:
    """The token posted with an answer; TokenInvalid if forged, expired or issued for another check.

    question_id None accepts any question (the review page learns the question from the token).
    """
    try:
        data = signing.loads(raw, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        token = CheckToken(
            question_id=int(data["q"]),
            learner_id=int(data["u"]),
            mode=str(data["m"]),
            shown_ms=int(data["t"]),
            nonce=str(data["n"]),
            revealed_ms=int(data["r"]) if data.get("r") is not None else None,
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise TokenInvalid(TOKEN_EXPIRED) from None
    # Timings become Attempt.think_ms / time_taken_ms (32-bit columns): bounding them to the
    # token's lifetime keeps a forged or corrupted value from ever reaching the database.
    now = now_ms()
    earliest = now - TOKEN_MAX_AGE * 1000 - TOKEN_CLOCK_SKEW_MS
    latest = now + TOKEN_CLOCK_SKEW_MS
    timings_ok = earliest <= token.shown_ms <= latest and (
        token.revealed_ms is None or token.shown_ms <= token.revealed_ms <= latest
    )
    ids_ok = 0 < token.question_id <= TOKEN_MAX_ID and 0 < token.learner_id <= TOKEN_MAX_ID
    if not (timings_ok and ids_ok):
        raise TokenInvalid(TOKEN_EXPIRED)
    wrong_question = question_id is not None and token.question_id != question_id
    if wrong_question or token.learner_id != learner_id or token.mode not in TOKEN_MODES:
        raise TokenInvalid(TOKEN_EXPIRED)
    return token
