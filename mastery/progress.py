"""Mastery per concept: recompute from attempts and FSRS cards (being written)."""

from __future__ import annotations


def mastery_recompute(*, learner_id: int, concept_ids: list[int] | None = None) -> None:
    raise NotImplementedError


def mastery_decay_all() -> None:
    raise NotImplementedError
