"""The nightly refresh (mastery.nightly, mastery.progress.mastery_refresh) and the dashboard snapshot.

The refresh reads levels, words and recall at the run's moment from what attempts settled
(levels.Standing) instead of replaying the attempts: it must give exactly the rows a full
recompute gives. A run is chunks of learners done once each: interrupted halfway, it
resumes without redoing a chunk that was done.
"""

from __future__ import annotations

import logging
import random
import re
import zoneinfo
from datetime import UTC, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import Profile
from lessons.models import Depth
from mastery import nightly
from mastery.models import Attempt, ConceptMastery, DashboardSnapshot, Grade, Mode, NightlyChunk, ReviewCard
from mastery.nightly import nightly_plan, nightly_run_here, pending_chunks
from mastery.progress import mastery_recompute, mastery_refresh
from mastery.queries import learner_dashboard
from mastery.snapshot import dashboard_read, snapshots_build
from quizzes.models import Question
from tests.factories import (
    ConceptFactory,
    ConceptIndexEntryFactory,
    CourseFactory,
    LessonFactory,
    LessonReadFactory,
    ModuleFactory,
    OptionFactory,
    QuestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
FIELDS = ("concept_id", "level", "probability", "retrievability", "explanation", "next_step", "knowledge")


def course_with_questions(concepts: int = 4) -> list[Question]:
    course = CourseFactory()
    module = ModuleFactory(course=course)
    questions = []
    for c in range(concepts):
        lesson = LessonFactory(module=module)
        concept = ConceptFactory(course=course)
        depth = [Depth.INTRODUCED, Depth.DEVELOPED, Depth.APPLIED][c % 3]
        ConceptIndexEntryFactory(concept=concept, lesson=lesson, depth=depth)
        for kind in (Question.Kind.FREE, Question.Kind.CHOICE):
            question = QuestionFactory(course=course, lesson=lesson, depth=depth, kind=kind)
            question.concepts.add(concept)
            if kind == Question.Kind.CHOICE:
                OptionFactory(question=question, is_correct=True)
                OptionFactory(question=question, is_correct=False)
                OptionFactory(question=question, is_correct=False)
            questions.append(question)
    return questions


def varied_history(learner: User, questions: list[Question], seed: int, answers: int = 40) -> None:
    """Free recall and multiple choice, right and wrong, some peeks and cram, over five weeks, with cards."""
    rng = random.Random(seed)
    rows = []
    for i in range(answers):
        question = rng.choice(questions)
        right = rng.random() < 0.7
        at = NOW - timedelta(days=35 * (answers - i) / answers, hours=rng.random() * 5)
        choice = question.kind == Question.Kind.CHOICE
        rows.append(
            Attempt(
                learner=learner,
                question=question,
                key=f"{seed}-{i}",
                mode=Mode.CRAM if rng.random() < 0.1 else Mode.STUDY,
                grade=None if choice else (Grade.GOOD if right else rng.choice([Grade.AGAIN, Grade.HARD])),
                is_correct=right if choice else None,
                revealed=not choice and rng.random() < 0.8,
                think_ms=rng.choice([1500, 6000, 12000]),
                created_at=at,
            )
        )
    Attempt.objects.bulk_create(rows)
    for question in {row.question for row in rows}:
        last = max(row.created_at for row in rows if row.question == question)
        ReviewCard.objects.create(
            learner=learner,
            question=question,
            state=ReviewCard.State.REVIEW,
            stability=rng.uniform(0.5, 30),
            difficulty=rng.uniform(2, 8),
            due=last + timedelta(days=3),
            last_review=last,
            last_grade=Grade.GOOD,
        )


def rows_of(learners: list[User]) -> list[tuple]:
    return list(
        ConceptMastery.objects.filter(learner__in=learners)
        .order_by("learner_id", "concept_id")
        .values_list("learner_id", *FIELDS)
    )


@pytest.fixture
def cohort() -> list[User]:
    questions = course_with_questions()
    learners = [UserFactory() for _ in range(5)]
    # Days are the learner's local dates: one learner far from UTC.
    Profile.objects.update_or_create(user=learners[1], defaults={"time_zone": "Pacific/Auckland"})
    for seed, learner in enumerate(learners):
        varied_history(learner, questions, seed)
    return learners


def test_refresh_gives_what_a_full_recompute_gives(cohort: list[User]) -> None:
    for learner in cohort:
        mastery_recompute(learner_id=learner.pk, now=NOW)
    later = NOW + timedelta(days=9, hours=7)

    result = mastery_refresh([learner.pk for learner in cohort], later)
    refreshed = rows_of(cohort)
    for learner in cohort:
        mastery_recompute(learner_id=learner.pk, now=later)

    assert result.recomputed == 0 and result.rows > 0
    assert refreshed == rows_of(cohort)
    # Time moved the estimates, and a level with them somewhere: the refresh is not a no-op.
    before = {row[:2]: row for row in refreshed}
    assert any(row[3] is not None for row in before.values())


def test_refresh_replays_only_the_learners_whose_rows_miss_answers(cohort: list[User]) -> None:
    for learner in cohort:
        mastery_recompute(learner_id=learner.pk, now=NOW)
    # A new answer whose after-attempt recompute was lost (broker down), and a learner with none.
    Attempt.objects.create(
        learner=cohort[0],
        question=Attempt.objects.filter(learner=cohort[0]).first().question,
        key="late",
        grade=Grade.GOOD,
        created_at=NOW + timedelta(hours=1),
    )
    ConceptMastery.objects.filter(learner=cohort[1]).delete()

    result = mastery_refresh([learner.pk for learner in cohort], NOW + timedelta(days=1))

    assert result.recomputed == 2
    refreshed = rows_of(cohort)
    for learner in cohort:
        mastery_recompute(learner_id=learner.pk, now=NOW + timedelta(days=1))
    assert refreshed == rows_of(cohort)


def every_column(learners: list[User]) -> list[tuple]:
    """Each mastery row as stored, every column but the id and the write's timestamp."""
    names = [f.attname for f in ConceptMastery._meta.concrete_fields if f.name not in ("id", "updated_at")]
    return list(
        ConceptMastery.objects.filter(learner__in=learners)
        .order_by("learner_id", "concept_id")
        .values_list(*names)
    )


def snapshots_of(learners: list[User]) -> list[tuple]:
    return list(
        DashboardSnapshot.objects.filter(learner__in=learners)
        .order_by("learner_id", "course_id")
        .values_list("learner_id", "course_id", "version", "computed_at", "forecast_on", "data")
    )


def test_the_first_night_writes_what_the_per_learner_path_writes(cohort: list[User]) -> None:
    # A learner answered in two courses, and one has a row of a concept they never answered on
    # (kept by the recompute of every concept a learner touched).
    other = course_with_questions(concepts=2)
    varied_history(cohort[2], other, seed=11, answers=15)
    untouched = other[0].concepts.get()
    ConceptMastery.objects.create(learner=cohort[3], concept=untouched)
    # The per-learner path: the after-attempt task's recompute and snapshot, one learner at a time.
    for learner in cohort:
        mastery_recompute(learner_id=learner.pk, now=NOW)
        snapshots_build([learner.pk], NOW)
    one_by_one, dashboards = every_column(cohort), snapshots_of(cohort)
    assert len({row[0] for row in one_by_one}) == len(cohort)
    # The first night after seeding or an import: no rows yet but the untouched one, chunks of
    # two learners, each replayed in one batch.
    ConceptMastery.objects.exclude(learner=cohort[3], concept=untouched).delete()
    DashboardSnapshot.objects.all().delete()

    totals = nightly_run_here(NOW, key="first", size=2)

    assert totals.recomputed == len(cohort) and totals.chunks == 3
    assert every_column(cohort) == one_by_one
    assert snapshots_of(cohort) == dashboards


def test_a_run_interrupted_halfway_resumes_without_redoing_a_chunk(
    cohort: list[User], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    later = NOW + timedelta(days=4)
    for learner in cohort:
        mastery_recompute(learner_id=learner.pk, now=NOW)
    run = nightly_plan(later, key="night", size=2)
    assert run.chunks == 3
    chunks = list(pending_chunks(run))

    # The worker dies in the middle of the second chunk, after its rows were written.
    real = nightly.snapshots_build
    calls = []

    def dying(ids: list[int], now: object) -> object:
        calls.append(ids)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real(ids, now)

    monkeypatch.setattr(nightly, "snapshots_build", dying)
    nightly.nightly_chunk(chunks[0].pk)
    with pytest.raises(SystemExit):
        nightly.nightly_chunk(chunks[1].pk)
    first_done = NightlyChunk.objects.get(pk=chunks[0].pk).done_at
    assert first_done is not None
    # The killed chunk's transaction rolled back: its learners' rows are untouched.
    killed = [u for u in cohort if chunks[1].first_learner <= u.pk <= chunks[1].last_learner]
    assert {row[2] for row in rows_of(killed)} == set(
        ConceptMastery.objects.filter(learner__in=killed).values_list("level", flat=True)
    )
    assert not ConceptMastery.objects.filter(
        learner__in=killed, updated_at__gt=NOW + timedelta(days=1)
    ).exists()

    # Resumed (the beat task run again with the same name): only the lost and untouched chunks.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="mastery.nightly"):
        totals = nightly_run_here(later, key="night")
    assert NightlyChunk.objects.get(pk=chunks[0].pk).done_at == first_done
    assert totals.done == totals.chunks == 3 and totals.learners == len(cohort)
    lines = [r.getMessage() for r in caplog.records]
    assert sum(bool(re.search(r"chunk \d/3:", line)) for line in lines) == 2
    assert "night done: 3 chunks, 5 learners" in lines[-1]

    resumed = rows_of(cohort)
    for learner in cohort:
        mastery_recompute(learner_id=learner.pk, now=later)
    assert resumed == rows_of(cohort)
    # Running the finished run again does nothing.
    assert nightly_run_here(later, key="night").done == 3


def test_nightly_task_fans_chunks_out(cohort: list[User], monkeypatch: pytest.MonkeyPatch) -> None:
    from mastery import tasks

    for learner in cohort:
        mastery_recompute(learner_id=learner.pk, now=NOW)
    monkeypatch.setattr(nightly, "CHUNK_SIZE", 2)
    # Eager in tests: the group runs in this process, chunk by chunk.
    assert tasks.nightly_mastery_decay.delay("fan").get() == 3
    assert not pending_chunks(nightly_plan(NOW, key="fan")).exists()


def test_after_a_night_each_dashboard_shows_the_refreshed_levels(cohort: list[User]) -> None:
    for learner in cohort:
        mastery_recompute(learner_id=learner.pk, now=NOW)
        snapshots_build([learner.pk], NOW)
    later = NOW + timedelta(days=20)
    before = dict(ConceptMastery.objects.values_list("pk", "level"))

    nightly_run_here(later, key="levels")

    moved = {
        learner_id
        for pk, learner_id, level in ConceptMastery.objects.values_list("pk", "learner_id", "level")
        if before[pk] != level
    }
    assert moved, "twenty days without practice move some level"
    rebuilt = set(DashboardSnapshot.objects.filter(computed_at=later).values_list("learner_id", flat=True))
    # Only the learners whose levels moved had their snapshot rebuilt overnight ...
    assert rebuilt == moved
    # ... and every dashboard the next day (forecast redrawn on read) equals the computed one.
    for learner in cohort:
        tz = Profile.objects.get(user=learner).tz if Profile.objects.filter(user=learner).exists() else UTC
        today = later.astimezone(tz).date()
        stored = dashboard_read(learner, today=today, tz=tz, now=later)
        computed = learner_dashboard(learner, today=today, tz=tz, now=later)
        assert [(c.concept.pk, c.level, c.retrievability) for p in stored.panels for c in p.cells] == [
            (c.concept.pk, c.level, c.retrievability) for p in computed.panels for c in p.cells
        ]


def test_snapshot_dashboard_equals_the_computed_one(cohort: list[User]) -> None:
    learner = cohort[1]
    tz = zoneinfo.ZoneInfo("Pacific/Auckland")
    lesson = Attempt.objects.filter(learner=learner).first().question.lesson
    LessonReadFactory(learner=learner, lesson=lesson)
    mastery_recompute(learner_id=learner.pk, now=NOW)
    snapshots_build([learner.pk], NOW)
    today = NOW.astimezone(tz).date()

    stored = dashboard_read(learner, today=today, tz=tz, now=NOW)
    computed = learner_dashboard(learner, today=today, tz=tz, now=NOW)

    def cells(board: object) -> list[tuple]:
        return [
            (c.concept.pk, c.concept.name, c.level, c.target, c.retrievability, c.attempts, c.url)
            for panel in board.panels
            for c in panel.cells
        ]

    assert cells(stored) == cells(computed)
    assert [(m.module.pk, m.read, m.total) for p in stored.panels for m in p.modules] == [
        (m.module.pk, m.read, m.total) for p in computed.panels for m in p.modules
    ]
    assert (stored.due_today, stored.streak, stored.answered_today) == (
        computed.due_today,
        computed.streak,
        computed.answered_today,
    )
    assert [w.cell.concept.pk for w in stored.weakest] == [w.cell.concept.pk for w in computed.weakest]
    assert stored.weakest == computed.weakest or all(
        (a.lessons, a.sections) == (b.lessons, b.sections)
        for a, b in zip(stored.weakest, computed.weakest, strict=True)
    )
    assert stored.forecast is not None and computed.forecast is not None
    assert [p.expected for p in stored.forecast.table] == pytest.approx(
        [p.expected for p in computed.forecast.table]
    )


def test_a_stale_forecast_or_missing_snapshot_is_rebuilt_when_read(cohort: list[User]) -> None:
    learner = cohort[0]
    mastery_recompute(learner_id=learner.pk, now=NOW)
    assert not DashboardSnapshot.objects.filter(learner=learner).exists()
    today = NOW.date()

    first = dashboard_read(learner, today=today, tz=zoneinfo.ZoneInfo("UTC"), now=NOW)
    snapshot = DashboardSnapshot.objects.get(learner=learner)
    assert first.started and snapshot.forecast_on == today

    tomorrow = NOW + timedelta(days=1)
    dashboard_read(learner, today=tomorrow.date(), tz=zoneinfo.ZoneInfo("UTC"), now=tomorrow)
    snapshot.refresh_from_db()
    assert snapshot.forecast_on == tomorrow.date() and snapshot.computed_at == tomorrow
