"""Who is an instructor of what: the one rule every page, link and the admin asks.

Today a course is taught by its assigned instructors (CourseInstructor rows, edited in the
admin); a course with none assigned is taught by every instructor, which is how every
course worked before assignments existed. An instructor is an active staff member of the
Instructors group; superusers teach everything. Course staff roles per course (a later
issue) replace the body of `teaches` and nothing else has to change.

Staff (not only instructors) see unpublished courses and may open the admin: that is
Django's own staff flag, decided here too so templates and access helpers have one place
to ask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q

if TYPE_CHECKING:
    from courses.models import Course

User: TypeAlias = AbstractBaseUser | AnonymousUser

INSTRUCTORS_GROUP = "Instructors"
# Memo on the user object: a page asks several times (nav, course page, cohort) for one answer.
_MEMO = "_studyhall_is_instructor"


def is_staff(user: User | None) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


def can_use_admin(user: User | None) -> bool:
    """Django's admin rule (active staff); its model permissions then decide what they may edit."""
    return is_staff(user)


def can_see_drafts(user: User) -> bool:
    """Unpublished courses are visible to staff only (no query: the flag is on the user)."""
    return bool(getattr(user, "is_staff", False))


def is_instructor(user: User) -> bool:
    """Superusers, and active staff in the Instructors group (one query, once per request)."""
    if not user.is_authenticated or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    if not getattr(user, "is_staff", False):
        return False  # learners never pay for the group query
    memo = getattr(user, _MEMO, None)
    if memo is None:
        memo = user.groups.filter(name=INSTRUCTORS_GROUP).exists()  # type: ignore[attr-defined]
        setattr(user, _MEMO, memo)
    return bool(memo)


def teaches(user: User, course: Course) -> bool:
    """Whether the user is an instructor of this course (one more query for a non-superuser)."""
    if not is_instructor(user):
        return False
    if getattr(user, "is_superuser", False):
        return True
    from accounts.models import CourseInstructor

    counts = CourseInstructor.objects.filter(course=course).aggregate(
        assigned=Count("pk"), mine=Count("pk", filter=Q(user_id=user.pk))
    )
    return counts["assigned"] == 0 or counts["mine"] > 0
