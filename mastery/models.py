from __future__ import annotations

from datetime import datetime, tzinfo

from django.conf import settings
from django.contrib.auth.models import User
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.days import day_end, local_date
from courses.access import course_visible_q
from courses.models import Concept, Course
from lessons.models import Lesson
from quizzes.models import Option, Question, RecallPlan


class Mode(models.TextChoices):
    STUDY = "study", "Study"
    REVIEW = "review", "Review"
    CRAM = "cram", "Cram"


class Grade(models.IntegerChoices):
    AGAIN = 1, "Again"
    HARD = 2, "Hard"
    GOOD = 3, "Good"
    EASY = 4, "Easy"


class Level(models.IntegerChoices):
    NOT_STARTED = 0, "Not started"
    ATTEMPTED = 1, "Attempted"
    FAMILIAR = 2, "Familiar"
    PROFICIENT = 3, "Proficient"
    MASTERED = 4, "Mastered"


class AttemptQuerySet(models.QuerySet["Attempt"]):
    def scheduling(self) -> AttemptQuerySet:
        """Attempts that move the long-term schedule (cram attempts do not)."""
        return self.exclude(mode=Mode.CRAM)


class Attempt(models.Model):
    """One answer by one learner to one question."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="attempts")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.STUDY)
    grade = models.PositiveSmallIntegerField(choices=Grade.choices, null=True, blank=True)
    option = models.ForeignKey(Option, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_correct = models.BooleanField(null=True, blank=True)
    revealed = models.BooleanField(default=False, help_text="The answer was shown before the learner graded.")
    think_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="From the prompt being shown to the reveal (or the answer)."
    )
    time_taken_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="From prompt to grade or answer."
    )
    key_points_total = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Key points the question listed when the learner ticked them."
    )
    key_points_recalled = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Key points the learner ticked as recalled."
    )
    # One key per rendered form: a double click or a replayed POST carries the same key.
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["learner", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "key"], name="attempt_key_unique_per_learner"),
            models.CheckConstraint(
                condition=models.Q(grade__isnull=True) | models.Q(grade__gte=1, grade__lte=4),
                name="attempt_grade_range",
            ),
        ]
        indexes = [
            models.Index(fields=["learner", "question", "created_at"], name="attempt_learner_question")
        ]

    def __str__(self) -> str:
        return f"{self.learner} on {self.question} ({self.mode})"


def due_q(now: datetime, tz: tzinfo) -> models.Q:
    """The one definition of "due" (dashboard, Review, recall days, queues and digests).

    A card in review (an interval of a day or more) is due when its due time falls before
    the end of the learner's local today: FSRS schedules it for a day, not a minute, so
    "due today" means any time today. A card still in (re)learning steps (minutes apart,
    e.g. right after a miss) is due only once its time has come, so the count never
    includes a card the Review page would not show yet.
    """
    end = day_end(local_date(now, tz), tz)
    return models.Q(state=ReviewCard.State.REVIEW, due__lt=end) | models.Q(due__lte=now)


class ReviewCardQuerySet(models.QuerySet["ReviewCard"]):
    def of_learner(self, learner: User) -> ReviewCardQuerySet:
        """The learner's cards in courses they may still open (a course taken offline drops out)."""
        return self.filter(course_visible_q(learner, "question__course__"), learner=learner)

    def due_for(self, learner: User, now: datetime, tz: tzinfo) -> ReviewCardQuerySet:
        """The learner's due cards at `now` in time zone `tz` (see due_q): what every page counts as due."""
        return self.of_learner(learner).filter(due_q(now, tz))

    def not_due_for(self, learner: User, now: datetime, tz: tzinfo) -> ReviewCardQuerySet:
        """The learner's cards that are not due yet: the rest of their deck."""
        return self.of_learner(learner).exclude(due_q(now, tz))

    def due_changes_at(self, learner: User, now: datetime, tz: tzinfo) -> datetime:
        """When the learner's due cards (due_q) next change without a write: the end of local
        today, or sooner the moment a (re)learning card's time comes (one query)."""
        end = day_end(local_date(now, tz), tz)
        first = (
            self.of_learner(learner)
            .exclude(state=ReviewCard.State.REVIEW)
            .filter(due__gt=now, due__lt=end)
            .aggregate(first=models.Min("due"))["first"]
        )
        return min(end, first) if first is not None else end


