"""What every curriculum admin shares so that authoring in the browser stays git-friendly.

- Text fields store LF line endings: browsers send textarea content with CRLF, and an
  exported bundle must not change just because a lesson was saved in the admin.
- Ordered inline rows (options, quiz items, recall days and prompts, lessons, modules,
  index entries): a new row's order starts blank and means "after the others", so rows
  added together never collide; reshuffles are saved in an order the unique
  constraints accept.
- Check markers in a lesson body must name questions of the lesson's course.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import F
from django.http import HttpRequest

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


class AuthoringAdmin(LfTextFieldsMixin, admin.ModelAdmin):
    """The base of every curriculum admin."""

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        if isinstance(formset, OrderedFormSet):
            formset.save_parked()
        else:
            super().save_formset(request, form, formset, change)


class AuthoringInline(LfTextFieldsMixin, admin.TabularInline):
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
