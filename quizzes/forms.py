"""Forms for answering checks: a self-grade for free recall, an option for multiple choice."""

from __future__ import annotations

from typing import Any

from django import forms
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
