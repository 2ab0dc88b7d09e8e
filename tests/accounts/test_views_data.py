"""A learner's own data: export (JSON, CSV) and account deletion that keeps cohort statistics anonymous."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.models import Profile
from mastery.models import Attempt, ConceptMastery, Level, ReviewCard
from quizzes.models import Question
from tests.factories import (
    AttemptFactory,
    ConceptMasteryFactory,
    ReviewCardFactory,
    UserFactory,
    build_course,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's


@pytest.fixture
def history(student: User) -> Question:
    course = build_course()
    question = Question.objects.filter(course=course).order_by("pk").first()
    Profile.objects.create(user=student, time_zone="Pacific/Chatham", daily_cap=137)
    AttemptFactory(learner=student, question=question, think_ms=4321)
    ReviewCardFactory(learner=student, question=question, stability=12.5)
    ConceptMasteryFactory(
        learner=student, concept=course.concepts.order_by("pk").first(), level=Level.FAMILIAR
    )
    other = UserFactory(username="someone-else")
    AttemptFactory(learner=other, question=question, think_ms=999_999)
    return question


def test_export_needs_a_signed_in_learner(client: Client) -> None:
    response = client.get(reverse("accounts:data_export", args=["json"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_json_export_holds_the_learners_data_and_no_one_elses(
    student_client: Client, history: Question, django_assert_num_queries
) -> None:
    # session (user and profile are kept: accounts/learner_cache.py), attempts, cards, levels,
    # lessons read, recall weeks
    with django_assert_num_queries(7):
        response = student_client.get(reverse("accounts:data_export", args=["json"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["profile"]["username"] == "student"
    assert data["profile"]["time_zone"] == "Pacific/Chatham" and data["profile"]["daily_cap"] == 137
    assert [a["think_ms"] for a in data["attempts"]] == [4321]
    assert data["attempts"][0]["question"] == history.slug
    assert [c["stability"] for c in data["review_cards"]] == [12.5]
    assert [lv["level"] for lv in data["levels"]] == [Level.FAMILIAR]


def test_csv_export_is_a_zip_of_tables(student_client: Client, history: Question) -> None:
    response = student_client.get(reverse("accounts:data_export", args=["csv"]))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert set(archive.namelist()) == {
        "profile.csv",
        "attempts.csv",
        "review_cards.csv",
        "levels.csv",
        "lessons_read.csv",
        "recall_weeks.csv",
    }
    attempts = list(csv.DictReader(io.StringIO(archive.read("attempts.csv").decode())))
    assert [row["think_ms"] for row in attempts] == ["4321"]


def test_an_unknown_format_is_a_404(student_client: Client) -> None:
    assert student_client.get(reverse("accounts:data_export", args=["xml"])).status_code == 404


def test_delete_needs_sign_in_and_post(client: Client, student_client: Client) -> None:
    url = reverse("accounts:delete")
    assert client.post(url, {"password": PASSWORD}).status_code == 302
    page = student_client.get(url)
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    assert student_client.put(url).status_code == 405
    assert User.objects.get(username="student").is_active


def test_delete_with_a_wrong_password_deletes_nothing(student_client: Client, history: Question) -> None:
    response = student_client.post(reverse("accounts:delete"), {"password": "not it"})
    assert response.status_code == 400
    assert "nothing was deleted" in response.content.decode()
    assert User.objects.filter(username="student", is_active=True).exists()


def test_delete_removes_personal_data_and_keeps_answers_anonymous(
    student: User, student_client: Client, instructor_client: Client, history: Question
) -> None:
    course = history.course
    response = student_client.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert response.status_code == 302

    placeholder = User.objects.get(pk=student.pk)
    assert placeholder.username == f"deleted-{student.pk}"
    assert placeholder.email == "" and not placeholder.is_active and not placeholder.has_usable_password()
    assert placeholder.profile.deleted_at is not None and placeholder.profile.time_zone == "UTC"
    assert not ReviewCard.objects.filter(learner=placeholder).exists()
    assert not ConceptMastery.objects.filter(learner=placeholder).exists()
    # The answer stays for the statistics, under the placeholder.
    assert Attempt.objects.filter(learner=placeholder).count() == 1
    # Signed out, and the old session cannot come back.
    assert student_client.get(reverse("mastery:dashboard")).status_code == 302
    assert not Client().login(username="student", password=PASSWORD)

    cohort = instructor_client.get(reverse("mastery:cohort", args=[course.slug])).content.decode()
    assert f"deleted-{student.pk}" not in cohort and ">student<" not in cohort
    assert "Plus 1 deleted account:" in cohort
    assert "All learners: 1 learner." in cohort  # the other learner, still listed
