from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import models
from django.db.models.functions import Length, Trim
from django.urls import reverse

from courses.models import Concept, Module

# The renderer leaves this marker where a check (an embedded question) goes; the
# lesson page swaps each marker for the check's form at request time.
CHECK_MARKER_RE = re.compile(r"<!--check:([a-z0-9_-]+)-->")


class Depth(models.IntegerChoices):
    MENTIONED = 1, "Mentioned"
    INTRODUCED = 2, "Introduced"
    DEVELOPED = 3, "Developed"
    APPLIED = 4, "Applied"


class LessonQuerySet(models.QuerySet["Lesson"]):
    def for_course(self, course_slug: str) -> LessonQuerySet:
        """Lessons of one course, in module then lesson order."""
        return self.filter(module__course__slug=course_slug).order_by("module__order", "order")

    def built(self) -> LessonQuerySet:
        """Lessons with a body (Lesson.is_built in SQL; a body of spaces alone is not one)."""
        return self.annotate(_body_length=Length(Trim("body_md"))).filter(_body_length__gt=0)


class Lesson(models.Model):
    class Kind(models.TextChoices):
        BUILD = "BUILD", "Build"
        STRETCH = "STRETCH", "Stretch"
        CONSOLIDATE = "CONSOLIDATE", "Consolidate"

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.BUILD)
    order = models.PositiveIntegerField(default=0)
    kicker = models.CharField(
        max_length=120, blank=True, help_text='A short label above the title, e.g. "FOUNDATIONS".'
    )
    summary = models.TextField(blank=True)
    read_minutes = models.PositiveIntegerField(default=0, help_text="0 means: estimate from the body.")
    difficulty = models.CharField(max_length=60, blank=True)
    body_md = models.TextField("body (Markdown)", blank=True)
    body_html = models.TextField(blank=True, editable=False)
    toc = models.JSONField(default=list, blank=True, editable=False)
    # The lesson record: what an instructor keeps about how the lesson teaches.
    concepts_taught_md = models.TextField(
        "concepts taught (Markdown)",
        blank=True,
        help_text="The record's own wording of what the lesson teaches (the concept index stays the source "
        "of truth for concepts and depths).",
    )
    concepts_taught_html = models.TextField(blank=True, editable=False)
    mental_models_md = models.TextField("mental models (Markdown)", blank=True)
    mental_models_html = models.TextField(blank=True, editable=False)
    analogies_md = models.TextField("analogies (Markdown)", blank=True)
    analogies_html = models.TextField(blank=True, editable=False)
    how_taught_md = models.TextField("how it is taught (Markdown)", blank=True)
    how_taught_html = models.TextField(blank=True, editable=False)
    not_covered_md = models.TextField("not covered (Markdown)", blank=True)
    not_covered_html = models.TextField(blank=True, editable=False)
    notebook = models.CharField(max_length=300, blank=True, help_text="Notebook file name or link.")
    notebook_about = models.TextField(blank=True, help_text="What the notebook has the learner do.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["module", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["module", "slug"], name="lesson_slug_unique_per_module"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lessons:lesson", args=[self.module.course.slug, self.module.slug, self.slug])

    @property
    def is_built(self) -> bool:
        return bool(self.body_md.strip())

    def estimated_minutes(self) -> int:
        if self.read_minutes:
            return self.read_minutes
        words = len(self.body_md.split())
        return max(1, round(words / 200))

    def check_slugs(self) -> list[str]:
        """Slugs of the questions embedded in the rendered body, in reading order."""
        return CHECK_MARKER_RE.findall(self.body_html)

    def body_parts(self) -> list[BodyPart]:
        """The stored HTML cut at each check marker: html, check, html, check, ..."""
        parts: list[BodyPart] = []
        pos = 0
        for match in CHECK_MARKER_RE.finditer(self.body_html):
            parts.append(BodyPart(html=self.body_html[pos : match.start()], check_slug=""))
            parts.append(BodyPart(html="", check_slug=match.group(1)))
            pos = match.end()
        parts.append(BodyPart(html=self.body_html[pos:], check_slug=""))
        return [part for part in parts if part.html.strip() or part.check_slug]


@dataclass(frozen=True)
class BodyPart:
    html: str
    check_slug: str


class Section(models.Model):
    """A numbered heading of a lesson body (§2.3), rebuilt whenever the body is rendered."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="sections")
    number = models.CharField(max_length=20, help_text='"2.3"; empty for an unnumbered, named section.')
    anchor = models.CharField(max_length=80)
    title = models.CharField(max_length=300)
    level = models.PositiveSmallIntegerField(default=2)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["lesson", "order"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "anchor"], name="section_anchor_unique_per_lesson"),
        ]

    def __str__(self) -> str:
        return f"§{self.number} {self.title}" if self.number else self.title

    def get_absolute_url(self) -> str:
        return f"{self.lesson.get_absolute_url()}#{self.anchor}"

    @property
    def label(self) -> str:
        return f"§{self.number}" if self.number else self.title


class ConceptIndexEntryQuerySet(models.QuerySet["ConceptIndexEntry"]):
    def with_relations(self) -> ConceptIndexEntryQuerySet:
        """Entries with their concept and lesson (and its module and course) loaded."""
        return self.select_related("concept", "lesson__module__course")


class ConceptIndexEntry(models.Model):
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="index_entries")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="index_entries")
    depth = models.PositiveSmallIntegerField(choices=Depth.choices, default=Depth.INTRODUCED)
    notes = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    objects = ConceptIndexEntryQuerySet.as_manager()

    class Meta:
        ordering = ["lesson", "order", "id"]
        verbose_name_plural = "concept index entries"
        constraints = [
            models.UniqueConstraint(
                fields=["concept", "lesson"], name="index_entry_unique_per_concept_lesson"
            ),
            models.CheckConstraint(
                condition=models.Q(depth__gte=1, depth__lte=4), name="index_entry_depth_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concept} — {self.get_depth_display()} in {self.lesson}"
