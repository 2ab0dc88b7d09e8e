"""Who may do what in a course: the one rule every page, link, form and the admin asks.

`course_role(user, course)` says what the user is to the course: its instructor or teaching
assistant (CourseInstructor rows, edited in the admin, optionally for one cohort), an
enrolled learner (courses.Enrollment), or nobody. A course with no staff row is taught by
every instructor, which is how every course worked before assignments existed; an
instructor is an active staff member of the Instructors group; superusers teach everything.
`can(user, action, course)` turns that into yes or no for "read", "view_cohort",
"manage_members" and "edit" (docs/courses-and-members.md has the table); the admin asks
"edit" of every course row, through `courses/access.py` `course_editable_q`, its SQL twin.

Staff (not only instructors) see unpublished courses and may open the admin: that is
Django's own staff flag, decided here too so templates and access helpers have one place
to ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, TypeAlias

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Subquery

if TYPE_CHECKING:
    from courses.models import Course

User: TypeAlias = AbstractBaseUser | AnonymousUser

INSTRUCTORS_GROUP = "Instructors"
# Memo on the user object: a page asks several times (nav, course page, cohort) for one answer.
_MEMO = "_studyhall_is_instructor"


def is_staff(user: User | None) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


def can_use_admin(user: User | None) -> bool:
    """Django's admin rule (active staff); its model permissions then decide which kinds of rows
    they may edit, and `can(user, "edit", course)` which courses' rows."""
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


class CourseRole(IntEnum):
    """What a user is to one course; each role can do what the ones below it can."""

    NONE = 0
    LEARNER = 1  # enrolled
    TA = 2
    INSTRUCTOR = 3


@dataclass(frozen=True)
class Standing:
    """A user's role in a course, and which cohort their staff role covers (None: all of them)."""

    role: CourseRole
    cohort_id: int | None = None
    enrolled: bool = False


# What each action needs. "read" is special: an open, published course is read by anyone.
ACTIONS: dict[str, CourseRole] = {
    "read": CourseRole.LEARNER,
    "view_cohort": CourseRole.TA,  # heatmap, learner pages, CSV export
    "manage_members": CourseRole.INSTRUCTOR,  # cohorts, codes, moving and adding learners
    "edit": CourseRole.INSTRUCTOR,  # the course's rows in the admin: curriculum, cohorts, staff, import
}
# Actions that change the whole course, so a role narrowed to one cohort never has them.
WHOLE_COURSE_ACTIONS = {"manage_members", "edit"}

_STANDINGS = "_studyhall_standings"  # memo on the user object: course pk → Standing


def standing_annotations(user: User) -> dict[str, Any]:
    """Expressions that, annotated on a Course queryset, carry the user's standing in the same query."""
    from accounts.models import CourseInstructor
    from courses.models import Enrollment

    staff = CourseInstructor.objects.filter(course=OuterRef("pk"))
    if not user.is_authenticated:
        return {}
    mine = staff.filter(user_id=user.pk)
    return {
        "viewer_staff_assigned": Exists(staff),
        "viewer_role": Subquery(mine.values("role")[:1]),
        "viewer_cohort": Subquery(mine.values("cohort_id")[:1]),
        "viewer_enrolled": Exists(Enrollment.objects.filter(course=OuterRef("pk"), learner_id=user.pk)),
    }


def _standing_of(
    user: User, assigned: bool, my_role: str | None, my_cohort: int | None, enrolled: bool
) -> Standing:
    from accounts.models import CourseInstructor

    if my_role == CourseInstructor.Role.INSTRUCTOR:
        return Standing(CourseRole.INSTRUCTOR, my_cohort, enrolled)
    if my_role == CourseInstructor.Role.TA:
        return Standing(CourseRole.TA, my_cohort, enrolled)
    # A course nobody is assigned to is taught by every instructor (as before assignments existed).
    if not assigned and is_instructor(user):
        return Standing(CourseRole.INSTRUCTOR, None, enrolled)
    return Standing(CourseRole.LEARNER if enrolled else CourseRole.NONE, None, enrolled)


def course_role(user: User | None, course: Course) -> Standing:
    """The user's standing in the course: no query for anonymous users, and none
    when the course came from a queryset annotated with `standing_annotations`; else one query
    (plus is_instructor's, for staff), then remembered on the user for the rest of the request."""
    if user is None or not user.is_authenticated or not getattr(user, "is_active", False):
        return Standing(CourseRole.NONE)
    memo: dict[int, Standing] = getattr(user, _STANDINGS, None) or {}
    if course.pk in memo:
        return memo[course.pk]
    if not hasattr(course, "viewer_enrolled"):
        from courses.models import Course as CourseModel

        course = (
            CourseModel.objects.filter(pk=course.pk).annotate(**standing_annotations(user)).first() or course
        )
    assigned = bool(getattr(course, "viewer_staff_assigned", False))
    my_role = getattr(course, "viewer_role", None)
    my_cohort = getattr(course, "viewer_cohort", None)
    enrolled = bool(getattr(course, "viewer_enrolled", False))
    if getattr(user, "is_superuser", False):
        standing = Standing(CourseRole.INSTRUCTOR, None, enrolled)
    else:
        standing = _standing_of(user, assigned, my_role, my_cohort, enrolled)
    memo[course.pk] = standing
    setattr(user, _STANDINGS, memo)
    return standing


def can(user: User | None, action: str, course: Course) -> bool:
    """The one permission rule for course pages, links and forms (table: docs/courses-and-members.md)."""
    needed = ACTIONS[action]  # an unknown action is a programming error, not a quiet "no"
    if action == "read":
        if not course.is_published and not can_see_drafts(user):  # type: ignore[arg-type]
            return course_role(user, course).role >= CourseRole.TA
        if course.enrollment == course.Enrollment.OPEN or can_see_drafts(user):  # type: ignore[arg-type]
            return True
    standing = course_role(user, course)
    if action in WHOLE_COURSE_ACTIONS and standing.cohort_id is not None:
        return False  # moving learners between cohorts, editing what every cohort reads
    return standing.role >= needed


def teaches(user: User, course: Course) -> bool:
    """Whether the user is on the course's staff (instructor or TA): who sees its cohort."""
    return can(user, "view_cohort", course)


def is_course_staff_anywhere(user: User) -> bool:
    """Instructors, and anyone with a course staff row (one query for a non-instructor)."""
    if is_instructor(user):
        return True
    if not user.is_authenticated:
        return False
    from accounts.models import CourseInstructor

    return CourseInstructor.objects.filter(user_id=user.pk).exists()
