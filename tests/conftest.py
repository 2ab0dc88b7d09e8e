"""Shared fixtures: personas (instructor, student, outsider) and small courses."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from courses.demo import instructors_group_ensure
from tests.factories import UserFactory


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        default="artifacts/screenshots",
        help="where browser tests save their screenshots (make screenshots uses docs/screenshots)",
    )


@pytest.fixture
def instructor(db: None) -> User:
    user = UserFactory.create(username="instructor", is_staff=True)
    user.groups.add(instructors_group_ensure())
    return user


@pytest.fixture
def student(db: None) -> User:
    return UserFactory.create(username="student")


@pytest.fixture
def outsider(db: None) -> User:
    return UserFactory.create(username="outsider")


@pytest.fixture
def instructor_client(instructor: User) -> Client:
    client = Client()
    client.force_login(instructor)
    return client


@pytest.fixture
def student_client(student: User) -> Client:
    client = Client()
    client.force_login(student)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # The sign-in/sign-up throttles count in the cache; one test's failures must not lock the next out.
    from django.core.cache import cache

    from courses import content_cache

    cache.clear()
    # Cached pages are keyed by course id and content version; a rolled-back test's rows
    # (and ids) must not be served to the next one.
    content_cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Settings) -> None:
    # Tests create many users; the default PBKDF2 cost would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
