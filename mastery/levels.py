"""The mastery model: from a learner's attempts on a concept's questions to a level.

Pure: no database, no clock. One sentence for a student (docs/mastery.md has the rest):
your level rises only with honest successes, spread over days, on questions as deep as
the concept is taught, and it drops a step while your latest answer is a miss.

Retrievability (will you still remember it?) is deliberately not part of the level:
the level says what you have shown, retrievability what you are likely to recall now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lessons.models import Depth
from mastery.models import Grade, Level, Mode

SELF_GRADE_SCORE: dict[int, float] = {Grade.AGAIN: 0.0, Grade.HARD: 0.5, Grade.GOOD: 0.85, Grade.EASY: 1.0}
SUCCESS = 0.5
PEEK_MS = 3000
PEEK_CAP = 0.25
RECENT = 5
PROFICIENT_ACCURACY = 0.65
MASTERED_ACCURACY = 0.8
MASTERED_CLEAN_RUN = 3
MASTERED_GAP_DAYS = 3
PROFICIENT_DAYS = 2

DEPTH_FOR_LEVEL: dict[Level, int] = {
    Level.FAMILIAR: Depth.INTRODUCED,
    Level.PROFICIENT: Depth.DEVELOPED,
    Level.MASTERED: Depth.APPLIED,
}
TARGET_FOR_DEPTH: dict[int, Level | None] = {
    Depth.MENTIONED: None,
    Depth.INTRODUCED: Level.FAMILIAR,
    Depth.DEVELOPED: Level.PROFICIENT,
    Depth.APPLIED: Level.MASTERED,
}


def target_for_depth(depth: int | None) -> Level | None:
    """The level the curriculum asks for, from the deepest depth a concept is taught at."""
    return TARGET_FOR_DEPTH.get(depth) if depth is not None else None


def depth_label(depth: int) -> str:
    return Depth(depth).label if depth in Depth.values else str(depth)


@dataclass(frozen=True)
class EvidenceItem:
    """One attempt as the model sees it."""

    depth: int
    kind: str  # "free" or "choice", as Question.Kind
    mode: str
    grade: int | None
    is_correct: bool | None
    revealed: bool
    think_ms: int | None
    created_at: datetime
    question: str = ""  # a label (the question slug) so evidence can be shown


@dataclass(frozen=True)
class CountedItem:
    """An attempt with what it was worth and why."""

    item: EvidenceItem
    depth: int  # MENTIONED counts as INTRODUCED
    raw: float  # the score before trust: 1 right, 0 wrong, 0 to 1 for a self-grade
    score: float  # after trust
    counts: bool  # False: only shows the concept was attempted (cram, or no answer)
    why: str

    @property
    def success(self) -> bool:
        return self.counts and self.score >= SUCCESS

    @property
    def miss(self) -> bool:
        return self.counts and self.score < SUCCESS

    @property
    def day(self) -> date:
        return self.item.created_at.date()

    def as_json(self) -> dict[str, Any]:
        item = self.item
        if item.grade is not None:
            result = Grade(item.grade).label
        elif item.is_correct is not None:
            result = "Right" if item.is_correct else "Wrong"
        else:
            result = "No answer"
        return {
            "question": item.question,
            "at": item.created_at.isoformat(),
            "mode": item.mode,
            "depth": self.depth,
            "result": result,
            "score": round(self.score, 2),
            "weight": self.depth if self.counts else 0,
            "counts": self.counts,
            "success": self.success,
            "why": self.why,
        }


@dataclass(frozen=True)
class Assessment:
    level: Level
    target: Level | None
    evidence: list[CountedItem]  # oldest first
    recent_accuracy: float | None
    explanation: str
    next_step: str

    @property
    def reached_target(self) -> bool:
        return self.target is not None and self.level >= self.target

    def evidence_json(self, limit: int = 30) -> list[dict[str, Any]]:
        """The most recent evidence, newest first, as stored on ConceptMastery."""
        return [counted.as_json() for counted in reversed(self.evidence[-limit:])]


def count_item(item: EvidenceItem) -> CountedItem:
    """Score one attempt: what it shows, and how far it can be trusted."""
    depth = max(Depth.INTRODUCED, min(Depth.APPLIED, item.depth))
    if item.grade is not None:
        raw = SELF_GRADE_SCORE.get(item.grade, 0.0)
        what = f"self-graded {Grade(item.grade).label}" if item.grade in Grade.values else "self-graded"
    elif item.is_correct is not None:
        raw = 1.0 if item.is_correct else 0.0
        what = "right answer" if item.is_correct else "wrong answer"
    else:
        return CountedItem(item, depth, 0.0, 0.0, False, "no answer was given: it shows an attempt only")
    if item.mode == Mode.CRAM:
        return CountedItem(item, depth, raw, raw, False, f"{what} while cramming: it shows an attempt only")
    peeked_choice = item.kind == "choice" and item.revealed
    peeked_quickly = item.revealed and item.think_ms is not None and item.think_ms < PEEK_MS
    if peeked_choice or peeked_quickly:
        score = min(raw, PEEK_CAP)
        why = (
            f"{what} after the answer was shown within {PEEK_MS // 1000} s: a peek counts at most {PEEK_CAP}"
            if peeked_quickly
            else f"{what} after the answer was shown: counts at most {PEEK_CAP}"
        )
        return CountedItem(item, depth, raw, score, True, why)
    return CountedItem(item, depth, raw, raw, True, f"{what} on a {depth_label(depth)} question")


def recent_accuracy(counted: Sequence[CountedItem], last: int = RECENT) -> float | None:
    """The depth-weighted mean score of the last few counted attempts; None without any."""
    recent = [c for c in counted if c.counts][-last:]
    if not recent:
        return None
    return sum(c.score * c.depth for c in recent) / sum(c.depth for c in recent)


def _success_days(counted: Sequence[CountedItem], min_depth: int) -> list[date]:
    return sorted({c.day for c in counted if c.success and c.depth >= min_depth})


def _level_before_cap(counted: Sequence[CountedItem], accuracy: float | None) -> Level:
    if not counted:
        return Level.NOT_STARTED
    applied_days = _success_days(counted, Depth.APPLIED)
    last_three = [c for c in counted if c.counts][-MASTERED_CLEAN_RUN:]
    if (
        len(applied_days) >= 2
        and (applied_days[-1] - applied_days[0]).days >= MASTERED_GAP_DAYS
        and accuracy is not None
        and accuracy >= MASTERED_ACCURACY
        and not any(c.miss for c in last_three)
    ):
        return Level.MASTERED
    developed_days = _success_days(counted, Depth.DEVELOPED)
    if len(developed_days) >= PROFICIENT_DAYS and accuracy is not None and accuracy >= PROFICIENT_ACCURACY:
        return Level.PROFICIENT
    if _success_days(counted, Depth.INTRODUCED):
        return Level.FAMILIAR
    return Level.ATTEMPTED


def assess(
    items: Iterable[EvidenceItem],
    *,
    target: Level | None,
    available_depths: Iterable[int] = (),
) -> Assessment:
    """The level the attempts support, the evidence counted, and what would move it up.

    `available_depths` are the depths of the concept's questions: "what's next" never
    asks for a question the course does not have.
    """
    counted = [count_item(item) for item in sorted(items, key=lambda i: i.created_at)]
    accuracy = recent_accuracy(counted)
    level = _level_before_cap(counted, accuracy)
    scored = [c for c in counted if c.counts]
    lapsed = bool(scored) and scored[-1].miss and level > Level.ATTEMPTED
    if lapsed:
        level = Level(level - 1)
    depths = {max(Depth.INTRODUCED, d) for d in available_depths}
    return Assessment(
        level=level,
        target=target,
        evidence=counted,
        recent_accuracy=accuracy,
        explanation=_explain(level, counted, accuracy, lapsed),
        next_step=_next_step(level, target, counted, accuracy, depths, lapsed),
    )


def _percent(value: float | None) -> str:
    return f"{round((value or 0) * 100)}%"


def _explain(level: Level, counted: Sequence[CountedItem], accuracy: float | None, lapsed: bool) -> str:
    if level == Level.NOT_STARTED:
        return "Not started: you have not answered a question on this concept yet."
    if lapsed:
        return (
            f"{level.label}: your latest answer was a miss, which holds the level one step below "
            "what your earlier answers show until you get it right again."
        )
    if level == Level.ATTEMPTED:
        if not any(c.counts for c in counted):
            return "Attempted: so far only cram or unanswered attempts, which do not count toward a level."
        return "Attempted: none of your answers on this concept counted as a success yet."
    if level == Level.FAMILIAR:
        return "Familiar: you have answered a question on this concept correctly."
    if level == Level.PROFICIENT:
        days = len(_success_days(counted, Depth.DEVELOPED))
        return (
            f"Proficient: you answered Developed-depth questions correctly on {days} different days "
            f"and your recent accuracy is {_percent(accuracy)}."
        )
    return (
        f"Mastered: you answered Applied-depth questions correctly days apart, your recent accuracy "
        f"is {_percent(accuracy)} and your last {MASTERED_CLEAN_RUN} answers were all successes."
    )


def _next_step(
    level: Level,
    target: Level | None,
    counted: Sequence[CountedItem],
    accuracy: float | None,
    depths: set[int],
    lapsed: bool,
) -> str:
    if lapsed:
        return "Reread the section linked below and answer the question again when it comes up for review."
    if target is not None and level >= target:
        return "You have reached the target. Keep answering reviews when they are due so it stays that way."
    if level == Level.MASTERED:
        return "This is the top level. Keep answering reviews when they are due."
    goal = Level(max(Level.FAMILIAR, level + 1))
    need_depth = DEPTH_FOR_LEVEL[goal]
    if depths and not any(d >= need_depth for d in depths):
        return (
            f"The questions here go no deeper than {depth_label(max(depths))}, so {level.label} "
            "is as far as they can show. Answer them again when they are due."
        )
    if goal == Level.FAMILIAR:
        if level == Level.ATTEMPTED and counted and not any(c.counts for c in counted):
            return "Answer a question outside cram mode: cram practice does not move your level."
        return "Answer one question on this concept correctly, without peeking at the answer."
    if goal == Level.PROFICIENT:
        days = _success_days(counted, Depth.DEVELOPED)
        parts = []
        if len(days) < PROFICIENT_DAYS:
            more = PROFICIENT_DAYS - len(days)
            parts.append(
                f"answer a Developed or Applied question correctly on {more} more "
                f"day{'s' if more > 1 else ''}"
            )
        if accuracy is None or accuracy < PROFICIENT_ACCURACY:
            parts.append(
                f"lift your recent accuracy from {_percent(accuracy)} to {_percent(PROFICIENT_ACCURACY)}"
            )
        return _sentence(parts)
    days = _success_days(counted, Depth.APPLIED)
    parts = []
    if not days:
        parts.append(
            f"answer Applied questions correctly on two days at least {MASTERED_GAP_DAYS} days apart"
        )
    elif (days[-1] - days[0]).days < MASTERED_GAP_DAYS:
        parts.append(
            f"answer an Applied question correctly again at least {MASTERED_GAP_DAYS} days after "
            f"{days[0].isoformat()}"
        )
    if accuracy is None or accuracy < MASTERED_ACCURACY:
        parts.append(f"lift your recent accuracy from {_percent(accuracy)} to {_percent(MASTERED_ACCURACY)}")
    if any(c.miss for c in [c for c in counted if c.counts][-MASTERED_CLEAN_RUN:]):
        parts.append(f"make your last {MASTERED_CLEAN_RUN} answers all successes")
    return _sentence(parts)


def _sentence(parts: list[str]) -> str:
    if not parts:
        return "Keep answering reviews when they are due."
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return text[0].upper() + text[1:] + "."
