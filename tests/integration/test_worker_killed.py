"""A Celery worker killed in the middle of a recompute: nothing half-written, and the retry finishes the job.

A real worker (a subprocess, prefork pool, one child) on a real Redis broker and the
test's PostgreSQL database takes a `recompute_mastery` task. The test holds a row lock on
the last of the learner's ConceptMastery rows, so the child stops *inside* the recompute's
upsert: the earlier rows are already written in its open transaction. It is killed there
with SIGKILL. Then:

- the database rolled the half-done transaction back (no row moved),
- the broker gave the task again (acks_late + reject_on_worker_lost: the message was
  never acknowledged, and a lost child sends it back), a new child ran it,
- and the rows it left are exactly what a recompute from scratch gives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, connections, transaction

from courses.models import Concept
from mastery.models import Attempt, ConceptMastery
from mastery.progress import mastery_recompute
from tests.factories import AttemptFactory, CourseFactory, QuestionFactory, UserFactory
from tests.integration.conftest import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
QUEUE = "killed-worker-test"
WAIT_S = 90


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces: the fields after ")" start with state, ppid.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture
def worker(redis_url: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "DB_CONN_MAX_AGE": "0",
    }
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--queues",
            QUEUE,
            "--loglevel",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: "ready" in (tmp_path / "worker.log").read_text(), "the worker to start")
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def blocked_backends() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE '%%INSERT INTO \"mastery_conceptmastery\" %%'"
        )
        return int(cursor.fetchone()[0])


def snapshot(learner: User) -> list[tuple]:
    return list(
        ConceptMastery.objects.filter(learner=learner)
        .order_by("concept_id")
        .values_list("concept_id", "level", "attempts_count", "explanation", "last_attempt_at")
    )


def test_a_recompute_killed_mid_write_leaves_consistent_rows_after_the_retry(
    worker: subprocess.Popen[bytes], redis_url: str
) -> None:
    course = CourseFactory(slug="killed")
    learner = UserFactory(username="killed-learner")
    concepts = [Concept.objects.create(course=course, slug=f"c{i}", name=f"Concept {i}") for i in range(3)]
    for i, concept in enumerate(concepts):
        for j in range(i + 2):
            question = QuestionFactory(course=course, slug=f"q{i}-{j}", answer_md="An answer.")
            question.concepts.add(concept)
            AttemptFactory(learner=learner, question=question, grade=3, mode="study")
    # Stale rows, as left before these attempts were counted: the recompute must update all three.
    for concept in concepts:
        ConceptMastery.objects.create(learner=learner, concept=concept, attempts_count=0)
    stale = snapshot(learner)
    concept_ids = sorted(concept.pk for concept in concepts)

    # Hold the last row (the upsert writes in concept order) so the worker stops mid-write.
    release = threading.Event()
    locked = threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                list(
                    ConceptMastery.objects.select_for_update().filter(
                        learner=learner, concept_id=concept_ids[-1]
                    )
                )
                locked.set()
                release.wait(WAIT_S)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(20)

    client = Celery(broker=redis_url)
    client.send_task("mastery.tasks.recompute_mastery", args=[learner.pk, concept_ids], queue=QUEUE)
    wait_until(lambda: blocked_backends() == 1, "the recompute to block inside its upsert")
    pool_children = children_of(worker.pid)
    assert len(pool_children) == 1
    os.kill(pool_children[0], signal.SIGKILL)
    # The killed child's connection is gone and its transaction rolled back: nothing moved.
    wait_until(
        lambda: children_of(worker.pid) and children_of(worker.pid) != pool_children, "a new pool child"
    )
    assert snapshot(learner) == stale

    release.set()
    holder.join(WAIT_S)
    expected_counts = {concept.pk: i + 2 for i, concept in enumerate(concepts)}
    wait_until(
        lambda: {row[0]: row[2] for row in snapshot(learner)} == expected_counts,
        "the retried recompute to finish",
    )
    after_retry = snapshot(learner)
    # Consistent: a recompute from scratch, here in the test, changes nothing.
    mastery_recompute(learner_id=learner.pk, concept_ids=concept_ids)
    assert snapshot(learner) == after_retry
    assert Attempt.objects.filter(learner=learner).count() == sum(expected_counts.values())
