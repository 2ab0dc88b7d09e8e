"""The admin as a whole (access, every page opens) and the course admin: modules, bundle import/export."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import admin_views
from courses.models import Course, Enrollment
from lessons.models import ConceptIndexEntry, Depth, Lesson
from quizzes.models import RecallPlan
from tests import factories
from tests.admin_utils import admin_form_data

CURRICULUM_APPS = {"courses", "lessons", "quizzes"}


def curriculum_models() -> list[type[models.Model]]:
    return sorted(
        (model for model in admin.site._registry if model._meta.app_label in CURRICULUM_APPS),
        key=lambda model: model._meta.label,
    )


# --- access ---------------------------------------------------------------


def test_every_curriculum_model_is_registered() -> None:
    labels = {model._meta.label for model in curriculum_models()}
    assert {
        "courses.Course",
        "courses.Module",
        "courses.Concept",
        "lessons.Lesson",
        "lessons.ConceptIndexEntry",
        "quizzes.Question",
        "quizzes.Quiz",
        "quizzes.RecallPlan",
        "quizzes.RecallDay",
    } <= labels


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client: Client) -> None:
    for model in curriculum_models():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_student_is_sent_to_login(student_client: Client) -> None:
    for url in [
        reverse("admin:index"),
        reverse("admin:courses_course_changelist"),
        reverse("admin:courses_course_import"),
    ]:
        response = student_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_site_header(instructor_client: Client) -> None:
    response = instructor_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Studyhall admin" in response.content.decode()


def _one_of_each() -> dict[type[models.Model], models.Model]:
    course = factories.CourseFactory()
    module = factories.ModuleFactory(course=course)
    lesson = factories.LessonFactory(module=module)
    concept = factories.ConceptFactory(course=course)
    question = factories.QuestionFactory(course=course, lesson=lesson)
    option = factories.OptionFactory(question=factories.QuestionFactory(course=course, kind="choice"))
    quiz_item = factories.QuizItemFactory(quiz=factories.QuizFactory(course=course), question=question)
    prompt = factories.RecallPromptFactory(
        day=factories.RecallDayFactory(plan=factories.RecallPlanFactory(course=course)), question=question
    )
    enrollment = Enrollment.objects.create(
        learner=factories.UserFactory(), course=course, via=Enrollment.Via.INSTRUCTOR
    )
    objects: list[models.Model] = [
        course,
        enrollment,
        module,
        lesson,
        concept,
        question,
        option,
        factories.ConceptIndexEntryFactory(concept=concept, lesson=lesson),
        quiz_item.quiz,
        quiz_item,
        prompt.day.plan,
        prompt.day,
        prompt,
    ]
    return {type(obj): obj for obj in objects}


def test_instructor_opens_every_changelist_add_and_change_page(instructor_client: Client) -> None:
    objects = _one_of_each()
    for model in curriculum_models():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        obj = objects[model]
        for url in [
            reverse(f"{prefix}_changelist"),
            reverse(f"{prefix}_add"),
            reverse(f"{prefix}_change", args=[obj.pk]),
        ]:
            response = instructor_client.get(url)
            assert response.status_code == 200, url


def test_changelists_search_and_filter(instructor_client: Client) -> None:
    objects = _one_of_each()
    course = objects[Course]
    for model in curriculum_models():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = instructor_client.get(url, {"q": "zebra"})
        assert response.status_code == 200, url
    response = instructor_client.get(
        reverse("admin:lessons_lesson_changelist"), {"module__course__id__exact": course.pk}
    )
    assert response.status_code == 200
    assert objects[Lesson].title in response.content.decode()


# --- course and module pages ---------------------------------------------


def test_course_change_page_links_each_module(instructor_client: Client) -> None:
    module = factories.ModuleFactory()
    response = instructor_client.get(reverse("admin:courses_course_change", args=[module.course.pk]))
    assert reverse("admin:courses_module_change", args=[module.pk]) in response.content.decode()


def test_course_description_is_rendered_on_save(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    url = reverse("admin:courses_course_change", args=[course.pk])
    data = admin_form_data(instructor_client.get(url))
    data["description_md"] = "Rock pools *reward* patience."
    response = instructor_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    course.refresh_from_db()
    assert "<em>reward</em>" in course.description_html


def test_module_changelist_shows_lessons_built(instructor_client: Client) -> None:
    module = factories.ModuleFactory(planned_lessons=3)
    factories.LessonFactory(module=module)
    factories.LessonFactory(module=module, body_md="")
    response = instructor_client.get(reverse("admin:courses_module_changelist"))
    assert "1 of 3 lessons built" in response.content.decode()


def test_module_save_renders_record(instructor_client: Client) -> None:
    module = factories.ModuleFactory()
    factories.LessonFactory(module=module)
    url = reverse("admin:courses_module_change", args=[module.pk])
    data = admin_form_data(instructor_client.get(url))
    data["record_md"] = "- A tide is a **very long** wave."
    response = instructor_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    module.refresh_from_db()
    assert "<strong>very long</strong>" in module.record_html


def test_concept_changelist_shows_deepest_depth(instructor_client: Client) -> None:
    concept = factories.ConceptFactory(name="Buoyancy")
    module = factories.ModuleFactory(course=concept.course)
    factories.ConceptIndexEntryFactory(concept=concept, lesson=factories.LessonFactory(module=module))
    factories.ConceptIndexEntryFactory(
        concept=concept, lesson=factories.LessonFactory(module=module), depth=Depth.APPLIED
    )
    response = instructor_client.get(reverse("admin:courses_concept_changelist"))
    row = re.search(r"Buoyancy.*?</tr>", response.content.decode(), re.S)
    assert row is not None
    assert "Applied" in row.group(0)


def test_index_entry_rejects_concept_of_another_course(instructor_client: Client) -> None:
    lesson = factories.LessonFactory()
    stranger = factories.ConceptFactory()  # a concept of a different course
    response = instructor_client.post(
        reverse("admin:lessons_conceptindexentry_add"),
        {"concept": stranger.pk, "lesson": lesson.pk, "depth": Depth.INTRODUCED, "notes": "", "order": 0},
    )
    assert response.status_code == 200
    assert "different courses" in response.content.decode()
    assert not ConceptIndexEntry.objects.exists()


# --- bundle import ---------------------------------------------------------

COURSE_MD = """---
slug: tidepools
title: Reading tide pools
summary: A short course about the life between high and low water.
---
Everything in this course happens on one stretch of rocky shore.
"""

MODULE_MD = """---
slug: basics
title: Basics of the shore
kind: module
order: 1
---
**Goal:** The student can name the bands of the shore and say who lives in each.

