"""The CSP middleware builds the settings' policy once and gives it to every plain response,
and leaves any other response (a nonce used, a view's own policy, an excluded path) to django-csp."""

from __future__ import annotations

from typing import Any

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from config.middleware import CSPMiddleware


def _respond(middleware_class: type, *, use_nonce: bool = False, **response_attrs: Any) -> HttpResponse:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("page")
        if use_nonce:
            response.content = f"<script nonce='{request.csp_nonce}'></script>".encode()
        for name, value in response_attrs.items():
            setattr(response, name, value)
        return response

    return middleware_class(view)(RequestFactory().get("/courses/"))


def test_a_plain_response_gets_the_same_policy_as_from_django_csp() -> None:
    ours, theirs = _respond(CSPMiddleware), _respond(LibraryCSPMiddleware)
    assert ours[HEADER] == theirs[HEADER]
    assert "frame-ancestors 'none'" in ours[HEADER] and "nonce-" not in ours[HEADER]


def test_a_page_that_used_the_nonce_gets_it_in_its_header() -> None:
    response = _respond(CSPMiddleware, use_nonce=True)
    nonce = response.content.decode().split("nonce='")[1].split("'")[0]
    assert f"'nonce-{nonce}'" in response[HEADER]
    # and the next plain response is plain again (the built-once policy holds no nonce)
    assert "nonce-" not in _respond(CSPMiddleware)[HEADER]


def test_a_views_own_policy_and_an_exemption_are_kept() -> None:
    changed = _respond(CSPMiddleware, _csp_update={"img-src": ["https://img.example"]})
    assert "https://img.example" in changed[HEADER]
    assert HEADER not in _respond(CSPMiddleware, _csp_exempt=True)


def test_a_settings_change_changes_the_policy(settings: Any) -> None:
    before = _respond(CSPMiddleware)[HEADER]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert _respond(CSPMiddleware)[HEADER] == "default-src 'none'"
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}
    report_only = _respond(CSPMiddleware)[HEADER_REPORT_ONLY]
    assert "script-src 'self'" in report_only and "nonce-" not in report_only
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'none'"]},
        "EXCLUDE_URL_PREFIXES": ["/courses/"],
    }
    assert HEADER not in _respond(CSPMiddleware)
    assert before != "default-src 'none'"


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error() -> None:
    from csp.exceptions import CSPNonceError

    request = RequestFactory().get("/")
    CSPMiddleware(lambda request: HttpResponse("page"))(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
