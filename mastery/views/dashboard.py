"""The learner dashboard, the instructor cohort page and the night-before cheat sheet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from accounts.services import profile_for
from courses.models import Module
from lessons.models import Lesson
from mastery.access import get_cheat_sheet_module_for_user, get_course_for_instructor
from mastery.levels import Level
from mastery.queries import (
    cohort_answerers,
    cohort_heatmap,
    first_attempt_correctness,
    forgetting_soon,
    learner_dashboard,
)
from quizzes.models import Question


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
    return render(request, template, {"data": data, "levels": LEVELS, "profile": profile})


@require_GET
@login_required
def cohort(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_course_for_instructor(request.user, course_slug)
    answerers = cohort_answerers(course)
    # Deleted accounts are anonymous: no heatmap row, but their answers stay in the statistics.
    learners = [learner for learner in answerers if learner.account_deleted_at is None]  # type: ignore[attr-defined]
    return render(
        request,
        "mastery/cohort.html",
        {
            "course": course,
            "heatmap": cohort_heatmap(course, learners),
            "questions": first_attempt_correctness(course),
            "forgetting": forgetting_soon(course, timezone.now()),
            "levels": LEVELS,
            "deleted_learners": len(answerers) - len(learners),
        },
    )


@dataclass(frozen=True)
class Fact:
    question: Question

    @property
    def correct_option(self) -> str:
        options = getattr(self.question, "correct_options", [])
        return options[0].text if options else ""


@dataclass(frozen=True)
class FactGroup:
    lesson: Lesson
    facts: list[Fact]


def cheat_sheet_groups(module: Module) -> list[FactGroup]:
    """Key facts grouped by lesson in reading order; lessons without questions are left out.

    A fact needs an answer: recall prompts without a model answer (their section is the
    answer) have nothing to put on the sheet.
    """
    groups = []
    for lesson in module.lessons.all():
        facts = [Fact(q) for q in lesson.questions.all() if q.is_choice or q.answer_html]
        if facts:
            groups.append(FactGroup(lesson=lesson, facts=facts))
    return groups


@require_GET
def cheat_sheet(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    module = get_cheat_sheet_module_for_user(request.user, course_slug, module_slug)
    groups = cheat_sheet_groups(module)
    return render(
        request,
        "mastery/cheat_sheet.html",
        {
            "course": module.course,
            "module": module,
            "groups": groups,
            "fact_count": sum(len(group.facts) for group in groups),
            "quizzes": module.readiness_quizzes,  # type: ignore[attr-defined]
        },
    )
