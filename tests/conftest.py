"""Shared fixtures: personas (instructor, student, outsider) and small courses."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture
def instructor(db):  # type: ignore[no-untyped-def]
    user = UserFactory(username="instructor", is_staff=True)
    group, _ = Group.objects.get_or_create(name="Instructors")
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=["courses", "lessons", "quizzes"])
    )
    user.groups.add(group)
    return user


@pytest.fixture
def student(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="student")


@pytest.fixture
def outsider(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="outsider")


@pytest.fixture
def instructor_client(instructor) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(instructor)
    return client


@pytest.fixture
def student_client(student) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(student)
    return client


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):  # type: ignore[no-untyped-def]
    # Tests create many users; the default PBKDF2 cost would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
