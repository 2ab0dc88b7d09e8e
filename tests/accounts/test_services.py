"""account_create and profile_for."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import Profile
from accounts.services import account_create, profile_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_account_create_makes_user_and_profile() -> None:
    user = account_create(
        username="grace", email="grace@example.com", password="s3cret words", time_zone="Asia/Kolkata"
    )

    user.refresh_from_db()
    assert user.email == "grace@example.com"
    assert user.check_password("s3cret words")
    assert not user.is_staff
    assert user.profile.time_zone == "Asia/Kolkata"


def test_account_create_refuses_an_unknown_time_zone_and_writes_nothing() -> None:
    with pytest.raises(ValidationError):
        account_create(
            username="grace", email="g@example.com", password="s3cret words", time_zone="Atlantis/Capital"
        )

    assert not User.objects.exists()


def test_account_create_is_all_or_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(**kwargs: Any) -> Profile:
        raise IntegrityError("simulated failure after the user insert")

    monkeypatch.setattr(Profile.objects, "create", fail)

    with pytest.raises(IntegrityError):
        account_create(username="grace", email="g@example.com", password="s3cret words", time_zone="UTC")

    assert not User.objects.filter(username="grace").exists()


def test_account_create_with_a_taken_username_raises_integrity_error() -> None:
    UserFactory(username="grace")

    with pytest.raises(IntegrityError):
        account_create(username="grace", email="g@example.com", password="s3cret words", time_zone="UTC")

    assert Profile.objects.count() == 0


def test_profile_for_creates_a_default_profile_once() -> None:
    user = UserFactory()

    first = profile_for(user)
    second = profile_for(User.objects.get(pk=user.pk))

    assert first.pk == second.pk
    assert Profile.objects.filter(user=user).count() == 1
    assert (first.time_zone, first.daily_cap, first.digest_enabled) == ("UTC", 20, True)


def test_profile_for_returns_the_existing_profile() -> None:
    user = UserFactory()
    existing = Profile.objects.create(user=user, time_zone="Europe/Lisbon", daily_cap=7)

    assert profile_for(User.objects.get(pk=user.pk)) == existing
    assert profile_for(User.objects.get(pk=user.pk)).daily_cap == 7


def test_profile_for_costs_one_query_or_none_when_preloaded(django_assert_num_queries: Any) -> None:
    user = UserFactory()
    Profile.objects.create(user=user)
    fresh = User.objects.get(pk=user.pk)
    preloaded = User.objects.select_related("profile").get(pk=user.pk)

    with django_assert_num_queries(1):
        profile_for(fresh)
    with django_assert_num_queries(0):
        profile_for(preloaded)
        profile_for(fresh)  # cached on the instance by the first call
