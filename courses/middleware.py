"""Answers courses.access.MembersOnly: a members-only course's card and how to join it (403)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from courses.access import MembersOnly


class MembersOnlyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, MembersOnly):
            return None
        return render(request, "courses/join.html", {"course": exception.course}, status=403)
