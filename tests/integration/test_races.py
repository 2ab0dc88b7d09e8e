"""Concurrent answers on PostgreSQL: idempotency keys, the ReviewCard row lock and the mastery recompute.

Each request runs in its own thread with its own database connection, through the real
grade endpoint, so the transactions really overlap (transactional tests: nothing is
wrapped in a test transaction, on-commit hooks run, and tasks run eagerly in the
request's thread as in the embedded mode).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar, cast

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from courses.models import Concept
from mastery import progress, services
from mastery.models import Attempt, ConceptMastery, Grade, Level, Mode, ReviewCard
from mastery.progress import mastery_recompute
from mastery.services import attempt_record
from quizzes.models import Question
from tests.factories import CourseFactory, QuestionFactory, UserFactory, check_token_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20
# Generous bound for waiting on other threads: reached only if something deadlocks.
JOIN_TIMEOUT_S = 60

# How often to look for the attempts queued behind a held lock (every 50 ms: ten seconds at most).
LOCK_WAIT_POLLS = 200

T = TypeVar("T")


class DbThread(threading.Thread):
    """A thread with its own database connection, closed at the end; keeps the job's result or error."""

    def __init__(self, job: Callable[[], object], name: str | None = None) -> None:
        super().__init__(name=name)
        self.job = job
        self.result: object = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.job()
        except BaseException as exc:
            self.error = exc
        finally:
            # Left open, the thread's connection would block the flush of the test database.
            connection.close()

    def finish(self) -> object:
        self.join(JOIN_TIMEOUT_S)
        assert not self.is_alive(), f"{self.name} is still running: a deadlock?"
        if self.error is not None:
            raise self.error
        return self.result


def run_together(jobs: list[Callable[[], T]]) -> list[T]:
    """Run each job in its own thread, all released at once by a barrier; results in job order."""
    barrier = threading.Barrier(len(jobs))

    def released(job: Callable[[], T]) -> Callable[[], T]:
        def run() -> T:
            barrier.wait(timeout=JOIN_TIMEOUT_S)
            return job()

        return run

    threads = [DbThread(released(job)) for job in jobs]
    for thread in threads:
        thread.start()
    return [cast(T, thread.finish()) for thread in threads]


@dataclass
class Setup:
    learner: User
    concept: Concept
    questions: list[Question]


@pytest.fixture
def race() -> Setup:
    course = CourseFactory(slug="races")
    concept = Concept.objects.create(course=course, slug="locking", name="Locking")
    questions = [
        QuestionFactory(course=course, slug=f"race-{i}", answer_md="An answer.") for i in range(THREADS)
    ]
    for question in questions:
        question.concepts.add(concept)
    return Setup(learner=UserFactory(username="racer"), concept=concept, questions=questions)


@pytest.fixture
def session_cookie(race: Setup) -> str:
    """One signed-in session of the learner, shared by every thread's client (one browser, many tabs)."""
    client = Client()
    client.force_login(race.learner)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def grade_post(question: Question, token: str, session: str, grade: str = "3") -> Callable[[], HttpResponse]:
    def post() -> HttpResponse:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session
        url = reverse("quizzes:grade", args=[question.course.slug, question.slug])
        return client.post(url, {"grade": grade, "token": token}, HTTP_HX_REQUEST="true")

    return post


def test_twenty_identical_grade_posts_record_one_attempt_and_one_review(
    race: Setup, session_cookie: str
) -> None:
    question = race.questions[0]
    token = check_token_for(race.learner, question, revealed=True)

    responses = run_together([grade_post(question, token, session_cookie) for _ in range(THREADS)])

    assert [response.status_code for response in responses] == [200] * THREADS
    assert all("Marked: Good" in response.content.decode() for response in responses)
    assert Attempt.objects.filter(learner=race.learner).count() == 1
    card = ReviewCard.objects.get(learner=race.learner, question=question)
    assert card.reps == 1
    mastery = ConceptMastery.objects.get(learner=race.learner, concept=race.concept)
    assert mastery.attempts_count == 1


def test_twenty_concurrent_attempts_on_one_concept_lose_no_mastery_update(
    race: Setup, session_cookie: str
) -> None:
    posts = [
        grade_post(question, check_token_for(race.learner, question, revealed=True), session_cookie)
        for question in race.questions
    ]

    responses = run_together(posts)

    assert [response.status_code for response in responses] == [200] * THREADS
    assert Attempt.objects.filter(learner=race.learner).count() == THREADS
    cards = ReviewCard.objects.filter(learner=race.learner)
    assert sorted(card.question_id for card in cards) == sorted(q.pk for q in race.questions)
    assert {card.reps for card in cards} == {1}
    assert all(card.last_review is not None for card in cards)
    # Every after-commit recompute has run (eagerly, in its request's thread) by now: the stored
    # row must count all twenty, not the attempts one early recompute happened to see.
    stored = ConceptMastery.objects.get(learner=race.learner, concept=race.concept)
    assert stored.attempts_count == THREADS
    assert stored.level != Level.NOT_STARTED
    mastery_recompute(learner_id=race.learner.pk, concept_ids=[race.concept.pk])
    fresh = ConceptMastery.objects.get(pk=stored.pk)
    assert (fresh.level, fresh.attempts_count, fresh.evidence) == (
        stored.level,
        stored.attempts_count,
        stored.evidence,
    )


