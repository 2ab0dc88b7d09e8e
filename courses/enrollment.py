"""Joining a course, and the staff's side of membership: the one place enrolment is decided.

A course's `enrollment` mode says who may join (open / by invitation code / by instructor),
`enrollment_closed` and `capacity` may stop new joins. Each refusal is an `EnrollmentRefused`
with the status and the sentence the learner sees (views answer it as a 4xx, never a 500).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from courses.models import Cohort, Course, Enrollment

# Codes avoid letters and digits that read alike (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class EnrollmentRefused(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def normalize_code(code: str) -> str:
    """Codes are typed by people: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_code() -> str:
    """A fresh invitation code no cohort uses (one query per try; collisions are rare)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Cohort.objects.filter(code=code).exists():
            return code


def cohort_for_code(code: str, course: Course | None = None) -> Cohort:
    """The cohort whose invitation code this is (in `course`, when given); 400 otherwise."""
    normalized = normalize_code(code)
    if not normalized:
        raise EnrollmentRefused("Enter the invitation code your instructor gave you.")
    cohort = Cohort.objects.select_related("course").filter(code=normalized).first()
    if cohort is None or (course is not None and cohort.course_id != course.pk):
        raise EnrollmentRefused(
            "That invitation code does not open this course. Check it with your instructor."
            if course is not None
            else "No course has that invitation code. Check it with your instructor."
        )
    return cohort


@dataclass(frozen=True)
class Joined:
    enrollment: Enrollment
    created: bool


def _place_left(course: Course) -> None:
    if course.enrollment_closed:
        raise EnrollmentRefused(f"Enrolment in {course.title} is closed.", status=403)
    if course.capacity is not None:
        # Locked so two learners cannot both take the last place.
        Course.objects.select_for_update().filter(pk=course.pk).first()
        if Enrollment.objects.filter(course=course).count() >= course.capacity:
            raise EnrollmentRefused(
                f"{course.title} is full: all {course.capacity} places are taken.", status=409
            )


def enrol_self(user: User, course: Course, code: str = "") -> Joined:
    """A learner joins a course: open courses at once, code courses with a cohort's code.

    Joining again is not an error (the existing enrolment is returned); a code given for a
    course the learner is already in moves them into that cohort.
    """
    existing = Enrollment.objects.filter(learner=user, course=course).first()
    if course.enrollment == Course.Enrollment.INSTRUCTOR:
        if existing:
            return Joined(existing, False)
        raise EnrollmentRefused(
            f"{course.title} is joined through its instructors: ask them to add you.", status=403
        )
    if existing and not code.strip():
        return Joined(existing, False)
    cohort = None
    if course.enrollment == Course.Enrollment.CODE or code.strip():
        cohort = cohort_for_code(code, course)
    if existing:
        if cohort is not None and existing.cohort_id != cohort.pk:
            existing.cohort = cohort
            existing.save(update_fields=["cohort"])
        return Joined(existing, False)
    via = Enrollment.Via.CODE if cohort is not None else Enrollment.Via.OPEN
    return _create(user, course, cohort, via)


def enrol_by_staff(user: User, course: Course, cohort: Cohort | None) -> Joined:
    """Course staff add a learner (any mode; closed and full still apply), or move them."""
    if cohort is not None and cohort.course_id != course.pk:
        raise EnrollmentRefused("That cohort belongs to another course.")
    existing = Enrollment.objects.filter(learner=user, course=course).first()
    if existing:
        if existing.cohort_id != (cohort.pk if cohort else None):
            existing.cohort = cohort
            existing.save(update_fields=["cohort"])
        return Joined(existing, False)
    return _create(user, course, cohort, Enrollment.Via.INSTRUCTOR)


def _create(user: User, course: Course, cohort: Cohort | None, via: str) -> Joined:
    try:
        with transaction.atomic():
            _place_left(course)
            enrollment = Enrollment.objects.create(learner=user, course=course, cohort=cohort, via=via)
    except IntegrityError:  # the same learner joining twice at once: the other request won
        return Joined(Enrollment.objects.get(learner=user, course=course), False)
    return Joined(enrollment, True)
