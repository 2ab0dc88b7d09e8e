from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse


def content_version_seed() -> int:
    """A new course's first content version: the clock in milliseconds, not 1, so a course
    recreated under a reused id (a reset database) never meets a cache entry of its predecessor."""
    return int(time.time() * 1000)


class CourseQuerySet(models.QuerySet["Course"]):
    def published(self) -> CourseQuerySet:
        """Courses visible in the catalog."""
        return self.filter(is_published=True)


class Course(models.Model):
    class Enrollment(models.TextChoices):
        OPEN = "open", "Open: anyone may read it, signed-in learners join with one click"
        CODE = "code", "By invitation code: members only, a cohort's code lets a learner join"
        INSTRUCTOR = "instructor", "By instructor: members only, the course staff add each learner"

    class CheatSheetAccess(models.TextChoices):
        AFTER_CHECKS = "after_checks", "After the learner has answered the module's checks once"
        OPEN = "open", "At once"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    description_md = models.TextField("description (Markdown)", blank=True)
    description_html = models.TextField(blank=True, editable=False)
    is_published = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=0)
    cheat_sheet_access = models.CharField(
        "cheat sheets open",
        max_length=20,
        choices=CheatSheetAccess.choices,
        default=CheatSheetAccess.AFTER_CHECKS,
        help_text="A cheat sheet lists every answer of a module; by default a learner earns it by "
        "answering each of the module's checks once.",
    )
    enrollment = models.CharField(
        "enrolment",
        max_length=20,
        choices=Enrollment.choices,
        default=Enrollment.OPEN,
        help_text="Who may join; the rule is accounts/roles.py and docs/courses-and-members.md.",
    )
    enrollment_closed = models.BooleanField(
        "enrolment closed", default=False, help_text="No new learners may join (members keep their access)."
    )
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many enrolled learners; empty means no limit."
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by courses.content_cache on every change to the course's content; cached
    # pages are keyed by it, so a save invalidates them on every web node at once.
    content_version = models.BigIntegerField(default=content_version_seed, editable=False)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # content_version belongs to courses.content_cache, which bumps it in the database
        # (an UPDATE ... + 1) while this instance may hold an older value: a full save of
        # an existing course writes every other column, never that one back.
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "content_version"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("courses:course", args=[self.slug])

    @property
    def enrollment_label(self) -> str:
        """The mode in two or three words, for cards and chips."""
        return {"open": "Open course", "code": "By invitation code", "instructor": "By instructor"}[
            self.enrollment
        ]


class Module(models.Model):
    class Kind(models.TextChoices):
        MODULE = "module", "Module"
        WEEK = "week", "Week"
        PART = "part", "Part"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MODULE)
    order = models.PositiveIntegerField(default=0)
    goal = models.TextField(blank=True)
    status = models.CharField(
        max_length=80, blank=True, help_text='Free-text state, e.g. "Complete" or "In progress".'
    )
    planned_lessons = models.PositiveIntegerField(
        default=0, help_text="How many lessons the module will have; 0 means the lessons it has now."
    )
    record_md = models.TextField(
        "module record (Markdown)", blank=True, help_text="Key mental models and other notes on the module."
    )
    record_html = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["course", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="module_slug_unique_per_course"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:module", args=[self.course.slug, self.slug])

    def status_counts(self, lessons: list | None = None) -> tuple[int, int]:
        """(built, planned): a lesson counts as built when it has a body."""
        lessons = list(self.lessons.all()) if lessons is None else lessons
        built = sum(1 for lesson in lessons if lesson.is_built)
        planned = max(self.planned_lessons, len(lessons))
        return built, planned

    def status_label(self) -> str:
        built, planned = self.status_counts()
        label = f"{built} of {planned} lessons built"
        return f"{self.status} ({label})" if self.status else label


class ConceptQuerySet(models.QuerySet["Concept"]):
    def with_deepest(self) -> models.QuerySet[Any]:  # concepts with `deepest` (stubs cannot say so)
        """Each concept with `deepest`, the depth of its deepest concept-index entry (None: no entry).

        In name order, then id: the aggregate makes this a GROUP BY query, and Django drops
        Meta.ordering from those, so without the order spelled out PostgreSQL returns any order
        (the dashboard's cells, its snapshot and the cohort's columns must agree).
        """
        return self.annotate(deepest=models.Max("index_entries__depth")).order_by("course_id", "name", "id")


class Concept(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="concepts")
    slug = models.SlugField(max_length=100)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)

    objects = ConceptQuerySet.as_manager()

    class Meta:
        ordering = ["course", "name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="concept_slug_unique_per_course"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("courses:concept", args=[self.course.slug, self.slug])


class Cohort(models.Model):
    """A group of a course's learners that its staff manage; its code lets a learner join it."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=120)
    code = models.CharField(
        max_length=32,
        unique=True,
        null=True,
        blank=True,
        help_text="Invitation code (letters and digits, case does not matter); empty means no code.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="cohort_name_unique_per_course"),
        ]

    def __str__(self) -> str:
        return f"{self.course} / {self.name}"


class Enrollment(models.Model):
    """A learner's membership of a course: when, how, and in which cohort."""

    class Via(models.TextChoices):
        OPEN = "open", "Joined an open course"
        CODE = "code", "Invitation code"
        INSTRUCTOR = "instructor", "Added by course staff"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    cohort = models.ForeignKey(
        Cohort, on_delete=models.SET_NULL, null=True, blank=True, related_name="enrollments"
    )
    via = models.CharField(max_length=20, choices=Via.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="one_enrollment_per_course"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.course}"
