"""What a learner's pages may reuse (accounts/learner_cache.py): kept parts, stamps, the kept user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import models, transaction
from django.test import Client
from django.utils import timezone

from accounts.learner_cache import LEARNER_MODELS, learner_changed, read_parts
from accounts.models import Profile
from tests.factories import AttemptFactory, QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"


def test_a_part_is_kept_until_the_learners_next_write(student: User) -> None:
    now = timezone.now()
    built = []

    def build() -> tuple[str, None]:
        built.append(1)
        return f"drawn {len(built)}", None

    assert read_parts(student.pk, "p").cached("p", now, build) == "drawn 1"
    assert read_parts(student.pk, "p").cached("p", now, build) == "drawn 1"
    AttemptFactory(learner=student, question=QuestionFactory())  # a write of the learner's row
    assert read_parts(student.pk, "p").cached("p", now, build) == "drawn 2"


def test_another_learners_write_leaves_the_part_alone(student: User, outsider: User) -> None:
    now = timezone.now()
    read_parts(student.pk, "p").keep("p", "mine", until=None, now=now)
    learner_changed([outsider.pk])
    AttemptFactory(learner=outsider, question=QuestionFactory())
    assert read_parts(student.pk, "p").get("p", now) == "mine"


def test_a_part_holds_only_until_its_moment(student: User) -> None:
    now = timezone.now()
    read_parts(student.pk, "p").keep("p", "until noon", until=now + timedelta(minutes=5), now=now)
    assert read_parts(student.pk, "p").get("p", now + timedelta(minutes=4)) == "until noon"
    assert read_parts(student.pk, "p").get("p", now + timedelta(minutes=5)) is None


def test_an_evicted_stamp_never_brings_an_old_part_back(student: User) -> None:
    now = timezone.now()
    read_parts(student.pk, "p").keep("p", "old", until=None, now=now)
    cache.delete(f"learner-stamp:{student.pk}")  # Redis evicted it
    assert read_parts(student.pk, "p").get("p", now) is None


def test_a_part_built_while_a_write_commits_is_not_served_after_it(student: User) -> None:
    """The reader took the stamp before the write: what it keeps is kept under the old stamp."""
    now = timezone.now()
    parts = read_parts(student.pk, "p")
    learner_changed([student.pk])  # a write commits while the part is being built
    parts.keep("p", "built from the old rows", until=None, now=now)
    assert read_parts(student.pk, "p").get("p", now) is None


def test_a_transactions_second_write_stamps_again_only_after_a_read(student: User) -> None:
    """An answer writes an attempt and then a card: one stamp at once (and one at commit), but a
    part read between two writes of one transaction is stale after the second, which stamps too."""
    now = timezone.now()
    with transaction.atomic():
        before = read_parts(student.pk, "p").stamp
        learner_changed([student.pk])
        first = cache.get(f"learner-stamp:{student.pk}")
        learner_changed([student.pk])  # no part read since the stamp this write would renew
        second = cache.get(f"learner-stamp:{student.pk}")
        read_parts(student.pk, "p").keep("p", "between the writes", until=None, now=now)
        learner_changed([student.pk])
        assert read_parts(student.pk, "p").get("p", now) is None

    assert first != before
    assert second == first


def test_every_model_of_a_learners_rows_gives_them_a_new_stamp() -> None:
    """A model with a foreign key to the user that is left out would serve stale pages."""
    labels = {"auth.User"}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey | models.OneToOneField)
                and field.related_model is not None
                and field.related_model._meta.label == settings.AUTH_USER_MODEL
                and model._meta.app_label in {"accounts", "courses", "lessons", "mastery", "quizzes"}
            ):
                labels.add(model._meta.label)
    assert labels <= set(LEARNER_MODELS), labels - set(LEARNER_MODELS)


def test_the_kept_user_follows_a_deactivation(student: User, student_client: Client) -> None:
    assert student_client.get(DASHBOARD).status_code == 200  # the user is kept now
    student.is_active = False
    student.save(update_fields=["is_active"])
    response = student_client.get(DASHBOARD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_kept_user_follows_a_password_change(student: User, student_client: Client) -> None:
    assert student_client.get(DASHBOARD).status_code == 200
    student.set_password("a-new-long-passphrase")
    student.save()
    # Django checks the session against the password hash: the old session is signed out.
    assert student_client.get(DASHBOARD).status_code == 302


def test_the_kept_profile_follows_its_save(student: User, student_client: Client) -> None:
    Profile.objects.create(user=student, time_zone="UTC")
    student_client.get(DASHBOARD)
    profile = Profile.objects.get(user=student)
    profile.daily_cap = 7
    profile.save()
    html = student_client.get("/accounts/profile/").content.decode()
    assert 'value="7"' in html


def test_a_deleted_user_is_not_served_from_the_cache(student_client: Client, student: User) -> None:
    assert student_client.get(DASHBOARD).status_code == 200
    User.objects.filter(pk=student.pk).delete()
    assert student_client.get(DASHBOARD).status_code == 302


def test_a_signed_out_visitor_reads_no_kept_user(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    client.get(DASHBOARD)
    client.logout()
    assert client.get(DASHBOARD).status_code == 302
