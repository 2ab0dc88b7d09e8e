"""The search page: GET /search/?q=..., a plain form that needs no JavaScript."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from search.backends import QueryError, search


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    context: dict[str, object] = {"query": raw, "hits": [], "error": "", "searched": False}
    status = 200
    if raw.strip():
        try:
            context["hits"] = search(raw, request.user)
            context["searched"] = True
        except QueryError as exc:
            context["error"] = str(exc)
            status = 400
    return render(request, "search/results.html", context, status=status)
