"""Writes for accounts: creating a learner and making sure every user has a Profile."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import CourseInstructor, Profile, validate_time_zone


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


DELETED_USERNAME = "deleted-{pk}"


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Remove a learner's personal data; their answers stay, anonymous, in cohort statistics.

    The user row becomes a placeholder that names no one (username from its id, no email,
    no name, no usable password, inactive, no groups), so each answer still counts once per
    learner in first-attempt correctness. What describes the person's own study (review
    cards, levels, queue, recall weeks, lessons read, digests, course assignments) is
    deleted. Existing sessions stop working: Django checks each session against the
    password hash, which changes here.
    """
    from mastery.models import ConceptMastery, DigestLog, LessonRead, QueueItem, RecallEnrollment, ReviewCard

    locked = User.objects.select_for_update().get(pk=user.pk)
    for model in (ReviewCard, ConceptMastery, QueueItem, RecallEnrollment, LessonRead, DigestLog):
        model.objects.filter(learner=locked).delete()
    CourseInstructor.objects.filter(user=locked).delete()
    locked.groups.clear()
    locked.user_permissions.clear()
    locked.username = DELETED_USERNAME.format(pk=locked.pk)
    locked.email = ""
    locked.first_name = ""
    locked.last_name = ""
    locked.is_active = False
    locked.is_staff = False
    locked.is_superuser = False
    locked.last_login = None
    locked.set_unusable_password()
    locked.save()
    Profile.objects.update_or_create(
        user=locked,
        defaults={"time_zone": "UTC", "daily_cap": 20, "digest_enabled": False, "deleted_at": timezone.now()},
    )
