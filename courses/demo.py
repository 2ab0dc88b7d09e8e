"""Demo accounts for the embedded mode (`make run`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.roles import INSTRUCTORS_GROUP
from accounts.services import profile_for

CURRICULUM_APPS = ("courses", "lessons", "quizzes")
__all__ = ["INSTRUCTORS_GROUP", "demo_accounts_ensure", "instructors_group_ensure"]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


DEMO_ACCOUNTS = (
    DemoAccount("instructor", "studyhall-instructor", "instructor"),
    DemoAccount("student", "studyhall-student", "student"),
)


@transaction.atomic
def instructors_group_ensure() -> Group:
    """The Instructors group, holding every permission on the curriculum apps."""
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=CURRICULUM_APPS))
    return group


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create (or reset) the demo instructor and student, each with a Profile.

    Instructors are staff in the Instructors group.
    """
    group = instructors_group_ensure()
    user_model = get_user_model()
    for account in DEMO_ACCOUNTS:
        user, _ = user_model.objects.get_or_create(username=account.username)
        user.email = f"{account.username}@studyhall.invalid"
        user.is_staff = account.role == "instructor"
        user.set_password(account.password)
        user.save()
        if account.role == "instructor":
            user.groups.add(group)
        # The dashboard, review queue and digests all read the learner's day from the profile.
        profile_for(user)
    return list(DEMO_ACCOUNTS)
