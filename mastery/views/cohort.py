"""The staff's cohort pages: the heatmap per cohort, one learner's page, and the CSV export.

Who may open them is accounts/roles.py (`can(user, "view_cohort", course)`, and the cohort
a staff role covers); the figures are mastery/queries.py's; the choice of learners and the
sorting are mastery/cohorts.py's.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import course_role
from accounts.services import profile_for
from courses.models import Course
from mastery import cohorts
from mastery.access import get_course_for_staff
from mastery.levels import Level
from mastery.models import Attempt, ConceptMastery, LessonRead, ReviewCard
from mastery.queries import cohort_heatmap, concept_cells, first_attempt_correctness, forgetting_soon

LEVELS = list(Level)
RECENT_ATTEMPTS = 20
DUE_AHEAD_DAYS = 7
EXPORTS = {"levels", "first-attempts"}


def _scope(request: HttpRequest, course_slug: str) -> tuple[Course, cohorts.Scope]:
    course = get_course_for_staff(request.user, course_slug)
    return course, cohorts.scope_for(course, course_role(request.user, course), request.GET.get("cohort"))


@require_GET
@login_required
def cohort(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Heatmap, first-attempt correctness and "forgetting soon" for the cohort in scope.

    Eleven queries, with session, user and the standing, whatever the number of learners,
    concepts or attempts (tests pin it).
    """
    course, scope = _scope(request, course_slug)
    in_scope = list(cohorts.scope_learners(course, scope))
    # Deleted accounts are anonymous: no heatmap row, but their answers stay in the statistics.
    learners = [learner for learner in in_scope if learner.account_deleted_at is None]  # type: ignore[attr-defined]
    now = timezone.now()
    heatmap = cohort_heatmap(course, learners, now)
    rows, sort = cohorts.sort_rows(heatmap, request.GET.get("sort", "learner"))
    return render(
        request,
        "mastery/cohort.html",
        {
            "course": course,
            "scope": scope,
            "heatmap": heatmap,
            "rows": rows,
            "sort": sort,
            "questions": first_attempt_correctness(course, in_scope),
            "forgetting": forgetting_soon(course, now, learners=learners),
            "levels": LEVELS,
            "deleted_learners": len(in_scope) - len(learners),
        },
    )


@require_GET
@login_required
def export(request: HttpRequest, course_slug: str, table: str) -> HttpResponse:
    """levels.csv (a row per learner, a column per concept) or first-attempts.csv (a row per question)."""
    if table not in EXPORTS:
        raise Http404("The export is levels.csv or first-attempts.csv.")
    course, scope = _scope(request, course_slug)
    in_scope = list(cohorts.scope_learners(course, scope))
    if table == "levels":
        learners = [learner for learner in in_scope if learner.account_deleted_at is None]  # type: ignore[attr-defined]
        heatmap = cohort_heatmap(course, learners, timezone.now())
        rows, _ = cohorts.sort_rows(heatmap, request.GET.get("sort", "learner"))
        body = cohorts.levels_csv(heatmap, rows)
    else:
        body = cohorts.first_attempts_csv(first_attempt_correctness(course, in_scope))
    suffix = "" if scope.key == cohorts.ALL else f"-{scope.key if scope.cohort is None else scope.cohort.pk}"
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{course.slug}{suffix}-{table}.csv"'
    return response


@require_GET
@login_required
def learner(request: HttpRequest, course_slug: str, learner_id: int) -> HttpResponse:
    """One learner for the course's staff: levels, evidence, due load and last activity.

    Only learners in the staff member's scope (404 for anyone else). Fifteen queries, with
    session, user and the standing, whatever the number of concepts or attempts (tests pin it).
    """
    course, scope = _scope(request, course_slug)
    person = cohorts.learner_in_scope(course, scope, learner_id)
    now = timezone.now()
    tz = profile_for(person).tz
    masteries = {
        row.concept_id: row
        for row in ConceptMastery.objects.filter(learner=person, concept__course=course).only(
            "concept_id", "explanation", "next_step", "last_attempt_at", "attempts_count"
        )
    }
    cells = concept_cells(person, [course.pk], now).get(course.pk, [])
    cards = ReviewCard.objects.filter(learner=person, question__course=course)
    recent = list(
        Attempt.objects.filter(learner=person, question__course=course)
        .select_related("question")
        .order_by("-created_at", "-id")[:RECENT_ATTEMPTS]
    )
    last_read = (
        LessonRead.objects.filter(learner=person, lesson__module__course=course)
        .select_related("lesson")
        .order_by("-read_at")
        .first()
    )
    return render(
        request,
        "mastery/cohort_learner.html",
        {
            "course": course,
            "person": person,
            "rows": [(cell, masteries.get(cell.concept.pk)) for cell in cells],
            "due_now": ReviewCard.objects.due_for(person, now, tz).filter(question__course=course).count(),
            "due_week": ReviewCard.objects.due_for(person, now + timedelta(days=DUE_AHEAD_DAYS), tz)
            .filter(question__course=course)
            .count(),
            "due_ahead_days": DUE_AHEAD_DAYS,
            "cards": cards.count(),
            "recent": recent,
            "last_read": last_read,
            "levels": LEVELS,
        },
    )
