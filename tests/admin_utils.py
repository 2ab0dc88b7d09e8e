"""Helpers for tests that post Django admin forms."""

from __future__ import annotations

from typing import Any


def _form_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return value


def admin_form_data(response: Any) -> dict[str, Any]:
    """POST data reproducing an admin add/change form as rendered, inlines and management forms included."""
    data: dict[str, Any] = {}

    def add_form(form: Any) -> None:
        for name in form.fields:
            value = form[name].value()
            if value is False:
                continue  # an unticked checkbox is absent from a real POST
            data[form.add_prefix(name)] = "on" if value is True else _form_value(value)

    add_form(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add_form(formset.management_form)
        for form in formset.forms:
            add_form(form)
    return data
