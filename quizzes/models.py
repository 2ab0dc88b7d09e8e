from __future__ import annotations

import hashlib

from django.db import models
from django.urls import reverse

from courses.models import Concept, Course, Module
from lessons.models import Depth, Lesson


class QuestionQuerySet(models.QuerySet["Question"]):
    def with_relations(self) -> QuestionQuerySet:
        """Questions with lesson, options and concepts loaded for display."""
        return self.select_related("lesson__module__course").prefetch_related("options", "concepts")


class Question(models.Model):
    class Kind(models.TextChoices):
        FREE = "free", "Free recall (self-graded)"
        CHOICE = "choice", "Multiple choice"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    slug = models.SlugField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FREE)
    prompt_md = models.TextField("prompt (Markdown)")
    prompt_html = models.TextField(blank=True, editable=False)
    answer_md = models.TextField("model answer (Markdown)", blank=True)
    answer_html = models.TextField(blank=True, editable=False)
    explanation_md = models.TextField(
        "explanation (Markdown)", blank=True, help_text="Why the answer is right."
    )
    explanation_html = models.TextField(blank=True, editable=False)
    key_points = models.TextField(
        blank=True,
        help_text="Free recall: the points a full answer covers, one per line. The learner ticks "
        "the ones they recalled and the share recalled becomes the grade.",
    )
    shuffle_options = models.BooleanField(
        default=True,
        help_text="Multiple choice: show the options in a stable per-learner order. Untick to pin "
        'the authored order (e.g. for "all of the above").',
    )
    concepts = models.ManyToManyField(Concept, blank=True, related_name="questions")
    depth = models.PositiveSmallIntegerField(
        choices=Depth.choices,
        default=Depth.INTRODUCED,
        help_text="The depth of understanding the question tests.",
    )
    lesson = models.ForeignKey(
        Lesson,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        help_text="The lesson whose section answers the question.",
    )
    section_ref = models.CharField(
        max_length=80,
        blank=True,
        help_text='Where the answer is taught, as written: "§2.1", "§3.1-§3.2", "ELI5".',
    )
    anchor = models.CharField(
        max_length=80, blank=True, editable=False, help_text="Resolved from section_ref."
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["course", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="question_slug_unique_per_course"),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_choice(self) -> bool:
        return self.kind == self.Kind.CHOICE

    def key_point_list(self) -> list[str]:
        """The key points under the model answer, in the author's order (blank lines dropped)."""
        return [line.strip() for line in self.key_points.splitlines() if line.strip()]

    def options_for(self, learner_id: int | None) -> list[Option]:
        """The options in the order this learner sees them (uses the prefetched options): option_order."""
        options = {option.pk: option for option in self.options.all()}
        return [
            options[pk]
            for pk in option_order(learner_id, self.pk, list(options), shuffle=self.shuffle_options)
        ]

    def section_url(self) -> str:
        """Link to the section that answers the question ("jump to §2.3"), or ""."""
        if self.lesson is None:
            return ""
        url = self.lesson.get_absolute_url()
        return f"{url}#{self.anchor}" if self.anchor else url

    def reveal_url(self) -> str:
        return reverse("quizzes:reveal", args=[self.course.slug, self.slug])

    def answer_url(self) -> str:
        return reverse("quizzes:answer", args=[self.course.slug, self.slug])

    def grade_url(self) -> str:
        return reverse("quizzes:grade", args=[self.course.slug, self.slug])


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["question", "order", "id"]
        constraints = [
            # At most one correct option per question in the database; "at least one"
            # for multiple choice is checked by Question validation and the importer.
            models.UniqueConstraint(
                fields=["question"],
                condition=models.Q(is_correct=True),
                name="one_correct_option_per_question",
            ),
            models.UniqueConstraint(fields=["question", "order"], name="option_order_unique_per_question"),
        ]

    def __str__(self) -> str:
        return self.text


class QuizQuerySet(models.QuerySet["Quiz"]):
    def readiness(self) -> QuizQuerySet:
        """Readiness quizzes (cram practice before a test)."""
        return self.filter(kind=Quiz.Kind.READINESS)

    def for_module(self, module: Module) -> QuizQuerySet:
        """Quizzes of a module: set on the quiz, through its lesson, or, when the quiz names
        neither, through the lessons its questions point to (an imported explainer's quiz)."""
        return self.filter(
            models.Q(module=module)
            | models.Q(lesson__module=module)
            | models.Q(module__isnull=True, lesson__isnull=True, items__question__lesson__module=module)
        ).distinct()

    def for_lesson(self, lesson: Lesson) -> QuizQuerySet:
        """Quizzes of a lesson: set on the quiz or, when the quiz names no lesson or module,
        through the lesson its questions point to."""
        return self.filter(
            models.Q(lesson=lesson)
            | models.Q(module__isnull=True, lesson__isnull=True, items__question__lesson=lesson)
        ).distinct()


class Quiz(models.Model):
    class Kind(models.TextChoices):
        LESSON_CHECK = "lesson_check", "Lesson check"
        READINESS = "readiness", "Readiness quiz"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="quizzes")
    module = models.ForeignKey(
        Module, null=True, blank=True, on_delete=models.CASCADE, related_name="quizzes"
    )
    lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.CASCADE, related_name="quizzes"
    )
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.READINESS)
    intro_md = models.TextField("introduction (Markdown)", blank=True)
    intro_html = models.TextField(blank=True, editable=False)
    questions: models.ManyToManyField[Question, QuizItem] = models.ManyToManyField(
        Question, through="QuizItem", related_name="quizzes"
    )

    objects = QuizQuerySet.as_manager()

    class Meta:
        ordering = ["course", "title"]
        verbose_name_plural = "quizzes"
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="quiz_slug_unique_per_course"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("quizzes:quiz", args=[self.course.slug, self.slug])


