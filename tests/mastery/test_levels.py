"""The mastery model on constructed histories: new, steady, forgetting, peeking, cramming learners."""

from __future__ import annotations

import zoneinfo
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from lessons.models import Depth
from mastery.levels import (
    TRUST_UNKNOWN,
    EvidenceItem,
    GradeRecord,
    assess,
    count_item,
    learner_prior,
    recent_accuracy,
    self_grade_trust,
    target_for_depth,
)
from mastery.models import Grade, Level, Mode

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def attempt(
    day: float,
    *,
    depth: int = Depth.INTRODUCED,
    grade: int | None = Grade.GOOD,
    is_correct: bool | None = None,
    kind: str = "free",
    mode: str = Mode.STUDY,
    revealed: bool = True,
    think_ms: int | None = 12_000,
) -> EvidenceItem:
    return EvidenceItem(
        depth=depth,
        kind=kind,
        mode=mode,
        grade=grade,
        is_correct=is_correct,
        revealed=revealed,
        think_ms=think_ms,
        created_at=START + timedelta(days=day),
        question=f"q-{depth}",
    )


def test_targets_follow_the_deepest_depth() -> None:
    assert target_for_depth(None) is None
    assert target_for_depth(Depth.MENTIONED) is None
    assert target_for_depth(Depth.INTRODUCED) == Level.FAMILIAR
    assert target_for_depth(Depth.DEVELOPED) == Level.PROFICIENT
    assert target_for_depth(Depth.APPLIED) == Level.MASTERED


def test_scores_and_trust() -> None:
    assert count_item(attempt(0, grade=Grade.AGAIN)).score == 0
    assert count_item(attempt(0, grade=Grade.HARD)).score == 0.6
    assert count_item(attempt(0, grade=Grade.GOOD)).score == 0.95
    assert count_item(attempt(0, grade=Grade.EASY)).score == 1
    assert count_item(attempt(0, grade=None, is_correct=True, kind="choice", revealed=False)).score == 1
    assert count_item(attempt(0, grade=None, is_correct=False, kind="choice", revealed=False)).score == 0
    peek = count_item(attempt(0, grade=Grade.EASY, think_ms=800))
    assert peek.score == 0.25 and peek.raw == 1 and "peek" in peek.why
    unknown_timing = count_item(attempt(0, grade=Grade.EASY, think_ms=None))
    assert unknown_timing.score == 1
    assert count_item(attempt(0, depth=Depth.MENTIONED)).depth == Depth.INTRODUCED


def test_new_learner_is_not_started() -> None:
    result = assess([], target=Level.PROFICIENT)

    assert result.level == Level.NOT_STARTED
    assert result.evidence == [] and result.recent_accuracy is None
    assert result.explanation.startswith("Not started")
    assert "correctly" in result.next_step


def test_steady_learner_reaches_the_target_over_spaced_days() -> None:
    history = [attempt(0, depth=Depth.INTRODUCED)]
    assert assess(history, target=Level.MASTERED).level == Level.FAMILIAR

    history += [attempt(1, depth=Depth.DEVELOPED), attempt(3, depth=Depth.DEVELOPED)]
    proficient = assess(history, target=Level.MASTERED)
    assert proficient.level == Level.PROFICIENT
    assert "Applied" in proficient.next_step

    # Applied self-grades alone do not make Mastered: it needs an objective check.
    history += [attempt(5, depth=Depth.APPLIED), attempt(9, depth=Depth.APPLIED, grade=Grade.EASY)]
    unchecked = assess(history, target=Level.MASTERED)
    assert unchecked.level == Level.PROFICIENT
    assert "multiple-choice question right or tick most key points" in unchecked.next_step

    history += [attempt(9.1, depth=Depth.APPLIED, grade=None, is_correct=True, kind="choice", revealed=False)]
    mastered = assess(history, target=Level.MASTERED)
    assert mastered.level == Level.MASTERED
    assert mastered.reached_target
    assert "reached the target" in mastered.next_step


