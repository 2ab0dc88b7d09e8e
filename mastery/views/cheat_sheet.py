"""The night-before cheat sheets of a module and of a whole course (signed-in learners)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.roles import is_instructor
from courses.access import course_visible_q
from courses.models import Course
from mastery.access import get_cheat_sheet_course_for_user, get_cheat_sheet_module_for_user
from mastery.cheatsheet import (
    OPEN_LOCK,
    AskedIn,
    ModuleSheet,
    SheetLock,
    answered_question_ids,
    module_sheet,
    sheet_lock,
    sheet_opens_at_once,
)
from quizzes.models import Quiz


@dataclass(frozen=True)
class LockedSheet:
    sheet: ModuleSheet
    lock: SheetLock


def locks_for(request: HttpRequest, course: Course, sheets: list[ModuleSheet]) -> list[LockedSheet]:
    """Each sheet with the reader's lock: open at once by the course's setting, for
    instructors, or once the learner has answered each of the module's key facts."""
    if sheet_opens_at_once(course):
        return [LockedSheet(sheet, OPEN_LOCK) for sheet in sheets]
    ids = [fact.question.pk for sheet in sheets for fact in sheet.facts]
    answered = answered_question_ids(cast(User, request.user).pk, ids)
    # Where the facts are asked (which of them are checks), once for every module of the page.
    unanswered = [pk for pk in ids if pk not in answered]
    asked = AskedIn.load(ids) if unanswered else None
    locks = [LockedSheet(sheet, sheet_lock(sheet=sheet, answered=answered, asked=asked)) for sheet in sheets]
    # The group query only for a reader something is locked for.
    if any(not entry.lock.is_open for entry in locks) and is_instructor(request.user):
        return [LockedSheet(sheet, OPEN_LOCK) for sheet in sheets]
    return locks


def css_string(text: str) -> str:
    """A CSS string literal holding text as it is: anything but plain characters is escaped."""
    safe = " -_.,:;()&!?+"
    return '"' + "".join(c if c.isalnum() or c in safe else f"\\{ord(c):x} " for c in text) + '"'


@require_GET
def print_css(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The @page rule that prints the course's name at the head of every page of its sheets.

    A stylesheet of its own because the content security policy allows no inline style.
    """
    course = Course.objects.filter(course_visible_q(request.user), slug=course_slug).first()
    if course is None:
        raise Http404("No such course.")
    label = css_string(f"{course.title} · night-before cheat sheet")
    css = f"@page {{ @top-left {{ content: {label}; font: 8pt sans-serif; color: #444; }} }}\n"
    return HttpResponse(css, content_type="text/css; charset=utf-8")


@require_GET
@login_required
def module_cheat_sheet(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    module = get_cheat_sheet_module_for_user(request.user, course_slug, module_slug)
    (entry,) = locks_for(request, module.course, [module_sheet(module)])
    quizzes = list(Quiz.objects.readiness().for_module(module).order_by("title"))
    return render(
        request,
        "mastery/cheat_sheet.html",
        {
            "course": module.course,
            "module": module,
            "entries": [entry],
            "chapter_count": len(entry.sheet.chapters),
            "fact_count": entry.sheet.fact_count,
            "quizzes": quizzes,
        },
    )


@require_GET
@login_required
def course_cheat_sheet(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_cheat_sheet_course_for_user(request.user, course_slug)
    sheets = [module_sheet(module, prefix=f"{module.slug}-") for module in course.modules.all()]
    entries = locks_for(request, course, sheets)
    quizzes = list(Quiz.objects.readiness().filter(course=course).order_by("title"))
    return render(
        request,
        "mastery/cheat_sheet.html",
        {
            "course": course,
            "module": None,
            "entries": entries,
            "chapter_count": sum(len(sheet.chapters) for sheet in sheets),
            "fact_count": sum(sheet.fact_count for sheet in sheets),
            "quizzes": quizzes,
        },
    )