def _lock_waiters() -> int:
    """Backends of this database waiting on a lock (our threads, blocked behind the held row lock)."""
    with connection.cursor() as cursor:
        # Statistics views are snapshotted once per transaction, and the caller holds one open.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("card_exists", [False, True], ids=["new-card", "existing-card"])
def test_two_attempts_on_one_question_both_review_the_card(race: Setup, card_exists: bool) -> None:
    question = race.questions[0]

    def answer(key: str) -> Callable[[], Attempt]:
        def record() -> Attempt:
            attempt, created = attempt_record(
                learner=race.learner, question=question, key=key, mode=Mode.STUDY, grade=Grade.GOOD
            )
            assert created
            return attempt

        return record

    if not card_exists:
        # Both transactions find no card and insert one: the unique constraint makes one of
        # them fetch (and lock) the other's card instead of losing its review.
        attempts = run_together([answer("first"), answer("second")])
    else:
        card = ReviewCard.objects.create(learner=race.learner, question=question)
        with transaction.atomic():
            # Hold the card's row lock until both attempts are queued behind it, so they
            # contend for it for certain instead of by the luck of the scheduler.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT 1 FROM {ReviewCard._meta.db_table} WHERE id = %s FOR UPDATE", [card.pk]
                )
            runner = DbThread(lambda: run_together([answer("a"), answer("b")]), name="two attempts")
            runner.start()
            for _ in range(LOCK_WAIT_POLLS):
                if _lock_waiters() >= 2:
                    break
                threading.Event().wait(0.05)
            assert _lock_waiters() >= 2, (
                "the attempts did not wait for the card's row lock (select_for_update)"
            )
        attempts = cast(list[Attempt], runner.finish())

    assert len(attempts) == 2
    assert Attempt.objects.filter(learner=race.learner, question=question).count() == 2
    assert ReviewCard.objects.get(learner=race.learner, question=question).reps == 2


def test_a_recompute_that_read_early_cannot_overwrite_a_later_one(
    race: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving the twenty-thread test can only hope to hit, forced.

    An early recompute reads the learner's attempts, then pauses; meanwhile another attempt
    commits and its own recompute runs. Without a per-learner lock the later recompute
    stores two attempts and the early one, resuming, overwrites that with one.
    """
    learner, concept = race.learner, race.concept
    # The recomputes are run by hand below, at chosen moments.
    monkeypatch.setattr(services, "mastery_recompute_enqueue", lambda **kwargs: True)
    attempt_record(learner=learner, question=race.questions[0], key="one", mode=Mode.STUDY, grade=Grade.GOOD)
    has_read, resume = threading.Event(), threading.Event()
    targets = progress.concept_targets

    def pause_after_reading(concept_ids: Iterable[int]) -> dict[int, Level | None]:
        if threading.current_thread().name == "early":
            has_read.set()
            resume.wait(JOIN_TIMEOUT_S)
        return targets(concept_ids)

    # concept_targets is the first thing mastery_recompute asks for after loading the attempts.
    monkeypatch.setattr(progress, "concept_targets", pause_after_reading)

    def later() -> None:
        attempt_record(
            learner=learner, question=race.questions[1], key="two", mode=Mode.STUDY, grade=Grade.GOOD
        )
        mastery_recompute(learner_id=learner.pk, concept_ids=[concept.pk])

    early_thread = DbThread(
        lambda: mastery_recompute(learner_id=learner.pk, concept_ids=[concept.pk]), "early"
    )
    early_thread.start()
    assert has_read.wait(JOIN_TIMEOUT_S), "the early recompute never got to read the attempts"
    later_thread = DbThread(later, "later")
    later_thread.start()
    # Let the later attempt and recompute go as far as they can: done, or queued behind a lock.
    for _ in range(LOCK_WAIT_POLLS):
        if not later_thread.is_alive() or _lock_waiters() >= 1:
            break
        threading.Event().wait(0.05)
    resume.set()
    early_thread.finish()
    later_thread.finish()

    assert Attempt.objects.filter(learner=learner).count() == 2
    assert ConceptMastery.objects.get(learner=learner, concept=concept).attempts_count == 2
