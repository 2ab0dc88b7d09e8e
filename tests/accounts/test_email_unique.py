"""One account per email address, case ignored, enforced by the database itself."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from accounts.services import account_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_second_account_with_the_same_address_in_another_case() -> None:
    UserFactory(username="ada", email="ada@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        # Straight to the database: no form, no service check in the way.
        User.objects.create(username="ada2", email="ADA@Example.COM")


def test_accounts_without_an_address_are_not_constrained() -> None:
    UserFactory(username="a", email="")
    UserFactory(username="b", email="")
    assert User.objects.filter(email="").count() == 2


def test_account_create_losing_the_race_writes_nothing() -> None:
    UserFactory(username="ada", email="ada@example.com")
    with pytest.raises(IntegrityError):
        account_create(username="other", email="Ada@example.com", password="x" * 12, time_zone="UTC")
    assert not User.objects.filter(username="other").exists()
