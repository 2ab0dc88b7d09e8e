"""Everything Studyhall holds about one learner, as JSON and as CSV files (one per table).

A fixed number of queries whatever the history's size: one per table, each joined to the
names a person reads (course, question, concept) so the export makes sense on its own.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User

from accounts.services import profile_for
from mastery.models import Attempt, ConceptMastery, LessonRead, RecallEnrollment, ReviewCard

EXPORT_VERSION = 1


def _rows(queryset: Any, fields: dict[str, str]) -> list[dict[str, Any]]:
    """fields: output column -> ORM path; values() keeps it to one query without model instances."""
    return [
        {column: row[path] for column, path in fields.items()} for row in queryset.values(*fields.values())
    ]


ATTEMPT_FIELDS = {
    "course": "question__course__slug",
    "question": "question__slug",
    "mode": "mode",
    "grade": "grade",
    "is_correct": "is_correct",
    "revealed": "revealed",
    "think_ms": "think_ms",
    "time_taken_ms": "time_taken_ms",
    "key_points_total": "key_points_total",
    "key_points_recalled": "key_points_recalled",
    "answered_at": "created_at",
}
CARD_FIELDS = {
    "course": "question__course__slug",
    "question": "question__slug",
    "state": "state",
    "stability": "stability",
    "difficulty": "difficulty",
    "due": "due",
    "last_review": "last_review",
    "reps": "reps",
    "lapses": "lapses",
}
LEVEL_FIELDS = {
    "course": "concept__course__slug",
    "concept": "concept__slug",
    "level": "level",
    "retrievability": "retrievability",
    "explanation": "explanation",
    "attempts_count": "attempts_count",
    "last_attempt_at": "last_attempt_at",
}
READ_FIELDS = {"course": "lesson__module__course__slug", "lesson": "lesson__slug", "read_at": "read_at"}
RECALL_FIELDS = {"course": "plan__course__slug", "recall_week": "plan__slug", "started_on": "started_on"}


def learner_data(user: User) -> dict[str, Any]:
    profile = profile_for(user)
    return {
        "export_version": EXPORT_VERSION,
        "profile": {
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "time_zone": profile.time_zone,
            "daily_cap": profile.daily_cap,
            "digest_enabled": profile.digest_enabled,
        },
        "attempts": _rows(Attempt.objects.filter(learner=user).order_by("created_at", "pk"), ATTEMPT_FIELDS),
        "review_cards": _rows(ReviewCard.objects.filter(learner=user).order_by("due", "pk"), CARD_FIELDS),
        "levels": _rows(ConceptMastery.objects.filter(learner=user).order_by("concept_id"), LEVEL_FIELDS),
        "lessons_read": _rows(LessonRead.objects.filter(learner=user).order_by("read_at", "pk"), READ_FIELDS),
        "recall_weeks": _rows(RecallEnrollment.objects.filter(learner=user).order_by("pk"), RECALL_FIELDS),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def as_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, default=_plain, indent=2, ensure_ascii=False).encode()


def as_csv_zip(data: dict[str, Any]) -> bytes:
    """A zip of CSV files: profile.csv (one row) and one file per table, a header row each."""
    tables: dict[str, tuple[list[str], list[dict[str, Any]]]] = {
        "profile": (list(data["profile"]), [data["profile"]]),
        "attempts": (list(ATTEMPT_FIELDS), data["attempts"]),
        "review_cards": (list(CARD_FIELDS), data["review_cards"]),
        "levels": (list(LEVEL_FIELDS), data["levels"]),
        "lessons_read": (list(READ_FIELDS), data["lessons_read"]),
        "recall_weeks": (list(RECALL_FIELDS), data["recall_weeks"]),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (columns, rows) in tables.items():
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({column: _plain(row[column]) for column in columns})
            archive.writestr(f"{name}.csv", text.getvalue())
    return buffer.getvalue()