def test_key_point_checklist_counts_as_the_check_for_mastered() -> None:
    def checklist(day: float, recalled: int) -> EvidenceItem:
        return replace(attempt(day, depth=Depth.APPLIED), key_points_total=4, key_points_recalled=recalled)

    base = [attempt(0, depth=Depth.DEVELOPED), attempt(2, depth=Depth.DEVELOPED)]
    full = assess([*base, checklist(4, 4), checklist(8, 4)], target=Level.MASTERED)
    half = assess([*base, checklist(4, 2), checklist(8, 2)], target=Level.MASTERED)

    assert full.level == Level.MASTERED
    assert full.evidence[-1].objective and full.evidence[-1].score == 1.0
    assert half.level < Level.MASTERED and half.evidence[-1].score == 0.5
    assert half.evidence_json()[0]["result"] == "2 of 4 key points"


def test_self_grades_count_as_far_as_they_are_trusted() -> None:
    history = [attempt(d, depth=Depth.DEVELOPED) for d in (0, 2, 4)]

    trusted = assess(history, target=Level.PROFICIENT, trust=1.0)
    doubted = assess(history, target=Level.PROFICIENT, trust=0.2)

    assert trusted.level == Level.PROFICIENT and doubted.level < Level.PROFICIENT
    assert doubted.probability is not None and trusted.probability is not None
    assert doubted.probability < trusted.probability
    assert "weighted 20%" in doubted.evidence[0].why


def test_trust_compares_self_grades_with_choices_on_the_same_concepts() -> None:
    def record(concept: int, *, grade: int | None = None, right: bool | None = None) -> GradeRecord:
        kind = "choice" if right is not None else "free"
        return GradeRecord(
            concept, kind, Mode.REVIEW, grade, right, False, options=4 if right is not None else 0
        )

    honest = [record(c, grade=Grade.GOOD) for c in range(4)] + [record(c, right=True) for c in range(4)]
    boastful = [record(c, grade=Grade.EASY) for c in range(4)] + [record(c, right=False) for c in range(4)]

    assert self_grade_trust([]) == TRUST_UNKNOWN
    assert self_grade_trust(honest) > 0.8
    assert self_grade_trust(boastful) < 0.4
    assert learner_prior(honest) > learner_prior(boastful)


def test_midnight_split_is_one_day_not_two() -> None:
    # 23:55 and 00:05 in the learner's zone: two local dates, ten minutes apart.
    tz = zoneinfo.ZoneInfo("Asia/Tokyo")
    night = datetime(2025, 3, 3, 23, 55, tzinfo=tz)
    split = [
        replace(attempt(0, depth=Depth.DEVELOPED), created_at=night),
        replace(attempt(0, depth=Depth.DEVELOPED), created_at=night + timedelta(minutes=10)),
    ]
    spaced = [*split, replace(attempt(0, depth=Depth.DEVELOPED), created_at=night + timedelta(days=1))]

    assert assess(split, target=Level.PROFICIENT, tz=tz).level == Level.FAMILIAR
    assert assess(spaced, target=Level.PROFICIENT, tz=tz).level == Level.PROFICIENT


def test_successes_on_one_day_are_not_enough_for_proficient() -> None:
    same_day = [attempt(0.01 * i, depth=Depth.DEVELOPED, grade=Grade.EASY) for i in range(6)]

    result = assess(same_day, target=Level.PROFICIENT)

    assert result.level == Level.FAMILIAR
    assert "1 more day" in result.next_step


def test_applied_successes_too_close_together_are_not_mastery() -> None:
    history = [
        attempt(0, depth=Depth.APPLIED),
        attempt(1, depth=Depth.APPLIED),
        attempt(2, depth=Depth.APPLIED),
    ]

    result = assess(history, target=Level.MASTERED)

    assert result.level == Level.PROFICIENT
    assert "at least 3 days after" in result.next_step


