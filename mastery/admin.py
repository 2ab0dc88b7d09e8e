"""Admin for learner records: attempts, review cards and mastery are looked at, not typed in.

They are written by the services (attempts, reviews) and by the mastery recompute, so
the admin shows them read-only; deleting stays possible for support requests.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from courses.authoring import CourseScopedAdmin
from mastery.models import Attempt, ConceptMastery, CourseMemory, ReviewCard


class ReadOnlyAdmin(CourseScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    course_path = "question__course__"
    list_display = (
        "created_at",
        "learner",
        "question",
        "mode",
        "grade",
        "is_correct",
        "revealed",
        "think_ms",
    )
    list_filter = ("mode", "grade", "is_correct", "revealed", "question__course")
    search_fields = ("learner__username", "question__slug")
    list_select_related = ("learner", "question")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)


@admin.register(ReviewCard)
class ReviewCardAdmin(ReadOnlyAdmin):
    course_path = "question__course__"
    list_display = ("learner", "question", "state", "due", "stability", "difficulty", "reps", "lapses")
    list_filter = ("state", "question__course")
    search_fields = ("learner__username", "question__slug")
    list_select_related = ("learner", "question")
    ordering = ("due",)


@admin.register(ConceptMastery)
class ConceptMasteryAdmin(ReadOnlyAdmin):
    course_path = "concept__course__"
    list_display = ("learner", "concept", "level", "retrievability", "attempts_count", "last_attempt_at")
    list_filter = ("level", "concept__course")
    search_fields = ("learner__username", "concept__name", "concept__slug")
    list_select_related = ("learner", "concept")
    ordering = ("learner", "concept")


@admin.register(CourseMemory)
class CourseMemoryAdmin(CourseScopedAdmin):
    """Instructors set the desired retention; the parameters are fitted nightly, never typed in."""

    course_path = "course__"

    list_display = ("course", "desired_retention", "fitted_reviews", "fitted_at")
    fields = ("course", "desired_retention", "fitted_reviews", "fitted_at", "parameters", "same_day")
    readonly_fields = ("fitted_reviews", "fitted_at", "parameters", "same_day")
