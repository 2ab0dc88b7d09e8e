"""Request hygiene that every view relies on, decided once here instead of in each view.

Django parses a request's query string and form body lazily, the first time a view (or
CSRF, or the session) reads it. A body that is not valid in its declared charset, more
fields than DATA_UPLOAD_MAX_NUMBER_FIELDS, a body over DATA_UPLOAD_MAX_MEMORY_SIZE or a
broken multipart envelope then raises wherever that first read happens, and some of
those exceptions (UnicodeDecodeError, a LookupError for an unknown charset) are not
SuspiciousOperation, so nothing turns them into a 400: the visitor sees a 500. Parsing
here, before any view runs, turns every one of them into a 400 that says what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.template import loader

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """The site's 400 page with one sentence on what to fix; plain text for htmx, which swaps it in."""
    if request.headers.get("HX-Request") == "true":
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    body = loader.render_to_string("400.html", {"message": message})
    return HttpResponse(body, status=400)


def _problem(exc: Exception) -> str:
    if isinstance(exc, TooManyFieldsSent):
        return "The form sent more fields than any page here has. Reload the page and submit it again."
    if isinstance(exc, RequestDataTooBig):
        return "The request body is larger than any form here accepts."
    if isinstance(exc, UnicodeError | LookupError):
        return "The form data is not valid text in its declared character set; send it as UTF-8."
    if isinstance(exc, MultiPartParserError):
        return "The multipart form data is malformed."
    return "The request could not be read."


class RequestHygieneMiddleware:
    """Parse query string and form body up front; a malformed one gets a 400 with a message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            # The query string is parsed for every method (admin changelists read it on GET).
            request.GET  # noqa: B018
            if request.method in BODY_METHODS:
                request.POST  # noqa: B018
                request.FILES  # noqa: B018
        except (
            UnicodeError,
            LookupError,
            MultiPartParserError,
            SuspiciousOperation,
            BadRequest,
        ) as exc:
            return bad_request(request, _problem(exc))
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Permissions-Policy on every response (Django has no setting for it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def _set_encoding(request: WSGIRequest, value: str | None) -> None:
    # Django's setter asks hasattr(self, "GET"), which *evaluates* the lazy query dict: a
    # `charset=` in the Content-Type plus too many query fields then raises while the
    # request object is being built, before any middleware can answer, and the server
    # replies 500. Checking the instance dict keeps the intent (drop a dict that was
    # already parsed) without parsing anything.
    request._encoding = value  # type: ignore[attr-defined]
    request.__dict__.pop("GET", None)
    if hasattr(request, "_post"):
        del request._post


class StudyhallWSGIRequest(WSGIRequest):
    encoding = property(WSGIRequest.encoding.fget, _set_encoding)  # type: ignore[attr-defined]


class StudyhallWSGIHandler(WSGIHandler):
    request_class = StudyhallWSGIRequest
