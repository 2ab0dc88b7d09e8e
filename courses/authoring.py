"""What every curriculum admin shares so that authoring in the browser stays git-friendly.

- Text fields store LF line endings: browsers send textarea content with CRLF, and an
  exported bundle must not change just because a lesson was saved in the admin.
- Ordered inline rows (options, quiz items, recall days and prompts, lessons, modules,
  index entries): a new row's order starts blank and means "after the others", so rows
  added together never collide; reshuffles are saved in an order the unique
  constraints accept.
- Check markers in a lesson body must name questions of the lesson's course.
- A course's rows are listed, opened, changed, deleted and offered as choices only to who
  may edit the course: accounts/roles.py `can(user, "edit", course)`, asked in SQL through
  courses/access.py `course_editable_q` (one subquery per list, never a query per row).
  Django's model permissions still decide which kinds of rows a staff member may touch.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.db import models
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest

from accounts.roles import can
from courses.access import COURSE_PATHS, course_of, editable_rows
from courses.bundles.importer import ORDER_PARKING_OFFSET
from lessons.rendering import render_lesson
from quizzes.models import Question


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class LfTextField(forms.CharField):
    """A text field that stores LF line endings whatever the browser sent."""

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalize_newlines(value) if isinstance(value, str) else value


class LfTextFieldsMixin:
    """Every TextField of the admin's forms (inlines included) becomes an LfTextField."""

    def formfield_for_dbfield(
        self, db_field: models.Field, request: HttpRequest | None, **kwargs: Any
    ) -> forms.Field | None:
        if isinstance(db_field, models.TextField) and not db_field.choices:
            kwargs.setdefault("form_class", LfTextField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


# Rows being saved are first moved out of the way by this much, so that swapping two
# rows' order or moving the correct mark never trips a unique constraint mid-save.
PARKING_OFFSET = ORDER_PARKING_OFFSET  # the importer parks orders the same way


class OrderedForm(forms.ModelForm):
    """A child row with an order per parent; a blank order means "after the others"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        order = self.fields["order"]
        order.required = False
        if self.instance._state.adding:
            # Blank rather than the model default 0 (the form field's initial value, which
            # the "Add another" row copies), so rows added together do not collide.
            self.initial.pop("order", None)
            order.initial = None

    def validate_unique(self) -> None:
        # Checked against the database one row at a time, a legal reshuffle (two rows
        # swapping order, the correct mark moving) looks like a clash with the old rows.
        # OrderedFormSet checks the rows of the parent as a whole instead.
        pass


class OrderedFormSet(forms.BaseInlineFormSet):
    # Extra column values given to changed rows while they are parked (see PARKING_OFFSET).
    park_values: dict[str, Any] = {}
    # Whether the database holds one row per order (options, recall days and prompts);
    # elsewhere old rows may share an order, and only new rows must not add to that.
    orders_unique = True

    def kept_forms(self) -> list[forms.ModelForm]:
        return [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = self.kept_forms()
        orders = [form.cleaned_data["order"] for form in kept if form.cleaned_data.get("order") is not None]
        if self.orders_unique and len(orders) != len(set(orders)):
            raise forms.ValidationError("Two rows have the same order; give each row its own number.")
        next_order = max(orders, default=-1) + 1
        for form in kept:
            if form.cleaned_data.get("order") is None:
                form.cleaned_data["order"] = form.instance.order = next_order
                next_order += 1

    def save_parked(self) -> None:
        """Save in an order the unique constraints accept (admin views already run in a transaction)."""
        rows = self.save(commit=False)
        for row in self.deleted_objects:
            row.delete()
        changed = [row.pk for row in rows if row.pk is not None]
        if changed and self.orders_unique:
            self.model._default_manager.filter(pk__in=changed).update(
                order=F("order") + PARKING_OFFSET, **self.park_values
            )
        for row in sorted(rows, key=self.save_sort_key):
            row.save()
        self.save_m2m()

    def save_sort_key(self, row: Any) -> int:
        return 0


class LooseOrderedFormSet(OrderedFormSet):
    orders_unique = False


# Set on the request while the delete confirmation collects what a delete cascades to.
CASCADE_CHECKED = "_studyhall_cascade_in_checked_course"


def _scoped(request: HttpRequest | None) -> bool:
    """Whether this request sees only the courses its user may edit (everyone but superusers)."""
    user = getattr(request, "user", None)
    return not getattr(user, "is_superuser", False)


class CourseChoicesMixin:
    """Foreign-key and many-to-many choices of course rows (a course, a lesson, a concept…) offer
    only the courses the user may edit, so a posted id of another course's row is refused."""

    def _limit(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
        related = db_field.related_model
        if related not in COURSE_PATHS or not _scoped(request):
            return
        rows = kwargs.get("queryset")
        if rows is None:
            # The related admin's ordering, as Django would give it.
            rows = self.get_field_queryset(None, db_field, request)  # type: ignore[attr-defined]
        if rows is None:
            rows = related._default_manager.all()
        kwargs["queryset"] = editable_rows(rows, request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._limit(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._limit(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class CourseScopedAdmin(CourseChoicesMixin, admin.ModelAdmin):
    """A course's rows for who may edit the course: lists, objects, filters and choices.

    course_path: how the model reaches its course ("module__course__"); None reads
    courses/access.py COURSE_PATHS.
    """

    course_path: str | None = None

    def course_prefix(self) -> str:
        return self.course_path if self.course_path is not None else COURSE_PATHS[self.model]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = super().get_queryset(request)
        return editable_rows(rows, request.user, self.course_prefix()) if _scoped(request) else rows

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        row = super().get_object(request, object_id, from_field)
        if row is None and _scoped(request):
            # Another course's row is not there for this user (not Django's "perhaps it was deleted").
            raise Http404("No such row in the courses you edit.")
        return row

    def _may_edit(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or not _scoped(request) or getattr(request, CASCADE_CHECKED, False):
            return True
        return can(request.user, "edit", course_of(obj, self.course_prefix()))

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # A delete cascades only within the deleted rows' course, which was checked already
        # (scoped queryset, has_delete_permission); asking again for every collected row
        # would cost queries per row on the confirmation page.
        setattr(request, CASCADE_CHECKED, True)
        try:
            return super().get_deleted_objects(objs, request)
        finally:
            delattr(request, CASCADE_CHECKED)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._may_edit(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)
        if not _scoped(request):
            return filters
        # A filter by course (or lesson, module…) lists only the rows this user sees.
        return [
            (name, admin.RelatedOnlyFieldListFilter)
            if isinstance(name, str)
            and get_fields_from_path(self.model, name)[-1].related_model in COURSE_PATHS
            else name
            for name in filters
        ]


class AuthoringAdmin(LfTextFieldsMixin, CourseScopedAdmin):
    """The base of every curriculum admin."""

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        if isinstance(formset, OrderedFormSet):
            formset.save_parked()
        else:
            super().save_formset(request, form, formset, change)


class AuthoringInline(LfTextFieldsMixin, CourseChoicesMixin, admin.TabularInline):
    """The base of every curriculum inline."""


def check_marker_problem(body_md: str, course_id: int, course_title: str) -> str:
    """The form error for check markers that name no question of the course, or ""."""
    slugs = render_lesson(body_md).check_slugs
    if not slugs:
        return ""
    known = set(Question.objects.filter(course_id=course_id, slug__in=slugs).values_list("slug", flat=True))
    missing = sorted({slug for slug in slugs if slug not in known})
    if not missing:
        return ""
    markers = ", ".join(f"{{{{check: {slug}}}}}" for slug in missing)
    return (
        f"No question with these slugs in “{course_title}”: {', '.join(missing)} ({markers}). "
        "Create the question first, or correct the marker."
    )
