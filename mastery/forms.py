"""The Review page's answer form: reveal, self-grade or pick an option for the card on screen."""

from __future__ import annotations

from django import forms

from mastery.models import Grade


class ReviewAnswerForm(forms.Form):
    """The signed token names the card; `action` says reveal or answer; grade or option is the answer."""

    token = forms.CharField(
        max_length=1000, error_messages={"required": "This check has expired — reload the page."}
    )
    action = forms.ChoiceField(
        choices=[("answer", "Answer"), ("reveal", "Show answer")],
        required=False,
        error_messages={"invalid_choice": "Unknown action: reveal the answer or grade it."},
    )
    grade = forms.TypedChoiceField(
        choices=Grade.choices,
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "“%(value)s” is not a grade. Choose Again, Hard, Good or Easy."},
    )
    option = forms.IntegerField(
        required=False, min_value=1, error_messages={"invalid": "Pick one of the options shown."}
    )

    @property
    def wants_reveal(self) -> bool:
        return self.cleaned_data.get("action") == "reveal"

    def chosen_grade(self) -> Grade | None:
        value = self.cleaned_data.get("grade")
        return Grade(value) if value is not None else None
