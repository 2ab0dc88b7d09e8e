"""The dashboard snapshot: each learner's course panel stored, so the page reads instead of computing.

A snapshot row (DashboardSnapshot, per learner and course) holds what only attempts, lesson
reads and the nightly refresh change: the concept cells (level, target, the stored concept
trace, attempts), module progress, the local dates with attempts (the streak) and the
retention forecast from the moment it was computed. `snapshots_build` refreshes them for
many learners in a fixed number of queries; the after-attempt task, a lesson read and the
nightly refresh call it.

What the clock changes is handled when the page is read (`dashboard_read`): the chance of
a right answer now is read from each cell's stored trace (no query), the due count is one
indexed COUNT by the one due rule (ReviewCard.objects.due_for), whether the learner answered
today is one EXISTS, and a forecast that starts on another local date than today is redrawn
(the snapshot is rebuilt). A missing or outdated snapshot is built on the spot.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.contrib.auth.models import User
from django.db.models import F, Prefetch
from django.urls import reverse

from accounts.days import day_start, local_date, local_date_expr
from accounts.learner_cache import learner_changed
from accounts.models import Profile
from config.bulk import upsert
from courses.models import Concept, Course, Enrollment, Module
from lessons.models import Lesson
from mastery import scheduling
from mastery.charts import ForecastPoint, forecast_chart, retention_forecast
from mastery.levels import Level, probability_at, target_for_depth
from mastery.models import Attempt, ConceptMastery, DashboardSnapshot, LessonRead, ReviewCard
from mastery.queries import (
    STREAK_HORIZON_DAYS,
    ConceptCell,
    ConceptRef,
    CoursePanel,
    Dashboard,
    ModuleProgress,
    due_today_count,
    has_begun,
    learner_courses,
    learner_dashboard,
    reread_links,
    streak_from_days,
    weakest_concepts,
)

# Bump when the stored data's layout changes: an older snapshot is rebuilt when read.
VERSION = 1


def _tzs(learner_ids: Iterable[int]) -> dict[int, tzinfo]:
    ids = list(learner_ids)
    names = dict(Profile.objects.filter(user_id__in=ids).values_list("user_id", "time_zone"))
    return {pk: Profile(time_zone=names.get(pk) or "UTC").tz for pk in ids}


def _courses_of(learner_ids: Sequence[int]) -> dict[int, set[int]]:
    """Learner id → the published courses they are enrolled in, answered in or read a lesson of
    (one query, a UNION; the dashboard's courses, mastery/queries.py learner_courses)."""
    published = Course.objects.published().values("pk")
    answered = (
        Attempt.objects.filter(learner_id__in=learner_ids, question__course__in=published)
        .order_by()
        .values_list("learner_id", "question__course_id")
    )
    read = (
        LessonRead.objects.filter(learner_id__in=learner_ids, lesson__module__course__in=published)
        .order_by()
        .values_list("learner_id", "lesson__module__course_id")
    )
    enrolled = (
        Enrollment.objects.filter(learner_id__in=learner_ids, course__in=published)
        .order_by()
        .values_list("learner_id", "course_id")
    )
    result: dict[int, set[int]] = defaultdict(set)
    for learner_id, course_id in answered.union(read, enrolled):
        result[learner_id].add(course_id)
    return result


def _attempt_days(learner_ids: Sequence[int], tzs: Mapping[int, tzinfo], now: datetime) -> dict[tuple, set]:
    """(learner id, course id) → local dates with an attempt, over the streak horizon (one query a zone)."""
    by_zone: dict[str, list[int]] = defaultdict(list)
    for pk in learner_ids:
        by_zone[str(tzs[pk])].append(pk)
    result: dict[tuple[int, int], set[date]] = defaultdict(set)
    for ids in by_zone.values():
        tz = tzs[ids[0]]
        since = day_start(local_date(now, tz) - timedelta(days=STREAK_HORIZON_DAYS), tz)
        rows = (
            Attempt.objects.filter(learner_id__in=ids, created_at__gte=since)
            .annotate(day=local_date_expr("created_at", tz))
            .order_by()
            .values_list("learner_id", "question__course_id", "day")
            .distinct()
        )
        for learner_id, course_id, day in rows:
            result[(learner_id, course_id)].add(day)
    return result


def snapshots_build(
    learner_ids: Iterable[int], now: datetime, course_ids: Mapping[int, Iterable[int]] | None = None
) -> list[DashboardSnapshot]:
    """Rebuild the dashboard snapshots of these learners (only `course_ids[learner]` when given).

    A fixed number of queries whatever the number of learners, courses, concepts or
    attempts (about ten, plus one per distinct time zone); returns the rows written.
    """
    ids = sorted(set(learner_ids))
    if not ids:
        return []
    tzs = _tzs(ids)
    courses_of = _courses_of(ids)
    if course_ids is not None:
        courses_of = {pk: courses_of.get(pk, set()) & set(course_ids.get(pk, ())) for pk in ids}
    wanted = sorted({c for pks in courses_of.values() for c in pks})
    if not wanted:
        return []
    concepts: dict[int, list[tuple[int, str, str, Level | None]]] = defaultdict(list)
    for pk, course_id, name, slug, deepest in (
        Concept.objects.filter(course_id__in=wanted)
        .with_deepest()
        .values_list("pk", "course_id", "name", "slug", "deepest")
    ):
        concepts[course_id].append((pk, name, slug, target_for_depth(deepest)))
    mastery = ConceptMastery.objects.filter(learner_id__in=ids, concept__course_id__in=wanted).values_list(
        "learner_id", "concept_id", "level", "knowledge", "stability", "memory_at", "attempts_count"
    )
    rows: dict[tuple[int, int], tuple[Any, ...]] = {
        (learner_id, concept_id): tuple(rest) for learner_id, concept_id, *rest in mastery
    }
    modules: dict[int, list[tuple[Module, list[int]]]] = defaultdict(list)
    for module in (
        Module.objects.filter(course_id__in=wanted)
        .order_by("course_id", "order", "id")
        .prefetch_related(Prefetch("lessons", queryset=Lesson.objects.only("id", "module_id")))
    ):
        modules[module.course_id].append((module, [lesson.pk for lesson in module.lessons.all()]))
    read: dict[int, set[int]] = defaultdict(set)
    for learner_id, lesson_id in LessonRead.objects.filter(
        learner_id__in=ids, lesson__module__course_id__in=wanted
    ).values_list("learner_id", "lesson_id"):
        read[learner_id].add(lesson_id)
    cards: dict[tuple[int, int], list[ReviewCard]] = defaultdict(list)
    for rc in (
        ReviewCard.objects.filter(
            learner_id__in=ids, last_review__isnull=False, question__course_id__in=wanted
        )
        .only("learner_id", *ReviewCard.MEMORY_FIELDS)
        .annotate(course_id=F("question__course_id"))
        .order_by("learner_id", "due", "id")
    ):
        cards[(rc.learner_id, rc.course_id)].append(rc)  # type: ignore[attr-defined]
    models = scheduling.course_models(wanted)
    days = _attempt_days(ids, tzs, now)

    snapshots = []
    for learner_id in ids:
        for course_id in sorted(courses_of.get(learner_id, ())):
            cells = []
            for pk, name, slug, target in concepts.get(course_id, []):
                level, knowledge, stability, memory_at, attempts = rows.get(
                    (learner_id, pk), (Level.NOT_STARTED, None, None, None, 0)
                )
                cells.append(
                    [
                        pk,
                        name,
                        slug,
                        int(level),
                        None if target is None else int(target),
                        knowledge,
                        stability,
                        memory_at.isoformat() if memory_at else None,
                        attempts,
                    ]
                )
            done = read.get(learner_id, set())
            progress = [
                [module.pk, module.slug, module.title, sum(1 for pk in lessons if pk in done), len(lessons)]
                for module, lessons in modules.get(course_id, [])
            ]
            forecast = retention_forecast(cards.get((learner_id, course_id), []), now, models=models)
            tz = tzs[learner_id]
            snapshots.append(
                DashboardSnapshot(
                    learner_id=learner_id,
                    course_id=course_id,
                    version=VERSION,
                    computed_at=now,
                    forecast_on=local_date(now, tz),
                    data={
                        "cells": cells,
                        "modules": progress,
                        "forecast": [point.expected for point in forecast],
                        "forecast_cards": len(
                            [rc for rc in cards.get((learner_id, course_id), []) if rc.stability]
                        ),
                        "days": sorted(day.isoformat() for day in days.get((learner_id, course_id), set())),
                    },
                )
            )
    upsert(
        DashboardSnapshot,
        snapshots,
        unique_fields=["learner", "course"],
        update_fields=["version", "data", "computed_at", "forecast_on"],
    )
    learner_changed({s.learner_id for s in snapshots})  # bulk rows send no signal
    return snapshots


def _panel(course: Course, data: Mapping[str, Any], now: datetime) -> CoursePanel:
    pattern = reverse("courses:concept", args=[course.slug, "-slug-"])
    head, tail = pattern.split("/-slug-/")
    levels = {level.value: level for level in Level}  # Level(value) is an enum lookup: slow for hundreds
    cells = []
    for pk, name, slug, level, target, knowledge, stability, memory_at, attempts in data["cells"]:
        at = datetime.fromisoformat(memory_at) if memory_at else None
        cells.append(
            ConceptCell(
                concept=ConceptRef(pk=pk, name=name, slug=slug, course=course),
                level=levels[level],
                target=None if target is None else levels[target],
                retrievability=probability_at(knowledge, stability, at, now),
                attempts=attempts,
                url=f"{head}/{slug}/{tail}",
            )
        )
    modules = [
        ModuleProgress(module=Module(pk=pk, course=course, slug=slug, title=title), read=done, total=total)
        for pk, slug, title, done, total in data["modules"]
    ]
    return CoursePanel(course=course, modules=modules, cells=cells)


def _forecast(snapshots: Sequence[DashboardSnapshot]) -> list[ForecastPoint]:
    """The courses' forecasts added up: expected questions remembered, over all reviewed cards."""
    series = [s.data["forecast"] for s in snapshots if s.data["forecast"]]
    cards = sum(s.data["forecast_cards"] for s in snapshots if s.data["forecast"])
    if not series or not cards:
        return []
    totals = [sum(values) for values in zip(*series, strict=True)]
    return [ForecastPoint(day=day, expected=value, mean=value / cards) for day, value in enumerate(totals)]


# The dashboard's recall percentages are drawn as of this moment's mark (now, floored to it), so
# a rendering kept for the learner serves every view until the mark moves (mastery/views/dashboard.py).
RECALL_MARK = timedelta(minutes=10)


def recall_mark(now: datetime) -> datetime:
    """now floored to the dashboard's recall mark (RECALL_MARK)."""
    step = RECALL_MARK.total_seconds()
    return datetime.fromtimestamp(now.timestamp() // step * step, tz=now.tzinfo)


def drawn_until(learner: User, now: datetime, tz: tzinfo) -> datetime:
    """Until when a learner's page drawn at `now` holds without a write (a kept learner part:
    the dashboard, the Review queue): the next recall mark, or sooner the moment their due
    cards change (ReviewCard.objects.due_changes_at)."""
    return min(recall_mark(now) + RECALL_MARK, ReviewCard.objects.due_changes_at(learner, now, tz))


@dataclass(frozen=True)
class DashboardState:
    """What the dashboard reads before it draws anything (a fixed few queries): the learner's
    courses and current snapshots, the local days with answers, and the due count."""

    courses: list[Course]
    snapshots: list[DashboardSnapshot]
    days: set[date]
    due_today: int

    def key(self) -> str:
        """Changes whenever what dashboard_from draws can change, but for the clock."""
        parts = [
            *(f"{c.pk}.{c.content_version}" for c in self.courses),
            *(f"{s.pk}.{s.computed_at.timestamp()}" for s in self.snapshots),
            *sorted(day.isoformat() for day in self.days),
            str(self.due_today),
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def dashboard_state(user: User, *, today: date, tz: tzinfo, now: datetime) -> DashboardState | None:
    """Courses (one query), snapshots (one), answered today (one, unless a snapshot says so),
    the due count (one); a course without a current snapshot has it built first. None for a
    learner who has not started (learner_dashboard shows every published course)."""
    courses = learner_courses(user)
    if not has_begun(courses):
        return None
    by_course = {
        s.course_id: s
        for s in DashboardSnapshot.objects.filter(
            learner=user, course__in=courses, version=VERSION, forecast_on=today
        )
    }
    missing = [course.pk for course in courses if course.pk not in by_course]
    if missing:
        for s in snapshots_build([user.pk], now, {user.pk: missing}):
            by_course[s.course_id] = s
    courses = [course for course in courses if course.pk in by_course]
    snapshots = [by_course[course.pk] for course in courses]
    days = {date.fromisoformat(day) for s in snapshots for day in s.data["days"]}
    # An answer since the snapshot was built counts today at once, before its task has run.
    if (
        today not in days
        and Attempt.objects.filter(learner=user, created_at__gte=day_start(today, tz)).exists()
    ):
        days.add(today)
    return DashboardState(
        courses=courses, snapshots=snapshots, days=days, due_today=due_today_count(user, now, tz)
    )


def dashboard_from(state: DashboardState, *, today: date, now: datetime) -> Dashboard:
    """The dashboard drawn from its state, recall as of `now` (the reread links are content, cached)."""
    panels = [_panel(course, s.data, now) for course, s in zip(state.courses, state.snapshots, strict=True)]
    return Dashboard(
        started=True,
        panels=panels,
        due_today=state.due_today,
        streak=streak_from_days(state.days, today),
        answered_today=today in state.days,
        forecast=forecast_chart(_forecast(state.snapshots)),
        weakest=reread_links(weakest_concepts(cell for panel in panels for cell in panel.cells)),
    )


def dashboard_read(user: User, *, today: date, tz: tzinfo, now: datetime) -> Dashboard:
    """The learner's dashboard from their snapshots: the same as learner_dashboard, in a fixed few
    queries (dashboard_state), drawn by dashboard_from."""
    state = dashboard_state(user, today=today, tz=tz, now=now)
    if state is None:
        return learner_dashboard(user, today=today, tz=tz, now=now)
    return dashboard_from(state, today=today, now=now)
