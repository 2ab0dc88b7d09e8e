"""The learner dashboard (the staff's cohort pages are mastery/views/cohort.py)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from accounts.learner_cache import read_parts
from accounts.services import profile_for
from courses import content_cache
from courses.access import catalog_versions
from lessons.bearings import ContinuePoint, continue_points
from mastery.levels import Level
from mastery.queries import learner_dashboard
from mastery.snapshot import RECALL_MARK, dashboard_from, dashboard_state, drawn_until, recall_mark


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


LEVELS = list(Level)
BODY = "mastery/dashboard.html#body"


@require_GET
@login_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    profile = profile_for(user)
    today, now, tz = profile.local_today(), timezone.now(), profile.tz

    def build() -> tuple[tuple[str, list[ContinuePoint]], datetime]:
        body = _body(user, today=today, tz=tz, now=now)
        # Where to continue, one rule with the catalog and the course page (lessons/bearings.py).
        points = continue_points(user.pk, dict(catalog_versions(user))).values()
        return (body, [p for p in points if p.started]), drawn_until(user, now, tz)

    # Kept for the learner until their next write, a content change, a card falling due or the
    # next recall mark (accounts/learner_cache.py): a page view in between reads no row.
    part = f"dashboard:{content_cache.epoch()}:{today.isoformat()}"
    body, continue_here = read_parts(user.pk, part).cached(part, now, build)
    # The "refresh" control swaps only the body, so htmx asks for the fragment.
    if request.htmx:
        return HttpResponse(body)
    return render(
        request,
        "mastery/dashboard.html",
        {"body_html": body, "profile": profile, "continue_here": continue_here},
    )


def _body(user: User, *, today: date, tz: tzinfo, now: datetime) -> str:
    """The dashboard's body: read from the learner's snapshots (mastery.snapshot: a fixed few
    queries at any size) and drawn with recall as of the current mark; a drawing is kept in the
    shared cache and served again while the state and the mark are the same."""
    state = dashboard_state(user, today=today, tz=tz, now=now)
    if state is None:  # not started: every published course at Not started, nothing stored
        data = learner_dashboard(user, today=today, tz=tz, now=now)
        return mark_safe(render_to_string(BODY, {"data": data, "levels": LEVELS}))
    mark = recall_mark(now)
    key = f"dashboard:{content_cache.code_fingerprint()}:{user.pk}:{today}:{state.key()}:{mark.timestamp()}"
    body = cache.get(key)
    if body is None:
        data = dashboard_from(state, today=today, now=mark)
        body = render_to_string(BODY, {"data": data, "levels": LEVELS})
        cache.set(key, body, int(RECALL_MARK.total_seconds()))
    return mark_safe(body)  # rendered by the template engine above
