"""20 concurrent sign-ups with one address (in different cases) and different usernames.

Every request passes the form's "is this address free?" check before any of them has
inserted, so only the database can decide: exactly one account, one profile, and every
other request a 400 that names the field, never a 500.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.models import Profile
from tests.integration.test_races import THREADS, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "a quiet lantern 42"


def test_twenty_same_email_signups_make_one_account() -> None:
    def sign_up(n: int) -> tuple[int, str]:
        def job() -> tuple[int, str]:
            # Each thread its own client address, so the per-client sign-up throttle stays out of it.
            client = Client(raise_request_exception=False, REMOTE_ADDR=f"198.51.100.{n + 1}")
            response = client.post(
                reverse("accounts:signup"),
                {
                    "username": f"racer{n}",
                    "email": "Race@Example.com" if n % 2 else "race@example.com",
                    "password1": PASSWORD,
                    "password2": PASSWORD,
                    "time_zone": "UTC",
                },
            )
            return response.status_code, response.content.decode()

        return job

    results: list[tuple[int, str]] = run_together([sign_up(n) for n in range(THREADS)])

    statuses = sorted(status for status, _ in results)
    assert statuses == [302] + [400] * (THREADS - 1)
    assert User.objects.filter(email__iexact="race@example.com").count() == 1
    assert Profile.objects.count() == 1
    for status, body in results:
        if status == 400:
            assert "cannot be used for a new account" in body
