"""Who is in the cohort page an instructor or TA opens, in what order, and its CSV export.

The numbers come from mastery/queries.py (cohort_heatmap, first_attempt_correctness,
forgetting_soon): this module only chooses the learners (accounts/roles.py says which
cohorts a staff member may see) and sorts rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.html import strip_tags

from accounts.roles import Standing
from courses.models import Cohort, Course, Enrollment
from mastery.models import Attempt
from mastery.queries import Heatmap, HeatRow, QuestionStat

ALL = "all"
NO_COHORT = "none"
SORTS = ("learner", "activity")  # plus "concept:<slug>"


@dataclass(frozen=True)
class Scope:
    """Which learners a cohort page shows: every learner, one cohort, or those in none."""

    key: str  # ALL, NO_COHORT or a cohort id as text
    cohort: Cohort | None
    cohorts: list[Cohort]  # the cohorts this staff member may pick from
    whole_course: bool  # may the user see every cohort

    @property
    def label(self) -> str:
        if self.cohort is not None:
            return self.cohort.name
        return "Learners in no cohort" if self.key == NO_COHORT else "All learners"


def scope_for(course: Course, standing: Standing, requested: str | None) -> Scope:
    """The scope asked for, if the standing allows it (403 otherwise, 404 for an unknown cohort).

    Staff of one cohort always see that cohort. One query (the course's cohorts).
    """
    cohorts = list(Cohort.objects.filter(course=course).order_by("name", "id"))
    if standing.cohort_id is not None:
        own = next((c for c in cohorts if c.pk == standing.cohort_id), None)
        if own is None:  # the row points at a cohort of another course: see nothing
            raise PermissionDenied("Your staff role names a cohort this course does not have.")
        if requested not in (None, "", str(own.pk)):
            raise PermissionDenied(f"You are on the staff of the cohort {own.name} only.")
        return Scope(str(own.pk), own, [own], whole_course=False)
    key = requested or ALL
    if key in (ALL, NO_COHORT):
        return Scope(key, None, cohorts, whole_course=True)
    chosen = next((c for c in cohorts if str(c.pk) == key), None)
    if chosen is None:
        raise Http404("This course has no such cohort.")
    return Scope(key, chosen, cohorts, whole_course=True)


def scope_learners(course: Course, scope: Scope) -> QuerySet[User]:
    """The learners in scope, each with `account_deleted_at`, `cohort_name` and `last_active`
    (their last answer in the course), in one query.

    Everyone enrolled counts, and (for the whole course or "no cohort") everyone who answered
    in it without enrolling: an open course is answered without joining it.
    """
    enrolled = Enrollment.objects.filter(course=course)
    answered = Attempt.objects.filter(question__course=course).values("learner_id")
    if scope.cohort is not None:
        rule = Q(pk__in=enrolled.filter(cohort=scope.cohort).values("learner_id"))
    elif scope.key == NO_COHORT:
        rule = Q(pk__in=enrolled.filter(cohort__isnull=True).values("learner_id")) | (
            Q(pk__in=answered) & ~Q(pk__in=enrolled.values("learner_id"))
        )
    else:
        rule = Q(pk__in=enrolled.values("learner_id")) | Q(pk__in=answered)
    last = Attempt.objects.filter(learner=OuterRef("pk"), question__course=course).order_by("-created_at")
    return (
        User.objects.filter(rule)
        .annotate(
            account_deleted_at=F("profile__deleted_at"),
            cohort_name=Subquery(enrolled.filter(learner=OuterRef("pk")).values("cohort__name")[:1]),
            last_active=Subquery(last.values("created_at")[:1]),
        )
        .order_by("username")
    )


def learner_in_scope(course: Course, scope: Scope, learner_id: int) -> User:
    """One learner of the scope (404 for anyone else: a staff member cannot probe other cohorts)."""
    learner = scope_learners(course, scope).filter(pk=learner_id, profile__deleted_at__isnull=True).first()
    if learner is None:
        raise Http404("No such learner in this cohort.")
    return learner


def last_active(learner: User) -> datetime | None:
    """The learner's last answer in the course (annotated by scope_learners)."""
    return getattr(learner, "last_active", None)


def sort_rows(heatmap: Heatmap, sort: str) -> tuple[list[HeatRow], str]:
    """Rows sorted by learner (A→Z), by last activity (latest first) or by one concept's level
    (highest first, then name). An unknown sort falls back to learner; the sort used is returned."""
    rows = list(heatmap.rows)
    if sort == "activity":

        def latest_first(row: HeatRow) -> tuple[bool, float, str]:
            at = last_active(row.learner)
            return (at is None, -at.timestamp() if at else 0.0, row.learner.get_username())

        rows.sort(key=latest_first)
        return rows, sort
    if sort.startswith("concept:"):
        slug = sort.removeprefix("concept:")
        index = next((i for i, c in enumerate(heatmap.concepts) if c.slug == slug), None)
        if index is not None:
            rows.sort(key=lambda row: (-row.cells[index].level.value, row.learner.get_username()))
            return rows, sort
    return rows, "learner"


# --- CSV ------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe (OWASP's advice on CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def levels_csv(heatmap: Heatmap, rows: Sequence[HeatRow]) -> str:
    """One row per learner: username, cohort, last activity, then each concept's level (by name)."""
    header = ["learner", "cohort", "last activity", *(concept.name for concept in heatmap.concepts)]
    body = (
        [
            row.learner.get_username(),
            getattr(row.learner, "cohort_name", None) or "",
            at.isoformat(timespec="minutes") if (at := last_active(row.learner)) else "",
            *(c.level.label for c in row.cells),
        ]
        for row in rows
    )
    return to_csv(header, body)


def first_attempts_csv(stats: Sequence[QuestionStat]) -> str:
    """One row per question: slug, lesson, prompt, learners who answered, right first time, share."""
    header = ["question", "lesson", "prompt", "answered", "right first time", "percent"]
    body = (
        [
            stat.question.slug,
            stat.question.lesson.title if stat.question.lesson else "",
            " ".join(strip_tags(stat.question.prompt_html).split()),
            stat.attempted,
            stat.first_correct,
            "" if stat.percent is None else stat.percent,
        ]
        for stat in stats
    )
    return to_csv(header, body)
