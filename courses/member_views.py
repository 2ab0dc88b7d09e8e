"""Joining a course (learners) and managing its members (course staff).

Refusals are 4xx pages with the sentence from courses/enrollment.py; who may manage is
accounts/roles.py `can(user, "manage_members", course)`.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from courses.access import course_listed_q
from courses.enrollment import EnrollmentRefused, cohort_for_code, enrol_by_staff, enrol_self, new_code
from courses.models import Cohort, Course, Enrollment
from mastery.access import get_course_for_staff

COHORT_NAME_MAX = Cohort._meta.get_field("name").max_length or 120


def _listed_course(request: HttpRequest, course_slug: str) -> Course:
    from django.http import Http404

    course = Course.objects.filter(course_listed_q(request.user), slug=course_slug).first()
    if course is None:
        raise Http404("No such course.")
    return course


@require_POST
@login_required
def enrol(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The enrol form on a course's card: open courses at once, code courses with a code."""
    course = _listed_course(request, course_slug)
    try:
        enrol_self(cast(User, request.user), course, request.POST.get("code", ""))
    except EnrollmentRefused as refused:
        return render(
            request, "courses/join.html", {"course": course, "error": refused.message}, status=refused.status
        )
    return HttpResponseRedirect(course.get_absolute_url())


@require_http_methods(["GET", "POST"])
@login_required
def join(request: HttpRequest) -> HttpResponse:
    """ "Join with a code": a learner types the code their instructor gave them and lands in the course."""
    if request.method == "GET":
        return render(request, "courses/join_code.html", {"code": request.GET.get("code", "")})
    code = request.POST.get("code", "")
    try:
        cohort = cohort_for_code(code)
        course = cohort.course
        if (
            not course.is_published
            and not Course.objects.filter(course_listed_q(request.user), pk=course.pk).exists()
        ):
            raise EnrollmentRefused("No course has that invitation code. Check it with your instructor.")
        enrol_self(cast(User, request.user), course, code)
    except EnrollmentRefused as refused:
        return render(
            request,
            "courses/join_code.html",
            {"code": code, "error": refused.message},
            status=refused.status,
        )
    return HttpResponseRedirect(course.get_absolute_url())


# --- Course staff: cohorts and members --------------------------------------------------


def _members_page(request: HttpRequest, course: Course, error: str = "", status: int = 200) -> HttpResponse:
    """Cohorts with their learners (three queries: cohorts, enrolments, staff)."""
    enrollments = Enrollment.objects.select_related("learner").order_by("learner__username")
    cohorts = list(
        Cohort.objects.filter(course=course)
        .annotate(size=Count("enrollments"))
        .prefetch_related(Prefetch("enrollments", queryset=enrollments))
    )
    unassigned = list(enrollments.filter(course=course, cohort__isnull=True))
    return render(
        request,
        "courses/members.html",
        {
            "course": course,
            "cohorts": cohorts,
            "unassigned": unassigned,
            "staff": list(course.instructor_rows.select_related("user", "cohort").order_by("user__username")),
            "error": error,
            "name_max": COHORT_NAME_MAX,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def members(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Instructors manage cohorts: create, rename, new code, add a learner, move a learner."""
    course = get_course_for_staff(request.user, course_slug, "manage_members")
    if request.method == "GET":
        return _members_page(request, course)
    try:
        _act(course, request.POST)
    except EnrollmentRefused as refused:
        return _members_page(request, course, refused.message, refused.status)
    return HttpResponseRedirect(reverse("courses:members", args=[course.slug]))


def _cohort(course: Course, value: str | None, *, allow_none: bool = False) -> Cohort | None:
    if allow_none and not value:
        return None
    if not (value or "").isdigit():
        raise EnrollmentRefused("Choose a cohort of this course.")
    cohort = Cohort.objects.filter(course=course, pk=int(value or 0)).first()
    if cohort is None:
        raise EnrollmentRefused("That cohort is not one of this course's.")
    return cohort


def _name(value: str | None) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise EnrollmentRefused("Give the cohort a name.")
    if len(name) > COHORT_NAME_MAX:
        raise EnrollmentRefused(f"A cohort name has at most {COHORT_NAME_MAX} characters.")
    return name


def _act(course: Course, form: dict) -> None:
    action = form.get("action", "")
    if action == "create":
        try:
            with transaction.atomic():
                Cohort.objects.create(course=course, name=_name(form.get("name")), code=new_code())
        except IntegrityError:
            raise EnrollmentRefused("This course already has a cohort of that name.") from None
    elif action == "rename":
        cohort = cast(Cohort, _cohort(course, form.get("cohort")))
        cohort.name = _name(form.get("name"))
        if Cohort.objects.filter(course=course, name=cohort.name).exclude(pk=cohort.pk).exists():
            raise EnrollmentRefused("This course already has a cohort of that name.")
        cohort.save(update_fields=["name"])
    elif action == "new_code":
        cohort = cast(Cohort, _cohort(course, form.get("cohort")))
        cohort.code = new_code()
        cohort.save(update_fields=["code"])
    elif action == "no_code":
        cohort = cast(Cohort, _cohort(course, form.get("cohort")))
        cohort.code = None
        cohort.save(update_fields=["code"])
    elif action in ("add", "move"):
        who = (form.get("learner") or "").strip()
        learner = (
            User.objects.filter(Q(username=who) | Q(email__iexact=who), is_active=True).first()
            if who
            else None
        )
        if learner is None:
            raise EnrollmentRefused("No account has that username or email address.", status=404)
        if action == "move" and not Enrollment.objects.filter(course=course, learner=learner).exists():
            raise EnrollmentRefused(f"{learner.get_username()} is not enrolled in this course.", status=404)
        enrol_by_staff(learner, course, _cohort(course, form.get("cohort"), allow_none=True))
    elif action == "remove":
        who = (form.get("learner") or "").strip()
        if not Enrollment.objects.filter(course=course, learner__username=who).delete()[0]:
            raise EnrollmentRefused(f"{who or 'That learner'} is not enrolled in this course.", status=404)
    else:
        raise EnrollmentRefused("Unknown action.")
