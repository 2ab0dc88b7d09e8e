from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models

from courses.models import Concept, Course
from lessons.models import Lesson
from quizzes.models import Question


class SearchEntry(models.Model):
    """One searchable thing: a lesson section, a concept or a question's prompt.

    Rebuilt per course by search.indexing; its text is plain (tags stripped) and never holds
    an answer, an option's correctness, a key point or an explanation. PostgreSQL keeps the
    weighted tsvector in `document` (GIN-indexed); SQLite keeps an FTS5 table search_fts
    in step through triggers (see migration 0002). The column is inert on SQLite.
    """

    class Kind(models.TextChoices):
        SECTION = "section", "Section"
        CONCEPT = "concept", "Concept"
        QUESTION = "question", "Question"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The source rows, so a deleted lesson, concept or question takes its entries along.
    lesson = models.ForeignKey(Lesson, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    concept = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=400)
    context = models.CharField(max_length=700, help_text="Course, module and lesson, shown under the hit.")
    url = models.CharField(max_length=500)
    body = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0, help_text="Course order, to break rank ties.")
    document = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name_plural = "search entries"
        indexes = [models.Index(fields=["course", "kind"])]

    def __str__(self) -> str:
        return self.title
