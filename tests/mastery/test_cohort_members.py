"""The staff's cohort pages per cohort: who sees what, the learner page, CSV export, query counts."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import CourseInstructor
from courses.demo import instructors_group_ensure
from courses.models import Cohort, Course, Enrollment
from mastery.cohorts import cell
from mastery.models import ConceptMastery, Level
from tests.factories import AttemptFactory, UserFactory, build_course

pytestmark = pytest.mark.django_db


@dataclass
class World:
    course: Course
    a: Cohort
    b: Cohort
    alice: User  # learner in cohort A
    bob: User  # learner in cohort B
    outsider: User
    instructor: User
    ta_a: User
    ta_b: User
    other_instructor: User


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world() -> World:
    course = build_course(concepts=3)
    other_course = build_course()
    a = Cohort.objects.create(course=course, name="Cohort A", code="AAAA2345")
    b = Cohort.objects.create(course=course, name="Cohort B", code="BBBB2345")
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    for learner, cohort in ((alice, a), (bob, b)):
        Enrollment.objects.create(learner=learner, course=course, cohort=cohort, via=Enrollment.Via.CODE)
        AttemptFactory(learner=learner, question=course.questions.first())
    group = instructors_group_ensure()
    instructor = UserFactory(username="teacher", is_staff=True)
    other_instructor = UserFactory(username="elsewhere", is_staff=True)
    for user in (instructor, other_instructor):
        user.groups.add(group)
    CourseInstructor.objects.create(user=instructor, course=course)
    CourseInstructor.objects.create(user=other_instructor, course=other_course)
    ta_a, ta_b = UserFactory(username="ta-a"), UserFactory(username="ta-b")
    CourseInstructor.objects.create(user=ta_a, course=course, role=CourseInstructor.Role.TA, cohort=a)
    CourseInstructor.objects.create(user=ta_b, course=course, role=CourseInstructor.Role.TA, cohort=b)
    return World(
        course, a, b, alice, bob, UserFactory(username="nobody"), instructor, ta_a, ta_b, other_instructor
    )


def cohort_url(world: World, cohort: Cohort | None = None) -> str:
    url = reverse("mastery:cohort", args=[world.course.slug])
    return f"{url}?cohort={cohort.pk}" if cohort else url


def learner_url(world: World, learner: User) -> str:
    return reverse("mastery:cohort_learner", args=[world.course.slug, learner.pk])


def export_url(world: World, table: str = "levels", cohort: Cohort | None = None) -> str:
    url = reverse("mastery:cohort_export", args=[world.course.slug, table])
    return f"{url}?cohort={cohort.pk}" if cohort else url


def test_cohort_a_page_by_persona(world: World) -> None:
    url = cohort_url(world, world.a)
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for user in (world.outsider, world.alice):
        assert client_for(user).get(url).status_code == 403, user
    assert client_for(world.other_instructor).get(url).status_code == 403
    assert client_for(world.ta_b).get(url).status_code == 403  # another cohort's TA
    for user in (world.ta_a, world.instructor):
        html = client_for(user).get(url).content.decode()
        assert 'data-learner="alice"' in html and 'data-learner="bob"' not in html, user


def test_a_cohort_ta_sees_only_their_cohort_even_unasked(world: World) -> None:
    html = client_for(world.ta_b).get(cohort_url(world)).content.decode()
    assert 'data-learner="bob"' in html and 'data-learner="alice"' not in html
    assert "cohort-pick" not in html  # no picker: one cohort only
    assert "Manage cohorts and members" not in html  # a TA does not manage


def test_the_whole_course_instructor_sees_everyone_and_can_narrow(world: World) -> None:
    client = client_for(world.instructor)
    everyone = client.get(cohort_url(world)).content.decode()
    assert 'data-learner="alice"' in everyone and 'data-learner="bob"' in everyone
    assert client.get(f"{cohort_url(world)}?cohort=99999").status_code == 404
    assert client.get(f"{cohort_url(world)}?cohort=none").status_code == 200


@pytest.mark.parametrize("target", ["alice", "bob"])
def test_the_learner_page_by_persona(world: World, target: str) -> None:
    learner = getattr(world, target)
    url = learner_url(world, learner)
    assert client_for(None).get(url).status_code == 302
    for user in (world.outsider, world.alice, world.bob, world.other_instructor):
        assert client_for(user).get(url).status_code == 403, user
    own_ta, other_ta = (world.ta_a, world.ta_b) if target == "alice" else (world.ta_b, world.ta_a)
    assert client_for(other_ta).get(url).status_code == 404  # cannot probe another cohort's learners
    for user in (own_ta, world.instructor):
        response = client_for(user).get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert f"<h1>{target}</h1>" in html and "data-due" in html and "data-recent" in html


def test_learner_page_shows_levels_evidence_and_last_activity(world: World) -> None:
    concept = world.course.concepts.first()
    ConceptMastery.objects.create(
        learner=world.alice,
        concept=concept,
        level=Level.FAMILIAR,
        explanation="Two right answers on separate days.",
        attempts_count=2,
    )
    html = client_for(world.instructor).get(learner_url(world, world.alice)).content.decode()
    row = html[html.index(f'data-concept="{concept.slug}"') :].split("</tr>")[0]
    assert "Familiar" in row and "Two right answers on separate days." in row
    assert "Cohort A" in html and "never" not in html.split("data-last-active")[1][:80]


def test_learner_page_query_count_does_not_grow_with_concepts_or_answers(
    world: World, django_assert_num_queries
) -> None:
    client = client_for(world.instructor)
    url = learner_url(world, world.alice)
    client.get(url)
    with django_assert_num_queries(14) as first:
        client.get(url)
    bigger = build_course(concepts=6)
    for question in world.course.questions.all():
        for _ in range(3):
            AttemptFactory(learner=world.alice, question=question)
    assert bigger.pk != world.course.pk
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


def test_cohort_page_query_count_is_constant_in_learners_and_concepts(
    world: World, django_assert_num_queries
) -> None:
    client = client_for(world.instructor)
    client.get(cohort_url(world))
    with django_assert_num_queries(10) as first:
        client.get(cohort_url(world))
    for i in range(6):
        learner = UserFactory(username=f"more-{i}")
        Enrollment.objects.create(
            learner=learner, course=world.course, cohort=world.a, via=Enrollment.Via.CODE
        )
        AttemptFactory(learner=learner, question=world.course.questions.first())
        ConceptMastery.objects.create(
            learner=learner, concept=world.course.concepts.first(), level=Level.ATTEMPTED
        )
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(cohort_url(world))


def test_sorting_by_concept_level_and_by_last_activity(world: World) -> None:
    concept = world.course.concepts.first()
    ConceptMastery.objects.create(learner=world.bob, concept=concept, level=Level.PROFICIENT)
    ConceptMastery.objects.create(learner=world.alice, concept=concept, level=Level.ATTEMPTED)
    AttemptFactory(learner=world.alice, question=world.course.questions.first(), created_at=timezone.now())
    client = client_for(world.instructor)

    def order(sort: str) -> list[str]:
        html = client.get(cohort_url(world), {"sort": sort}).content.decode()
        return [name for name in ("alice", "bob") if f'data-learner="{name}"' in html] and sorted(
            ("alice", "bob"), key=lambda name: html.index(f'data-learner="{name}"')
        )

    assert order("learner") == ["alice", "bob"]
    assert order(f"concept:{concept.slug}") == ["bob", "alice"]
    assert order("activity") == ["alice", "bob"]
    assert order("nonsense") == ["alice", "bob"]


def test_export_by_persona_type_filename_and_content(world: World) -> None:
    url = export_url(world, "levels", world.a)
    assert client_for(None).get(url).status_code == 302
    for user in (world.outsider, world.alice, world.other_instructor, world.ta_b):
        assert client_for(user).get(url).status_code == 403, user
    response = client_for(world.ta_a).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="{world.course.slug}-{world.a.pk}-levels.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["learner", "cohort", "last activity"]
    assert len(rows[0]) == 3 + world.course.concepts.count()
    assert [row[0] for row in rows[1:]] == ["alice"]
    first = client_for(world.instructor).get(export_url(world, "first-attempts"))
    assert first.status_code == 200 and first["Content-Disposition"].endswith('-first-attempts.csv"')
    table = list(csv.reader(io.StringIO(first.content.decode())))
    assert table[0] == ["question", "lesson", "prompt", "answered", "right first time", "percent"]
    answered = [row for row in table[1:] if row[3] == "2"]
    assert len(answered) == 1  # alice and bob answered the same first question
    assert client_for(world.instructor).get(export_url(world, "secrets")).status_code == 404


def test_export_escapes_formula_cells(world: World) -> None:
    world.alice.username = "=HYPERLINK(evil)"
    world.alice.save()
    concept = world.course.concepts.first()
    concept.name = "+SUM(A1)"
    concept.save()
    body = client_for(world.instructor).get(export_url(world)).content.decode()
    assert "'=HYPERLINK(evil)" in body and "'+SUM(A1)" in body
    assert [cell(v) for v in ("-1", "@x", "\tx", "ok", None, 3)] == ["'-1", "'@x", "'\tx", "ok", "", "3"]


def test_long_concept_names_are_shown_whole(world: World) -> None:
    concept = world.course.concepts.first()
    concept.name = "A very long concept name that would have been clipped by the rotated header"
    concept.save()
    html = client_for(world.instructor).get(cohort_url(world)).content.decode()
    assert f">{concept.name}</a></th>" in html


def test_members_page_by_persona_and_actions(world: World) -> None:
    url = reverse("courses:members", args=[world.course.slug])
    assert client_for(None).get(url).status_code == 302
    for user in (world.outsider, world.alice, world.other_instructor, world.ta_a):
        assert client_for(user).get(url).status_code == 403, user
    client = client_for(world.instructor)
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "create", "name": "Evening"}).status_code == 302
    evening = Cohort.objects.get(course=world.course, name="Evening")
    assert evening.code and len(evening.code) == 8
    assert client.post(url, {"action": "create", "name": "Evening"}).status_code == 400
    assert (
        client.post(url, {"action": "rename", "cohort": evening.pk, "name": "  Late   group "}).status_code
        == 302
    )
    evening.refresh_from_db()
    assert evening.name == "Late group"
    assert client.post(url, {"action": "move", "learner": "alice", "cohort": evening.pk}).status_code == 302
    assert Enrollment.objects.get(learner=world.alice).cohort == evening
    assert client.post(url, {"action": "add", "learner": "nobody", "cohort": ""}).status_code == 302
    assert Enrollment.objects.get(learner=world.outsider).via == Enrollment.Via.INSTRUCTOR
    assert client.post(url, {"action": "move", "learner": "ghost", "cohort": ""}).status_code == 404
    assert client.post(url, {"action": "rename", "cohort": "x", "name": "y"}).status_code == 400
    other = Cohort.objects.create(course=build_course(), name="Theirs")
    assert client.post(url, {"action": "new_code", "cohort": other.pk}).status_code == 400
    assert client.post(url, {"action": "explode"}).status_code == 400
    assert client.post(url, {"action": "remove", "learner": "nobody"}).status_code == 302
    assert not Enrollment.objects.filter(learner=world.outsider).exists()


def test_links_follow_the_rule(world: World) -> None:
    page = world.course.get_absolute_url()
    cohort = reverse("mastery:cohort", args=[world.course.slug])
    members = reverse("courses:members", args=[world.course.slug])
    for user, sees_cohort, sees_members in [
        (None, False, False),
        (world.alice, False, False),
        (world.other_instructor, False, False),
        (world.ta_a, True, False),
        (world.instructor, True, True),
    ]:
        html = client_for(user).get(page).content.decode()
        assert (cohort in html) is sees_cohort, user
        assert (members in html) is sees_members, user


def test_a_group_member_without_staff_sees_link_and_page_alike(world: World) -> None:
    """The issue's bug: an Instructors group member who is not staff is not an instructor, so
    both the link and the page say no; once on the course's staff, both say yes."""
    member = UserFactory(username="group-only")
    member.groups.add(instructors_group_ensure())
    page = world.course.get_absolute_url()
    cohort = reverse("mastery:cohort", args=[world.course.slug])
    assert client_for(member).get(cohort).status_code == 403
    assert cohort not in client_for(member).get(page).content.decode()
    CourseInstructor.objects.create(user=member, course=world.course, role=CourseInstructor.Role.INSTRUCTOR)
    assert client_for(member).get(cohort).status_code == 200
    assert cohort in client_for(member).get(page).content.decode()


def test_members_page_query_count_is_constant_in_cohorts_and_learners(
    world: World, django_assert_num_queries
) -> None:
    client = client_for(world.instructor)
    url = reverse("courses:members", args=[world.course.slug])
    client.get(url)
    with django_assert_num_queries(7) as first:
        client.get(url)
    for i in range(4):
        cohort = Cohort.objects.create(course=world.course, name=f"Extra {i}")
        learner = UserFactory(username=f"extra-{i}")
        Enrollment.objects.create(
            learner=learner, course=world.course, cohort=cohort, via=Enrollment.Via.CODE
        )
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)
