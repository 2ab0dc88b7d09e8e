"""A broker that cannot be reached: the answer is still kept, and the nightly run catches the mastery up.

The Celery app is pointed at a closed port on loopback (nothing listens on port 1), not
run eagerly, so the after-commit enqueue really tries to publish and fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from config.celery import app
from mastery.models import Attempt, ConceptMastery, Level, ReviewCard
from mastery.services import mastery_recompute_enqueue
from mastery.tasks import nightly_mastery_decay
from quizzes.models import Question
from tests.factories import ConceptFactory, QuestionFactory, check_token_for, enqueued

pytestmark = pytest.mark.django_db

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]

DOWN_BROKER = {
    "task_always_eager": False,
    "broker_url": "redis://127.0.0.1:1/0",
    # Fail at once instead of retrying: a learner's request must not wait on a dead broker.
    "broker_connection_retry": False,
    "broker_connection_max_retries": 0,
    "broker_connection_timeout": 1,
    "broker_transport_options": {"max_retries": 0},
    "task_publish_retry": False,
}


def _forget_connections() -> None:
    # The app caches its broker connection pool; drop it so the next publish dials the new URL.
    pool = app._pool
    if pool is not None:
        pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down() -> Iterator[None]:
    saved = {name: app.conf[name] for name in DOWN_BROKER}
    _forget_connections()
    app.conf.update(DOWN_BROKER)
    try:
        yield
    finally:
        app.conf.update(saved)
        _forget_connections()


@pytest.fixture
def question() -> Question:
    question = QuestionFactory(answer_md="An answer.")
    question.concepts.add(ConceptFactory(course=question.course, slug="durability"))
    return question


def test_an_answer_is_kept_when_the_broker_is_down_and_mastery_catches_up_nightly(
    broker_down: None,
    student: User,
    student_client: Client,
    question: Question,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = reverse("quizzes:grade", args=[question.course.slug, question.slug])
    token = check_token_for(student, question, revealed=True)

    with (
        caplog.at_level(logging.WARNING, logger="mastery.services"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = student_client.post(url, {"grade": "3", "token": token}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Marked: Good" in response.content.decode()
    assert len(enqueued(callbacks)) == 1
    assert "could not queue the mastery recompute" in caplog.text
    attempt = Attempt.objects.get(learner=student)
    assert attempt.question == question
    assert ReviewCard.objects.get(learner=student, question=question).reps == 1
    assert not ConceptMastery.objects.filter(learner=student).exists()

    nightly_mastery_decay.apply()

    mastery = ConceptMastery.objects.get(learner=student, concept__slug="durability")
    assert mastery.attempts_count == 1
    assert mastery.level != Level.NOT_STARTED


def test_the_broker_is_really_asked(broker_down: None, student: User, question: Question) -> None:
    # Guards the test above: with eager tasks still on, "no mastery yet" could not happen at all.
    assert app.conf.task_always_eager is False
    assert mastery_recompute_enqueue(learner_id=student.pk, concept_ids=[]) is False
