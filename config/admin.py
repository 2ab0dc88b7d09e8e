"""The site's admin: Django's, with initial values from the query string checked before use.

An add page takes initial values from its query string (`?course=3` preselects a course).
Django passes them to the form unchecked, so `?course=abc` reaches the foreign key's
integer conversion while the page renders and answers 500; a posted `course=abc` does the
same in the autocomplete widget. Every model admin's add and
change views go through `admin_view`, so checking here covers all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, QueryDict

from accounts import roles, throttle
from config.middleware import bad_request

_ViewType = TypeVar("_ViewType", bound=Callable[..., Any])

FORM_VIEWS = frozenset({"add_view", "change_view"})


def key_value_problem(model: type[models.Model], data: QueryDict, *, from_query: bool) -> str | None:
    """The first value for a relation that cannot be a key of the related model, or None.

    from_query: initial values in a query string, where Django splits a many-to-many value
    at commas; a posted form repeats the field instead.
    """
    for name in data:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # Django ignores names that are not fields.
        if not isinstance(field, models.ForeignKey | models.ManyToManyField):
            continue
        target = field.target_field
        values = data.getlist(name)
        if from_query and isinstance(field, models.ManyToManyField):
            values = [item for value in values for item in value.split(",")]
        for item in values:
            if item == "":
                continue  # An empty choice is the form's to judge (required or not).
            try:
                target.to_python(item)
            except ValidationError:
                return f"“{item[:40]}” given for {name} is not a valid {field.verbose_name} id."
    return None


class StudyhallAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return roles.can_use_admin(request.user)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # The admin's sign-in shares the site's budget: one account, one count, whichever door.
        if request.method == "POST":
            refusal = throttle.retry_after(request, throttle.SIGNIN)
            if refusal is not None:
                return throttle.refused(request, refusal)
        return super().login(request, extra_context)

    def admin_view(self, view: _ViewType, cacheable: bool = False) -> _ViewType:
        model_admin = getattr(view, "__self__", None)
        if getattr(view, "__name__", "") in FORM_VIEWS and isinstance(model_admin, admin.ModelAdmin):
            model = model_admin.model

            @wraps(view)
            def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                # The admin's autocomplete widget filters by the raw value while rendering
                # (posted or initial), so a non-key there is a 500 too.
                problem = key_value_problem(model, request.GET, from_query=True)
                if problem is None and request.method == "POST":
                    problem = key_value_problem(model, request.POST, from_query=False)
                if problem is not None:
                    return bad_request(request, problem)
                return view(request, *args, **kwargs)

            return super().admin_view(cast(_ViewType, checked), cacheable)
        return super().admin_view(view, cacheable)
