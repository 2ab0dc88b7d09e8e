"""Demo accounts (make run): both get a Profile; the instructor is staff in the Instructors group."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from accounts.models import Profile
from courses.demo import INSTRUCTORS_GROUP, demo_accounts_ensure

pytestmark = pytest.mark.django_db


def test_demo_accounts_have_profiles_and_roles() -> None:
    demo_accounts_ensure()

    student = User.objects.get(username="student")
    instructor = User.objects.get(username="instructor")
    assert Profile.objects.filter(user=student).exists()
    assert Profile.objects.filter(user=instructor).exists()
    assert not student.is_staff
    assert not student.groups.exists()
    assert instructor.is_staff
    assert list(instructor.groups.values_list("name", flat=True)) == [INSTRUCTORS_GROUP]
    assert instructor.has_perm("courses.change_course")
    assert not instructor.has_perm("auth.change_user")


def test_running_it_twice_keeps_one_profile_each_and_the_learners_settings() -> None:
    demo_accounts_ensure()
    Profile.objects.filter(user__username="student").update(time_zone="Europe/Paris")

    demo_accounts_ensure()

    assert Profile.objects.count() == 2
    assert Profile.objects.get(user__username="student").time_zone == "Europe/Paris"
