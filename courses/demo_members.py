"""The demo's membership (`make run`): the demo student in a small cohort of the demo course,
taught by the demo instructor. Idempotent; the demo history (answers) is courses/demo.py's."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import CourseInstructor
from courses.demo_history import DEMO_LEARNERS
from courses.enrollment import enrol_by_staff
from courses.models import Cohort, Course

DEMO_COHORT = "Demo cohort"
DEMO_CODE = "DEMO2345"  # published with the demo passwords: the embedded mode only


@transaction.atomic
def demo_members_ensure() -> Cohort | None:
    """Enrol the demo learners in the demo course's cohort and make the demo instructor its staff.

    Returns the cohort, or None when the demo course or accounts are absent.
    """
    course = Course.objects.filter(slug=settings.DEMO_COURSE_SLUG).first()
    users = {
        user.username: user
        for user in get_user_model().objects.filter(
            username__in=["instructor", *(learner.username for learner in DEMO_LEARNERS)]
        )
    }
    if course is None or "instructor" not in users:
        return None
    cohort, _ = Cohort.objects.get_or_create(course=course, name=DEMO_COHORT, defaults={"code": DEMO_CODE})
    CourseInstructor.objects.get_or_create(
        user=users["instructor"], course=course, defaults={"role": CourseInstructor.Role.INSTRUCTOR}
    )
    # The demo student and the classmates courses/demo_history.py wrote (when it ran).
    for learner in DEMO_LEARNERS:
        if learner.username in users:
            enrol_by_staff(users[learner.username], course, cohort)
    return cohort
