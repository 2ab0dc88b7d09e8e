"""Enrolment: open, by invitation code, by instructor; members-only content; the catalog's order."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts import roles
from accounts.models import CourseInstructor
from courses.enrollment import EnrollmentRefused, enrol_self, normalize_code
from courses.models import Cohort, Course, Enrollment
from tests.factories import CourseFactory, UserFactory, build_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def code_course() -> Course:
    course = build_course()
    course.enrollment = Course.Enrollment.CODE
    course.save()
    Cohort.objects.create(course=course, name="Tuesday group", code="K7QP3MZA")
    return course


def lesson_url(course: Course) -> str:
    lesson = course.modules.first().lessons.first()
    return reverse("lessons:lesson", args=[course.slug, lesson.module.slug, lesson.slug])


def test_open_course_is_read_by_anyone_and_joined_in_one_click(
    client: Client, student_client: Client
) -> None:
    course = build_course()
    assert client.get(course.get_absolute_url()).status_code == 200
    assert client.get(lesson_url(course)).status_code == 200
    page = student_client.get(course.get_absolute_url()).content.decode()
    assert reverse("courses:enrol", args=[course.slug]) in page

    response = student_client.post(reverse("courses:enrol", args=[course.slug]))

    assert response.status_code == 302 and response["Location"] == course.get_absolute_url()
    enrollment = Enrollment.objects.get(course=course)
    assert enrollment.via == Enrollment.Via.OPEN and enrollment.cohort is None
    assert (
        "You are enrolled in this course." in student_client.get(course.get_absolute_url()).content.decode()
    )


@pytest.mark.parametrize("page", ["course", "lesson", "concept", "quiz"])
def test_members_only_content_shows_the_card_and_the_enrol_form(
    client: Client, student_client: Client, code_course: Course, page: str
) -> None:
    concept = code_course.concepts.first()
    quiz = code_course.quizzes.first()
    url = {
        "course": code_course.get_absolute_url(),
        "lesson": lesson_url(code_course),
        "concept": reverse("courses:concept", args=[code_course.slug, concept.slug]),
        "quiz": reverse("quizzes:quiz", args=[code_course.slug, quiz.slug]),
    }[page]
    for who in (client, student_client):
        response = who.get(url)
        html = response.content.decode()
        assert response.status_code == 403
        assert code_course.title in html and "This course is for its members" in html
        assert "Some text." not in html  # no lesson body
    assert "Sign in to join" in client.get(url).content.decode()
    assert 'name="code"' in student_client.get(url).content.decode()


def test_a_good_code_enrols_into_its_cohort_and_opens_the_content(
    student: User, student_client: Client, code_course: Course
) -> None:
    response = student_client.post(reverse("courses:enrol", args=[code_course.slug]), {"code": " k7qp-3mza "})

    assert response.status_code == 302
    enrollment = Enrollment.objects.get(learner=student, course=code_course)
    assert enrollment.via == Enrollment.Via.CODE and enrollment.cohort.name == "Tuesday group"
    assert student_client.get(lesson_url(code_course)).status_code == 200


def test_join_with_a_code_lands_in_the_course(student_client: Client, code_course: Course) -> None:
    assert student_client.get(reverse("courses:join")).status_code == 200
    response = student_client.post(reverse("courses:join"), {"code": "K7QP3MZA"})
    assert response.status_code == 302 and response["Location"] == code_course.get_absolute_url()


@pytest.mark.parametrize("code", ["", "WRONG123", "k7qp3mz"])
def test_a_bad_code_is_a_400_with_a_message(student_client: Client, code_course: Course, code: str) -> None:
    for url in (reverse("courses:enrol", args=[code_course.slug]), reverse("courses:join")):
        response = student_client.post(url, {"code": code})
        assert response.status_code == 400
        assert "invitation code" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_another_courses_code_does_not_open_this_one(student_client: Client, code_course: Course) -> None:
    other = CourseFactory(enrollment=Course.Enrollment.CODE)
    Cohort.objects.create(course=other, name="Other", code="OTHER234")
    response = student_client.post(reverse("courses:enrol", args=[code_course.slug]), {"code": "OTHER234"})
    assert response.status_code == 400 and "does not open this course" in response.content.decode()


def test_closed_full_and_instructor_only_courses_refuse_with_a_reason(student_client: Client) -> None:
    closed = CourseFactory(enrollment_closed=True)
    full = CourseFactory(capacity=1)
    Enrollment.objects.create(learner=UserFactory(), course=full, via=Enrollment.Via.OPEN)
    by_instructor = CourseFactory(enrollment=Course.Enrollment.INSTRUCTOR)
    for course, status, words in [
        (closed, 403, "is closed"),
        (full, 409, "is full: all 1 places are taken"),
        (by_instructor, 403, "ask them to add you"),
    ]:
        response = student_client.post(reverse("courses:enrol", args=[course.slug]))
        assert response.status_code == status, course
        assert words in response.content.decode()


def test_enrol_needs_sign_in_and_post(client: Client, student_client: Client) -> None:
    course = CourseFactory()
    url = reverse("courses:enrol", args=[course.slug])
    assert client.post(url).status_code == 302
    assert student_client.get(url).status_code == 405
    assert student_client.post(reverse("courses:enrol", args=["nope"])).status_code == 404


def test_drafts_stay_hidden_from_a_code(student_client: Client) -> None:
    draft = CourseFactory(is_published=False, enrollment=Course.Enrollment.CODE)
    Cohort.objects.create(course=draft, name="Early", code="DRAFT234")
    response = student_client.post(reverse("courses:join"), {"code": "DRAFT234"})
    assert response.status_code == 400 and draft.title not in response.content.decode()


def test_joining_twice_is_not_an_error_and_a_new_code_moves_cohort(
    student: User, code_course: Course
) -> None:
    second = Cohort.objects.create(course=code_course, name="Thursday", code="THURS234")
    assert enrol_self(student, code_course, "K7QP3MZA").created
    again = enrol_self(student, code_course, "THURS234")
    assert not again.created and again.enrollment.cohort == second
    assert Enrollment.objects.count() == 1
    with pytest.raises(EnrollmentRefused):
        enrol_self(UserFactory(), code_course, "")
    assert normalize_code(" ab-cd 12 ") == "ABCD12"


def test_catalog_lists_members_only_courses_and_puts_mine_first(
    client: Client, student: User, student_client: Client, code_course: Course
) -> None:
    first = CourseFactory(title="Aardvarks", order=0)
    code_course.order = 5
    code_course.save()
    Enrollment.objects.create(learner=student, course=code_course, via=Enrollment.Via.CODE)

    anonymous = client.get("/").content.decode()
    mine = student_client.get("/").content.decode()

    assert code_course.title in anonymous and "By invitation code" in anonymous
    assert anonymous.index(first.title) < anonymous.index(code_course.title)
    assert mine.index(code_course.title) < mine.index(first.title)
    assert "data-enrolled" in mine


def test_catalog_query_count_does_not_grow_with_courses(
    student: User, student_client: Client, django_assert_num_queries
) -> None:
    for _ in range(2):
        CourseFactory(enrollment=Course.Enrollment.CODE)
    member_of = CourseFactory(enrollment=Course.Enrollment.CODE)
    Enrollment.objects.create(learner=student, course=member_of, via=Enrollment.Via.CODE)
    student_client.get("/")
    # session (the user is kept: accounts/learner_cache.py), the catalog (the versions and the
    # rows), where to continue (lessons/bearings.py: reads, answers; the outlines are cached content)
    with django_assert_num_queries(5) as few:
        student_client.get("/")
    for _ in range(5):
        course = CourseFactory(enrollment=Course.Enrollment.CODE)
        Enrollment.objects.create(learner=student, course=course, via=Enrollment.Via.CODE)
    queries = len(few.captured_queries)
    student_client.get("/")  # the new courses' outlines into the content cache
    with django_assert_num_queries(queries):
        student_client.get("/")


def test_course_staff_read_their_members_only_course_and_the_rule_is_one(code_course: Course) -> None:
    ta = UserFactory(username="ta")
    CourseInstructor.objects.create(user=ta, course=code_course, role=CourseInstructor.Role.TA)
    client = Client()
    client.force_login(ta)
    assert client.get(lesson_url(code_course)).status_code == 200
    assert roles.can(ta, "view_cohort", code_course)
    assert not roles.can(ta, "manage_members", code_course)
    assert roles.course_role(ta, code_course).role == roles.CourseRole.TA


def test_a_member_posting_the_form_again_without_a_code_stays_in(
    student: User, student_client: Client, code_course: Course
) -> None:
    enrol_self(student, code_course, "K7QP3MZA")
    response = student_client.post(reverse("courses:enrol", args=[code_course.slug]))
    assert response.status_code == 302
    assert Enrollment.objects.get(learner=student).cohort.name == "Tuesday group"


def test_an_instructor_of_one_cohort_views_it_but_does_not_manage(code_course: Course) -> None:
    cohort = code_course.cohorts.get()
    scoped = UserFactory()
    CourseInstructor.objects.create(user=scoped, course=code_course, cohort=cohort)
    assert roles.can(scoped, "view_cohort", code_course)
    assert not roles.can(scoped, "manage_members", code_course)


@pytest.mark.parametrize("others", [0, 25])
def test_join_query_count_does_not_grow_with_members_or_cohorts(
    student_client: Client, code_course: Course, django_assert_num_queries, others: int
) -> None:
    for i in range(others):
        cohort = Cohort.objects.create(course=code_course, name=f"Group {i}", code=f"G{i:02d}XYZWV"[:8])
        Enrollment.objects.create(learner=UserFactory(), course=code_course, cohort=cohort, via="code")
    # session, user
    with django_assert_num_queries(2):
        assert student_client.get(reverse("courses:join")).status_code == 200
    # session (the user is kept now), the code's cohort (with its course), the learner's enrolment, the code's
    # cohort again in the course (enrol_self asks for any caller), savepoint, insert, release
    with django_assert_num_queries(7):
        response = student_client.post(reverse("courses:join"), {"code": "K7QP3MZA"})
    assert response.status_code == 302
    assert Enrollment.objects.filter(course=code_course, cohort__code="K7QP3MZA").count() == 1