class QuizItem(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="quiz_items")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["quiz", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "question"], name="quiz_item_unique_question"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz} #{self.order}: {self.question}"


class RecallPlan(models.Model):
    """A week of daily recall: days, each with prompts that point back to sections."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="recall_plans")
    module = models.ForeignKey(
        Module, null=True, blank=True, on_delete=models.CASCADE, related_name="recall_plans"
    )
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    intro_md = models.TextField("introduction (Markdown)", blank=True)
    intro_html = models.TextField(blank=True, editable=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["course", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="recall_plan_slug_unique_per_course"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("quizzes:recall", args=[self.course.slug, self.slug])


class RecallDay(models.Model):
    plan = models.ForeignKey(RecallPlan, on_delete=models.CASCADE, related_name="days")
    name = models.CharField(max_length=60, help_text='"Monday", "Weekend", "Day 1".')
    order = models.PositiveIntegerField(default=0)
    unlock_note = models.CharField(
        max_length=300, blank=True, help_text='When the day opens, as written: "after chapters 1-2".'
    )
    unlock_lessons = models.ManyToManyField(
        Lesson, blank=True, related_name="unlocks_recall_days", help_text="Lessons to read before this day."
    )

    class Meta:
        ordering = ["plan", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "order"], name="recall_day_order_unique_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.name}"


class RecallPrompt(models.Model):
    day = models.ForeignKey(RecallDay, on_delete=models.CASCADE, related_name="prompts")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="recall_prompts")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["day", "order"], name="recall_prompt_order_unique_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} #{self.order}"


def option_order(
    learner_id: int | None, question_id: int, option_ids: list[int], *, shuffle: bool
) -> list[int]:
    """A question's option ids in the order this learner sees them.

    Decided on the server from a hash of learner, question and option, so the order is
    the same on every page and every visit for one learner, differs between learners,
    and puts the correct option in each position equally often across questions:
    neither the authored order nor "press 1" gives the answer away. Visitors share
    one order per question, shuffled the same way. shuffle=False (the question's
    shuffle_options) pins the authored order (for "all of the above" and the like).
    """
    if not shuffle:
        return list(option_ids)
    seed = f"{learner_id if learner_id is not None else 'visitor'}:{question_id}"
    return sorted(option_ids, key=lambda pk: hashlib.sha256(f"{seed}:{pk}".encode()).digest())
