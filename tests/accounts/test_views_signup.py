"""Sign up: the user and their Profile in one step, then signed in and sent to the dashboard."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.models import Profile
from tests.factories import UserFactory

URL = reverse("accounts:signup")
DASHBOARD = "/dashboard/"
PASSWORD = "a quiet lantern 42"

pytestmark = pytest.mark.django_db


def form_data(**overrides: str) -> dict[str, Any]:
    data = {
        "username": "ada",
        "email": "ada@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "time_zone": "Europe/Berlin",
    }
    data.update(overrides)
    return data


def test_form_lists_time_zones_with_utc_preselected(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="UTC" selected>' in html
    assert '<option value="Pacific/Auckland">Pacific/Auckland</option>' in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="email"' in html
    assert html.count('autocomplete="new-password"') == 2
    assert '<label for="id_time_zone">Time zone</label>' in html


def test_happy_path_creates_user_and_profile_logs_in_and_redirects(client: Client) -> None:
    response = client.post(URL, form_data())

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    user = User.objects.get(username="ada")
    assert user.email == "ada@example.com"
    assert user.check_password(PASSWORD)
    assert Profile.objects.get(user=user).time_zone == "Europe/Berlin"
    assert client.session["_auth_user_id"] == str(user.pk)
    # Signed in for the next request too: the session names a backend the site has.
    assert client.get(DASHBOARD).status_code == 200


def test_safe_next_is_followed(client: Client) -> None:
    response = client.post(URL, form_data(next="/courses/"))

    assert response["Location"] == "/courses/"


def test_next_to_another_site_is_ignored(client: Client) -> None:
    response = client.post(URL, form_data(next="https://evil.example/"))

    assert response["Location"] == DASHBOARD


def test_next_is_carried_from_the_query_string_into_the_form(client: Client) -> None:
    html = client.get(URL, {"next": "/courses/x/"}).content.decode()

    assert '<input type="hidden" name="next" value="/courses/x/">' in html


def test_duplicate_username_is_a_field_error(client: Client) -> None:
    UserFactory(username="ada")

    response = client.post(URL, form_data(username="ADA", email="other@example.com"))

    assert response.status_code == 400
    assert response.context["form"].errors["username"] == ["A user with that username already exists."]
    assert 'id="id_username_error"' in response.content.decode()
    assert User.objects.filter(username__iexact="ada").count() == 1
    assert "_auth_user_id" not in client.session


def test_duplicate_email_is_a_field_error(client: Client) -> None:
    UserFactory(username="someone", email="ada@example.com")

    response = client.post(URL, form_data(email="Ada@Example.com"))

    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    assert not User.objects.filter(username="ada").exists()


def test_mismatched_passwords(client: Client) -> None:
    response = client.post(URL, form_data(password2="something else entirely"))

    assert response.status_code == 400
    assert "password2" in response.context["form"].errors
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert not User.objects.filter(username="ada").exists()


def test_weak_password_is_refused_by_the_validators(client: Client) -> None:
    response = client.post(URL, form_data(password1="12345678", password2="12345678"))

    assert response.status_code == 400
    assert "password2" in response.context["form"].errors
    assert not User.objects.exists()


def test_unknown_time_zone(client: Client) -> None:
    response = client.post(URL, form_data(time_zone="Mars/Olympus_Mons"))

    assert response.status_code == 400
    errors = response.context["form"].errors["time_zone"]
    assert errors == [
        "Mars/Olympus_Mons is not a known time zone. Pick one from the list, e.g. Europe/Berlin."
    ]
    assert not User.objects.exists()
    assert not Profile.objects.exists()


def test_missing_fields_are_reported_not_a_crash(client: Client) -> None:
    response = client.post(URL, {})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {
        "username",
        "email",
        "password1",
        "password2",
        "time_zone",
    }


def test_lost_race_for_the_username_is_a_form_error(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import IntegrityError

    def taken(**kwargs: Any) -> User:
        raise IntegrityError("UNIQUE constraint failed: auth_user.username")

    monkeypatch.setattr("accounts.views.account_create", taken)

    response = client.post(URL, form_data())

    assert response.status_code == 400
    assert response.context["form"].errors["username"] == [
        "This username was just taken. Please choose another."
    ]


def test_signed_in_user_is_sent_to_the_dashboard(student_client: Client) -> None:
    response = student_client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD


def test_signed_in_user_cannot_create_a_second_account(student_client: Client) -> None:
    response = student_client.post(URL, form_data())

    assert response.status_code == 302
    assert not User.objects.filter(username="ada").exists()


def test_csrf_is_enforced(db: None) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(URL, form_data())

    assert response.status_code == 403
    assert not User.objects.exists()


def test_csrf_token_from_the_page_is_accepted(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(URL)

    response = client.post(URL, {**form_data(), "csrfmiddlewaretoken": client.cookies["csrftoken"].value})

    assert response.status_code == 302


def test_other_methods_are_refused(client: Client) -> None:
    assert client.put(URL).status_code == 405


@pytest.mark.parametrize("existing_users", [1, 25])
def test_query_counts(client: Client, django_assert_num_queries: Any, existing_users: int) -> None:
    UserFactory.create_batch(existing_users)

    with django_assert_num_queries(0):
        assert client.get(URL).status_code == 200

    # Three uniqueness checks (username twice: case-insensitive and the model's own), user and profile
    # inserts in one savepoint, then login: a new session row, last_login, the session data.
    with django_assert_num_queries(15):
        assert client.post(URL, form_data()).status_code == 302
