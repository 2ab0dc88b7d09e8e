"""mastery_recompute / mastery_decay_all / concept_targets: rows from attempts and cards, fixed queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from courses.models import Concept, Course
from lessons.models import Depth
from mastery.models import Attempt, ConceptMastery, Grade, Level, Mode
from mastery.progress import concept_targets, mastery_decay_all, mastery_recompute, mastery_refresh
from quizzes.models import Question
from tests.factories import (
    AttemptFactory,
    ConceptFactory,
    ConceptIndexEntryFactory,
    ConceptMasteryFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    ReviewCardFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def make_concept(
    course: Course, depth: int = Depth.DEVELOPED, questions: int = 1
) -> tuple[Concept, list[Question]]:
    concept = ConceptFactory(course=course)
    lesson = LessonFactory(module=ModuleFactory(course=course))
    ConceptIndexEntryFactory(concept=concept, lesson=lesson, depth=depth)
    made = []
    for _ in range(questions):
        question = QuestionFactory(course=course, depth=depth, lesson=lesson)
        question.concepts.add(concept)
        made.append(question)
    return concept, made


def values(learner: User) -> list[tuple]:
    return list(
        ConceptMastery.objects.filter(learner=learner)
        .order_by("concept_id")
        .values_list(
            "concept_id", "level", "retrievability", "evidence", "explanation", "next_step", "attempts_count"
        )
    )


def test_concept_targets_from_the_deepest_index_entry() -> None:
    course = CourseFactory()
    applied, _ = make_concept(course, Depth.INTRODUCED)
    ConceptIndexEntryFactory(
        concept=applied, lesson=LessonFactory(module=ModuleFactory(course=course)), depth=4
    )
    mentioned, _ = make_concept(course, Depth.MENTIONED)
    untaught = ConceptFactory(course=course)

    targets = concept_targets([applied.pk, mentioned.pk, untaught.pk])

    assert targets == {applied.pk: Level.MASTERED, mentioned.pk: None, untaught.pk: None}


def test_recompute_writes_level_evidence_and_retrievability(student: User) -> None:
    concept, (question,) = make_concept(CourseFactory(), Depth.DEVELOPED)
    for days in (6, 3):
        AttemptFactory(
            learner=student, question=question, grade=Grade.GOOD, created_at=NOW - timedelta(days=days)
        )
    ReviewCardFactory(learner=student, question=question, stability=10.0, last_review=NOW - timedelta(days=3))

    assert mastery_recompute(learner_id=student.pk, now=NOW) == 1

    row = ConceptMastery.objects.get(learner=student, concept=concept)
    # Two Good self-grades three days apart on a Developed question: Proficient, though with
    # no multiple-choice results to check this learner's self-grades each counts 60 %.
    assert row.level == Level.PROFICIENT
    assert row.probability is not None and 0.7 <= row.probability < 0.85
    assert row.knowledge is not None and row.stability is not None and row.memory_at is not None
    assert row.attempts_count == 2
    assert row.retrievability is not None and 0.9 < row.retrievability < 1
    assert len(row.evidence) == 2 and row.evidence[0]["result"] == "Good"
    assert row.explanation.startswith("Proficient: We estimate")
    assert row.next_step.startswith("You have reached the target")
    assert "weighted 60%" in row.evidence[0]["why"]


def test_right_choices_make_self_grades_count_and_lift_the_level(student: User) -> None:
    course = CourseFactory()
    concept, (free, choice) = make_concept(course, Depth.DEVELOPED, questions=2)
    choice.kind = Question.Kind.CHOICE
    choice.save()
    for days in (6, 3):
        AttemptFactory(
            learner=student, question=free, grade=Grade.GOOD, created_at=NOW - timedelta(days=days)
        )
        AttemptFactory(
            learner=student,
            question=choice,
            grade=None,
            is_correct=True,
            revealed=False,
            created_at=NOW - timedelta(days=days, hours=-1),
        )

    mastery_recompute(learner_id=student.pk, now=NOW)

    row = ConceptMastery.objects.get(learner=student, concept=concept)
    assert row.level == Level.PROFICIENT
    assert row.probability is not None and row.probability >= 0.7


def test_recompute_is_idempotent(student: User) -> None:
    _concept, (question,) = make_concept(CourseFactory())
    AttemptFactory(learner=student, question=question, grade=Grade.HARD)
    ReviewCardFactory(learner=student, question=question, last_review=NOW - timedelta(days=1))

    mastery_recompute(learner_id=student.pk, now=NOW)
    first = values(student)
    mastery_recompute(learner_id=student.pk, now=NOW)

    assert values(student) == first
    assert ConceptMastery.objects.count() == 1


def test_forgetting_learner_loses_the_level_as_the_evidence_ages(student: User) -> None:
    _concept, (question,) = make_concept(CourseFactory(), Depth.INTRODUCED)
    AttemptFactory(learner=student, question=question, grade=Grade.GOOD, created_at=NOW)
    ReviewCardFactory(learner=student, question=question, stability=3.0, last_review=NOW)

    mastery_recompute(learner_id=student.pk, now=NOW)
    fresh = ConceptMastery.objects.get(learner=student)
    mastery_recompute(learner_id=student.pk, now=NOW + timedelta(days=60))
    later = ConceptMastery.objects.get(learner=student)

    assert fresh.level == Level.FAMILIAR and later.level == Level.ATTEMPTED
    assert fresh.probability is not None and later.probability is not None
    assert later.probability < fresh.probability - 0.1
    assert fresh.retrievability is not None and later.retrievability is not None
    assert later.retrievability < fresh.retrievability - 0.2


def test_cram_only_is_attempted_without_retrievability(student: User) -> None:
    concept, (question,) = make_concept(CourseFactory())
    AttemptFactory(learner=student, question=question, grade=Grade.EASY, mode=Mode.CRAM)

    mastery_recompute(learner_id=student.pk, concept_ids=[concept.pk], now=NOW)

    row = ConceptMastery.objects.get(learner=student)
    assert row.level == Level.ATTEMPTED and row.retrievability is None


def test_only_the_learners_own_attempts_count(student: User, outsider: User) -> None:
    concept, (question,) = make_concept(CourseFactory(), Depth.INTRODUCED)
    AttemptFactory(learner=outsider, question=question, grade=Grade.EASY)

    mastery_recompute(learner_id=student.pk, concept_ids=[concept.pk], now=NOW)

    row = ConceptMastery.objects.get(learner=student)
    assert row.level == Level.NOT_STARTED and row.attempts_count == 0
    assert not ConceptMastery.objects.filter(learner=outsider).exists()


def test_all_concepts_covers_existing_rows_whose_attempts_are_gone(student: User) -> None:
    concept, _questions = make_concept(CourseFactory(), Depth.INTRODUCED)
    ConceptMasteryFactory(learner=student, concept=concept, level=Level.PROFICIENT)

    assert mastery_recompute(learner_id=student.pk, now=NOW) == 1

    assert ConceptMastery.objects.get(learner=student).level == Level.NOT_STARTED


def test_nothing_to_do_writes_nothing(student: User) -> None:
    assert mastery_recompute(learner_id=student.pk, now=NOW) == 0
    assert not ConceptMastery.objects.exists()


def history(learner: User, concepts: int, attempts: int) -> list[int]:
    course = CourseFactory()
    made = [make_concept(course, Depth.DEVELOPED, questions=2) for _ in range(concepts)]
    questions = [q for _, qs in made for q in qs]
    Attempt.objects.bulk_create(
        Attempt(
            learner=learner,
            question=questions[i % len(questions)],
            grade=Grade.GOOD,
            is_correct=True,
            revealed=True,
            think_ms=9000,
            key=f"k{i}",
            created_at=NOW - timedelta(days=i),
        )
        for i in range(attempts)
    )
    for question in questions:
        ReviewCardFactory(learner=learner, question=question, last_review=NOW - timedelta(days=2))
    return [concept.pk for concept, _ in made]


@pytest.mark.parametrize(("concepts", "attempts"), [(3, 10), (60, 3000)])
def test_recompute_query_count_is_fixed(
    student: User, django_assert_num_queries, concepts: int, attempts: int
) -> None:
    ids = history(student, concepts, attempts)

    # savepoint, learner lock, links (these concepts' and the answered questions'), every
    # attempt of the learner (read once: evidence, trust and prior), profile, the courses'
    # memory models, cards, targets, upsert, release; on PostgreSQL the upsert is the
    # staging table's CREATE IF NOT EXISTS, a COPY (not a query) and one INSERT from it
    upsert = 2 if connection.vendor == "postgresql" else 1
    with django_assert_num_queries(9 + upsert):
        mastery_recompute(learner_id=student.pk, concept_ids=ids, now=NOW)
    # + the concepts the learner touched
    with django_assert_num_queries(10 + upsert):
        assert mastery_recompute(learner_id=student.pk, now=NOW) == concepts

    assert ConceptMastery.objects.filter(learner=student, level__gte=Level.ATTEMPTED).count() == concepts


@pytest.mark.parametrize("learners", [1, 4])
def test_refresh_costs_the_same_for_any_number_of_learners(django_assert_num_queries, learners: int) -> None:
    users = [UserFactory() for _ in range(learners)]
    for user in users:
        history(user, 2, 6)
        mastery_recompute(learner_id=user.pk, now=NOW)

    # The refresh of already-computed learners reads rows, newest answers, targets, question
    # links, cards, memory models and zones, and writes the moved rows in one UPDATE: the
    # same eight queries for one learner or four (mastery/nightly.py adds its own few).
    with django_assert_num_queries(8):
        assert mastery_refresh([user.pk for user in users], NOW + timedelta(days=30)).rows == 2 * learners

    decayed = ConceptMastery.objects.filter(learner__in=users)
    assert decayed.count() == 2 * learners
    assert all(row.retrievability is not None and row.retrievability < 0.9 for row in decayed)


def test_decay_all_catches_up_learners_whose_recompute_was_lost() -> None:
    # An attempt whose after-commit recompute never ran (broker down) has no mastery rows yet.
    user = UserFactory()
    history(user, 1, 3)
    ConceptMastery.objects.filter(learner=user).delete()

    assert mastery_decay_all(NOW) == 1
    assert ConceptMastery.objects.filter(learner=user).exists()
