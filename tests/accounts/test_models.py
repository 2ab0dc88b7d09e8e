"""Profile's day follows the learner's time zone, not the server's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import User

from accounts.models import Profile


def frozen_at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", date(2026, 3, 10)),
        ("Asia/Tokyo", date(2026, 3, 11)),  # UTC+9: already past midnight
        ("America/Los_Angeles", date(2026, 3, 10)),  # UTC-7 (DST since 8 March): evening
        ("Pacific/Kiritimati", date(2026, 3, 11)),  # UTC+14
    ],
)
def test_local_today_late_evening_utc(monkeypatch: pytest.MonkeyPatch, zone: str, expected: date) -> None:
    frozen_at(monkeypatch, datetime(2026, 3, 10, 23, 30, tzinfo=UTC))

    assert Profile(user=User(username="x"), time_zone=zone).local_today() == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", date(2026, 3, 11)),
        ("Europe/Berlin", date(2026, 3, 11)),
        ("America/Los_Angeles", date(2026, 3, 10)),  # 19:00 the day before
        ("Pacific/Pago_Pago", date(2026, 3, 10)),  # UTC-11
    ],
)
def test_local_today_early_morning_utc(monkeypatch: pytest.MonkeyPatch, zone: str, expected: date) -> None:
    frozen_at(monkeypatch, datetime(2026, 3, 11, 2, 0, tzinfo=UTC))

    assert Profile(user=User(username="x"), time_zone=zone).local_today() == expected


def test_local_now_keeps_the_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    frozen_at(monkeypatch, moment)

    local = Profile(time_zone="Australia/Adelaide").local_now()

    assert local == moment
    assert (local.hour, local.minute) == (21, 30)  # UTC+9:30 in the southern winter


def test_a_stored_zone_the_server_no_longer_knows_falls_back_to_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen_at(monkeypatch, datetime(2026, 3, 10, 23, 30, tzinfo=UTC))

    assert Profile(time_zone="Gone/Away").local_today() == date(2026, 3, 10)
