"""A course's memory model: desired retention within Anki's guard rails, parameters fitted nightly."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from courses.models import Course
from mastery import scheduling, tasks
from mastery.models import Attempt, CourseMemory, Grade, Mode
from mastery.services import attempt_record, course_memory_fit, course_memory_fit_all
from tests.factories import CourseFactory, QuestionFactory, UserFactory

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize("retention", [0.69, 0.98, 1.5])
def test_retention_outside_the_guard_rails_is_refused(retention: float) -> None:
    memory = CourseMemory(course=CourseFactory(), desired_retention=retention)

    with pytest.raises(ValidationError, match="desired_retention"):
        memory.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        memory.save()


@pytest.mark.django_db
@pytest.mark.parametrize("retention", [0.70, 0.9, 0.97])
def test_retention_inside_the_guard_rails_is_kept(retention: float) -> None:
    memory = CourseMemory(course=CourseFactory(), desired_retention=retention)
    memory.full_clean()
    memory.save()

    assert scheduling.course_models([memory.course_id])[memory.course_id].desired_retention == retention


@pytest.mark.django_db
def test_a_course_without_a_row_uses_the_defaults() -> None:
    course = CourseFactory()

    assert scheduling.course_models([course.pk]) == {course.pk: scheduling.DEFAULT_MODEL}


def _answers(learners: int, questions: int, course: Course, seed: int = 3) -> None:
    rng = random.Random(seed)
    made = [QuestionFactory(course=course) for _ in range(questions)]
    rows = []
    for n in range(learners):
        learner = UserFactory()
        for question in made:
            at = NOW
            for k in range(7):
                grade = Grade.AGAIN if rng.random() < 0.2 else Grade.GOOD
                rows.append(
                    Attempt(
                        learner=learner,
                        question=question,
                        grade=grade,
                        key=f"{n}-{question.pk}-{k}",
                        created_at=at,
                    )
                )
                at += timedelta(days=rng.choice([1, 2, 3, 5]))
    Attempt.objects.bulk_create(rows)


@pytest.mark.django_db
def test_fit_keeps_defaults_until_enough_reviews_then_fits_and_keeps_retention() -> None:
    course = CourseFactory()
    CourseMemory.objects.create(course=course, desired_retention=0.8)
    _answers(learners=2, questions=3, course=course)

    few = course_memory_fit(course_id=course.pk, now=NOW)
    assert (
        few.parameters == [] and few.fitted_at is None and 0 < few.fitted_reviews < scheduling.MIN_FIT_REVIEWS
    )

    _answers(learners=12, questions=6, course=course, seed=4)
    fitted = course_memory_fit(course_id=course.pk, now=NOW)
    assert len(fitted.parameters) == 21 and fitted.fitted_at == NOW
    assert fitted.desired_retention == 0.8
    model = scheduling.course_models([course.pk])[course.pk]
    assert model.parameters == tuple(fitted.parameters) and model.desired_retention == 0.8

    again = course_memory_fit(course_id=course.pk, now=NOW)
    assert again.parameters == fitted.parameters  # idempotent: same history, same fit


@pytest.mark.django_db
def test_cram_attempts_do_not_feed_the_fit() -> None:
    course = CourseFactory()
    _answers(learners=2, questions=3, course=course)
    before = course_memory_fit(course_id=course.pk).fitted_reviews
    Attempt.objects.filter(question__course=course).update(mode=Mode.CRAM)

    assert course_memory_fit(course_id=course.pk).fitted_reviews == 0 < before


@pytest.mark.django_db
def test_nightly_task_fits_every_course_with_attempts() -> None:
    busy, idle = CourseFactory(), CourseFactory()
    _answers(learners=1, questions=2, course=busy)

    tasks.fit_course_memory.delay()

    assert CourseMemory.objects.filter(course=busy).exists()
    assert not CourseMemory.objects.filter(course=idle).exists()
    assert course_memory_fit_all() == 1


@pytest.mark.django_db
def test_attempts_are_scheduled_with_the_course_retention(student: User) -> None:
    strict, lax = CourseFactory(), CourseFactory()
    CourseMemory.objects.create(course=strict, desired_retention=0.97)
    CourseMemory.objects.create(course=lax, desired_retention=0.70)
    dues = {}
    for course in (strict, lax):
        question = QuestionFactory(course=course)
        for k, day in enumerate((0, 1, 4)):
            attempt_record(
                learner=student,
                question=question,
                key=f"{course.pk}-{k}",
                mode=Mode.REVIEW,
                grade=Grade.GOOD,
                now=NOW + timedelta(days=day),
            )
        dues[course.pk] = question.review_cards.get().due

    assert dues[strict.pk] < dues[lax.pk]


ADMIN = "/admin/mastery/coursememory/"


def test_admin_retention_is_validated_for_instructors(
    client: Client, student_client: Client, instructor_client: Client
) -> None:
    course = CourseFactory()
    memory = CourseMemory.objects.create(course=course)
    change = f"{ADMIN}{course.pk}/change/"

    assert client.get(change).status_code == 302  # to the admin login
    assert student_client.get(change).status_code == 302
    assert instructor_client.get(change).status_code == 200

    refused = instructor_client.post(change, {"course": course.pk, "desired_retention": "0.99"})
    assert refused.status_code == 200 and "less than or equal to 0.97" in refused.content.decode()
    saved = instructor_client.post(change, {"course": course.pk, "desired_retention": "0.85"})
    assert saved.status_code == 302
    memory.refresh_from_db()
    assert memory.desired_retention == 0.85
