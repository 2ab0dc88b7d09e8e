"""A learner never sees another learner's data.

Every learner-scoped page is opened three ways while the student has attempts, mastery
rows, review cards, a recall week and a profile with distinctive values: as the student
(the markers are there, so the checks below can fail), as an outsider (none of them are),
and anonymously (a login redirect, or the public page without learner data). The SQL the
outsider's request runs is checked too: rows of learner tables are only ever selected
for the outsider, never for the student.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import CourseInstructor, Profile
from courses.demo import instructors_group_ensure
from courses.models import Cohort, Course, Enrollment
from lessons.models import Lesson
from mastery.models import Attempt, ConceptMastery, Grade, Level, Mode, RecallEnrollment, ReviewCard
from mastery.progress import mastery_recompute
from tests.factories import AttemptFactory, UserFactory, build_course, check_token_for

pytestmark = pytest.mark.django_db

LEARNER_TABLES = (
    "mastery_attempt",
    "mastery_reviewcard",
    "mastery_conceptmastery",
    "mastery_lessonread",
    "mastery_recallenrollment",
    "mastery_queueitem",
    "accounts_profile",
)
EXPLANATION = "STUDENT-PRIVATE-EXPLANATION"
TIME_ZONE = "Pacific/Chatham"
DAILY_CAP = 137
STARTED = date(2024, 2, 29)
DUE = 7


@dataclass
class World:
    course: Course
    student: User
    outsider: User

    def urls(self) -> dict[str, str]:
        concept = self.course.concepts.order_by("pk").first()
        plan = self.course.recall_plans.get()
        module = self.course.modules.order_by("order").first()
        assert concept is not None and module is not None
        return {
            "dashboard": reverse("mastery:dashboard"),
            "review": reverse("mastery:review"),
            "recall": reverse("quizzes:recall", args=[self.course.slug, plan.slug]),
            "concept": concept.get_absolute_url(),
            "profile": reverse("accounts:profile"),
            "cohort": reverse("mastery:cohort", args=[self.course.slug]),
            "cheat_sheet": reverse("mastery:cheat_sheet", args=[self.course.slug, module.slug]),
            # The lesson page restores the checks the learner answered in this sitting.
            "lesson": self.first_lesson().get_absolute_url(),
        }

    def first_lesson(self) -> Lesson:
        lesson = (
            Lesson.objects.filter(module__course=self.course).order_by("module__order", "order", "pk").first()
        )
        assert lesson is not None
        return lesson


# What the student's own pages show, and the outsider's must not.
MARKERS = {
    "dashboard": [f'data-testid="due-today">{DUE}<', "concept-cell level-4"],
    "review": [f"of {DUE} due today"],
    "recall": ["Started 29 February 2024", f"at most {DAILY_CAP} a day"],
    "concept": [EXPLANATION, 'data-testid="level">Mastered<'],
    "profile": [f'value="{TIME_ZONE}" selected', f'value="{DAILY_CAP}"'],
    # The student answered every check, so their sheet is open; the outsider's is locked.
    "cheat_sheet": ['class="at-a-glance"', "Explanation for lesson-"],
    "lesson": ["is-graded", "Marked: Good"],
}


@pytest.fixture
def mast_world(student: User, outsider: User) -> World:
    course = build_course(modules=2, lessons=4, concepts=3, checks_per_lesson=2)
    questions = list(course.questions.order_by("pk"))
    now = timezone.now()
    Attempt.objects.bulk_create(
        Attempt(learner=student, question=q, grade=Grade.GOOD, is_correct=True, key=f"k{i}", created_at=now)
        for i, q in enumerate(questions)
    )
    ReviewCard.objects.bulk_create(
        ReviewCard(
            learner=student,
            question=q,
            state=ReviewCard.State.REVIEW,
            stability=5.0,
            difficulty=5.0,
            due=now - timedelta(hours=1) if i < DUE else now + timedelta(days=5),
            last_review=now - timedelta(days=3),
        )
        for i, q in enumerate(questions)
    )
    mastery_recompute(learner_id=student.pk)
    ConceptMastery.objects.filter(learner=student).update(level=Level.MASTERED, explanation=EXPLANATION)
    RecallEnrollment.objects.create(learner=student, plan=course.recall_plans.get(), started_on=STARTED)
    Profile.objects.create(user=student, time_zone=TIME_ZONE, daily_cap=DAILY_CAP)
    Profile.objects.create(user=outsider, time_zone="UTC")
    return World(course=course, student=student, outsider=outsider)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


PAGES = sorted(MARKERS)


@pytest.mark.parametrize("page", PAGES)
def test_the_student_sees_their_own_markers(mast_world: World, page: str) -> None:
    response = signed_in(mast_world.student).get(mast_world.urls()[page])

    assert response.status_code == 200
    html = response.content.decode()
    for marker in MARKERS[page]:
        assert marker in html, f"{page}: the student's own page should show {marker!r}"


@pytest.mark.parametrize("page", PAGES)
def test_the_outsider_never_sees_them(mast_world: World, page: str) -> None:
    client = signed_in(mast_world.outsider)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(mast_world.urls()[page])

    assert response.status_code == 200
    html = response.content.decode()
    for marker in MARKERS[page]:
        assert marker not in html, f"{page}: the outsider sees the student's {marker!r}"
    assert ">student<" not in html
    assert_only_filtered_by(queries.captured_queries, mast_world.outsider, mast_world.student)


def assert_only_filtered_by(queries: list[dict[str, str]], user: User, other: User) -> None:
    """Every query on a learner table names the user's id, and none names the other learner's."""
    checked = 0
    for query in queries:
        sql = query["sql"]
        if not any(f'"{table}"' in sql for table in LEARNER_TABLES):
            continue
        if sql.startswith(("SAVEPOINT", "RELEASE")):
            continue
        # The signed-in user's own row, read with their profile (accounts/learner_cache.py), names them by id.
        named = r'("learner_id"|"user_id"|"auth_user"\."id")'
        assert re.search(rf"{named} (= {user.pk}\b|IN \({user.pk}\))", sql), sql
        assert not re.search(rf"{named} (= {other.pk}\b|IN \({other.pk}\))", sql), sql
        checked += 1
    assert checked, "the page read no learner table: nothing was checked"


@pytest.mark.parametrize("page", ["dashboard", "review", "profile", "cohort", "cheat_sheet"])
def test_anonymous_is_sent_to_login(mast_world: World, page: str) -> None:
    url = mast_world.urls()[page]

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("page", ["recall", "concept", "lesson"])
def test_anonymous_gets_the_public_page_without_learner_data(mast_world: World, page: str) -> None:
    response = Client().get(mast_world.urls()[page])

    assert response.status_code == 200
    html = response.content.decode()
    for marker in MARKERS[page]:
        assert marker not in html


def test_the_cohort_is_for_instructors_only(mast_world: World, instructor: User) -> None:
    url = mast_world.urls()["cohort"]

    assert signed_in(mast_world.outsider).get(url).status_code == 403
    assert signed_in(mast_world.student).get(url).status_code == 403
    html = signed_in(instructor).get(url).content.decode()
    assert ">student<" in html and ">outsider<" not in html  # the outsider has no attempts


def test_a_reveal_is_restored_for_the_learner_who_made_it_only(mast_world: World) -> None:
    lesson = Lesson.objects.filter(module__course=mast_world.course).order_by("-pk").first()
    assert lesson is not None
    free = next(
        q for q in mast_world.course.questions.filter(slug__in=lesson.check_slugs()) if not q.is_choice
    )
    # A fresh sitting for this check: the student's earlier answer is older than the reveal.
    Attempt.objects.filter(learner=mast_world.student, question=free).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    student = signed_in(mast_world.student)
    token = check_token_for(mast_world.student, free)
    student.post(free.reveal_url(), {"token": token}, HTTP_HX_REQUEST="true")

    assert "is-revealed" in student.get(lesson.get_absolute_url()).content.decode()
    for other in (signed_in(mast_world.outsider), Client()):
        assert "is-revealed" not in other.get(lesson.get_absolute_url()).content.decode()


def test_a_quiz_score_is_the_learners_own(mast_world: World) -> None:
    quiz = mast_world.course.quizzes.get()
    for item in quiz.items.select_related("question"):
        AttemptFactory(learner=mast_world.student, question=item.question, mode=Mode.CRAM, is_correct=True)
    url = reverse("quizzes:quiz_score", args=[mast_world.course.slug, quiz.slug])
    total = quiz.items.count()

    own = signed_in(mast_world.student).get(url).content.decode()
    assert f'<strong class="score-value">{total} of {total}</strong>' in own

    client = signed_in(mast_world.outsider)
    with CaptureQueriesContext(connection) as queries:
        theirs = client.get(url)
    assert theirs.status_code == 200 and 'class="score-value"' not in theirs.content.decode()
    assert_only_filtered_by(queries.captured_queries, mast_world.outsider, mast_world.student)
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


# --- the staff's pages: anonymous, outsider, another cohort's instructor, the right person -----------


@dataclass
class Staffed:
    course: Course
    alice: User  # a learner of cohort A
    teacher: User  # the course's instructor
    other_cohort: User  # instructor of cohort B only
    outsider: User
    cohort_a: Cohort

    def urls(self) -> dict[str, str]:
        slug, a = self.course.slug, self.cohort_a.pk
        return {
            "cohort": f"{reverse('mastery:cohort', args=[slug])}?cohort={a}",
            "learner": reverse("mastery:cohort_learner", args=[slug, self.alice.pk]),
            "levels_csv": f"{reverse('mastery:cohort_export', args=[slug, 'levels'])}?cohort={a}",
            "first_attempts_csv": (
                f"{reverse('mastery:cohort_export', args=[slug, 'first-attempts'])}?cohort={a}"
            ),
            "members": reverse("courses:members", args=[slug]),
        }


@pytest.fixture
def staffed(outsider: User) -> Staffed:
    course = build_course(concepts=2)
    cohort_a = Cohort.objects.create(course=course, name="Cohort A")
    cohort_b = Cohort.objects.create(course=course, name="Cohort B")
    alice = UserFactory(username="alice-private")
    Enrollment.objects.create(learner=alice, course=course, cohort=cohort_a, via=Enrollment.Via.CODE)
    AttemptFactory(learner=alice, question=course.questions.first())
    teacher, other = UserFactory(username="teacher", is_staff=True), UserFactory(username="b-teacher")
    teacher.groups.add(instructors_group_ensure())
    CourseInstructor.objects.create(user=teacher, course=course)
    CourseInstructor.objects.create(user=other, course=course, cohort=cohort_b)
    return Staffed(course, alice, teacher, other, outsider, cohort_a)


# What the right person sees of cohort A (its learner by name; the first-attempt table is per question).
STAFF_MARKERS = {
    "cohort": "alice-private",
    "learner": "alice-private",
    "levels_csv": "alice-private",
    "first_attempts_csv": ",1,1,100",
    "members": "alice-private",
}
STAFF_PAGES = sorted(STAFF_MARKERS)


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_staff_pages_by_persona(staffed: Staffed, page: str) -> None:
    url = staffed.urls()[page]

    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert signed_in(staffed.outsider).get(url).status_code == 403
    assert signed_in(staffed.alice).get(url).status_code == 403  # a learner never sees the staff's pages
    # Another cohort's instructor: refused, and a learner outside their cohort is not even there.
    elsewhere = signed_in(staffed.other_cohort).get(url)
    assert elsewhere.status_code == (404 if page == "learner" else 403)
    assert STAFF_MARKERS[page] not in elsewhere.content.decode()
    right = signed_in(staffed.teacher).get(url)
    assert right.status_code == 200 and STAFF_MARKERS[page] in right.content.decode()


def test_another_cohorts_instructor_sees_only_their_cohort_unasked(staffed: Staffed) -> None:
    html = signed_in(staffed.other_cohort).get(reverse("mastery:cohort", args=[staffed.course.slug]))
    assert html.status_code == 200 and "alice-private" not in html.content.decode()
