"""The score at the end of a quiz run: how many right, and which concepts to revisit, where.

A run is the learner's answers to the quiz's questions in the quiz's mode since the quiz page
was opened (the page passes that moment along); the latest answer to each question counts.
Reading the score changes nothing: a readiness quiz is cramming (mode cram), whose answers
never move a review card, and the score only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Prefetch

from courses.models import Concept
from mastery.models import Attempt
from quizzes.access import section_labels
from quizzes.models import Question, Quiz


@dataclass(frozen=True)
class ScoreRow:
    question: Question
    # None: not answered in this run.
    right: bool | None
    jump_label: str


@dataclass(frozen=True)
class SectionLink:
    label: str
    url: str


@dataclass(frozen=True)
class Revisit:
    """A concept of a question answered wrong, with the sections those questions point to."""

    concept: Concept
    sections: list[SectionLink]


@dataclass(frozen=True)
class QuizScore:
    rows: list[ScoreRow]
    revisit: list[Revisit]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def answered(self) -> int:
        return sum(row.right is not None for row in self.rows)

    @property
    def unanswered(self) -> int:
        return self.total - self.answered

    @property
    def right(self) -> int:
        return sum(row.right is True for row in self.rows)

    @property
    def percent(self) -> int:
        return round(100 * self.right / self.total) if self.total else 0


def quiz_score_load(*, quiz: Quiz, learner: User, mode: str, since: datetime) -> QuizScore:
    """The learner's score on `quiz` (items loaded by get_quiz_for_user) since `since`, in three queries:
    the run's attempts, the questions' concepts, and their section labels."""
    questions = [item.question for item in quiz.items.all()]
    latest: dict[int, bool] = {}
    attempts = Attempt.objects.filter(
        learner=learner, mode=mode, question__in=questions, created_at__gte=since
    ).order_by("created_at", "id")
    for question_id, is_correct in attempts.values_list("question_id", "is_correct"):
        latest[question_id] = bool(is_correct)
    concepts = {
        question.pk: list(question.concepts.all())
        for question in Question.objects.filter(pk__in=[q.pk for q in questions]).prefetch_related(
            Prefetch("concepts", queryset=Concept.objects.select_related("course").order_by("name", "id"))
        )
    }
    labels = section_labels(questions)
    rows = [ScoreRow(question=q, right=latest.get(q.pk), jump_label=labels.get(q.pk, "")) for q in questions]
    # A quiz over several lessons has several "§2.1": name the lesson too.
    several = len({q.lesson_id for q in questions if q.lesson_id}) > 1
    revisit: dict[int, Revisit] = {}
    for row in rows:
        if row.right is not False:
            continue
        url = row.question.section_url()
        label = row.jump_label or "the lesson"
        if several and row.question.lesson is not None:
            label = f"{label} of {row.question.lesson.title}"
        for concept in concepts.get(row.question.pk, []):
            entry = revisit.setdefault(concept.pk, Revisit(concept=concept, sections=[]))
            section = SectionLink(label=label, url=url)
            if url and section not in entry.sections:
                entry.sections.append(section)
    return QuizScore(rows=rows, revisit=sorted(revisit.values(), key=lambda r: r.concept.name.lower()))
