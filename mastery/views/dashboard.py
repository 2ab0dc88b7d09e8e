"""The learner dashboard (the staff's cohort pages are mastery/views/cohort.py)."""

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
from courses.access import catalog_versions
from lessons.bearings import continue_points
from mastery.levels import Level
from mastery.snapshot import dashboard_read


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


LEVELS = list(Level)


@require_GET
@login_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    profile = profile_for(user)
    # Read from the learner's snapshots (mastery.snapshot): a fixed few queries at any size.
    data = dashboard_read(user, today=profile.local_today(), tz=profile.tz, now=timezone.now())
    # The "refresh" control swaps only the body, so htmx asks for the fragment.
    template = "mastery/dashboard.html#body" if request.htmx else "mastery/dashboard.html"
    # Where to continue, one rule with the catalog and the course page (lessons/bearings.py).
    continue_here = [p for p in continue_points(user.pk, dict(catalog_versions(user))).values() if p.started]
    return render(
        request,
        template,
        {"data": data, "levels": LEVELS, "profile": profile, "continue_here": continue_here},
    )
