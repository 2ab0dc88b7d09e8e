"""Where a learner is: checks restored on reload, read marks, progress and where to continue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from courses import content_cache
from courses.models import Course
from lessons.bearings import continue_points
from lessons.models import Lesson
from mastery.models import Attempt, Grade, LessonRead, Mode
from quizzes.forms import check_token_read
from tests.factories import AttemptFactory, build_course, check_token_for


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
    # the session only: the page with the sitting's attempts, their cards' due times and the
    # read state is kept for the learner (accounts/learner_cache.py), the access check of a course
    # open to all is cached content
    with django_assert_num_queries(1):
        html = student_client.get(lesson.get_absolute_url()).content.decode()
    assert html.count("is-graded") + html.count("is-answered") == 6


def _free_check(course: Course, lesson: Lesson):
    return next(q for q in course.questions.filter(slug__in=lesson.check_slugs()) if not q.is_choice)


@pytest.mark.django_db
def test_a_revealed_check_comes_back_revealed_after_a_reload(student: User, student_client: Client) -> None:
    course = build_course(checks_per_lesson=2)
    lesson = _lessons(course)[0]
    free = _free_check(course, lesson)
    page = student_client.get(lesson.get_absolute_url()).content.decode()
    token = re.search(rf'id="check-{free.slug}".*?name="token" value="([^"]+)"', page, re.S).group(1)
    student_client.post(free.reveal_url(), {"token": token}, HTTP_HX_REQUEST="true")

    html = student_client.get(lesson.get_absolute_url()).content.decode()

    check = html[html.index(f'id="check-{free.slug}"') :]
    check = check[: check.index("</section>")]
    assert "is-revealed" in html and "Model answer" in check
    assert f'hx-post="{free.grade_url()}"' in check and 'name="grade" value="3"' in check
    # The grade form carries the revealed token: grading after the reload is that reveal's attempt.
    revealed = re.search(r'name="token" value="([^"]+)"', check).group(1)
    assert check_token_read(revealed, learner_id=student.pk, question_id=free.pk).revealed_ms is not None
    # Another learner, and a visitor, see the check open.
    assert "is-revealed" not in Client().get(lesson.get_absolute_url()).content.decode()

    # Graded after the reload: the page shows the grade, not the reveal.
    student_client.post(free.grade_url(), {"token": revealed, "grade": "3"}, HTTP_HX_REQUEST="true")
    html = student_client.get(lesson.get_absolute_url()).content.decode()
    assert "is-revealed" not in html and "Marked: Good" in html
    attempt = Attempt.objects.get(learner=student, question=free)
    assert (
        attempt.revealed
        and attempt.key == check_token_read(revealed, learner_id=student.pk, question_id=free.pk).key
    )


@pytest.mark.django_db
def test_a_reveal_after_an_earlier_answer_shows_revealed(student: User, student_client: Client) -> None:
    course = build_course(checks_per_lesson=1)
    lesson = _lessons(course)[0]
    free = _free_check(course, lesson)
    AttemptFactory(
        learner=student,
        question=free,
        mode=Mode.STUDY,
        grade=Grade.AGAIN,
        created_at=timezone.now() - timedelta(minutes=5),
    )
    token = check_token_for(student, free)
    student_client.post(free.reveal_url(), {"token": token}, HTTP_HX_REQUEST="true")

    html = student_client.get(lesson.get_absolute_url()).content.decode()

    assert "is-revealed" in html and "is-graded" not in html


@pytest.mark.django_db
def test_review_and_expired_reveals_are_not_restored(
    student: User, student_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    course = build_course(checks_per_lesson=1)
    lesson = _lessons(course)[0]
    free = _free_check(course, lesson)
    # A Review-page reveal belongs to the Review page.
    student_client.post(
        free.reveal_url(), {"token": check_token_for(student, free, mode="review")}, HTTP_HX_REQUEST="true"
    )
    assert "is-revealed" not in student_client.get(lesson.get_absolute_url()).content.decode()

    student_client.post(free.reveal_url(), {"token": check_token_for(student, free)}, HTTP_HX_REQUEST="true")
    # A token past its lifetime (the cache kept it a moment longer) leaves the check open.
    monkeypatch.setattr("quizzes.forms.TOKEN_MAX_AGE", -1)
    html = student_client.get(lesson.get_absolute_url()).content.decode()
    assert "is-revealed" not in html


@pytest.mark.django_db
def test_a_kept_lesson_page_shows_a_reveal_and_an_answer_made_after_it(
    student: User, student_client: Client
) -> None:
    """The learner's sitting on a lesson page is kept for them (accounts/learner_cache.py); a
    reveal (no row written) and an answer each make the next view read it again."""
    course = build_course(checks_per_lesson=6)
    lesson = _lessons(course)[0]
    free = next(q for q in course.questions.filter(slug__in=lesson.check_slugs()) if not q.is_choice)
    assert "is-revealed" not in student_client.get(lesson.get_absolute_url()).content.decode()
    assert "is-revealed" not in student_client.get(lesson.get_absolute_url()).content.decode()  # kept

    student_client.post(free.reveal_url(), {"token": check_token_for(student, free)}, HTTP_HX_REQUEST="true")
    html = student_client.get(lesson.get_absolute_url()).content.decode()
    assert html.count("is-revealed") == 1

    revealed = re.search(r'name="token" value="([^"]+)"', html[html.index("is-revealed") :])
    assert revealed is not None
    student_client.post(free.grade_url(), {"token": revealed.group(1), "grade": "3"}, HTTP_HX_REQUEST="true")
    html = student_client.get(lesson.get_absolute_url()).content.decode()
    assert "is-revealed" not in html and "is-graded" in html


@pytest.mark.django_db
def test_revealed_page_query_count_does_not_grow(
    student: User, student_client: Client, django_assert_num_queries
) -> None:
    course = build_course(checks_per_lesson=6)
    lesson = _lessons(course)[0]
    free = [q for q in course.questions.filter(slug__in=lesson.check_slugs()) if not q.is_choice]
    for question in free:
        student_client.post(
            question.reveal_url(), {"token": check_token_for(student, question)}, HTTP_HX_REQUEST="true"
        )
    student_client.get(lesson.get_absolute_url())  # warm the content cache
    # session; the user, the sitting's attempts (none) and read state are kept for the learner
    # (accounts/learner_cache.py), the reveals are one cache read and the access check of a
    # course open to all is cached content
    with django_assert_num_queries(1):
        html = student_client.get(lesson.get_absolute_url()).content.decode()
    assert html.count("is-revealed") == len(free) == 3


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


@pytest.mark.django_db
def test_a_kept_lesson_page_gives_each_view_its_own_tokens_and_moves_on_after_a_grade(
    student: User, student_client: Client
) -> None:
    course = build_course(checks_per_lesson=3)
    lesson = _lessons(course)[0]
    questions = {q.slug: q for q in course.questions.filter(slug__in=lesson.check_slugs())}
    student_client.get(lesson.get_absolute_url())

    # The second view is the kept page: no template is rendered, yet the tokens are fresh.
    second = student_client.get(lesson.get_absolute_url())
    third = student_client.get(lesson.get_absolute_url())
    assert second.templates == [] and third.templates == []
    tokens = re.findall(r'name="token" value="([^"]+)"', second.content.decode())
    again = re.findall(r'name="token" value="([^"]+)"', third.content.decode())
    assert len(tokens) == len(questions) == 3 and not set(tokens) & set(again)
    assert "STUDYHALLTOKENSLOT" not in second.content.decode()
    read = {check_token_read(token, learner_id=student.pk, question_id=None).question_id for token in tokens}
    assert read == {q.pk for q in questions.values()}  # each check its own question's token
    assert content_cache.CSRF_PLACEHOLDER not in second.content.decode()
    assert student_client.cookies.get("csrftoken")

    # A grade is a write: the next view is drawn again and shows it.
    free = next(q for q in questions.values() if not q.is_choice)
    token = check_token_for(student, free, revealed=True)
    student_client.post(free.grade_url(), {"token": token, "grade": "3"}, HTTP_HX_REQUEST="true")
    after = student_client.get(lesson.get_absolute_url())
    assert after.templates != [] and "Marked: Good" in after.content.decode()


@pytest.mark.django_db
def test_another_learner_never_gets_the_kept_page_of_the_first(
    student: User, student_client: Client, outsider: User
) -> None:
    course = build_course(checks_per_lesson=1)
    lesson = _lessons(course)[0]
    question = course.questions.get(slug=lesson.check_slugs()[0])
    AttemptFactory(learner=student, question=question, mode=Mode.STUDY, grade=Grade.GOOD)
    student_client.get(lesson.get_absolute_url())
    student_client.get(lesson.get_absolute_url())
    other = Client()
    other.force_login(outsider)

    html = other.get(lesson.get_absolute_url()).content.decode()

    assert "is-graded" not in html and "is-answered" not in html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    assert check_token_read(token, learner_id=outsider.pk, question_id=question.pk).learner_id == outsider.pk
