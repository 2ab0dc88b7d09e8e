"""The one answer path: option order per learner, timing from on-screen, key points, wrong-answer feedback."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.test import Client

from mastery import scheduling
from mastery.models import Attempt, Grade
from quizzes.forms import check_token_issue, check_token_read
from quizzes.models import Question
from tests.factories import (
    CourseFactory,
    LessonFactory,
    OptionFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    UserFactory,
    check_token_for,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _choice(course=None, *, options: int = 4, shuffle: bool = True, **kwargs) -> Question:
    question = QuestionFactory(
        course=course or CourseFactory(), kind=Question.Kind.CHOICE, shuffle_options=shuffle, **kwargs
    )
    for i in range(options):
        OptionFactory(question=question, text=f"OPT-{i}", is_correct=i == 0, order=i)
    return question


def _positions(html: str, count: int) -> list[str]:
    found = sorted((html.index(f"OPT-{i}<"), f"OPT-{i}") for i in range(count))
    return [text for _, text in found]


# --- Option order ------------------------------------------------------------------------


def test_order_is_stable_per_learner_and_differs_between_learners() -> None:
    question = _choice(options=5)
    learners = UserFactory.create_batch(12)

    orders = {tuple(o.text for o in question.options_for(learner.pk)) for learner in learners}

    assert all(question.options_for(learners[0].pk) == question.options_for(learners[0].pk) for _ in range(3))
    assert len(orders) > 1
    assert all(sorted(order) == [f"OPT-{i}" for i in range(5)] for order in orders)


def test_correct_option_is_spread_over_positions_for_a_learner_and_for_visitors() -> None:
    course = CourseFactory()
    questions = [_choice(course) for _ in range(120)]
    learner = UserFactory()

    for learner_id in (learner.pk, None):
        positions = Counter(
            next(i for i, o in enumerate(q.options_for(learner_id)) if o.is_correct) for q in questions
        )
        # 120 questions, 4 options: about 30 each; a fixed position would put all 120 in one.
        assert set(positions) == {0, 1, 2, 3}
        assert max(positions.values()) < 50, positions


def test_pinned_questions_keep_the_authored_order() -> None:
    question = _choice(options=4, shuffle=False)
    learners = UserFactory.create_batch(5)

    for learner_id in [*(u.pk for u in learners), None]:
        assert [o.text for o in question.options_for(learner_id)] == ["OPT-0", "OPT-1", "OPT-2", "OPT-3"]


def test_the_page_and_the_result_show_the_learners_own_order(student_client: Client, student: User) -> None:
    course = CourseFactory(slug="c")
    question = _choice(course, options=5, slug="q")
    quiz = QuizFactory(course=course, slug="quiz")
    QuizItemFactory(quiz=quiz, question=question)
    expected = [o.text for o in question.options_for(student.pk)]

    page = student_client.get(quiz.get_absolute_url()).content.decode()
    assert _positions(page, 5) == expected
    token = check_token_for(student, question)
    chosen = question.options_for(student.pk)[-1]
    result = student_client.post(question.answer_url(), {"option": chosen.pk, "token": token}, **HTMX)
    listed = result.content.decode().split('class="options options-result"')[1]
    assert _positions(listed, 5) == expected


# --- Timing: the clock starts on screen ------------------------------------------------


def _free(**kwargs) -> Question:
    kwargs.setdefault("answer_html", "<p>MODEL</p>")
    return QuestionFactory(course=CourseFactory(), **kwargs)


def test_think_time_runs_from_on_screen_to_the_reveal(student_client: Client, student: User) -> None:
    question = _free()
    token = check_token_for(student, question)
    shown = check_token_read(token, learner_id=student.pk, question_id=question.pk).shown_ms

    revealed = student_client.post(question.reveal_url(), {"token": token, "onscreen": "4000"}, **HTMX)
    html = revealed.content.decode()
    start = html.index('name="token" value="') + len('name="token" value="')
    grade_token = html[start : html.index('"', start)]
    read = check_token_read(grade_token, learner_id=student.pk, question_id=question.pk)
    # The page was rendered "just now", so the check cannot have been on screen 4 s before it:
    # the on-screen moment is never before the render.
    assert read.onscreen_ms is not None and read.onscreen_ms >= shown
    assert read.revealed_ms is not None and read.onscreen_ms <= read.revealed_ms

    student_client.post(
        question.grade_url(), {"token": grade_token, "grade": "3", "onscreen": "99999"}, **HTMX
    )
    attempt = Attempt.objects.get(learner=student)
    # A later post cannot move the on-screen moment: think time stays on-screen → reveal.
    assert attempt.think_ms == read.revealed_ms - read.onscreen_ms
    assert attempt.revealed is True and attempt.time_taken_ms is not None
    assert attempt.time_taken_ms >= attempt.think_ms


def test_on_screen_moment_comes_from_the_posted_duration() -> None:
    token = check_token_read(
        check_token_issue(learner_id=1, question_id=2, mode="study"), learner_id=1, question_id=2
    )
    later = token.shown_ms + 60_000

    seen = token.seen(later, 15_000)

    assert seen.onscreen_ms == later - 15_000
    assert seen.timing(later + 5_000) == (20_000, 20_000)
    assert seen.revealed_at(later + 2_000).timing(later + 5_000) == (17_000, 20_000)
    assert token.seen(later, None).timing(later) == (None, None)


@pytest.mark.parametrize("onscreen", ["", "abc", "-5", "1e9"])
def test_without_a_usable_on_screen_time_the_timing_is_unknown(
    student_client: Client, student: User, onscreen: str
) -> None:
    question = _choice()
    token = check_token_for(student, question)
    option = question.options.get(text="OPT-1")

    response = student_client.post(
        question.answer_url(), {"token": token, "option": option.pk, "onscreen": onscreen}, **HTMX
    )

    assert response.status_code == 200
    attempt = Attempt.objects.get(learner=student)
    assert attempt.think_ms is None and attempt.time_taken_ms is None


def test_fast_right_choice_with_known_timing_counts_as_easy(student_client: Client, student: User) -> None:
    question = _choice()
    token = check_token_for(student, question)

    student_client.post(
        question.answer_url(),
        {"token": token, "option": question.options.get(is_correct=True).pk, "onscreen": "1500"},
        **HTMX,
    )

    attempt = Attempt.objects.get(learner=student)
    assert attempt.think_ms is not None and attempt.think_ms <= 1500
    assert scheduling.grade_for_choice(True, attempt.think_ms) == Grade.EASY


# --- Key points ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recalled", "total", "grade"),
    [(3, 3, Grade.GOOD), (2, 3, Grade.HARD), (1, 2, Grade.HARD), (1, 3, Grade.AGAIN), (0, 4, Grade.AGAIN)],
)
def test_checklist_mapping(recalled: int, total: int, grade: Grade) -> None:
    assert scheduling.grade_for_key_points(recalled, total) == grade


def test_key_points_appear_only_after_the_reveal_as_checkboxes(student_client: Client, student: User) -> None:
    question = _free(key_points="POINT-ONE\nPOINT-TWO\n\nPOINT-THREE")
    quiz = QuizFactory(course=question.course)
    QuizItemFactory(quiz=quiz, question=question)

    page = student_client.get(quiz.get_absolute_url()).content.decode()
    assert "POINT-ONE" not in page and 'type="checkbox"' not in page

    html = student_client.post(
        question.reveal_url(), {"token": check_token_for(student, question)}, **HTMX
    ).content.decode()
    for i, point in enumerate(["POINT-ONE", "POINT-TWO", "POINT-THREE"], start=1):
        assert f'<input type="checkbox" name="point" value="{i}"' in html and point in html
    assert 'name="checklist" value="1"' in html
    assert 'name="grade"' not in html  # the ticks are the grade


@pytest.mark.parametrize("htmx", [True, False])
def test_ticked_points_become_the_grade_and_are_stored(
    student_client: Client, student: User, htmx: bool
) -> None:
    question = _free(key_points="A\nB\nC")
    token = check_token_for(student, question, revealed=True)
    headers = HTMX if htmx else {}

    response = student_client.post(
        question.grade_url(), {"token": token, "checklist": "1", "point": ["1", "3"]}, **headers
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Marked: Hard" in html and "you ticked 2 of 3 key points" in html
    assert ("<html" in html) is not htmx
    attempt = Attempt.objects.get(learner=student)
    assert (attempt.grade, attempt.key_points_recalled, attempt.key_points_total) == (Grade.HARD, 2, 3)


def test_no_ticks_is_again_and_shows_the_answer_as_a_miss(student_client: Client, student: User) -> None:
    question = _free(key_points="A\nB")
    token = check_token_for(student, question, revealed=True)

    html = student_client.post(
        question.grade_url(), {"token": token, "checklist": "1"}, **HTMX
    ).content.decode()

    assert "verdict-wrong" in html and "Marked: Again" in html and "You ticked 0 of 2 key points" in html
    assert "MODEL" in html
    assert Attempt.objects.get(learner=student).key_points_recalled == 0


def test_a_foreign_key_point_is_a_400(student_client: Client, student: User) -> None:
    question = _free(key_points="A\nB")
    token = check_token_for(student, question, revealed=True)

    response = student_client.post(
        question.grade_url(), {"token": token, "checklist": "1", "point": ["7"]}, **HTMX
    )

    assert response.status_code == 400
    assert "That key point does not belong to this question" in response.content.decode()
    assert not Attempt.objects.exists()


def test_a_checklist_for_a_question_without_key_points_still_needs_a_grade(
    student_client: Client, student: User
) -> None:
    question = _free()
    token = check_token_for(student, question, revealed=True)

    response = student_client.post(question.grade_url(), {"token": token, "checklist": "1"}, **HTMX)

    assert response.status_code == 400
    assert "Choose how well you remembered" in response.content.decode()


# --- Wrong-answer feedback ---------------------------------------------------------------


def test_a_wrong_choice_shows_the_correct_option_the_why_and_the_section(client: Client) -> None:
    lesson = LessonFactory()
    question = _choice(
        lesson.module.course, lesson=lesson, explanation_html="<p>BECAUSE</p>", section_ref="§2"
    )

    html = client.post(question.answer_url(), {"option": question.options.get(text="OPT-2").pk}, **HTMX)
    text = html.content.decode()

    assert 'The correct answer is <strong class="correct-answer">OPT-0</strong>' in text
    assert "verdict-wrong" in text and "✗" in text and "verdict-right" not in text
    assert "BECAUSE" in text
    assert f'<a href="{lesson.get_absolute_url()}">Jump to §2</a>' in text


def test_a_right_choice_is_worded_and_marked_differently(client: Client) -> None:
    question = _choice()

    text = client.post(
        question.answer_url(), {"option": question.options.get(is_correct=True).pk}, **HTMX
    ).content.decode()

    assert "verdict-right" in text and "✓ Right." in text.replace(
        '<span class="verdict-mark" aria-hidden="true">✓</span> ', "✓ "
    )
    assert "verdict-wrong" not in text and "Not quite" not in text


def test_an_unlinked_reference_is_shown_as_text(client: Client) -> None:
    question = _choice(section_ref="explainer §3.4")
    free = _free(section_ref="explainer §3.4", answer_html="")

    choice_html = client.post(
        question.answer_url(), {"option": question.options.get(text="OPT-1").pk}, **HTMX
    ).content.decode()
    free_html = client.post(free.reveal_url(), {}, **HTMX).content.decode()

    assert '<p class="check-jump check-reference">See explainer §3.4</p>' in choice_html
    # A prompt without a model answer says what to check against, linked or not.
    assert "compare what you said with explainer §3.4" in free_html
    assert "See explainer §3.4" in free_html
