"""Password change (signed in) and password reset by email (console backend; mail.outbox in tests)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

CHANGE = reverse("password_change")
RESET = reverse("password_reset")
OLD = "correct horse battery staple"  # UserFactory's
NEW = "a brand new lantern 77"
CSRF_RE = re.compile(r'"X-CSRFToken": "[^"]+"')
LINK_RE = re.compile(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)")

pytestmark = pytest.mark.django_db


# --- change -------------------------------------------------------------------


def test_change_needs_login(client: Client) -> None:
    response = client.get(CHANGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_change_form_is_labelled(student_client: Client) -> None:
    response = student_client.get(CHANGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_old_password">Old password</label>' in html
    assert 'autocomplete="current-password"' in html
    assert 'autocomplete="new-password"' in html


def test_change_password(student_client: Client, student: User) -> None:
    response = student_client.post(
        CHANGE, {"old_password": OLD, "new_password1": NEW, "new_password2": NEW}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "Password changed" in response.content.decode()
    student.refresh_from_db()
    assert student.check_password(NEW)
    # The session survives the change (Django rotates the session hash).
    assert student_client.get(reverse("accounts:profile")).status_code == 200


def test_change_with_wrong_old_password_is_refused(student_client: Client, student: User) -> None:
    response = student_client.post(
        CHANGE, {"old_password": "guess", "new_password1": NEW, "new_password2": NEW}
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    assert 'id="id_old_password_error"' in response.content.decode()
    student.refresh_from_db()
    assert student.check_password(OLD)


def test_change_only_touches_the_signed_in_user(student_client: Client, outsider: User) -> None:
    student_client.post(CHANGE, {"old_password": OLD, "new_password1": NEW, "new_password2": NEW})

    outsider.refresh_from_db()
    assert outsider.check_password(OLD)


# --- reset --------------------------------------------------------------------


def test_reset_form_page(client: Client) -> None:
    response = client.get(RESET)

    assert response.status_code == 200
    assert 'autocomplete="email"' in response.content.decode()


def test_reset_sends_an_email_whose_link_sets_a_new_password(client: Client, student: User) -> None:
    response = client.post(RESET, {"email": "student@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["student@example.com"]
    assert message.subject == "Reset your Studyhall password"
    assert "Hello student," in message.body
    match = LINK_RE.search(message.body)
    assert match, message.body

    # The link swaps the token for a session marker and redirects to the set-password form.
    landing = client.get(match.group(1), follow=True)
    assert landing.status_code == 200
    assert "Choose a new password" in landing.content.decode()
    form_url = landing.redirect_chain[-1][0]

    done = client.post(form_url, {"new_password1": NEW, "new_password2": NEW})

    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    student.refresh_from_db()
    assert student.check_password(NEW)
    assert "Your new password is set" in client.get(done["Location"]).content.decode()


def test_reset_link_works_once(client: Client, student: User) -> None:
    client.post(RESET, {"email": "student@example.com"})
    link = LINK_RE.search(mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW, "new_password2": NEW})

    again = Client().get(link, follow=True)

    assert "This link no longer works" in again.content.decode()


def test_reset_for_unknown_email_sends_nothing_and_says_the_same(client: Client, student: User) -> None:
    known = client.post(RESET, {"email": "student@example.com"}, follow=True).content.decode()
    unknown = client.post(RESET, {"email": "nobody@example.com"}, follow=True).content.decode()

    assert len(mail.outbox) == 1
    assert "Check your email" in unknown
    # The CSRF token is masked differently on every response; everything else must match.
    assert CSRF_RE.sub("", known) == CSRF_RE.sub("", unknown)


def test_reset_with_a_malformed_email_is_an_error_not_a_crash(client: Client) -> None:
    response = client.post(RESET, {"email": "not an address"})

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert mail.outbox == []


def test_reset_needs_csrf(student: User) -> None:
    client = Client(enforce_csrf_checks=True)

    assert client.post(RESET, {"email": "student@example.com"}).status_code == 403
    assert mail.outbox == []


@pytest.mark.parametrize("users", [1, 25])
def test_reset_query_count(client: Client, django_assert_num_queries: Any, users: int) -> None:
    UserFactory.create_batch(users)
    UserFactory(username="ada", email="ada@example.com")

    # one query finds the active users with that address
    with django_assert_num_queries(1):
        assert client.post(RESET, {"email": "ada@example.com"}).status_code == 302
    assert len(mail.outbox) == 1