class ReviewCard(models.Model):
    """FSRS state of one question for one learner (fields mirror fsrs.Card)."""

    # What a review changes (mastery.scheduling.review): a reviewed card is saved with these alone.
    REVIEWED_FIELDS = (
        "state",
        "step",
        "stability",
        "difficulty",
        "due",
        "last_review",
        "last_grade",
        "reps",
        "lapses",
    )
    # What reading a card's memory needs (all of it but the count of reviews): load these with
    # .only(*MEMORY_FIELDS) so that no field is fetched lazily, one query per card.
    MEMORY_FIELDS = ("question_id", *(name for name in REVIEWED_FIELDS if name != "reps"))

    class State(models.IntegerChoices):
        LEARNING = 1, "Learning"
        REVIEW = 2, "Review"
        RELEARNING = 3, "Relearning"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_cards"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="review_cards")
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField(default=timezone.now)
    last_review = models.DateTimeField(null=True, blank=True)
    last_grade = models.PositiveSmallIntegerField(
        choices=Grade.choices, null=True, blank=True, help_text="The grade FSRS saw at the last review."
    )
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)

    objects = ReviewCardQuerySet.as_manager()

    class Meta:
        ordering = ["learner", "due"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "question"], name="review_card_unique_per_learner_question"
            ),
        ]
        indexes = [models.Index(fields=["learner", "due"], name="review_card_learner_due")]

    def __str__(self) -> str:
        return f"{self.learner} / {self.question} due {self.due:%Y-%m-%d}"


class CourseMemory(models.Model):
    """How a course schedules reviews: its desired retention and its fitted FSRS-6 parameters.

    No row, or no parameters yet, means the FSRS-6 defaults (mastery.scheduling).
    """

    RETENTION_MIN = 0.70
    RETENTION_MAX = 0.97

    course = models.OneToOneField(Course, on_delete=models.CASCADE, primary_key=True, related_name="memory")
    desired_retention = models.FloatField(
        default=0.9,
        validators=[MinValueValidator(RETENTION_MIN), MaxValueValidator(RETENTION_MAX)],
        help_text=(
            "The recall probability reviews are scheduled at: 0.70 to 0.97 (higher means more reviews)."
        ),
    )
    parameters = models.JSONField(
        default=list, blank=True, help_text="Fitted FSRS-6 parameters (21 numbers); empty means the defaults."
    )
    same_day = models.JSONField(
        default=dict, blank=True, help_text="Fitted recall within a day of a review, by that review's grade."
    )
    fitted_reviews = models.PositiveIntegerField(default=0)
    fitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "course memory model"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(desired_retention__gte=0.70, desired_retention__lte=0.97),
                name="course_memory_retention_range",
            ),
        ]

    def __str__(self) -> str:
        return f"memory model of {self.course}"


