"""Sign-up and profile forms; login and the password forms are django.contrib.auth's own."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm, UsernameField
from django.contrib.auth.models import User

from accounts.models import Profile
from accounts.services import email_in_use

# The same words whether the form or the database (a concurrent sign-up) found the address taken.
EMAIL_UNAVAILABLE = (
    "This address cannot be used for a new account. If it is yours, sign in or reset its password."
)
DAILY_CAP_MIN = 1
DAILY_CAP_MAX = 500


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone the server knows, sorted; reading the tz database is slow, so once per process."""
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneField(forms.ChoiceField):
    default_error_messages = {
        "invalid_choice": "%(value)s is not a known time zone. Pick one from the list, e.g. Europe/Berlin.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Time zone")
        kwargs.setdefault(
            "help_text", "Your day, your streak and the daily recall queue start at midnight in this zone."
        )
        super().__init__(choices=time_zone_choices, **kwargs)


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="Used only to reset your password and, if you want it, for a daily digest.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    time_zone = TimeZoneField(initial="UTC")

    class Meta:
        model = User
        fields = ("username", "email")
        field_classes = {"username": UsernameField}

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        # Password reset mails every account with the address, so one address means one account
        # (the database decides it too: a unique index on lower(email), accounts.0002).
        if email_in_use(email):
            raise forms.ValidationError(EMAIL_UNAVAILABLE)
        return email


class ProfileForm(forms.ModelForm):
    time_zone = TimeZoneField()
    daily_cap = forms.IntegerField(
        label="Daily cap",
        min_value=DAILY_CAP_MIN,
        max_value=DAILY_CAP_MAX,
        help_text=f"At most this many recall prompts and reviews a day, catch-up included "
        f"(from {DAILY_CAP_MIN} to {DAILY_CAP_MAX}).",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    digest_enabled = forms.BooleanField(label="Send me a daily digest email of what is due", required=False)

    class Meta:
        model = Profile
        fields = ("time_zone", "daily_cap", "digest_enabled")


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to confirm."},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password; nothing was deleted.")
        return password
