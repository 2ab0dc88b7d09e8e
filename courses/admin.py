"""Admin for courses, modules and concepts, plus bundle import/export for instructors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Max, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from accounts.models import CourseInstructor
from courses import services as course_services
from courses.admin_views import course_export_response, course_import_view
from courses.authoring import (
    AuthoringAdmin,
    AuthoringInline,
    CourseChoicesMixin,
    CourseScopedAdmin,
    LooseOrderedFormSet,
    OrderedForm,
)
from courses.models import Cohort, Concept, Course, Enrollment, Module
from lessons.models import ConceptIndexEntry, Depth, Lesson

admin.site.site_header = "Studyhall admin"
admin.site.site_title = "Studyhall admin"
admin.site.index_title = "Curriculum"


class ModuleInline(AuthoringInline):
    model = Module
    form = OrderedForm
    formset = LooseOrderedFormSet
    fields = ["order", "slug", "title", "kind", "status", "planned_lessons"]
    ordering = ["order", "id"]
    extra = 0
    show_change_link = True


class CohortInline(CourseChoicesMixin, admin.TabularInline):
    """A course's cohorts; a code is what learners type at /join/ (courses/enrollment.py)."""

    model = Cohort
    fields = ["name", "code"]
    extra = 0


class StaffInline(CourseChoicesMixin, admin.TabularInline):
    """Instructors and teaching assistants (accounts/roles.py); a cohort narrows a role to it."""

    model = CourseInstructor
    fields = ["user", "role", "cohort"]
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name = "staff member"
    verbose_name_plural = "course staff (none: every instructor teaches it)"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "cohort":
            course_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = Cohort.objects.filter(course_id=course_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Enrollment)
class EnrollmentAdmin(CourseScopedAdmin):
    list_display = ["learner", "course", "cohort", "via", "created_at"]
    list_filter = ["course", "via"]
    list_select_related = ["learner", "course", "cohort"]
    search_fields = ["learner__username", "learner__email"]
    autocomplete_fields = ["learner"]
    readonly_fields = ["created_at"]


@admin.register(Course)
class CourseAdmin(AuthoringAdmin):
    list_display = ["title", "slug", "is_published", "enrollment", "order", "updated_at"]
    list_editable = ["order"]
    list_filter = ["is_published", "enrollment"]
    search_fields = ["title", "slug", "summary"]
    ordering = ["order", "title"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ModuleInline, CohortInline, StaffInline]
    actions = ["export_as_zip"]
    change_list_template = "admin/courses/course/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        info = (self.opts.app_label, self.opts.model_name)
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
        ]
        return custom + super().get_urls()

    def has_import_permission(self, request: HttpRequest) -> bool:
        # An import both creates and rewrites courses, so it takes both permissions.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        return course_import_view(request, model_admin=self)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "has_import_permission": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context=extra_context)

    @admin.action(description="Export selected course as .zip", permissions=["change"])
    def export_as_zip(self, request: HttpRequest, queryset: QuerySet[Course]) -> HttpResponse | None:
        courses = list(queryset[:2])
        if len(courses) != 1:
            self.message_user(request, "Select exactly one course to export.", messages.WARNING)
            return None
        return course_export_response(courses[0])

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Rendering a whole course is not cheap, so only re-render when the Markdown it owns changed.
        if not change or "description_md" in form.changed_data:
            course_services.course_render(course=form.instance)


class LessonInline(AuthoringInline):
    model = Lesson
    form = OrderedForm
    formset = LooseOrderedFormSet
    fields = ["order", "slug", "title", "kind", "read_minutes", "difficulty"]
    ordering = ["order", "id"]
    extra = 0
    show_change_link = True


@admin.register(Module)
class ModuleAdmin(AuthoringAdmin):
    list_display = ["title", "course", "kind", "order", "lessons_built"]
    list_filter = ["course", "kind"]
    list_select_related = ["course"]
    search_fields = ["title", "slug", "goal", "course__title"]
    ordering = ["course__order", "course__title", "order", "id"]
    autocomplete_fields = ["course"]
    inlines = [LessonInline]
    fieldsets = [
        (None, {"fields": ["course", "slug", "title", "kind", "order"]}),
        ("Status", {"fields": ["goal", "status", "planned_lessons"]}),
        ("Record", {"fields": ["record_md"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Module]:
        # The status column reads every lesson's body; one prefetch instead of one query per row.
        lessons = Lesson.objects.only("id", "module_id", "body_md")
        return super().get_queryset(request).prefetch_related(Prefetch("lessons", queryset=lessons))

    @admin.display(description="status")
    def lessons_built(self, obj: Module) -> str:
        built, planned = obj.status_counts(list(obj.lessons.all()))
        return f"{built} of {planned} lessons built"

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        course_services.module_render(module=form.instance)


class ConceptIndexEntryForm(forms.ModelForm):
    class Meta:
        model = ConceptIndexEntry
        fields = ["concept", "lesson", "depth", "notes", "order"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        concept: Concept | None = cleaned.get("concept")
        lesson: Lesson | None = cleaned.get("lesson")
        if concept is not None and lesson is not None and concept.course_id != lesson.module.course_id:
            raise forms.ValidationError("The concept and the lesson belong to different courses.")
        return cleaned


class ConceptIndexEntryInlineForm(OrderedForm, ConceptIndexEntryForm):
    """An index entry as an inline row: its order may be left blank (after the others)."""


class ConceptIndexEntryByConceptInline(AuthoringInline):
    model = ConceptIndexEntry
    form = ConceptIndexEntryInlineForm
    formset = LooseOrderedFormSet
    fields = ["lesson", "depth", "notes", "order"]
    autocomplete_fields = ["lesson"]
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConceptIndexEntry]:
        return super().get_queryset(request).select_related("lesson__module__course")


@admin.register(Concept)
class ConceptAdmin(AuthoringAdmin):
    list_display = ["name", "slug", "course", "deepest_depth", "entry_count"]
    list_filter = ["course"]
    list_select_related = ["course"]
    search_fields = ["name", "slug", "description"]
    ordering = ["course__order", "course__title", "name"]
    autocomplete_fields = ["course"]
    inlines = [ConceptIndexEntryByConceptInline]
    readonly_fields = ["index_entries_link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Concept]:
        return (
            super()
            .get_queryset(request)
            .annotate(deepest=Max("index_entries__depth"), entries=Count("index_entries"))
        )

    @admin.display(description="deepest depth", ordering="deepest")
    def deepest_depth(self, obj: Concept) -> str:
        deepest = getattr(obj, "deepest", None)
        return Depth(deepest).label if deepest else "—"

    @admin.display(description="lessons", ordering="entries")
    def entry_count(self, obj: Concept) -> int:
        return getattr(obj, "entries", 0)

    @admin.display(description="index entries")
    def index_entries_link(self, obj: Concept) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:lessons_conceptindexentry_changelist") + f"?concept__id__exact={obj.pk}"
        return format_html('<a href="{}">All index entries of this concept</a>', url)
