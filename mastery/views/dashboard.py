"""The learner dashboard and the instructor cohort page."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from accounts.services import profile_for
from courses.access import visible_course_ids
from lessons.bearings import continue_points
from mastery.access import get_course_for_instructor
from mastery.levels import Level
from mastery.queries import (
    cohort_answerers,
    cohort_heatmap,
    first_attempt_correctness,
    forgetting_soon,
    learner_dashboard,
)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


LEVELS = list(Level)


@require_GET
@login_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    profile = profile_for(user)
    data = learner_dashboard(user, today=profile.local_today(), tz=profile.tz, now=timezone.now())
    # The "refresh" control swaps only the body, so htmx asks for the fragment.
    template = "mastery/dashboard.html#body" if request.htmx else "mastery/dashboard.html"
    # Where to continue, one rule with the catalog and the course page (lessons/bearings.py).
    continue_here = [p for p in continue_points(user.pk, visible_course_ids(user)).values() if p.started]
    return render(
        request,
        template,
        {"data": data, "levels": LEVELS, "profile": profile, "continue_here": continue_here},
    )


@require_GET
@login_required
def cohort(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_course_for_instructor(request.user, course_slug)
    answerers = cohort_answerers(course)
    # Deleted accounts are anonymous: no heatmap row, but their answers stay in the statistics.
    learners = [learner for learner in answerers if learner.account_deleted_at is None]  # type: ignore[attr-defined]
    now = timezone.now()
    return render(
        request,
        "mastery/cohort.html",
        {
            "course": course,
            "heatmap": cohort_heatmap(course, learners, now),
            "questions": first_attempt_correctness(course),
            "forgetting": forgetting_soon(course, now),
            "levels": LEVELS,
            "deleted_learners": len(answerers) - len(learners),
        },
    )
