"""One permission rule (accounts/roles.py): every instructor-only URL, tried by four personas.

Anonymous, a student, an instructor of another course, and the course's own instructor.
The course page's cohort link follows the same rule as the cohort page.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import roles
from accounts.models import CourseInstructor
from courses.demo import instructors_group_ensure
from courses.models import Course, Enrollment
from tests.factories import UserFactory, build_course

pytestmark = pytest.mark.django_db

# Every named route that only course staff may open, outside the admin (checked against the resolver
# below), with the URL arguments after the course slug.
INSTRUCTOR_ONLY = {
    "mastery:cohort": (),
    "mastery:cohort_export": ("levels",),
    "mastery:cohort_learner": ("LEARNER",),
    "courses:members": (),
}


@dataclass
class World:
    course: Course
    other_course: Course
    own: User
    other: User
    student: User


@pytest.fixture
def world() -> World:
    course = build_course()
    other_course = build_course()
    group = instructors_group_ensure()
    own = UserFactory(username="own-instructor", is_staff=True)
    other = UserFactory(username="other-instructor", is_staff=True)
    for user in (own, other):
        user.groups.add(group)
    CourseInstructor.objects.create(user=own, course=course)
    CourseInstructor.objects.create(user=other, course=other_course)
    return World(course, other_course, own, other, UserFactory(username="learner"))


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_every_instructor_only_route_is_listed_here() -> None:
    def names(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[str]:
        found: set[str] = set()
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace != "admin":
                    found |= names(
                        entry.url_patterns, f"{prefix}{entry.namespace}:" if entry.namespace else prefix
                    )
            elif entry.name:
                found.add(f"{prefix}{entry.name}")
        return found

    # A new instructor page must be added to INSTRUCTOR_ONLY (and so to these tests) to pass.
    routes = names(get_resolver().url_patterns)
    staff_pages = {name for name in routes if "cohort" in name or "members" in name}
    assert staff_pages == set(INSTRUCTOR_ONLY)


@pytest.mark.parametrize("name", sorted(INSTRUCTOR_ONLY))
def test_instructor_pages_by_persona(world: World, name: str) -> None:
    def url_of(course: Course) -> str:
        extra = [world.student.pk if arg == "LEARNER" else arg for arg in INSTRUCTOR_ONLY[name]]
        return reverse(name, args=[course.slug, *extra])

    for course in (world.course, world.other_course):
        Enrollment.objects.create(learner=world.student, course=course, via=Enrollment.Via.OPEN)
    url = url_of(world.course)
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client_for(world.student).get(url).status_code == 403
    assert client_for(world.other).get(url).status_code == 403
    assert client_for(world.own).get(url).status_code == 200
    # Their own course is open to the other instructor, as this one is closed.
    assert client_for(world.other).get(url_of(world.other_course)).status_code == 200


def test_the_cohort_link_follows_the_same_rule(world: World) -> None:
    url = world.course.get_absolute_url()
    cohort = reverse("mastery:cohort", args=[world.course.slug])
    for user, shown in [(None, False), (world.student, False), (world.other, False), (world.own, True)]:
        html = client_for(user).get(url).content.decode()
        assert (cohort in html) is shown, user


def test_a_course_without_assigned_instructors_is_taught_by_every_instructor(world: World) -> None:
    course = build_course()
    assert roles.teaches(world.own, course) and roles.teaches(world.other, course)
    assert not roles.teaches(world.student, course)
    assert client_for(world.other).get(reverse("mastery:cohort", args=[course.slug])).status_code == 200


def test_group_members_without_staff_and_inactive_staff_are_not_instructors(world: World) -> None:
    no_staff = UserFactory(username="group-only")
    no_staff.groups.add(instructors_group_ensure())
    inactive = UserFactory(username="gone", is_staff=True, is_active=False)
    inactive.groups.add(instructors_group_ensure())
    staff_only = UserFactory(username="staff-only", is_staff=True)
    for user in (no_staff, inactive, staff_only):
        assert not roles.is_instructor(user)
    assert client_for(no_staff).get(reverse("mastery:cohort", args=[world.course.slug])).status_code == 403


def test_superusers_teach_everything(world: World) -> None:
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    assert roles.teaches(boss, world.course) and roles.teaches(boss, world.other_course)


@pytest.mark.parametrize("path", ["/admin/", "/admin/courses/course/", "/admin/quizzes/question/add/"])
def test_the_admin_asks_the_same_rule(world: World, path: str) -> None:
    anonymous = client_for(None).get(path)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    student = client_for(world.student).get(path)
    assert student.status_code == 302 and "/admin/login/" in student["Location"]
    assert client_for(world.own).get(path).status_code == 200
    # The admin is not per course yet: another course's instructor edits with the group's permissions.
    assert client_for(world.other).get(path).status_code == 200


def test_the_admin_link_is_shown_to_whom_the_admin_opens(world: World) -> None:
    assert "/admin/" not in client_for(world.student).get("/").content.decode()
    assert "/admin/" in client_for(world.own).get("/").content.decode()