class ConceptMastery(models.Model):
    """A learner's level on one concept, with the evidence that put it there."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="masteries")
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="masteries")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.NOT_STARTED)
    retrievability = models.FloatField(
        null=True,
        blank=True,
        help_text="Mean FSRS recall probability of the concept's reviewed questions, now.",
    )
    probability = models.FloatField(
        null=True,
        blank=True,
        help_text="Estimated chance of a right answer on the concept, at the last recompute.",
    )
    knowledge = models.FloatField(
        null=True, blank=True, help_text="Share of answers right while the memory is fresh."
    )
    stability = models.FloatField(null=True, blank=True, help_text="Concept memory stability, in days.")
    memory_at = models.DateTimeField(null=True, blank=True, help_text="The last attempt that counted.")
    evidence = models.JSONField(default=list, blank=True)
    explanation = models.CharField(max_length=500, blank=True)
    next_step = models.CharField(max_length=500, blank=True)
    attempts_count = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    standing = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the attempts settle (levels.Standing): the nightly refresh reads the level from it.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["learner", "concept"]
        verbose_name_plural = "concept masteries"
        constraints = [
            models.UniqueConstraint(fields=["learner", "concept"], name="mastery_unique_per_learner_concept"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} / {self.concept}: {self.get_level_display()}"


class LessonRead(models.Model):
    """A learner marked a lesson as read (it unlocks recall days that follow it)."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lessons_read"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "lesson"], name="lesson_read_unique")]

    def __str__(self) -> str:
        return f"{self.learner} read {self.lesson}"


class RecallEnrollment(models.Model):
    """A learner working through a recall week; day N falls on started_on + N (learner's time zone)."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recall_weeks"
    )
    plan = models.ForeignKey(RecallPlan, on_delete=models.CASCADE, related_name="enrollments")
    started_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "plan"], name="recall_enrollment_unique")]

    def __str__(self) -> str:
        return f"{self.learner} on {self.plan} since {self.started_on}"


class QueueItem(models.Model):
    """One entry of a learner's recall queue for one local date, built nightly (capped)."""

    class Reason(models.TextChoices):
        DUE = "due", "Due review"
        TODAY = "today", "Today's recall prompt"
        CATCH_UP = "catch_up", "Missed earlier"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_items"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    for_date = models.DateField()
    position = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=10, choices=Reason.choices)

    class Meta:
        ordering = ["learner", "for_date", "position"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "for_date", "question"], name="queue_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} {self.for_date} #{self.position}: {self.question}"


class DigestLog(models.Model):
    """The daily digest sent to a learner for a local date: at most one."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    for_date = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    due_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "for_date"], name="digest_once_per_day")]

    def __str__(self) -> str:
        return f"digest for {self.learner} on {self.for_date}"


class DashboardSnapshot(models.Model):
    """One learner's dashboard panel for one course, as last computed (mastery.snapshot).

    Refreshed by the after-attempt task, a lesson read and the nightly refresh; the page
    reads it instead of recomputing. What depends on the clock is handled at read time:
    the due count is counted live, and the forecast is redrawn when `forecast_on` (the
    learner's local date it starts on) is not today.
    """

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboard_snapshots"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveSmallIntegerField(default=0)
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    forecast_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="dashboard_snapshot_unique"),
        ]

    def __str__(self) -> str:
        return f"dashboard of {self.learner} in {self.course} at {self.computed_at:%Y-%m-%d %H:%M}"


class NightlyRun(models.Model):
    """One nightly refresh, split into chunks of learners (mastery.nightly); rerunning resumes it."""

    key = models.CharField(max_length=40, unique=True, help_text="The run's name: its UTC date by default.")
    now = models.DateTimeField(help_text="The moment every chunk of the run refreshes at.")
    chunks = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"nightly run {self.key}"


class NightlyChunk(models.Model):
    """A slice of learners of one nightly run; `done_at` is set in the transaction that refreshed them."""

    run = models.ForeignKey(NightlyRun, on_delete=models.CASCADE, related_name="chunk_rows")
    index = models.PositiveIntegerField()
    first_learner = models.PositiveIntegerField()
    last_learner = models.PositiveIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    learners = models.PositiveIntegerField(default=0)
    recomputed = models.PositiveIntegerField(default=0, help_text="Learners replayed from their attempts.")
    rows = models.PositiveIntegerField(default=0, help_text="Mastery rows whose reading changed.")
    seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="nightly_chunk_unique")]

    def __str__(self) -> str:
        return f"{self.run} chunk {self.index}"
