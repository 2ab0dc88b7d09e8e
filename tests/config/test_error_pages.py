"""The 403 and 404 pages: the site's own frame, what to do next, and nothing about why inside."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied

from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def test_a_student_opening_the_cohort_page_gets_the_styled_403(student_client: Client, student: User) -> None:
    course = CourseFactory(slug="db")

    response = student_client.get(reverse("mastery:cohort", args=[course.slug]))

    assert response.status_code == 403
    html = response.content.decode()
    assert '<header class="site-header">' in html and 'class="skip-link"' in html
    assert "<h1>This page is not open to you</h1>" in html
    assert f"signed in as <strong>{student.username}</strong>" in html
    assert "ask the site's administrator" in html
    assert f'href="{reverse("mastery:dashboard")}"' in html
    # The exception's message is for the log, not the page.
    assert "Only instructors" not in html and "Only this course" not in html


def test_the_403_tells_a_visitor_to_sign_in() -> None:
    """A view that refuses a visitor outright (no login redirect) still offers the sign-in form."""
    request = RequestFactory().get("/somewhere/private/")
    request.user = AnonymousUser()
    response = permission_denied(request, PermissionDenied("internal detail"))

    html = response.content.decode()
    assert response.status_code == 403
    assert 'href="/accounts/login/?next=/somewhere/private/"' in html
    assert "internal detail" not in html


def test_unknown_page_gets_the_styled_404(student_client: Client) -> None:
    response = student_client.get("/courses/no-such-course/")

    assert response.status_code == 404
    html = response.content.decode()
    assert '<header class="site-header">' in html
    assert "<h1>We could not find that page</h1>" in html
    assert f'href="{reverse("courses:catalog")}">Browse the courses</a>' in html
    assert "check its spelling" in html


def test_a_failed_csrf_check_gets_the_styled_403_with_what_to_do(student: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)

    response = client.post(reverse("logout"))

    assert response.status_code == 403
    html = response.content.decode()
    assert '<header class="site-header">' in html
    assert "<h1>That form had expired</h1>" in html
    assert "reload the page" in html
    # Django's reason ("CSRF cookie not set.") and its developer help stay out of the page.
    assert "CSRF cookie" not in html and "CSRF_FAILURE_VIEW" not in html
