"""The check form and token: every answer on every page (lesson, quiz, recall, Review) posts these."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django import forms
from django.core import signing

from mastery.models import Grade
from quizzes.models import Option, Question

# The error texts of the answer path, in one place: the check endpoints, the Review page
# and the recording service (mastery.services.answer_record) all speak these.
MSG_PICK_OPTION = "Pick one of the options before submitting."
MSG_FOREIGN_OPTION = "That option does not belong to this question. Pick one of the options shown."
MSG_CHOOSE_GRADE = "Choose how well you remembered: Again, Hard, Good or Easy."
MSG_NOT_A_GRADE = "“%(value)s” is not a grade. Choose Again, Hard, Good or Easy."
MSG_CHOICE_NOT_REVEALED = "This is a multiple-choice question: pick an option."
MSG_CHOICE_NOT_GRADED = "Multiple-choice answers are marked for you: pick an option."
MSG_FREE_NOT_CHOICE = "This question is self-graded: show its answer instead."
MSG_FOREIGN_POINT = "That key point does not belong to this question. Tick the points shown."
MSG_UNKNOWN_ACTION = "Unknown action: reveal the answer or grade it."


def grade_buttons() -> list[tuple[int, str, str]]:
    """(value, label, key) for the self-grade buttons.

    The one grade format on the wire: the value posted is the stored grade (1 Again to
    4 Easy, as FSRS numbers its ratings), and it is also the digit the keyboard uses.
    """
    return [(grade.value, grade.label, str(grade.value)) for grade in Grade]


@dataclass(frozen=True)
class AnswerChoice:
    """What the learner answered, checked against the question (not yet against the token)."""

    grade: Grade | None = None
    option: Option | None = None
    # Key-point checklist: (points ticked, points listed); None when not answered that way.
    key_points: tuple[int, int] | None = None


class CheckForm(forms.Form):
    """Every post of a check, on every page: reveal, a self-grade, a key-point checklist or an option.

    `onscreen` is how long the check had been on screen when the learner acted, measured
    by the page's script from the moment the check came into view; a page without
    JavaScript posts none, and the attempt then says its timing is unknown.
    """

    token = forms.CharField(max_length=1000, required=False)
    action = forms.ChoiceField(
        choices=[("answer", "Answer"), ("reveal", "Show answer")],
        required=False,
        error_messages={"invalid_choice": MSG_UNKNOWN_ACTION},
    )
    grade = forms.TypedChoiceField(
        choices=Grade.choices,
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": MSG_NOT_A_GRADE},
    )
    option = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, error_messages={"invalid_choice": MSG_FOREIGN_OPTION}
    )
    point = forms.TypedMultipleChoiceField(
        coerce=int, required=False, error_messages={"invalid_choice": MSG_FOREIGN_POINT}
    )
    checklist = forms.BooleanField(required=False)
    onscreen = forms.CharField(max_length=20, required=False)

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        # Options come from the question's prefetched list: validating here costs no query
        # and rejects ids of other questions' options.
        self.options = {option.pk: option for option in question.options.all()}
        option_field = self.fields["option"]
        assert isinstance(option_field, forms.TypedChoiceField)
        option_field.choices = [(pk, option.text) for pk, option in self.options.items()]
        self.points = question.key_point_list()
        point_field = self.fields["point"]
        assert isinstance(point_field, forms.TypedMultipleChoiceField)
        point_field.choices = [(i, text) for i, text in enumerate(self.points, start=1)]

    @property
    def wants_reveal(self) -> bool:
        return self.cleaned_data.get("action") == "reveal"

    def onscreen_ms(self) -> int | None:
        """Milliseconds the check was on screen before this post; None when the page did not say."""
        raw = (self.cleaned_data.get("onscreen") or "").strip()
        # A client clock is evidence, not input to reject: junk means "unknown", never a 400.
        if not raw.isdigit():
            return None
        return min(int(raw), TOKEN_MAX_AGE * 1000)

    def answer(self) -> AnswerChoice:
        """The answer posted, for the question's kind; ValidationError-free: raises AnswerMissing."""
        data = self.cleaned_data
        if self.question.is_choice:
            if data.get("grade") is not None or data.get("checklist"):
                raise AnswerMissing(MSG_CHOICE_NOT_GRADED)
            option_id = data.get("option")
            if option_id is None:
                raise AnswerMissing(MSG_PICK_OPTION)
            return AnswerChoice(option=self.options[option_id])
        if data.get("option") is not None:
            raise AnswerMissing(MSG_FREE_NOT_CHOICE)
        if data.get("checklist") and self.points:
            ticked = len(set(data.get("point") or []))
            return AnswerChoice(key_points=(ticked, len(self.points)))
        if data.get("grade") is None:
            raise AnswerMissing(MSG_CHOOSE_GRADE)
        return AnswerChoice(grade=Grade(data["grade"]))


class AnswerMissing(ValueError):
    """The post has no usable answer for this question (a message a learner can read)."""


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
# Where a learner's own check token goes in kept HTML (letters only: escaping keeps it): the
# lesson page's open checks and the Review page's card put the request's token in.
TOKEN_SLOT = "STUDYHALLTOKENSLOT"
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
    # Server time at which the check came on screen (the page's script says how long ago
    # at the first post); None while unknown, e.g. without JavaScript.
    onscreen_ms: int | None = None

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
        if self.onscreen_ms is not None:
            payload["s"] = self.onscreen_ms
        return signing.dumps(payload, salt=TOKEN_SALT, compress=False)

    @property
    def key(self) -> str:
        """The attempt's idempotency key: one per rendered check, whatever happens to it after."""
        raw = f"{self.learner_id}:{self.question_id}:{self.shown_ms}:{self.nonce}"
        return hashlib.sha256(raw.encode()).hexdigest()

    def revealed_at(self, now_ms: int) -> CheckToken:
        """The same token after the answer was shown (a second reveal keeps the first time)."""
        return self if self.revealed_ms is not None else replace(self, revealed_ms=now_ms)

    def seen(self, now_ms: int, onscreen_for_ms: int | None) -> CheckToken:
        """The token with the moment the check came on screen, from the first post that says it.

        The moment is never before the check was rendered (a client cannot claim a think
        time longer than the page existed) and a later post cannot move it.
        """
        if self.onscreen_ms is not None or onscreen_for_ms is None:
            return self
        return replace(self, onscreen_ms=min(max(now_ms - onscreen_for_ms, self.shown_ms), now_ms))

    def timing(self, answered_ms: int) -> tuple[int | None, int | None]:
        """(think_ms, time_taken_ms) of an answer given now: both None when on-screen time is unknown.

        Think time runs from the check coming on screen to the reveal (or to the answer
        when the learner did not reveal); time taken runs to the answer.
        """
        if self.onscreen_ms is None:
            return None, None
        think_until = self.revealed_ms if self.revealed_ms is not None else answered_ms
        return max(think_until - self.onscreen_ms, 0), max(answered_ms - self.onscreen_ms, 0)


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


def check_token_mode(raw: str) -> str:
    """The mode a token was issued with, for the fragment's hidden field ("" when none or unreadable)."""
    try:
        return str(signing.loads(raw, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)["m"]) if raw else ""
    except (signing.BadSignature, KeyError, TypeError):
        return ""


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
            onscreen_ms=int(data["s"]) if data.get("s") is not None else None,
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
