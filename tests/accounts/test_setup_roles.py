import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command


@pytest.mark.django_db
def test_setup_roles_creates_the_instructors_group_with_curriculum_permissions() -> None:
    call_command("setup_roles")
    call_command("setup_roles")  # safe to run on every deploy

    group = Group.objects.get(name="Instructors")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"change_lesson", "add_question", "change_recallplan", "view_concept"} <= codenames
    assert Group.objects.filter(name="Instructors").count() == 1