## Concept Index

| Concept | Depth | Lesson | Notes |
|---------|-------|--------|-------|
| Intertidal zone | INTRODUCED | zones | Drawn as coloured bands on a rock face. |
"""

LESSON_MD = """---
slug: zones
title: Bands on the rock
kind: BUILD
order: 1
---
## Why the shore has bands

Each creature can stay out of the water only so long, so each settles at its own height.

### The splash zone

Only a few snails and lichens cope with a place the sea merely sprays.
"""


def write_bundle(root: Path, *, lesson_md: str = LESSON_MD, title: str = "Reading tide pools") -> Path:
    bundle = root / "tidepools"
    (bundle / "modules" / "01-basics").mkdir(parents=True)
    (bundle / "course.md").write_text(COURSE_MD.replace("Reading tide pools", title))
    (bundle / "modules" / "01-basics" / "module.md").write_text(MODULE_MD)
    (bundle / "modules" / "01-basics" / "01-zones.md").write_text(lesson_md)
    return bundle


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, arcname=path.relative_to(folder.parent).as_posix())
    return buffer.getvalue()


def zip_members(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def upload(
    client: Client, content: bytes, name: str = "bundle.zip", *, confirm: bool = True, **extra: str
) -> Any:
    """Upload, and (unless confirm=False) confirm the previewed import as the instructor would."""
    file = io.BytesIO(content)
    file.name = name
    response = client.post(reverse("admin:courses_course_import"), {"upload": file, **extra})
    if not confirm or response.status_code != 200:
        return response
    return client.post(reverse("admin:courses_course_import"), {"confirm": preview_token(response)})


def preview_token(response: Any) -> str:
    found = re.search(r'name="confirm" value="([^"]+)"', response.content.decode())
    assert found, response.content.decode()[:3000]
    return found.group(1)


def test_import_view_access(client: Client, instructor_client: Client) -> None:
    url = reverse("admin:courses_course_import")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("admin:login"))

    staffer = factories.UserFactory(username="staffer", is_staff=True)
    # Changing courses is not enough: an import also creates them.
    staffer.user_permissions.add(*Permission.objects.filter(codename__in=["view_course", "change_course"]))
    staff_client = Client()
    staff_client.force_login(staffer)
    assert staff_client.get(url).status_code == 403
    assert (
        "Import bundle" not in staff_client.get(reverse("admin:courses_course_changelist")).content.decode()
    )

    assert instructor_client.get(url).status_code == 200
    changelist = instructor_client.get(reverse("admin:courses_course_changelist")).content.decode()
    assert "Import bundle" in changelist and url in changelist


def test_import_zip_of_a_bundle(instructor_client: Client, tmp_path: Path) -> None:
    response = upload(instructor_client, zip_folder(write_bundle(tmp_path)))
    assert response.status_code == 302, response.content.decode()[:3000]
    course = Course.objects.get(slug="tidepools")
    lesson = Lesson.objects.get(module__course=course, slug="zones")
    assert lesson.sections.count() == 2
    assert ConceptIndexEntry.objects.filter(lesson=lesson, concept__name="Intertidal zone").exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages, "the import summary is shown as a message"


def test_import_preview_shows_the_report_and_writes_nothing(
    instructor_client: Client, tmp_path: Path
) -> None:
    bundle = write_bundle(tmp_path)
    (bundle / "notes.txt").write_text("A stray note that belongs to no part of the bundle.\n")
    response = upload(instructor_client, zip_folder(bundle), confirm=False)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Would create course &#x27;tidepools&#x27;" in body
    assert "tidepools/notes.txt:1: file not part of the bundle layout" in body
    assert "studyhall-pending" not in body, "the temporary folder is not shown"
    assert not Course.objects.exists()
    confirmed = instructor_client.post(
        reverse("admin:courses_course_import"), {"confirm": preview_token(response)}
    )
    assert confirmed.status_code == 302
    assert Course.objects.filter(slug="tidepools").exists()


def test_a_preview_is_confirmed_once_and_only_by_its_uploader(
    client: Client, instructor_client: Client, student_client: Client, tmp_path: Path
) -> None:
    url = reverse("admin:courses_course_import")
    token = preview_token(upload(instructor_client, zip_folder(write_bundle(tmp_path)), confirm=False))
    assert client.post(url, {"confirm": token}).status_code == 302  # anonymous: to the login page
    assert student_client.post(url, {"confirm": token}).status_code == 302
    other = factories.UserFactory(username="other-instructor", is_staff=True, is_superuser=True)
    other_client = Client()
    other_client.force_login(other)
    refused = other_client.post(url, {"confirm": token})
    assert refused.status_code == 400 and "expired" in refused.content.decode()
    assert not Course.objects.exists()
    assert instructor_client.post(url, {"confirm": token}).status_code == 302
    again = instructor_client.post(url, {"confirm": token})
    assert again.status_code == 400 and "already imported" in again.content.decode()
    assert instructor_client.post(url, {"confirm": "../../etc"}).status_code == 400


def test_a_preview_lives_in_the_shared_cache_not_on_this_nodes_disk(
    instructor_client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Preview on one web node, confirm on another: the second has its own temporary
    # directory, so all it may rely on is the shared cache (Redis in production).
    node_one, node_two = tmp_path / "node-one-tmp", tmp_path / "node-two-tmp"
    node_one.mkdir()
    node_two.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(node_one))
    token = preview_token(upload(instructor_client, zip_folder(write_bundle(tmp_path)), confirm=False))
    assert not any(node_one.iterdir()), "the preview left files in the node's temporary directory"
    kept = cache.get(admin_views.PENDING_KEY_PREFIX + token)
    assert kept["name"] == "bundle.zip" and zipfile.is_zipfile(io.BytesIO(kept["data"]))

    monkeypatch.setattr(tempfile, "tempdir", str(node_two))
    confirmed = instructor_client.post(reverse("admin:courses_course_import"), {"confirm": token})
    assert confirmed.status_code == 302, confirmed.content.decode()[:2000]
    assert Course.objects.filter(slug="tidepools").exists()
    assert cache.get(admin_views.PENDING_KEY_PREFIX + token) is None
    assert not any(node_two.iterdir())


def test_a_preview_another_node_already_confirmed_or_the_cache_lost_is_refused(
    instructor_client: Client, tmp_path: Path
) -> None:
    url = reverse("admin:courses_course_import")
    token = preview_token(upload(instructor_client, zip_folder(write_bundle(tmp_path)), confirm=False))
    # What a concurrent confirmation on another node does first: take the upload out of the cache.
    assert cache.delete(admin_views.PENDING_KEY_PREFIX + token)
    refused = instructor_client.post(url, {"confirm": token})
    assert refused.status_code == 400 and "expired" in refused.content.decode()
    assert not Course.objects.exists()


def test_import_zip_with_bundle_at_top_level(instructor_client: Client, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path)
    members = {p.relative_to(bundle).as_posix(): p.read_text() for p in bundle.rglob("*") if p.is_file()}
    response = upload(instructor_client, zip_members(members))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Course.objects.filter(slug="tidepools").exists()


def test_broken_bundle_names_file_and_line_and_changes_nothing(
    instructor_client: Client, tmp_path: Path
) -> None:
    assert upload(instructor_client, zip_folder(write_bundle(tmp_path / "good"))).status_code == 302
    broken_lesson = LESSON_MD.replace("kind: BUILD\n", "kind: BUILD\ncolour: teal\n")
    broken = zip_folder(write_bundle(tmp_path / "broken", lesson_md=broken_lesson, title="Renamed course"))

    response = upload(instructor_client, broken)

    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(r"01-zones\.md:\d+:", body), body
    assert "studyhall-import-" not in body, "the temporary folder is not shown"
    assert Course.objects.get(slug="tidepools").title == "Reading tide pools"


@pytest.mark.parametrize(
    "member", ["../escape.md", "/tmp/escape.md", "tidepools/../../escape.md", "C:/escape.md"]
)
def test_zip_slip_member_is_rejected(instructor_client: Client, tmp_path: Path, member: str) -> None:
    response = upload(instructor_client, zip_members({"tidepools/course.md": COURSE_MD, member: "x"}))
    assert response.status_code == 400
    assert "unsafe path" in response.content.decode()
    assert not Course.objects.exists()


def test_oversized_bundle_is_rejected(
    instructor_client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_views, "MAX_BUNDLE_BYTES", 200)
    response = upload(instructor_client, zip_members({"tidepools/course.md": COURSE_MD + "x" * 500}))
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not Course.objects.exists()


def test_upload_that_is_not_a_zip(instructor_client: Client) -> None:
    response = upload(instructor_client, b"not a zip at all")
    assert response.status_code == 400
    assert "not a valid .zip" in response.content.decode()


def test_zip_without_course_md(instructor_client: Client) -> None:
    response = upload(instructor_client, zip_members({"notes/readme.md": "Nothing to see."}))
    assert response.status_code == 400
    assert "no course.md" in response.content.decode()


def test_single_document_needs_a_course_slug(instructor_client: Client) -> None:
    response = upload(instructor_client, b"# Week 1\n", name="week.md")
    assert response.status_code == 400
    assert "needs the slug" in response.content.decode()


RECALL_WEEK = """# Week 1 - Daily recall