def test_forgetting_learner_loses_the_level_as_evidence_ages_and_on_a_lapse() -> None:
    history = [attempt(d, depth=Depth.DEVELOPED) for d in (0, 2, 4)]
    now = history[-1].created_at
    assert assess(history, target=Level.PROFICIENT, now=now).level == Level.PROFICIENT

    # Time passing alone lowers the estimate, and the level with it.
    aged = assess(history, target=Level.PROFICIENT, now=now + timedelta(days=60))
    assert aged.level < Level.PROFICIENT
    fresh_p = assess(history, target=Level.PROFICIENT, now=now).probability
    assert aged.probability is not None and fresh_p is not None and aged.probability < fresh_p

    lapsed = assess(
        [*history, attempt(40, depth=Depth.DEVELOPED, grade=Grade.AGAIN)], target=Level.PROFICIENT
    )
    assert lapsed.level <= Level.FAMILIAR
    assert "Reread" in lapsed.next_step

    recovered = assess(
        [
            *history,
            attempt(40, depth=Depth.DEVELOPED, grade=Grade.AGAIN),
            attempt(41, depth=Depth.DEVELOPED),
            attempt(43, depth=Depth.DEVELOPED),
        ],
        target=Level.PROFICIENT,
    )
    assert recovered.level == Level.PROFICIENT


def test_peeking_learner_stays_low() -> None:
    peeks = [
        attempt(d, depth=depth, grade=Grade.EASY, think_ms=500)
        for d in range(0, 20, 2)
        for depth in (Depth.DEVELOPED, Depth.APPLIED)
    ]

    result = assess(peeks, target=Level.MASTERED)

    assert result.level == Level.ATTEMPTED
    assert all(item.score == 0.25 for item in result.evidence)
    assert result.recent_accuracy == 0.25


def test_choice_answered_after_the_answer_was_shown_counts_little() -> None:
    shown = attempt(0, grade=None, is_correct=True, kind="choice", revealed=True, think_ms=60_000)

    assert count_item(shown).score == 0.25
    assert assess([shown], target=Level.FAMILIAR).level == Level.ATTEMPTED


def test_cram_only_learner_is_attempted() -> None:
    cram = [attempt(d, depth=Depth.APPLIED, grade=Grade.EASY, mode=Mode.CRAM) for d in range(0, 12, 3)]

    result = assess(cram, target=Level.MASTERED)

    assert result.level == Level.ATTEMPTED
    assert not any(item.counts for item in result.evidence)
    assert result.recent_accuracy is None
    assert "cram" in result.next_step.lower()


def test_depth_weighting_many_introduced_successes_never_make_proficient() -> None:
    easy = [attempt(d, depth=Depth.INTRODUCED, grade=Grade.EASY) for d in range(30)]

    result = assess(easy, target=Level.PROFICIENT, available_depths=[Depth.INTRODUCED, Depth.DEVELOPED])

    assert result.level == Level.FAMILIAR
    assert "Developed" in result.next_step


def test_recent_accuracy_weights_deeper_questions_more() -> None:
    counted = [
        count_item(attempt(0, depth=Depth.INTRODUCED, grade=Grade.EASY)),
        count_item(attempt(1, depth=Depth.APPLIED, grade=Grade.AGAIN)),
    ]

    assert recent_accuracy(counted) == 2 / 6


def test_next_step_does_not_ask_for_questions_the_course_lacks() -> None:
    history = [attempt(0, depth=Depth.INTRODUCED)]

    result = assess(history, target=Level.MASTERED, available_depths=[Depth.INTRODUCED])

    assert "no deeper than Introduced" in result.next_step


def test_evidence_is_stored_newest_first_with_weights_and_reasons() -> None:
    history = [attempt(0), attempt(1, depth=Depth.APPLIED, grade=Grade.HARD, mode=Mode.CRAM)]

    stored = assess(history, target=Level.FAMILIAR).evidence_json()

    assert [item["mode"] for item in stored] == ["cram", "study"]
    assert stored[0]["counts"] is False and stored[0]["weight"] == 0
    assert stored[1]["weight"] == 0.5 and stored[1]["result"] == "Good"
    assert all(item["why"] for item in stored)


def test_prior_counts_self_grades_as_far_as_they_are_trusted() -> None:
    graded = [GradeRecord(c, "free", Mode.REVIEW, Grade.GOOD, None, True) for c in range(8)]
    crammed = [GradeRecord(c, "choice", Mode.CRAM, None, False, False, options=4) for c in range(8)]

    assert learner_prior([]) == 0.5
    assert learner_prior(graded, trust=1.0) > learner_prior(graded, trust=0.2) > 0.5
    assert learner_prior(crammed) == 0.5
