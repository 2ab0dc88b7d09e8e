"""seed_bench: the benchmark dataset at a small scale (bulk_create on SQLite, COPY on PostgreSQL)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Max
from django.utils import timezone

from accounts.models import Profile
from courses.models import Concept, Course
from lessons.models import ConceptIndexEntry, Lesson
from mastery.management.commands.seed_bench import (
    COURSE_SLUG,
    PASSWORD,
    USER_PREFIX,
    _copy_value,
    attempt_shares,
)
from mastery.models import Attempt, ConceptMastery, Level, Mode, ReviewCard
from mastery.progress import mastery_decay_all
from quizzes.models import Question
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

SMALL = {"learners": 5, "concepts": 10, "attempts": 500, "lessons": 4}


def seed(**extra: object) -> str:
    out = StringIO()
    call_command("seed_bench", **SMALL, **extra, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_seeds_course_learners_and_attempts() -> None:
    summary = seed()

    learners = User.objects.filter(username__startswith=USER_PREFIX)
    assert learners.count() == 5
    assert all(learner.check_password(PASSWORD) for learner in learners)
    assert Profile.objects.filter(user__in=learners).count() == 5
    course = Course.objects.get(slug=COURSE_SLUG)
    assert Concept.objects.filter(course=course).count() == 10
    questions = Question.objects.filter(course=course)
    per_concept = Counter(questions.values_list("concepts", flat=True))
    assert set(per_concept.values()) <= {2, 3, 4} and min(per_concept.values()) >= 2
    assert {Question.Kind.FREE, Question.Kind.CHOICE} <= set(questions.values_list("kind", flat=True))
    assert Attempt.objects.count() == 500
    assert "500 attempts" in summary


def test_lessons_are_rendered_with_sections_and_checks() -> None:
    seed()

    lessons = list(Lesson.objects.for_course(COURSE_SLUG))
    assert len(lessons) == 4
    slugs = set(Question.objects.filter(course__slug=COURSE_SLUG).values_list("slug", flat=True))
    for lesson in lessons:
        assert lesson.sections.count() >= 10
        assert 'class="highlight"' in lesson.body_html
        assert lesson.check_slugs() and set(lesson.check_slugs()) <= slugs
    assert not Question.objects.filter(course__slug=COURSE_SLUG, anchor="").exists()
    depths = set(ConceptIndexEntry.objects.filter(lesson__in=lessons).values_list("depth", flat=True))
    assert len(depths) >= 2


def test_attempts_fit_their_questions_and_end_before_today() -> None:
    seed()

    for attempt in Attempt.objects.select_related("question", "option"):
        if attempt.question.is_choice:
            assert attempt.grade is None and attempt.option is not None
            assert attempt.option.question_id == attempt.question_id
            assert attempt.is_correct == attempt.option.is_correct
        else:
            assert attempt.grade in {1, 2, 3, 4} and attempt.option is None
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert Attempt.objects.aggregate(last=Max("created_at"))["last"] < midnight
    assert Attempt.objects.values("learner", "key").distinct().count() == 500


def test_one_review_card_per_scheduled_learner_question_consistent_with_attempts() -> None:
    seed()

    scheduled: dict[tuple[int, int], list[datetime]] = {}
    for learner_id, question_id, created_at in Attempt.objects.exclude(mode=Mode.CRAM).values_list(
        "learner_id", "question_id", "created_at"
    ):
        scheduled.setdefault((learner_id, question_id), []).append(created_at)
    cards = {(c.learner_id, c.question_id): c for c in ReviewCard.objects.all()}
    assert cards.keys() == scheduled.keys()
    for pair, card in cards.items():
        assert card.reps == len(scheduled[pair])
        assert card.last_review == max(scheduled[pair])
        assert card.stability and card.difficulty
    assert ReviewCard.objects.filter(due__lte=timezone.now()).exists()


def test_refuses_to_seed_twice_and_reset_replaces_only_bench_data() -> None:
    other_course = CourseFactory.create(slug="keep-me")
    other_user = UserFactory.create(username="keep-me")
    seed()

    with pytest.raises(CommandError, match="--reset"):
        seed()
    seed(reset=True)

    assert User.objects.filter(username__startswith=USER_PREFIX).count() == 5
    assert Attempt.objects.count() == 500
    assert Course.objects.filter(pk=other_course.pk).exists()
    assert User.objects.filter(pk=other_user.pk).exists()


def test_nightly_recompute_runs_over_the_seeded_learners() -> None:
    seed()
    assert not ConceptMastery.objects.exists()

    learners = mastery_decay_all()

    with_attempts = set(Attempt.objects.values_list("learner_id", flat=True))
    assert learners == len(with_attempts)
    assert set(ConceptMastery.objects.values_list("learner_id", flat=True)) == with_attempts
    assert ConceptMastery.objects.filter(level__gt=Level.ATTEMPTED).exists()


def test_attempt_shares_split_the_total_exactly() -> None:
    shares = attempt_shares(random.Random(3), 7, 1001)

    assert sum(shares) == 1001 and len(shares) == 7
    assert len(set(shares)) > 1


def test_copy_values_are_escaped_for_postgres_text_format() -> None:
    assert _copy_value(None) == "\\N"
    assert (_copy_value(True), _copy_value(False)) == ("t", "f")
    assert _copy_value("a\tb\nc\\d") == "a\\tb\\nc\\\\d"
    assert _copy_value(3) == "3"
