"""The lesson admin: editing re-renders, the preview page, the changelist's query count."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lessons.models import ConceptIndexEntry, Depth, Lesson
from lessons.services import lesson_render
from tests import factories
from tests.admin_utils import admin_form_data


def test_editing_the_body_rerenders_html_and_sections(instructor_client: Client) -> None:
    lesson = factories.LessonFactory()
    lesson_render(lesson=lesson)
    entry = factories.ConceptIndexEntryFactory(
        lesson=lesson, concept=factories.ConceptFactory(course=lesson.module.course)
    )
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = admin_form_data(instructor_client.get(url))
    assert data["index_entries-TOTAL_FORMS"] == 1
    data["body_md"] = (
        "## Currents\n\nWater moves.\n\n### Rip currents\n\nSwim sideways.\n\n## Waves\n\nWind.\n"
    )
    data["index_entries-0-depth"] = str(Depth.DEVELOPED)

    response = instructor_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    lesson.refresh_from_db()
    assert "Rip currents" in lesson.body_html
    assert "First part" not in lesson.body_html
    assert [(s.number, s.title) for s in lesson.sections.all()] == [
        ("1", "Currents"),
        ("1.1", "Rip currents"),
        ("2", "Waves"),
    ]
    entry.refresh_from_db()
    assert entry.depth == Depth.DEVELOPED


def test_adding_an_index_entry_inline(instructor_client: Client) -> None:
    lesson = factories.LessonFactory()
    concept = factories.ConceptFactory(course=lesson.module.course)
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = admin_form_data(instructor_client.get(url))
    data.update(
        {
            "index_entries-TOTAL_FORMS": "1",
            "index_entries-0-concept": str(concept.pk),
            "index_entries-0-depth": str(Depth.APPLIED),
            "index_entries-0-notes": "Worked through on a real beach.",
            "index_entries-0-order": "0",
        }
    )
    response = instructor_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert ConceptIndexEntry.objects.get(lesson=lesson).concept == concept


def test_change_page_lists_sections_and_links_preview_and_site(instructor_client: Client) -> None:
    lesson = factories.LessonFactory()
    lesson_render(lesson=lesson)
    response = instructor_client.get(reverse("admin:lessons_lesson_change", args=[lesson.pk]))
    body = response.content.decode()
    assert "§1.1 A detail" in body
    assert reverse("admin:lessons_lesson_preview", args=[lesson.pk]) in body
    assert "View on site" in body


def test_preview_shows_rendered_body_to_instructor(instructor_client: Client) -> None:
    lesson = factories.LessonFactory(body_md="## Kelp forests\n\n```python\nprint('sway')\n```\n")
    lesson_render(lesson=lesson)
    response = instructor_client.get(reverse("admin:lessons_lesson_preview", args=[lesson.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Kelp forests" in body
    assert 'id="s1"' in body
    assert "css/site.css" in body and "css/pygments.css" in body
    assert "Studyhall admin" in body


def test_preview_for_others(client: Client, student_client: Client) -> None:
    lesson = factories.LessonFactory()
    url = reverse("admin:lessons_lesson_preview", args=[lesson.pk])
    for other in (client, student_client):
        response = other.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    staffer = factories.UserFactory(username="staffer", is_staff=True)
    staffer.user_permissions.add(Permission.objects.get(codename="view_course"))
    staff_client = Client()
    staff_client.force_login(staffer)
    assert staff_client.get(url).status_code == 403


def test_preview_of_a_missing_lesson_is_404(instructor_client: Client) -> None:
    assert instructor_client.get(reverse("admin:lessons_lesson_preview", args=[999999])).status_code == 404


def test_search_finds_words_in_the_body(instructor_client: Client) -> None:
    factories.LessonFactory(title="Anemones", body_md="Stinging cells called nematocysts.")
    factories.LessonFactory(title="Crabs")
    response = instructor_client.get(reverse("admin:lessons_lesson_changelist"), {"q": "nematocysts"})
    body = response.content.decode()
    assert "Anemones" in body
    assert "Crabs" not in body


def test_changelist_query_count_does_not_grow_with_lessons(instructor_client: Client) -> None:
    factories.LessonFactory()
    url = reverse("admin:lessons_lesson_changelist")
    instructor_client.get(url)  # the signed-in user is read once, then kept (accounts/learner_cache.py)
    with CaptureQueriesContext(connection) as small:
        assert instructor_client.get(url).status_code == 200
    # Lessons spread over several modules and courses, so a missing select_related would show.
    for _ in range(4):
        factories.LessonFactory.create_batch(5, module=factories.ModuleFactory())
    assert Lesson.objects.count() == 21
    with CaptureQueriesContext(connection) as large:
        assert instructor_client.get(url).status_code == 200
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


def test_index_entry_changelist_filters_by_depth(instructor_client: Client) -> None:
    applied = factories.ConceptIndexEntryFactory(depth=Depth.APPLIED, concept__name="Salinity")
    factories.ConceptIndexEntryFactory(depth=Depth.MENTIONED, concept__name="Turbidity")
    response = instructor_client.get(
        reverse("admin:lessons_conceptindexentry_changelist"), {"depth__exact": Depth.APPLIED}
    )
    body = response.content.decode()
    assert str(applied.concept) in body
    assert "Turbidity" not in body
