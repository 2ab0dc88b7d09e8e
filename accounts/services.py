"""Writes for accounts: creating a learner and making sure every user has a Profile."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from accounts.models import Profile, validate_time_zone


@transaction.atomic
def account_create(*, username: str, email: str, password: str, time_zone: str) -> User:
    """A new user with a hashed password and their Profile, both or neither.

    Raises ValidationError for an unknown time zone and IntegrityError when the username
    or the email address (case ignored: a unique index, accounts.0002) was taken between
    the form's check and this insert, e.g. by a double-clicked submit or a concurrent sign-up.
    """
    validate_time_zone(time_zone)
    user = User.objects.create_user(username=username, email=email, password=password)
    Profile.objects.create(user=user, time_zone=time_zone)
    return user


def email_in_use(email: str) -> bool:
    """Whether an account has this address, case ignored (the rule the unique index enforces)."""
    return User.objects.filter(email__iexact=email.strip()).exists()


def profile_for(user: User) -> Profile:
    """The user's Profile, created with defaults if missing (users made in the admin or shell have none).

    One query when the profile exists and was not preloaded; none when it was (select_related).
    """
    try:
        # django-stubs does not know reverse one-to-one accessors on auth.User.
        return user.profile
    except Profile.DoesNotExist:
        profile, _ = Profile.objects.get_or_create(user=user)
        return profile
