"""The demo learners' history: written through the real services, in the past, the same every time."""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from courses.bundles import import_bundle
from courses.demo import demo_accounts_ensure
from courses.demo_history import DEMO_LEARNERS, demo_history_ensure
from mastery.models import Attempt, ConceptMastery, LessonRead, Mode, RecallEnrollment, ReviewCard
from mastery.progress import mastery_recompute
from quizzes.models import Quiz

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 20)


def _fingerprint(username: str) -> list[tuple[object, ...]]:
    return list(
        Attempt.objects.filter(learner__username=username)
        .order_by("created_at", "id")
        .values_list("question__slug", "mode", "grade", "option__text", "is_correct", "created_at")
    )


def _recompute_as_after_commit() -> None:
    """What the answers' after-commit recomputes leave (the test's transaction never commits):
    mastery_recompute is idempotent, so one full recompute per learner gives the same rows."""
    for user in User.objects.filter(attempts__isnull=False).distinct():
        mastery_recompute(learner_id=user.pk)


def test_make_run_opens_on_a_dashboard_with_levels_and_a_forecast_and_a_cohort_with_rows(
    settings: Settings,
) -> None:
    settings.DEBUG = True
    out = StringIO()
    call_command("load_demo", stdout=out)
    _recompute_as_after_commit()

    assert "answers by 5 demo learners" in out.getvalue()
    student = User.objects.get(username="student")
    client = Client()
    client.force_login(student)
    page = client.get(reverse("mastery:dashboard")).content.decode()
    assert 'class="forecast-chart"' in page
    assert "Review a question once and a forecast" not in page
    levels = {int(level) for level in re.findall(r'class="level-label" data-level="(\d)"', page)}
    assert levels & {2, 3, 4}, levels  # Familiar or better on some concepts, from the history
    assert ConceptMastery.objects.filter(learner=student, level__gte=2).exists()

    instructor = User.objects.get(username="instructor")
    client.force_login(instructor)
    cohort = client.get(reverse("mastery:cohort", args=[settings.DEMO_COURSE_SLUG])).content.decode()
    for spec in DEMO_LEARNERS:
        assert f">{spec.username}</a>" in cohort  # a row, linked to the learner's own page

    # A second `make run` leaves the history as it is.
    out = StringIO()
    before = Attempt.objects.count()
    call_command("load_demo", stdout=out)
    assert "already there, left as it is" in out.getvalue()
    assert Attempt.objects.count() == before


def test_history_is_the_apps_own_state_in_the_past() -> None:
    import_bundle(settings.DEMO_BUNDLE_DIR)
    demo_accounts_ensure()
    spec = DEMO_LEARNERS[0]
    result = demo_history_ensure(course_slug=settings.DEMO_COURSE_SLUG, today=TODAY, learners=[spec])
    _recompute_as_after_commit()

    student = User.objects.get(username=spec.username)
    attempts = Attempt.objects.filter(learner=student)
    assert result.attempts == attempts.count() > 50
    first = TODAY - timedelta(days=spec.started_days_ago)
    assert all(first <= a.created_at.date() < TODAY for a in attempts)
    assert {Mode.STUDY, Mode.REVIEW, Mode.CRAM} <= set(attempts.values_list("mode", flat=True))
    # Reviews happened only when the real schedule said the card was due: every reviewed
    # question had an earlier attempt that created its card.
    for review in attempts.filter(mode=Mode.REVIEW)[:30]:
        assert (
            attempts.filter(question=review.question, created_at__lt=review.created_at)
            .exclude(mode=Mode.CRAM)
            .exists()
        )
    # Cards exist only for questions answered in study or review; the cram run moved none.
    cram_only = set(attempts.filter(mode=Mode.CRAM).values_list("question", flat=True)) - set(
        attempts.exclude(mode=Mode.CRAM).values_list("question", flat=True)
    )
    assert not ReviewCard.objects.filter(learner=student, question__in=cram_only).exists()
    cards = ReviewCard.objects.filter(learner=student)
    assert cards.count() == attempts.exclude(mode=Mode.CRAM).values("question").distinct().count()
    assert all(card.last_review is not None and card.last_review.date() < TODAY for card in cards)
    assert ConceptMastery.objects.filter(learner=student).exists()
    assert LessonRead.objects.filter(learner=student).count() == spec.lessons
    assert RecallEnrollment.objects.filter(learner=student, started_on=TODAY - timedelta(days=3)).exists()


def test_history_is_deterministic_and_reset_rebuilds_it() -> None:
    import_bundle(settings.DEMO_BUNDLE_DIR)
    demo_accounts_ensure()
    spec = DEMO_LEARNERS[-1]
    demo_history_ensure(course_slug=settings.DEMO_COURSE_SLUG, today=TODAY, learners=[spec])
    first = _fingerprint(spec.username)

    again = demo_history_ensure(course_slug=settings.DEMO_COURSE_SLUG, today=TODAY, learners=[spec])
    assert again.skipped and _fingerprint(spec.username) == first

    rebuilt = demo_history_ensure(
        course_slug=settings.DEMO_COURSE_SLUG, today=TODAY, learners=[spec], reset=True
    )
    assert not rebuilt.skipped
    assert _fingerprint(spec.username) == first
    assert Attempt.objects.filter(learner__username=spec.username).count() == len(first)


def test_demo_learners_other_than_student_cannot_sign_in() -> None:
    import_bundle(settings.DEMO_BUNDLE_DIR)
    demo_accounts_ensure()
    demo_history_ensure(
        course_slug=settings.DEMO_COURSE_SLUG, today=timezone.now().date(), learners=DEMO_LEARNERS[-1:]
    )

    assert not User.objects.get(username=DEMO_LEARNERS[-1].username).has_usable_password()
    assert Quiz.objects.filter(kind=Quiz.Kind.READINESS).exists()
