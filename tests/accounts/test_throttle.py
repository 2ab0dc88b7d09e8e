"""Guessing is throttled: per account and per client, on every door into an account."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import throttle
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def learner() -> User:
    user = UserFactory.create(username="ada", email="ada@example.com")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(password: str, *, username: str = "ada", ip: str = "203.0.113.5", url: str = "/accounts/login/"):
    return Client(REMOTE_ADDR=ip).post(url, {"username": username, "password": password})


def test_guessing_one_password_is_locked_out_after_five_failures(learner: User) -> None:
    statuses = [sign_in(f"guess-{n}").status_code for n in range(5)]
    # The form answers each wrong guess (200, with its error), then the account is paused.
    assert statuses == [200] * 5
    locked = sign_in("guess-6")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "failed sign-ins for this account" in text
    assert "Try again in" in text
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    # Even the right password waits: otherwise the lock-out would tell a guesser when they hit it.
    assert sign_in(PASSWORD).status_code == 429


def test_the_account_lock_holds_from_another_address_and_case(learner: User) -> None:
    for n in range(5):
        sign_in(f"guess-{n}", ip="198.51.100.1")
    assert sign_in(PASSWORD, username=" ADA ", ip="192.0.2.77").status_code == 429


def test_the_right_password_before_the_limit_signs_in(learner: User) -> None:
    for n in range(4):
        sign_in(f"guess-{n}")
    response = sign_in(PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


def test_the_lock_ends_when_its_window_does(learner: User, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(5):
        sign_in(f"guess-{n}")
    assert sign_in(PASSWORD).status_code == 429
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr("django_ratelimit.core.time.time", lambda: later)
    assert sign_in(PASSWORD).status_code == 302


def test_one_client_trying_many_accounts_is_paused(learner: User) -> None:
    for n in range(20):
        assert sign_in("nope", username=f"user{n}").status_code == 200
    response = sign_in(PASSWORD)
    assert response.status_code == 429
    assert "from your network" in response.content.decode()
    # Another client is not affected.
    assert sign_in(PASSWORD, ip="192.0.2.1").status_code == 302


def test_the_admin_sign_in_shares_the_budget(learner: User) -> None:
    learner.is_staff = True
    learner.save()
    for n in range(3):
        sign_in(f"guess-{n}")
    for n in range(2):
        assert sign_in(f"admin-guess-{n}", url="/admin/login/").status_code == 200
    assert sign_in(PASSWORD, url="/admin/login/").status_code == 429
    assert sign_in(PASSWORD).status_code == 429


def test_client_header_is_read_only_when_configured(settings, learner: User) -> None:
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    for n in range(20):
        Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9").post(
            "/accounts/login/", {"username": f"u{n}", "password": "x"}
        )
    other = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.10")
    assert other.post("/accounts/login/", {"username": "ada", "password": PASSWORD}).status_code == 302


def test_sign_up_is_limited_per_client(db: None) -> None:
    client = Client(REMOTE_ADDR="203.0.113.20")
    for n in range(10):
        assert client.post(reverse("accounts:signup"), {"username": f"x{n}"}).status_code == 400
    response = client.post(reverse("accounts:signup"), {"username": "x11"})
    assert response.status_code == 429
    assert "sign-ups from your network" in response.content.decode()
    # Reading the page is never throttled.
    assert client.get(reverse("accounts:signup")).status_code == 200


def test_password_reset_answers_alike_and_is_limited_per_address(learner: User) -> None:
    url = reverse("password_reset")
    known = Client(REMOTE_ADDR="203.0.113.30").post(url, {"email": "ada@example.com"})
    unknown = Client(REMOTE_ADDR="203.0.113.31").post(url, {"email": "nobody@example.com"})
    # Same answer whether or not the address has an account; only the owner gets a mail.
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1
    for n in range(2):
        Client(REMOTE_ADDR=f"198.51.100.{n + 40}").post(url, {"email": "ADA@example.com"})
    limited = Client(REMOTE_ADDR="198.51.100.99").post(url, {"email": "ada@example.com"})
    assert limited.status_code == 429
    assert "for this address" in limited.content.decode()
    # The pause is the same for an address without an account: it tells nothing either.
    for n in range(3):
        Client(REMOTE_ADDR=f"198.51.100.{n + 60}").post(url, {"email": "nobody2@example.com"})
    assert Client(REMOTE_ADDR="198.51.100.98").post(url, {"email": "nobody2@example.com"}).status_code == 429


def test_a_cache_that_is_down_leaves_the_door_open(learner: User, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr(throttle, "get_usage", broken)
    assert sign_in(PASSWORD).status_code == 302
