"""Demo accounts for the embedded mode (`make run`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from accounts.roles import INSTRUCTORS_GROUP
from accounts.services import profile_for

CURRICULUM_APPS = ("courses", "lessons", "quizzes")
# Course settings that live with the learner model: a course's desired retention.
CURRICULUM_MODELS = (("mastery", "coursememory"),)
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
    extra = Q()
    for app_label, model in CURRICULUM_MODELS:
        extra |= Q(content_type__app_label=app_label, content_type__model=model)
    group.permissions.set(Permission.objects.filter(Q(content_type__app_label__in=CURRICULUM_APPS) | extra))
    return group


@transaction.atomic
def demo_accounts_ensure(*, reset: bool = False) -> list[tuple[DemoAccount, bool]]:
    """Create the demo instructor and student when absent, each with a Profile.

    Instructors are staff in the Instructors group. An account that exists is left as an
    admin may have edited it (password, staff flag, groups) unless `reset` is given.
    Returns each account with whether it now has the published password.
    """
    group = instructors_group_ensure()
    user_model = get_user_model()
    result: list[tuple[DemoAccount, bool]] = []
    for account in DEMO_ACCOUNTS:
        user, created = user_model.objects.get_or_create(username=account.username)
        result.append((account, created or reset))
        if not (created or reset):
            profile_for(user)
            continue
        user.email = f"{account.username}@studyhall.invalid"
        user.is_staff = account.role == "instructor"
        user.set_password(account.password)
        user.save()
        if account.role == "instructor":
            user.groups.add(group)
        # The dashboard, review queue and digests all read the learner's day from the profile.
        profile_for(user)
    return result
