"""The User admin carries the Profile inline; only those with auth permissions reach it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.models import Profile
from tests.admin_utils import admin_form_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:auth_user_changelist")


@pytest.fixture
def acct_admin_client(db: None) -> Client:
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def change_url(user: User) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def user_form_data(client: Client, user: User) -> dict[str, Any]:
    data = admin_form_data(client.get(change_url(user)))
    # The user form shows its datetimes as split date/time widgets, which admin_form_data does not know.
    for name in ("date_joined", "last_login"):
        value = data.pop(name)
        data[f"{name}_0"] = value.date().isoformat() if value else ""
        data[f"{name}_1"] = value.time().isoformat() if value else ""
    return data


def test_anonymous_is_sent_to_the_admin_login(client: Client, student: User) -> None:
    for url in (CHANGELIST, change_url(student)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_instructor_without_user_permissions_is_refused(instructor_client: Client, student: User) -> None:
    assert instructor_client.get(CHANGELIST).status_code == 403
    assert instructor_client.get(change_url(student)).status_code == 403


def test_student_is_not_let_in(student_client: Client, outsider: User) -> None:
    response = student_client.get(change_url(outsider))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_change_page_shows_the_profile_inline(acct_admin_client: Client, student: User) -> None:
    Profile.objects.create(user=student, time_zone="Asia/Tokyo", daily_cap=42)

    response = acct_admin_client.get(change_url(student))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Learner profile" in html
    assert 'value="Asia/Tokyo"' in html
    assert 'value="42"' in html


def test_saving_the_user_saves_the_profile(acct_admin_client: Client, student: User) -> None:
    Profile.objects.create(user=student, time_zone="Asia/Tokyo")
    data = user_form_data(acct_admin_client, student)
    data["profile-0-time_zone"] = "Europe/Oslo"
    data["profile-0-daily_cap"] = "80"

    response = acct_admin_client.post(change_url(student), data)

    assert response.status_code == 302
    profile = Profile.objects.get(user=student)
    assert (profile.time_zone, profile.daily_cap) == ("Europe/Oslo", 80)


def test_an_unknown_zone_is_refused_in_the_admin(acct_admin_client: Client, student: User) -> None:
    Profile.objects.create(user=student, time_zone="Asia/Tokyo")
    data = user_form_data(acct_admin_client, student)
    data["profile-0-time_zone"] = "Nowhere/Land"

    response = acct_admin_client.post(change_url(student), data)

    assert response.status_code == 200
    assert "is not a known time zone" in response.content.decode()
    assert Profile.objects.get(user=student).time_zone == "Asia/Tokyo"


def test_a_user_without_profile_gets_one_from_the_inline(acct_admin_client: Client, student: User) -> None:
    data = user_form_data(acct_admin_client, student)
    data["profile-0-time_zone"] = "Europe/Rome"

    acct_admin_client.post(change_url(student), data)

    assert Profile.objects.get(user=student).time_zone == "Europe/Rome"


@pytest.mark.parametrize("users", [1, 20])
def test_changelist_shows_time_zones_in_fixed_queries(
    acct_admin_client: Client, django_assert_num_queries: Any, users: int
) -> None:
    for user in UserFactory.create_batch(users):
        Profile.objects.create(user=user, time_zone="America/Chicago")

    # session, user, the groups filter; two counts (filtered and total); the page of users joined to profiles
    with django_assert_num_queries(6):
        response = acct_admin_client.get(CHANGELIST)

    assert response.content.decode().count("America/Chicago") == users