A few questions a day about the shore.

## Monday (after zones)
- Why does each creature settle at its own height on the rock? (§1)
- What makes the splash zone hard to live in? (§1.1)
"""


def test_import_a_single_recall_document_into_a_course(instructor_client: Client, tmp_path: Path) -> None:
    assert upload(instructor_client, zip_folder(write_bundle(tmp_path))).status_code == 302
    response = upload(
        instructor_client, RECALL_WEEK.encode(), name="week-1.md", course_slug="tidepools", kind="recall"
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    plan = RecallPlan.objects.get(course__slug="tidepools")
    day = plan.days.get()
    assert day.prompts.count() == 2


# --- export ------------------------------------------------------------------


def export(client: Client, course: Course) -> Any:
    return client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "export_as_zip", "_selected_action": [str(course.pk)], "index": "0", "select_across": "0"},
    )


def test_export_action_returns_a_zip_that_reimports(instructor_client: Client, tmp_path: Path) -> None:
    assert upload(instructor_client, zip_folder(write_bundle(tmp_path))).status_code == 302
    course = Course.objects.get(slug="tidepools")

    response = export(instructor_client, course)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="tidepools.zip"' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert "tidepools/course.md" in names
    assert all(name.startswith("tidepools/") for name in names)

    Course.objects.filter(pk=course.pk).update(title="Changed by hand")
    Lesson.objects.filter(module__course=course).delete()
    again = upload(instructor_client, response.content, name="tidepools.zip")
    assert again.status_code == 302, again.content.decode()[:3000]
    course.refresh_from_db()
    assert course.title == "Reading tide pools"
    lesson = Lesson.objects.get(module__course=course, slug="zones")
    assert "splash zone" in lesson.body_html


def test_export_needs_exactly_one_course(instructor_client: Client) -> None:
    first, second = factories.CourseFactory(), factories.CourseFactory()
    response = instructor_client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "export_as_zip", "_selected_action": [str(first.pk), str(second.pk)], "index": "0"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Select exactly one course" in response.content.decode()


def test_export_action_needs_change_permission(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    viewer = factories.UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_course"))
    viewer_client = Client()
    viewer_client.force_login(viewer)
    changelist = reverse("admin:courses_course_changelist")
    assert "export_as_zip" in instructor_client.get(changelist).content.decode()
    assert "export_as_zip" not in viewer_client.get(changelist).content.decode()
    assert export(viewer_client, course).get("Content-Type") != "application/zip"


def test_module_changelist_query_count_does_not_grow(instructor_client: Client) -> None:
    course = factories.CourseFactory()
    module = factories.ModuleFactory(course=course)
    factories.LessonFactory(module=module)
    url = reverse("admin:courses_module_changelist")
    instructor_client.get(url)  # the signed-in user is read once, then kept (accounts/learner_cache.py)
    with CaptureQueriesContext(connection) as small:
        assert instructor_client.get(url).status_code == 200
    for _ in range(5):
        factories.LessonFactory.create_batch(3, module=factories.ModuleFactory(course=course))
    with CaptureQueriesContext(connection) as large:
        assert instructor_client.get(url).status_code == 200
    assert len(large) == len(small)
