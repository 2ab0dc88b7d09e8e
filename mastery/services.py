"""Attempts, FSRS reviews, recall queues and digests (being written)."""

from __future__ import annotations


def recall_queue_prepare_all() -> None:
    raise NotImplementedError


def digest_send_all() -> None:
    raise NotImplementedError
