from __future__ import annotations

import zoneinfo
from datetime import date, datetime, tzinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.days import local_date


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Berlin, America/New_York).")


class Profile(models.Model):
    """Per-learner settings; days, streaks and the daily queue follow `time_zone`."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    daily_cap = models.PositiveSmallIntegerField(
        default=20, help_text="At most this many recall prompts and reviews a day, catch-up included."
    )
    digest_enabled = models.BooleanField(default=True, help_text="Email me a short digest of what is due.")
    # Set when the learner deleted their account: the user row stays as an anonymous
    # placeholder so cohort statistics keep their answers (accounts/services.py account_delete).
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(daily_cap__gte=1, daily_cap__lte=500), name="daily_cap_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def tz(self) -> tzinfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def local_now(self) -> datetime:
        return timezone.now().astimezone(self.tz)

    def local_today(self) -> date:
        return local_date(timezone.now(), self.tz)


class CourseInstructor(models.Model):
    """A member of a course's staff: an instructor or a teaching assistant, for the whole
    course or one cohort. A course with no staff row is taught by every instructor.

    The rule is accounts/roles.py (`course_role`, `can`); this table is only its data.
    """

    class Role(models.TextChoices):
        INSTRUCTOR = "instructor", "Instructor"
        TA = "ta", "Teaching assistant"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teaching")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="instructor_rows")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.INSTRUCTOR)
    cohort = models.ForeignKey(
        "courses.Cohort",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="staff_rows",
        help_text="Only this cohort's learners; empty means every learner of the course.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="one_assignment_per_course")]
        verbose_name = "course staff member"
        verbose_name_plural = "course staff"

    def __str__(self) -> str:
        scope = f" ({self.cohort.name})" if self.cohort_id and self.cohort else ""
        return f"{self.user}: {self.get_role_display()} of {self.course}{scope}"

    def clean(self) -> None:
        if self.cohort_id and self.course_id and self.cohort and self.cohort.course_id != self.course_id:
            raise ValidationError({"cohort": "That cohort belongs to another course."})
