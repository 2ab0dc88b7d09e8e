"""The cohort page: heatmap, first-attempt correctness, concepts forgetting soon; instructors only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Course
from lessons.models import Depth
from mastery.models import Attempt, ConceptMastery, Grade, Level, ReviewCard
from quizzes.models import Question
from tests.factories import (
    AttemptFactory,
    ConceptFactory,
    ConceptIndexEntryFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    OptionFactory,
    QuestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def url(course: Course) -> str:
    return reverse("mastery:cohort", args=[course.slug])


@pytest.fixture
def mast_course() -> Course:
    course = CourseFactory(title="Cohort course")
    lesson = LessonFactory(module=ModuleFactory(course=course), title="Cohort lesson")
    for name, depth in (("Alpha idea", Depth.DEVELOPED), ("Beta idea", Depth.INTRODUCED)):
        concept = ConceptFactory(course=course, name=name)
        ConceptIndexEntryFactory(concept=concept, lesson=lesson, depth=depth)
        question = QuestionFactory(course=course, slug=f"q-{name.split()[0].lower()}", lesson=lesson)
        question.concepts.add(concept)
    return course


def test_anonymous_is_sent_to_login(client: Client, mast_course: Course) -> None:
    response = client.get(url(mast_course))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_learners_and_plain_staff_are_forbidden(student_client: Client, mast_course: Course) -> None:
    staff = UserFactory(is_staff=True)
    staff_client = Client()
    staff_client.force_login(staff)

    assert student_client.get(url(mast_course)).status_code == 403
    assert staff_client.get(url(mast_course)).status_code == 403


def test_superuser_and_instructor_get_in(instructor_client: Client, mast_course: Course) -> None:
    admin = UserFactory(is_superuser=True, is_staff=True)
    admin_client = Client()
    admin_client.force_login(admin)

    assert instructor_client.get(url(mast_course)).status_code == 200
    assert admin_client.get(url(mast_course)).status_code == 200


def test_unknown_course_is_404_for_instructors_only(
    instructor_client: Client, student_client: Client
) -> None:
    assert instructor_client.get("/courses/nope/cohort/").status_code == 404
    assert student_client.get("/courses/nope/cohort/").status_code == 403


def test_post_is_not_allowed(instructor_client: Client, mast_course: Course) -> None:
    assert instructor_client.post(url(mast_course)).status_code == 405


def test_heatmap_shows_each_learner_against_each_concept(
    instructor_client: Client, student: User, outsider: User, mast_course: Course
) -> None:
    alpha = mast_course.concepts.get(name="Alpha idea")
    beta = mast_course.concepts.get(name="Beta idea")
    for learner in (student, outsider):
        AttemptFactory(learner=learner, question=alpha.questions.get())
    # The cell shows the concept model's chance of a right answer now (a trace without a
    # success yet reads its knowledge share), not the cards' retrievability.
    ConceptMastery.objects.create(
        learner=student,
        concept=alpha,
        level=Level.PROFICIENT,
        retrievability=0.9,
        knowledge=0.42,
        memory_at=timezone.now(),
    )
    ConceptMastery.objects.create(learner=outsider, concept=beta, level=Level.FAMILIAR)
    UserFactory(username="never-answered")

    html = instructor_client.get(url(mast_course)).content.decode()
    table = html[html.index('class="heatmap"') : html.index("</table>")]

    assert "All learners: 2 learners." in html
    assert "never-answered" not in html
    assert table.index("outsider") < table.index("student")
    student_row = table[table.index(">student<") :]
    assert "level-3 reached" in student_row.split("</tr>")[0]
    assert "recall 42%" in student_row.split("</tr>")[0]
    assert table.count("level-0") == 2  # each learner has one concept not started
    assert "Familiar ✓" in table


def test_first_attempt_correctness(instructor_client: Client, mast_course: Course) -> None:
    free = Question.objects.get(slug="q-alpha")
    choice = QuestionFactory(course=mast_course, slug="q-choice", kind=Question.Kind.CHOICE)
    right = OptionFactory(question=choice, is_correct=True)
    wrong = OptionFactory(question=choice)
    now = timezone.now()
    learners = [UserFactory() for _ in range(3)]
    # free recall: first grades Good, Hard, Again (later Easy answers do not count)
    for learner, grade in zip(learners, (Grade.GOOD, Grade.HARD, Grade.AGAIN), strict=True):
        AttemptFactory(
            learner=learner, question=free, grade=grade, is_correct=grade != Grade.AGAIN, created_at=now
        )
        AttemptFactory(
            learner=learner, question=free, grade=Grade.EASY, created_at=now + timedelta(minutes=5)
        )
    AttemptFactory(
        learner=learners[0], question=choice, grade=None, option=wrong, is_correct=False, created_at=now
    )
    AttemptFactory(learner=learners[0], question=choice, grade=None, option=right, is_correct=True)
    AttemptFactory(learner=learners[1], question=choice, grade=None, option=right, is_correct=True)

    html = instructor_client.get(url(mast_course)).content.decode()

    assert 'data-question="q-alpha">1 / 3<' in html
    assert 'data-question="q-choice">1 / 2<' in html
    # Unanswered questions are listed apart, and answered ones come hardest first.
    assert 'data-question="q-beta">0 / 0<' not in html
    assert 'data-question="q-beta">q-beta<' in html
    assert html.index('data-question="q-alpha">') < html.index('data-question="q-choice">')


def test_concepts_forgetting_soon(instructor_client: Client, student: User, mast_course: Course) -> None:
    alpha = mast_course.concepts.get(name="Alpha idea")
    beta = mast_course.concepts.get(name="Beta idea")
    now = timezone.now()
    # The concept model's stored traces: Alpha weakly held and last practised long ago,
    # Beta well held and fresh. Card retrievability plays no part in this list.
    ConceptMastery.objects.create(
        learner=student,
        concept=alpha,
        level=Level.FAMILIAR,
        knowledge=0.9,
        stability=1.0,
        memory_at=now - timedelta(days=10),
    )
    ConceptMastery.objects.create(
        learner=student, concept=beta, level=Level.FAMILIAR, knowledge=0.95, stability=200.0, memory_at=now
    )
    ReviewCard.objects.create(
        learner=student, question=alpha.questions.get(), stability=200.0, difficulty=5, last_review=now
    )
    AttemptFactory(learner=student, question=alpha.questions.get())  # what puts them in the cohort

    html = instructor_client.get(url(mast_course)).content.decode()
    section = html[html.index('id="forgetting-h"') :]

    assert "Alpha idea" in section and "Beta idea" not in section
    assert "expected to answer right in 3 days (1 learner)" in section
    # "Forgetting soon" names who, with their own figure, linked to their page.
    assert reverse("mastery:cohort_learner", args=[mast_course.slug, student.pk]) in section
    assert ">student</a> (" in section


def test_empty_cohort(instructor_client: Client, mast_course: Course) -> None:
    html = instructor_client.get(url(mast_course)).content.decode()

    assert "No learner here yet: learners appear once they enrol or answer a question." in html
    assert "No concept is about to be forgotten." in html


def cohort(course: Course, learners: int, attempts_each: int) -> None:
    concepts = list(course.concepts.all())
    questions = list(course.questions.all())
    now = timezone.now()
    for n in range(learners):
        learner = UserFactory()
        Attempt.objects.bulk_create(
            Attempt(
                learner=learner,
                question=questions[i % len(questions)],
                grade=Grade.GOOD,
                key=f"{n}-{i}",
                created_at=now - timedelta(hours=i),
            )
            for i in range(attempts_each)
        )
        ConceptMastery.objects.bulk_create(
            ConceptMastery(learner=learner, concept=c, level=Level.FAMILIAR) for c in concepts
        )
        ReviewCard.objects.bulk_create(
            ReviewCard(learner=learner, question=q, stability=1.0, difficulty=5, last_review=now)
            for q in questions
        )


@pytest.mark.parametrize(("learners", "extra_concepts"), [(1, 0), (25, 30)])
def test_query_count_does_not_grow(
    instructor_client: Client,
    mast_course: Course,
    django_assert_num_queries,
    learners: int,
    extra_concepts: int,
) -> None:
    lesson = LessonFactory(module=ModuleFactory(course=mast_course))
    for i in range(extra_concepts):
        concept = ConceptFactory(course=mast_course)
        ConceptIndexEntryFactory(concept=concept, lesson=lesson, depth=Depth.APPLIED)
        question = QuestionFactory(course=mast_course, slug=f"extra-{i}")
        question.concepts.add(concept)
    cohort(mast_course, learners, attempts_each=40)

    # session, user, instructor group, course, course's assigned instructors (accounts/roles.py),
    # learners, concepts, masteries, questions,
    # first-attempt aggregate, forgetting (the masteries' traces with their concepts)
    with django_assert_num_queries(11):
        response = instructor_client.get(url(mast_course))

    html = response.content.decode()
    assert html.count('<td class="heat') == learners * (2 + extra_concepts)


def test_course_page_links_the_cohort_for_instructors_only(
    client: Client, student_client: Client, instructor_client: Client, mast_course: Course
) -> None:
    link = f'href="{url(mast_course)}"'

    assert link in instructor_client.get(mast_course.get_absolute_url()).content.decode()
    assert link not in student_client.get(mast_course.get_absolute_url()).content.decode()
    assert link not in client.get(mast_course.get_absolute_url()).content.decode()
