"""The admin per course: staff see and edit only the courses they instruct (accounts/roles.py "edit").

Personas: the instructor of course A, a teaching assistant of A, an instructor of one of
A's cohorts, and a superuser. Course B has its own instructor; course C has no staff row
(so every instructor teaches it, as before roles existed).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import CourseInstructor
from accounts.roles import can
from courses.access import course_editable_q
from courses.demo import instructors_group_ensure
from courses.models import Cohort, Course, Module
from lessons.models import Lesson
from tests import factories
from tests.courses.test_admin import (
    _one_of_each,
    curriculum_models,
    preview_token,
    upload,
    write_bundle,
    zip_folder,
)

pytestmark = pytest.mark.django_db

Role = CourseInstructor.Role


def _staff(username: str, **fields: Any) -> User:
    user = factories.UserFactory(username=username, is_staff=True, **fields)
    user.groups.add(instructors_group_ensure())
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world() -> dict[str, Any]:
    a, b = _one_of_each(), _one_of_each()
    course_a, course_b = a[Course], b[Course]
    teacher = _staff("teacher-a")
    CourseInstructor.objects.create(user=teacher, course=course_a, role=Role.INSTRUCTOR)
    CourseInstructor.objects.create(user=_staff("teacher-b"), course=course_b, role=Role.INSTRUCTOR)
    ta = _staff("ta-a")
    CourseInstructor.objects.create(user=ta, course=course_a, role=Role.TA)
    narrow = _staff("cohort-teacher-a")
    cohort = Cohort.objects.create(course=course_a, name="Evening")
    CourseInstructor.objects.create(user=narrow, course=course_a, role=Role.INSTRUCTOR, cohort=cohort)
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    return {"a": a, "b": b, "teacher": teacher, "ta": ta, "narrow": narrow, "root": root}


def _urls(model: type[models.Model], obj: models.Model) -> dict[str, str]:
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    return {
        "change": reverse(f"{prefix}_change", args=[obj.pk]),
        "delete": reverse(f"{prefix}_delete", args=[obj.pk]),
        "history": reverse(f"{prefix}_history", args=[obj.pk]),
    }


def test_the_instructor_lists_and_opens_only_their_courses_rows(world: dict[str, Any]) -> None:
    client = _client(world["teacher"])
    for model in curriculum_models():
        mine, theirs = world["a"][model], world["b"][model]
        changelist = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
        assert changelist.status_code == 200, model
        html = changelist.content.decode()
        assert _urls(model, mine)["change"] in html, model
        assert _urls(model, theirs)["change"] not in html, model
        for name, url in _urls(model, theirs).items():
            assert client.get(url).status_code == 404, (model, name)
        assert client.post(_urls(model, theirs)["delete"], {"post": "yes"}).status_code == 404, model
        assert client.get(_urls(model, mine)["change"]).status_code == 200, model
    # Nothing of course B was deleted by the refused posts.
    assert Course.objects.filter(pk=world["b"][Course].pk).exists()
    assert Lesson.objects.filter(pk=world["b"][Lesson].pk).exists()


def test_a_superuser_sees_every_course(world: dict[str, Any]) -> None:
    client = _client(world["root"])
    for model in curriculum_models():
        html = client.get(
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        ).content.decode()
        for side in ("a", "b"):
            assert _urls(model, world[side][model])["change"] in html, (model, side)
            assert client.get(_urls(model, world[side][model])["change"]).status_code == 200


@pytest.mark.parametrize("persona", ["ta", "narrow"])
def test_a_ta_or_a_cohorts_instructor_edits_no_course_row(world: dict[str, Any], persona: str) -> None:
    client = _client(world[persona])
    html = client.get(reverse("admin:courses_course_changelist")).content.decode()
    assert _urls(Course, world["a"][Course])["change"] not in html
    assert client.get(_urls(Course, world["a"][Course])["change"]).status_code == 404
    assert client.get(_urls(Lesson, world["a"][Lesson])["change"]).status_code == 404


def test_a_course_without_staff_is_edited_by_every_instructor(world: dict[str, Any]) -> None:
    unassigned = factories.CourseFactory(title="Nobody's yet")
    for persona in ("teacher", "ta", "narrow"):
        assert _client(world[persona]).get(_urls(Course, unassigned)["change"]).status_code == 200, persona
    staffer = factories.UserFactory(username="plain-staff", is_staff=True)  # not an instructor
    assert not Course.objects.filter(course_editable_q(staffer)).exists()


def test_the_rule_and_its_sql_twin_agree(world: dict[str, Any]) -> None:
    factories.CourseFactory(title="Nobody's yet")
    courses = list(Course.objects.all())
    outsider = factories.UserFactory(username="outsider-x")
    for persona in [world[name] for name in ("teacher", "ta", "narrow", "root")] + [outsider]:
        by_sql = set(Course.objects.filter(course_editable_q(persona)).values_list("pk", flat=True))
        by_rule = {course.pk for course in courses if can(persona, "edit", course)}
        assert by_sql == by_rule, persona.username


def test_course_choices_offer_only_editable_courses(world: dict[str, Any]) -> None:
    client = _client(world["teacher"])
    course_a, course_b = world["a"][Course], world["b"][Course]
    form = client.get(reverse("admin:courses_module_add")).context["adminform"].form
    choices = list(form.fields["course"].queryset)
    assert course_a in choices and course_b not in choices

    # A posted id of course B is refused like any invalid choice; nothing is created.
    response = client.post(
        reverse("admin:courses_module_add"),
        {
            "course": course_b.pk,
            "slug": "sneaky",
            "title": "Sneaky",
            "kind": "module",
            "order": 0,
            "lessons-TOTAL_FORMS": 0,
            "lessons-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Module.objects.filter(slug="sneaky").exists()

    # Moving A's lesson into B's module is refused the same way.
    lesson_form = client.get(_urls(Lesson, world["a"][Lesson])["change"]).context["adminform"].form
    assert world["b"][Module] not in list(lesson_form.fields["module"].queryset)

    # The autocomplete behind those fields answers with A's rows only.
    found = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "courses", "model_name": "module", "field_name": "course", "term": ""},
    )
    ids = {int(row["id"]) for row in json.loads(found.content)["results"]}
    assert course_a.pk in ids and course_b.pk not in ids


def test_the_course_filter_lists_only_editable_courses(world: dict[str, Any]) -> None:
    second = factories.LessonFactory()  # a second course of theirs: a filter of one is not shown
    CourseInstructor.objects.create(user=world["teacher"], course=second.module.course, role=Role.INSTRUCTOR)
    html = _client(world["teacher"]).get(reverse("admin:lessons_lesson_changelist")).content.decode()
    assert f"module__course__id__exact={world['a'][Course].pk}" in html
    assert f"module__course__id__exact={second.module.course.pk}" in html
    assert f"module__course__id__exact={world['b'][Course].pk}" not in html


def test_import_refuses_to_rewrite_a_course_the_user_does_not_edit(world: dict[str, Any]) -> None:
    client = _client(world["teacher"])
    theirs = factories.CourseFactory(slug="tidepools", title="Someone else's tide pools")
    CourseInstructor.objects.create(
        user=User.objects.get(username="teacher-b"), course=theirs, role=Role.INSTRUCTOR
    )
    with tempfile.TemporaryDirectory() as tmp:
        content = zip_folder(write_bundle(Path(tmp)))

    preview = upload(client, content, confirm=False)

    assert preview.status_code == 403
    assert "a course you do not edit" in preview.content.decode()
    theirs.refresh_from_db()
    assert theirs.title == "Someone else's tide pools" and not theirs.modules.exists()


def test_import_refused_at_confirmation_when_the_course_became_someone_elses(world: dict[str, Any]) -> None:
    client = _client(world["teacher"])
    with tempfile.TemporaryDirectory() as tmp:
        content = zip_folder(write_bundle(Path(tmp)))
    preview = upload(client, content, confirm=False)
    assert preview.status_code == 200  # a new course: the add permission is enough
    # Between preview and confirmation another instructor creates the course.
    theirs = factories.CourseFactory(slug="tidepools", title="Made meanwhile")
    CourseInstructor.objects.create(
        user=User.objects.get(username="teacher-b"), course=theirs, role=Role.INSTRUCTOR
    )
    confirmed = client.post(reverse("admin:courses_course_import"), {"confirm": preview_token(preview)})

    assert confirmed.status_code == 403
    theirs.refresh_from_db()
    assert theirs.title == "Made meanwhile" and not theirs.modules.exists()


def test_an_instructor_imports_their_own_course(world: dict[str, Any]) -> None:
    client = _client(world["teacher"])
    with tempfile.TemporaryDirectory() as tmp:
        content = zip_folder(write_bundle(Path(tmp)))
    assert upload(client, content).status_code == 302
    course = Course.objects.get(slug="tidepools")
    CourseInstructor.objects.create(user=world["teacher"], course=course, role=Role.INSTRUCTOR)
    with tempfile.TemporaryDirectory() as tmp:
        content = zip_folder(write_bundle(Path(tmp), title="Tide pools, again"))
    assert upload(client, content).status_code == 302
    course.refresh_from_db()
    assert course.title == "Tide pools, again"


@pytest.mark.parametrize("model", [Course, Module, Lesson])
def test_scoped_changelists_cost_no_query_per_row(world: dict[str, Any], model: type[models.Model]) -> None:
    client = _client(world["teacher"])
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    course_a = world["a"][Course]
    for _ in range(12):
        more = _one_of_each()
        if model is Course:
            CourseInstructor.objects.create(user=world["teacher"], course=more[Course], role=Role.INSTRUCTOR)
        else:
            target = more[model]
            if model is Module:
                Module.objects.filter(pk=target.pk).update(course=course_a)
            else:
                Module.objects.filter(pk=target.module_id).update(course=course_a)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert html.count('class="action-select"') >= 13
    assert len(many) == len(few)
    # session (the user is kept: accounts/learner_cache.py), the user's and the group's model
    # permissions, the Instructors-group check, then Django's own (count, rows, the filters'
    # choices…): three more than a superuser's.
    assert len(few) == {Course: 7, Module: 9, Lesson: 9}[model]


def test_the_delete_confirmation_asks_the_rule_once_not_per_collected_row(world: dict[str, Any]) -> None:
    course_a = world["a"][Course]
    url = _urls(Module, world["a"][Module])["delete"]
    clients = {who: _client(world[who]) for who in ("teacher", "root")}

    def count() -> dict[str, int]:
        counts = {}
        for who, client in clients.items():
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200 and "Are you sure" in response.content.decode()
            counts[who] = len(queries)
        return counts

    few = count()
    for _ in range(10):
        factories.ConceptIndexEntryFactory(
            lesson=factories.LessonFactory(module=world["a"][Module]),
            concept=factories.ConceptFactory(course=course_a),
        )
    many = count()
    # Django's collector (and the rows' names) cost what they cost for a superuser too; the
    # course rule adds a constant few queries, not one per collected row.
    assert many["teacher"] - few["teacher"] == many["root"] - few["root"]
    assert many["teacher"] - many["root"] <= 6


def test_course_memory_and_learner_records_follow_the_same_rule(world: dict[str, Any]) -> None:
    from mastery.models import CourseMemory

    mine = CourseMemory.objects.create(course=world["a"][Course])
    theirs = CourseMemory.objects.create(course=world["b"][Course])
    teacher = _client(world["teacher"])
    html = teacher.get(reverse("admin:mastery_coursememory_changelist")).content.decode()
    assert _urls(CourseMemory, mine)["change"] in html and _urls(CourseMemory, theirs)["change"] not in html
    assert teacher.get(_urls(CourseMemory, theirs)["change"]).status_code == 404
    # Attempts, cards and levels: the Instructors group has no permission on them at all.
    assert teacher.get(reverse("admin:mastery_attempt_changelist")).status_code == 403
    root = _client(world["root"])
    for name in ("attempt", "reviewcard", "conceptmastery", "coursememory"):
        assert root.get(reverse(f"admin:mastery_{name}_changelist")).status_code == 200, name
