"""Admin for lessons (with a rendered preview) and concept-index entries."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from courses.admin import ConceptIndexEntryForm, ConceptIndexEntryInlineForm
from courses.authoring import AuthoringAdmin, AuthoringInline, LooseOrderedFormSet, check_marker_problem
from lessons import services as lesson_services
from lessons.models import ConceptIndexEntry, Lesson
from quizzes import services as quiz_services
from quizzes.models import Question


class ConceptIndexEntryByLessonInline(AuthoringInline):
    model = ConceptIndexEntry
    form = ConceptIndexEntryInlineForm
    formset = LooseOrderedFormSet
    fields = ["concept", "depth", "notes", "order"]
    autocomplete_fields = ["concept"]
    ordering = ["order", "id"]
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConceptIndexEntry]:
        return super().get_queryset(request).select_related("concept__course")


class LessonForm(forms.ModelForm):
    class Meta:
        model = Lesson
        # The admin's fieldsets decide what is shown; the form only adds the marker check.
        exclude: list[str] = []

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        module = cleaned.get("module")
        body = cleaned.get("body_md")
        if module is not None and body:
            problem = check_marker_problem(body, module.course_id, module.course.title)
            if problem:
                self.add_error("body_md", problem)
        return cleaned


@admin.register(Lesson)
class LessonAdmin(AuthoringAdmin):
    form = LessonForm
    list_display = ["title", "slug", "module", "course", "kind", "order", "built", "updated_at"]
    # Module and course are shown on every row; without this each row costs two queries.
    list_select_related = ["module__course"]
    list_filter = ["module__course", "module", "kind"]
    search_fields = ["title", "slug", "body_md"]
    ordering = ["module__course__order", "module__course__title", "module__order", "order", "id"]
    autocomplete_fields = ["module"]
    inlines = [ConceptIndexEntryByLessonInline]
    readonly_fields = ["preview_link", "sections_outline"]
    fieldsets = [
        (None, {"fields": ["module", "slug", "title", "kind", "order", "preview_link"]}),
        (
            "Page",
            {"fields": ["kicker", "summary", "read_minutes", "difficulty", "body_md", "sections_outline"]},
        ),
        (
            "Lesson record",
            {
                "classes": ["collapse"],
                "fields": [
                    "concepts_taught_md",
                    "mental_models_md",
                    "analogies_md",
                    "how_taught_md",
                    "not_covered_md",
                    "notebook",
                    "notebook_about",
                ],
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lesson]:
        return super().get_queryset(request).select_related("module__course")

    @admin.display(description="course", ordering="module__course__title")
    def course(self, obj: Lesson) -> str:
        return str(obj.module.course)

    @admin.display(description="built", boolean=True)
    def built(self, obj: Lesson) -> bool:
        return obj.is_built

    @admin.display(description="preview")
    def preview_link(self, obj: Lesson) -> str:
        if obj.pk is None:
            return "Save the lesson to preview it."
        url = reverse("admin:lessons_lesson_preview", args=[obj.pk])
        return format_html('<a href="{}">Preview the rendered lesson</a>', url)

    @admin.display(description="sections")
    def sections_outline(self, obj: Lesson) -> str:
        if obj.pk is None:
            return "—"
        sections = list(obj.sections.all())
        if not sections:
            return "No sections: the body has no ## headings yet."
        return format_html(
            "<ol class='lesson-sections'>{}</ol>",
            format_html_join("", "<li>{} <code>#{}</code></li>", ((str(s), s.anchor) for s in sections)),
        )

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="lessons_lesson_preview",
            ),
        ]
        return custom + super().get_urls()

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied  # no lesson permission at all: refused before any lookup
        lesson = self.get_object(request, unquote(object_id))
        if lesson is None:
            raise Http404("No such lesson.")
        if not self.has_view_permission(request, lesson):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": lesson,
            "lesson": lesson,
            "sections": list(lesson.sections.all()),
            "title": f"Preview: {lesson.title}",
        }
        return TemplateResponse(request, "admin/lessons/lesson/preview.html", context)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        lesson = form.instance
        sections = lesson_services.lesson_render_sections(lesson=lesson)
        # Questions point into the lesson by section reference; new headings can move their anchors.
        for question in Question.objects.filter(lesson=lesson):
            quiz_services.question_render(question=question, sections=sections)


@admin.register(ConceptIndexEntry)
class ConceptIndexEntryAdmin(AuthoringAdmin):
    form = ConceptIndexEntryForm
    list_display = ["concept", "lesson", "depth", "course", "order"]
    list_filter = ["depth", "lesson__module__course"]
    list_select_related = ["concept", "lesson__module__course"]
    search_fields = ["concept__name", "concept__slug", "lesson__title", "lesson__slug", "notes"]
    ordering = ["lesson__module__course__order", "lesson__module__order", "lesson__order", "order", "id"]
    autocomplete_fields = ["concept", "lesson"]

    @admin.display(description="course", ordering="lesson__module__course__title")
    def course(self, obj: ConceptIndexEntry) -> str:
        return str(obj.lesson.module.course)
