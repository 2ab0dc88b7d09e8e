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

import functools
from collections.abc import Callable

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBase
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


# What a view's csp_update / csp_replace / csp_exempt decorators leave on a response.
_CSP_OVERRIDES = tuple(
    f"_csp_{kind}{suffix}" for kind in ("config", "update", "replace", "exempt") for suffix in ("", "_ro")
)


@functools.cache
def _plain_policy(enforced: object, report_only: object) -> tuple[str, str]:
    """The two headers' values for the settings' policies with no nonce and no view's change.

    Keyed by the two settings (override_settings gives each its own entry): django-csp
    rebuilds the same strings from them on every response otherwise."""
    return build_policy(), build_policy(report_only=True)


class CSPMiddleware(LibraryCSPMiddleware):
    """django-csp's middleware, with the policy of a response no view changed built once.

    A response whose page used the nonce, or whose view changed the policy, takes the
    library's way (which builds its header for that response); so does a 404 or 500 in DEBUG,
    and a path the policy excludes.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _CSP_OVERRIDES)
            or any((policy or {}).get("EXCLUDE_URL_PREFIXES") for policy in (enforced, report_only))
        ):
            return super().process_response(request, response)
        policy, policy_ro = _plain_policy(_Frozen(enforced), _Frozen(report_only))
        if policy and HEADER not in response:
            response[HEADER] = policy
        if policy_ro and HEADER_REPORT_ONLY not in response:
            response[HEADER_REPORT_ONLY] = policy_ro
        # As the library does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response


class _Frozen:
    """A settings value as a cache key: the same object is the same key (settings are not edited
    in place; override_settings puts a new object)."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Frozen) and other.value is self.value


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
