"""The learner-model benchmark on small runs: thresholds on the metrics, never on time.

The simulation's memory is not FSRS (exponential forgetting, guessing, biased
self-graders, peeks, missed days, many time zones), and it drives the app's own
scheduler and levels. The real review log is replayed when ../shared is beside the repo.
"""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from mastery import evaluation, simulation
from mastery.management.commands.evaluate_learner_model import DEFAULT_LOG
from mastery.models import Level

SMALL = {"seed": 3, "learners": 16, "concepts": 9, "days": 21}


def by_name(rows: list[tuple[str, evaluation.Score]]) -> dict[str, evaluation.Score]:
    return dict(rows)


def test_metrics_on_known_predictions() -> None:
    perfect = evaluation.score([0.9, 0.9, 0.1, 0.1], [1, 1, 0, 0])
    assert perfect.auc == 1.0 and perfect.log_loss == pytest.approx(-__import__("math").log(0.9))
    assert evaluation.auc([0.5, 0.5], [1, 0]) == 0.5
    assert evaluation.auc([0.2, 0.8], [1, 1]) is None
    # Calibration: a bin predicting 0.9 where half succeed is 0.4 off.
    assert evaluation.score([0.9, 0.9], [1, 0]).rmse_bins == pytest.approx(0.4)
    assert evaluation.running_average(["a", "a", "b"], [1, 1, 0]) == [0.5, 0.75, 0.5]


@pytest.fixture(scope="module")
def world() -> simulation.World:
    return simulation.simulate(**SMALL)


def test_simulation_is_deterministic(world: simulation.World) -> None:
    again = simulation.simulate(**SMALL)

    assert [(e.learner, e.concept, e.outcome, e.item.created_at) for e in again.events] == [
        (e.learner, e.concept, e.outcome, e.item.created_at) for e in world.events
    ]
    assert len({learner.tz for learner in world.learners}) > 2


def test_memory_prediction_beats_the_constant_on_the_simulation(world: simulation.World) -> None:
    rows = by_name(evaluation.memory_table(evaluation.replay_memory(world.reviews, folds=2)))

    constant = rows["constant (mean success)"].log_loss
    assert rows["FSRS-6 exact time, fitted per course"].log_loss <= 0.9 * constant
    assert rows["FSRS-6 exact time, defaults"].log_loss < constant
    assert rows["app before (whole days)"].log_loss > constant  # the bug this replaced


def test_concept_probability_ranks_and_levels_are_monotone(world: simulation.World) -> None:
    zones = {learner.key: learner.tz for learner in world.learners}
    run = evaluation.replay_concepts(world.events, lambda key: zones[key])
    rows = by_name(evaluation.concept_table(run))

    model = rows["app concept probability"]
    assert model.auc is not None and model.auc >= 0.7
    assert model.log_loss <= 0.9 * rows["constant (mean success)"].log_loss
    assert model.log_loss < rows["per-learner running average"].log_loss
    rates = [(lv, n, rate) for lv, n, rate in evaluation.level_table(run) if n >= 20]
    assert [lv for lv, *_ in rates][:4] == [
        Level.ATTEMPTED,
        Level.FAMILIAR,
        Level.PROFICIENT,
        Level.MASTERED,
    ][: len(rates)]
    successes = [rate for *_, rate in rates if rate is not None]
    assert successes == sorted(successes) and len(successes) >= 3


def test_no_gaming_strategy_beats_honest_work() -> None:
    rows = {row.strategy: row for row in simulation.gaming(**SMALL)}

    honest = rows["honest"]
    assert honest.reached > 0
    for strategy, row in rows.items():
        assert row.reached <= honest.reached, strategy


def test_review_log_reader_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "log.csv"
    bad.write_text(
        "card_id,review_rating,review_time\n1,3,2024-01-01T00:00:00+00:00\n1,7,2024-01-02T00:00:00\n"
    )
    with pytest.raises(evaluation.LogError, match=r"log.csv:3: review_rating must be 1 to 4"):
        evaluation.read_review_log(bad)
    bad.write_text("card,rating\n")
    with pytest.raises(evaluation.LogError, match=r"log.csv:1: missing column"):
        evaluation.read_review_log(bad)
    with pytest.raises(evaluation.LogError, match="cannot open"):
        evaluation.read_review_log(tmp_path / "absent.csv")


@pytest.mark.skipif(
    not DEFAULT_LOG.exists() and not os.environ.get("CI"),
    reason=f"the real review log is not at {DEFAULT_LOG}",
)
def test_real_log_memory_prediction_is_at_most_0_9_of_the_constant() -> None:
    run = evaluation.replay_memory(evaluation.read_review_log(DEFAULT_LOG))
    rows = by_name(evaluation.memory_table(run))

    assert rows["app before (whole days)"].log_loss > rows["constant (mean success)"].log_loss
    assert (
        rows["FSRS-6 exact time, fitted per course"].log_loss
        <= 0.9 * rows["constant (mean success)"].log_loss
    )


@pytest.mark.django_db
def test_command_prints_the_tables_for_a_course_and_rejects_bad_input(tmp_path: Path) -> None:
    from tests.factories import AttemptFactory, ConceptFactory, CourseFactory, QuestionFactory, UserFactory

    course = CourseFactory(slug="evaluated")
    question = QuestionFactory(course=course)
    question.concepts.add(ConceptFactory(course=course))
    learner = UserFactory()
    for day in (1, 2, 5):
        AttemptFactory(learner=learner, question=question, grade=3, created_at=f"2025-01-0{day}T10:00:00Z")

    out = StringIO()
    call_command(
        "evaluate_learner_model",
        "--no-log",
        "--learners=4",
        "--concepts=3",
        "--days=6",
        "--course=evaluated",
        stdout=out,
    )
    text = out.getvalue()
    assert "Memory (retrievability) on the simulation" in text
    assert "Level before the answer -> share answered right" in text
    assert "Gaming: concepts at their curriculum target" in text
    assert "Memory (retrievability) on course evaluated's attempts" in text

    with pytest.raises(CommandError, match="No course with the slug"):
        call_command("evaluate_learner_model", "--no-log", "--no-simulation", "--course=nope")
    with pytest.raises(CommandError, match="cannot open"):
        call_command("evaluate_learner_model", f"--log={tmp_path / 'missing.csv'}", "--no-simulation")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("evaluate_learner_model", "--no-log", "--learners=0")
