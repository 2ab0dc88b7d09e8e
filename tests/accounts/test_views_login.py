"""Log in and log out (django.contrib.auth's views with our templates)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

LOGIN = reverse("login")
LOGOUT = reverse("logout")
PASSWORD = "correct horse battery staple"  # UserFactory's

pytestmark = pytest.mark.django_db


def test_login_page_has_labelled_fields_and_links(client: Client) -> None:
    response = client.get(LOGIN)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert 'autocomplete="current-password"' in html
    assert reverse("password_reset") in html
    assert reverse("accounts:signup") in html


def test_next_is_passed_on_to_the_signup_link(client: Client) -> None:
    html = client.get(LOGIN, {"next": "/courses/demo/"}).content.decode()

    assert f"{reverse('accounts:signup')}?next=/courses/demo/" in html
    assert '<input type="hidden" name="next" value="/courses/demo/">' in html


def test_login_redirects_to_the_dashboard(client: Client, student: User) -> None:
    response = client.post(LOGIN, {"username": "student", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.session["_auth_user_id"] == str(student.pk)


def test_login_follows_next(client: Client, student: User) -> None:
    response = client.post(LOGIN, {"username": "student", "password": PASSWORD, "next": "/courses/"})

    assert response["Location"] == "/courses/"


def test_wrong_password_shows_the_error_and_does_not_log_in(client: Client, student: User) -> None:
    response = client.post(LOGIN, {"username": "student", "password": "nope"})

    assert response.status_code == 200  # django.contrib.auth's LoginView re-renders with 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Please enter a correct username and password" in html
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(student_client: Client) -> None:
    assert student_client.get(LOGOUT).status_code == 405
    assert "_auth_user_id" in student_client.session

    response = student_client.post(LOGOUT)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in student_client.session


def test_logout_needs_csrf(student: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)

    assert client.post(LOGOUT).status_code == 403
    assert "_auth_user_id" in client.session


def test_sign_out_form_in_the_header_works_with_its_csrf_token(student: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    html = client.get(reverse("courses:catalog")).content.decode()
    assert f'<form class="signout-form" method="post" action="{LOGOUT}"' in html

    response = client.post(LOGOUT, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("users", [1, 25])
def test_query_counts(client: Client, django_assert_num_queries: Any, users: int) -> None:
    UserFactory.create_batch(users)
    UserFactory(username="ada")

    with django_assert_num_queries(0):
        assert client.get(LOGIN).status_code == 200
    # user lookup; a new session key (exists check, insert in a savepoint); last_login; session data saved
    with django_assert_num_queries(9):
        assert client.post(LOGIN, {"username": "ada", "password": PASSWORD}).status_code == 302
