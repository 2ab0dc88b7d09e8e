"""The profile page: a learner sees and changes only their own time zone, daily cap and digest setting."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.models import Profile
from tests.factories import UserFactory

URL = reverse("accounts:profile")

pytestmark = pytest.mark.django_db


def settings_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"time_zone": "America/New_York", "daily_cap": "35", "digest_enabled": "on"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


def test_anonymous_post_changes_nothing(client: Client, student: User) -> None:
    Profile.objects.create(user=student, time_zone="UTC")

    response = client.post(URL, settings_data())

    assert response.status_code == 302
    assert Profile.objects.get(user=student).time_zone == "UTC"


def test_student_sees_own_profile(student_client: Client, student: User, outsider: User) -> None:
    Profile.objects.create(user=student, time_zone="Asia/Tokyo", daily_cap=12)
    Profile.objects.create(user=outsider, time_zone="Africa/Nairobi", daily_cap=99)

    response = student_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>student</h1>" in html
    assert "student@example.com" in html
    assert '<option value="Asia/Tokyo" selected>' in html
    assert 'value="12"' in html
    assert 'Africa/Nairobi" selected' not in html
    assert "outsider" not in html
    assert reverse("password_change") in html


def test_profile_is_created_on_first_visit(student_client: Client, student: User) -> None:
    assert not Profile.objects.filter(user=student).exists()

    response = student_client.get(URL)

    assert response.status_code == 200
    profile = Profile.objects.get(user=student)
    assert (profile.time_zone, profile.daily_cap, profile.digest_enabled) == ("UTC", 20, True)


def test_post_updates_own_profile_only(student_client: Client, student: User, outsider: User) -> None:
    Profile.objects.create(user=outsider, time_zone="Africa/Nairobi", daily_cap=99)

    response = student_client.post(URL, settings_data(digest_enabled=None))

    assert response.status_code == 302
    assert response["Location"] == URL
    profile = Profile.objects.get(user=student)
    assert (profile.time_zone, profile.daily_cap, profile.digest_enabled) == ("America/New_York", 35, False)
    other = Profile.objects.get(user=outsider)
    assert (other.time_zone, other.daily_cap) == ("Africa/Nairobi", 99)
    followed = student_client.get(URL).content.decode()
    assert "Your settings are saved." in followed


def test_a_user_field_in_the_post_cannot_redirect_the_write(
    student_client: Client, student: User, outsider: User
) -> None:
    Profile.objects.create(user=outsider, time_zone="Africa/Nairobi")

    student_client.post(URL, settings_data(user=str(outsider.pk)))

    assert Profile.objects.get(user=outsider).time_zone == "Africa/Nairobi"
    assert Profile.objects.get(user=student).time_zone == "America/New_York"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time_zone": "Nowhere/Special"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"daily_cap": "0"}, "daily_cap"),
        ({"daily_cap": "501"}, "daily_cap"),
        ({"daily_cap": "lots"}, "daily_cap"),
        ({"daily_cap": None}, "daily_cap"),
    ],
)
def test_invalid_input_is_a_400_with_the_error_next_to_the_field(
    student_client: Client, student: User, overrides: dict[str, Any], field: str
) -> None:
    Profile.objects.create(user=student, time_zone="Asia/Tokyo", daily_cap=12)

    response = student_client.post(URL, settings_data(**overrides))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in html
    profile = Profile.objects.get(user=student)
    assert (profile.time_zone, profile.daily_cap) == ("Asia/Tokyo", 12)


def test_cap_bounds_are_accepted(student_client: Client, student: User) -> None:
    for cap in (1, 500):
        assert student_client.post(URL, settings_data(daily_cap=str(cap))).status_code == 302
        assert Profile.objects.get(user=student).daily_cap == cap


def test_htmx_get_returns_the_form_fragment(student_client: Client) -> None:
    response = student_client.get(URL, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="profile-form"')
    assert "<html" not in html


def test_htmx_post_saves_and_returns_the_fragment(student_client: Client, student: User) -> None:
    response = student_client.post(URL, settings_data(time_zone="Pacific/Auckland"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="profile-form"')
    assert "<html" not in html
    assert "Saved." in html
    assert "in Pacific/Auckland" in html
    assert Profile.objects.get(user=student).time_zone == "Pacific/Auckland"


def test_htmx_invalid_post_returns_the_fragment_with_errors(student_client: Client) -> None:
    response = student_client.post(URL, settings_data(daily_cap="9000"), HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="profile-form"')
    assert 'id="id_daily_cap_error"' in html
    assert "Saved." not in html


def test_csrf_is_enforced(student: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)

    response = client.post(URL, settings_data())

    assert response.status_code == 403
    assert not Profile.objects.filter(user=student, time_zone="America/New_York").exists()


def test_other_methods_are_refused(student_client: Client) -> None:
    assert student_client.delete(URL).status_code == 405


@pytest.mark.parametrize("other_learners", [1, 30])
def test_query_counts(
    student_client: Client, student: User, django_assert_num_queries: Any, other_learners: int
) -> None:
    for user in UserFactory.create_batch(other_learners):
        Profile.objects.create(user=user)
    Profile.objects.create(user=student)

    # session, the user with their profile (kept from then on: accounts/learner_cache.py)
    with django_assert_num_queries(2):
        assert student_client.get(URL).status_code == 200

    # session (user and profile kept); the model's daily-cap check constraint validated in a
    # savepoint; the update. The success message travels in a cookie, not the session.
    with django_assert_num_queries(5):
        assert student_client.post(URL, settings_data()).status_code == 302
