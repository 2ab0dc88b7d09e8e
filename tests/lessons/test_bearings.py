"""Where a learner is: checks restored on reload, read marks, progress and where to continue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from courses.models import Course
from lessons.bearings import continue_points
from lessons.models import Lesson
from mastery.models import Grade, LessonRead, Mode
from tests.factories import AttemptFactory, build_course


def _lessons(course: Course) -> list[Lesson]:
    return list(
        Lesson.objects.filter(module__course=course)
        .select_related("module__course")
        .order_by("module__order", "module_id", "order", "id")
    )


# --- checks restored on reload --------------------------------------------------------------------


@pytest.mark.django_db
def test_answered_checks_come_back_answered_after_a_reload(student: User, student_client: Client) -> None:
    course = build_course(checks_per_lesson=2)
    lesson = _lessons(course)[0]
    free, choice = (course.questions.get(slug=slug) for slug in lesson.check_slugs())
    if free.is_choice:
        free, choice = choice, free
    AttemptFactory(learner=student, question=free, mode=Mode.STUDY, grade=Grade.GOOD)
    right = choice.options.get(is_correct=True)
    AttemptFactory(
        learner=student, question=choice, mode=Mode.STUDY, grade=None, option=right, is_correct=True
    )

    html = student_client.get(lesson.get_absolute_url()).content.decode()

    assert "is-graded" in html and "Marked: Good" in html
    assert "is-answered" in html and "Right." in html
    # A visitor, and another learner, see the same checks open.
    assert "is-graded" not in Client().get(lesson.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_old_and_cram_answers_leave_the_check_open(student: User, student_client: Client) -> None:
    course = build_course(checks_per_lesson=1)
    lesson = _lessons(course)[0]
    question = course.questions.get(slug=lesson.check_slugs()[0])
    AttemptFactory(
        learner=student, question=question, mode=Mode.STUDY, created_at=timezone.now() - timedelta(days=2)
    )
    AttemptFactory(learner=student, question=question, mode=Mode.CRAM)

    html = student_client.get(lesson.get_absolute_url()).content.decode()

    assert "is-graded" not in html and "is-answered" not in html
    assert 'name="token"' in html


@pytest.mark.django_db
def test_restored_page_query_count_does_not_grow(
    student: User, student_client: Client, django_assert_num_queries
) -> None:
    course = build_course(checks_per_lesson=6)
    lesson = _lessons(course)[0]
    for question in course.questions.filter(slug__in=lesson.check_slugs()):
        AttemptFactory(learner=student, question=question, mode=Mode.STUDY, grade=Grade.HARD)
    student_client.get(lesson.get_absolute_url())  # warm the content cache
    # session, user, the sitting's attempts, their cards' due times, read state (the access
    # check of a course open to all is cached content)
    with django_assert_num_queries(5):
        html = student_client.get(lesson.get_absolute_url()).content.decode()
    assert html.count("is-graded") + html.count("is-answered") == 6


# --- read marks, progress, continue ---------------------------------------------------------------


@pytest.mark.django_db
def test_continue_starts_at_the_first_lesson_then_follows_reads_and_answers(student: User) -> None:
    course = build_course(modules=2, lessons=4, checks_per_lesson=1)
    lessons = _lessons(course)

    point = continue_points(student.pk, [course.pk])[course.pk]
    assert (point.title, point.started, point.verb) == (lessons[0].title, False, "Start with")

    LessonRead.objects.create(learner=student, lesson=lessons[0], read_at=timezone.now() - timedelta(hours=2))
    point = continue_points(student.pk, [course.pk])[course.pk]
    assert (point.title, point.started) == (lessons[1].title, True)

    # An answer in lesson 3, later than the read: continue there, at the question's section.
    question = course.questions.get(slug=lessons[2].check_slugs()[0])
    AttemptFactory(learner=student, question=question, mode=Mode.STUDY)
    point = continue_points(student.pk, [course.pk])[course.pk]
    assert point.title == lessons[2].title
    assert point.url == f"{lessons[2].get_absolute_url()}#{question.anchor}"

    for lesson in lessons:
        LessonRead.objects.get_or_create(learner=student, lesson=lesson)
    assert course.pk not in continue_points(student.pk, [course.pk])  # finished


@pytest.mark.django_db
def test_course_and_module_pages_show_read_marks_and_own_progress(
    student: User, student_client: Client
) -> None:
    course = build_course(modules=1, lessons=3)
    lessons = _lessons(course)
    LessonRead.objects.create(learner=student, lesson=lessons[0])

    for url in (course.get_absolute_url(), lessons[0].module.get_absolute_url()):
        html = student_client.get(url).content.decode()
        assert html.count('class="tag tag-right read-mark"') == 1
        assert "You have read 1 of 3 lessons" in html
        assert "Author&#x27;s build status:" in html or "Author's build status:" in html
        visitor = Client().get(url).content.decode()
        assert "read-mark" not in visitor and "You have read" not in visitor

    course_html = student_client.get(course.get_absolute_url()).content.decode()
    assert f"Continue with {lessons[1].title}" in course_html


@pytest.mark.django_db
def test_catalog_offers_continue_only_in_begun_courses(student: User, student_client: Client) -> None:
    begun, fresh = build_course(lessons=2), build_course(lessons=2)
    LessonRead.objects.create(learner=student, lesson=_lessons(begun)[0])

    html = student_client.get("/").content.decode()

    assert f"Continue with {_lessons(begun)[1].title}" in html
    assert html.count("Continue with") == 1
    assert fresh.title in html
