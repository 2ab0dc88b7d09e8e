"""The learner dashboard: progress, concept grid, due, streak, forecast, weakest concepts; own data only."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from courses.models import Course, Enrollment
from lessons.models import Depth
from mastery.charts import forecast_chart, retention_forecast
from mastery.models import Attempt, ConceptMastery, Grade, Level, ReviewCard
from mastery.progress import mastery_recompute
from mastery.queries import attempt_days, streak_from_days
from tests.factories import (
    AttemptFactory,
    ConceptFactory,
    ConceptIndexEntryFactory,
    CourseFactory,
    LessonFactory,
    LessonReadFactory,
    ModuleFactory,
    QuestionFactory,
    ReviewCardFactory,
    UserFactory,
)

URL = reverse("mastery:dashboard")

pytestmark = pytest.mark.django_db


def studied_course(
    learner: User, *, concepts: int = 3, attempts: int = 10, title: str = "Studied course"
) -> Course:
    """A course with two modules; the learner has read one lesson, answered, and holds review cards."""
    course = CourseFactory(title=title)
    modules = [ModuleFactory(course=course, title=f"Module {i}") for i in range(2)]
    lessons = [LessonFactory(module=modules[i % 2], title=f"Lesson {i}") for i in range(4)]
    LessonReadFactory(learner=learner, lesson=lessons[0])
    questions = []
    for i in range(concepts):
        concept = ConceptFactory(course=course, name=f"Concept {i:02d}")
        lesson = lessons[i % 4]
        ConceptIndexEntryFactory(concept=concept, lesson=lesson, depth=Depth.DEVELOPED)
        question = QuestionFactory(
            course=course, lesson=lesson, depth=Depth.DEVELOPED, section_ref="§1", anchor="s1"
        )
        question.concepts.add(concept)
        questions.append(question)
    now = timezone.now()
    Attempt.objects.bulk_create(
        Attempt(
            learner=learner,
            question=questions[i % len(questions)],
            grade=Grade.GOOD if i % 3 else Grade.AGAIN,
            is_correct=bool(i % 3),
            key=f"{course.slug}-{i}",
            created_at=now - timedelta(days=i),
        )
        for i in range(attempts)
    )
    ReviewCard.objects.bulk_create(
        ReviewCard(
            learner=learner,
            question=question,
            state=ReviewCard.State.REVIEW,
            stability=4.0,
            difficulty=5.0,
            due=now - timedelta(hours=1) if i % 2 else now + timedelta(days=9),
            last_review=now - timedelta(days=2),
        )
        for i, question in enumerate(questions)
    )
    mastery_recompute(learner_id=learner.pk)
    return course


@pytest.fixture
def mast_profile(student: User) -> Profile:
    return Profile.objects.create(user=student, time_zone="UTC")


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


def test_post_is_not_allowed(student_client: Client) -> None:
    assert student_client.post(URL).status_code == 405


def test_new_learner_gets_an_empty_state_and_every_course(
    student_client: Client, mast_profile: Profile
) -> None:
    CourseFactory(title="Open course")
    CourseFactory(title="Hidden draft", is_published=False)

    html = student_client.get(URL).content.decode()

    assert "You have not started yet." in html
    assert "Open course" in html and "Hidden draft" not in html
    assert "Weakest concepts" not in html


def test_learner_sees_progress_grid_due_streak_forecast_and_weakest(
    student: User, student_client: Client, mast_profile: Profile
) -> None:
    course = studied_course(student)
    CourseFactory(title="Untouched course")

    response = student_client.get(URL)
    html = response.content.decode()

    assert response.status_code == 200
    assert "Studied course" in html and "Untouched course" not in html
    assert "1 of 2 lessons read" in html and "0 of 2 lessons read" in html
    assert html.count('class="concept-cell') == 3
    assert "target: Proficient" in html
    assert 'data-testid="due-today">1<' in html  # one of the three cards is overdue
    assert 'data-testid="streak">10<' in html  # one attempt a day for ten days
    assert "<svg" in html and '<title id="forecast-title">Retention forecast' in html
    assert "days from today" in html and "questions remembered" in html
    weakest = html[html.index('id="weakest-h"') :]
    assert course.concepts.first().name in weakest
    assert "Reread:" in weakest and "#s1" in weakest


def test_concept_grid_marks_reached_and_below(
    student: User, student_client: Client, mast_profile: Profile
) -> None:
    course = CourseFactory()
    reached = ConceptFactory(course=course, name="Reached one")
    ConceptIndexEntryFactory(concept=reached, lesson=LessonFactory(module=ModuleFactory(course=course)))
    ConceptMastery.objects.create(learner=student, concept=reached, level=Level.PROFICIENT)
    AttemptFactory(learner=student, question=QuestionFactory(course=course))

    html = student_client.get(URL).content.decode()

    cell = html[html.index("Reached one") - 300 : html.index("Reached one")]
    assert "level-3 reached" in cell
    assert "✓ target: Familiar" in html


def test_only_own_data(student: User, outsider: User, mast_profile: Profile) -> None:
    studied_course(student, title="Student course")
    ConceptMastery.objects.filter(learner=student).update(level=Level.MASTERED)
    client = Client()
    client.force_login(outsider)

    html = client.get(URL).content.decode()

    assert "You have not started yet." in html
    assert "level-4" not in html.split('class="level-legend"')[0]
    assert 'data-testid="due-today">0<' in html
    assert 'data-testid="streak">0<' in html


def test_htmx_refresh_returns_the_fragment(
    student: User, student_client: Client, mast_profile: Profile
) -> None:
    studied_course(student)

    response = student_client.get(URL, HTTP_HX_REQUEST="true")
    html = response.content.decode()

    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="dashboard-body"')
    assert "<html" not in html and "concept-cell" in html


def test_streak_counts_consecutive_local_days() -> None:
    today = date(2025, 5, 10)
    days = {today - timedelta(days=n) for n in (1, 2, 3, 5)}

    assert streak_from_days(days, today) == 3  # today still open: the streak runs to yesterday
    assert streak_from_days(days | {today}, today) == 4
    assert streak_from_days({today - timedelta(days=2)}, today) == 0


def test_attempt_days_follow_the_learners_time_zone(student: User) -> None:
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    # 23:30 UTC on May 9 is already May 10 in Tokyo.
    AttemptFactory(learner=student, created_at=datetime(2025, 5, 9, 23, 30, tzinfo=UTC))

    assert attempt_days(student, date(2025, 5, 10), tokyo) == {date(2025, 5, 10)}
    assert attempt_days(student, date(2025, 5, 10), UTC) == {date(2025, 5, 9)}


def test_forecast_falls_and_counts_reviewed_cards_only(student: User) -> None:
    now = timezone.now()
    cards = [
        ReviewCardFactory(learner=student, stability=2.0, last_review=now),
        ReviewCardFactory(learner=student, stability=20.0, last_review=now),
        ReviewCardFactory(learner=student, stability=None, last_review=None),
    ]

    points = retention_forecast(cards, now)
    chart = forecast_chart(points)

    assert len(points) == 31
    assert points[0].expected == pytest.approx(2.0)
    assert points[-1].expected < points[7].expected < points[0].expected
    assert chart is not None and chart.cards == 2 and "Of 2 reviewed questions" in chart.desc
    assert retention_forecast([cards[2]], now) == [] and forecast_chart([]) is None


def test_the_courses_a_learner_is_in_come_first(
    student: User, student_client: Client, mast_profile: Profile
) -> None:
    # Catalog order alone would put the answered course first (order 0) and the enrolled one last.
    studied_course(student, concepts=2, attempts=3, title="Answered only")
    enrolled_late = CourseFactory(title="Joined and answered", order=9)
    enrolled_idle = CourseFactory(title="Joined, not begun", order=5)
    CourseFactory(title="Never touched", order=1)
    for course in (enrolled_late, enrolled_idle):
        Enrollment.objects.create(learner=student, course=course, via=Enrollment.Via.OPEN)
    question = QuestionFactory(course=enrolled_late)
    AttemptFactory(learner=student, question=question)
    other = UserFactory()
    Enrollment.objects.create(
        learner=other, course=CourseFactory(title="Someone else's"), via=Enrollment.Via.OPEN
    )

    html = student_client.get(URL).content.decode()

    titles = re.findall(r'<h2 id="course-[^"]+"><a href="[^"]+">([^<]+)</a></h2>', html)
    # Enrolled first (by course order: 5 before 9), then the course only answered in; never the others.
    assert titles == ["Joined, not begun", "Joined and answered", "Answered only"]
    # Read again from the snapshots, the same order.
    again = student_client.get(URL).content.decode()
    assert re.findall(r'<h2 id="course-[^"]+"><a href="[^"]+">([^<]+)</a></h2>', again) == titles


def test_a_learner_enrolled_but_not_begun_sees_their_course_first_among_all(
    student: User, student_client: Client, mast_profile: Profile
) -> None:
    CourseFactory(title="First", order=1)
    joined = CourseFactory(title="Joined", order=7)
    CourseFactory(title="Last", order=9)
    Enrollment.objects.create(learner=student, course=joined, via=Enrollment.Via.OPEN)

    html = student_client.get(URL).content.decode()

    assert "You have not started yet" in html
    titles = re.findall(r'<h2 id="course-[^"]+"><a href="[^"]+">([^<]+)</a></h2>', html)
    assert titles == ["Joined", "First", "Last"]


def test_a_learner_not_started_sees_every_course_in_the_catalogs_order(
    student: User, student_client: Client, mast_profile: Profile
) -> None:
    CourseFactory(title="Second", order=2)
    CourseFactory(title="First", order=1)

    html = student_client.get(URL).content.decode()

    assert "You have not started yet" in html
    assert re.findall(r'<h2 id="course-[^"]+"><a href="[^"]+">([^<]+)</a></h2>', html) == ["First", "Second"]


@pytest.mark.parametrize(("concepts", "attempts"), [(3, 10), (60, 3000)])
def test_query_count_does_not_grow(
    student: User,
    student_client: Client,
    mast_profile: Profile,
    django_assert_num_queries,
    concepts: int,
    attempts: int,
) -> None:
    studied_course(student, concepts=concepts, attempts=attempts)
    extra = UserFactory()
    studied_course(extra, concepts=2, attempts=5, title="Someone else's")

    # No snapshot yet (the history was written without the after-attempt task): the first
    # view builds it. session, user, profile, courses, snapshots, then the build (zones,
    # the learner's courses: enrolled, answered and read in one UNION, concepts, masteries, modules, lessons,
    # reads, cards, memory models, attempt days, upsert), due count,
    # weakest: index entries, questions, section labels; where to continue (lessons/bearings.py):
    # visible courses, their outline, the lessons read, the last answer per course
    with django_assert_num_queries(24):
        response = student_client.get(URL)
    assert response.status_code == 200
    # Building the snapshot gave the learner a new stamp (accounts/learner_cache.py), so the next
    # view reads it: session, courses, snapshots, due count (the snapshot already has an answer
    # today, so no EXISTS for one), when the due cards next change, and where to continue:
    # visible courses, the lessons read, the last answer per course. The user and profile come
    # from the cache; the weakest concepts' reread links and the courses' outlines are content.
    with django_assert_num_queries(8):
        student_client.get(URL)
    # From then on the page is kept for the learner until their next write: the session alone
    # (a database session here; in production it is read from Redis too).
    with django_assert_num_queries(1):
        again = student_client.get(URL)

    assert again.status_code == 200

    def region(text: str) -> str:  # the page after the header (which carries a fresh CSRF token)
        return text[text.index('id="dashboard-body"') :]

    assert region(again.content.decode()) == region(response.content.decode())
    assert response.content.decode().count('class="concept-cell') == concepts


def test_forecast_reads_each_card_with_its_courses_memory_model() -> None:
    from mastery import scheduling
    from mastery.models import ReviewCard

    now = timezone.now()
    card = ReviewCard(
        learner_id=1, question_id=1, state=2, stability=5.0, last_review=now - timedelta(days=2)
    )
    card.course_id = 7
    slow = scheduling.memory_model([*scheduling.DEFAULT_PARAMETERS[:20], 0.1])
    fast = scheduling.memory_model([*scheduling.DEFAULT_PARAMETERS[:20], 0.8])

    read_slow = retention_forecast([card], now, days=10, models={7: slow})[-1].mean
    read_fast = retention_forecast([card], now, days=10, models={7: fast})[-1].mean
    read_default = retention_forecast([card], now, days=10)[-1].mean

    assert (
        read_slow != read_fast
        and read_default == retention_forecast([card], now, days=10, models={8: slow})[-1].mean
    )


# --- A drawing kept while nothing changed -------------------------------------------------------


def test_the_drawing_is_kept_until_the_state_or_the_mark_moves(
    student: User, student_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mastery import snapshot
    from mastery.snapshot import recall_mark

    studied_course(student)
    drawn = []
    real = snapshot.dashboard_from

    def counting(*args, **kwargs):
        drawn.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("mastery.views.dashboard.dashboard_from", counting)
    first = student_client.get(URL).content.decode()
    second = student_client.get(URL).content.decode()
    assert len(drawn) == 1  # the second view served the kept drawing
    body = first[first.index('id="dashboard-body"') :]
    assert body == second[second.index('id="dashboard-body"') :]
    # A card rescheduled to now changes the state: drawn again, with the new count.
    for card in ReviewCard.objects.filter(learner=student):
        card.due = timezone.now() - timedelta(minutes=1)
        card.save(update_fields=["due"])
    html = student_client.get(URL).content.decode()
    assert len(drawn) == 2
    due = re.search(r'data-testid="due-today">(\d+)<', html)
    assert due is not None and int(due.group(1)) == ReviewCard.objects.filter(learner=student).count()
    # The mark: recall as of the last ten minutes' boundary, the same for every view until it moves.
    moment = datetime(2026, 12, 2, 17, 59, 59, tzinfo=UTC)
    assert recall_mark(moment) == datetime(2026, 12, 2, 17, 50, tzinfo=UTC)
    assert recall_mark(moment + timedelta(seconds=1)) == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


def test_the_refresh_control_gets_the_body_alone(student: User, student_client: Client) -> None:
    studied_course(student)
    html = student_client.get(URL, HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith('<div id="dashboard-body"')
    assert "<html" not in html
