"""The Review page: due cards one at a time, reveal, grade, choice, summary, keyboard, isolation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import profile_for
from lessons.models import Lesson
from mastery.models import Attempt, Grade, Mode, ReviewCard
from quizzes.models import Question
from tests.factories import (
    CourseFactory,
    OptionFactory,
    QuestionFactory,
    ReviewCardFactory,
    check_token_for,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
REVIEW = reverse("mastery:review")
ANSWER = reverse("mastery:review_answer")


def _due(learner: User, question: Question, days: int = 1) -> ReviewCard:
    now = timezone.now()
    return ReviewCardFactory(
        learner=learner,
        question=question,
        due=now - timedelta(days=days),
        last_review=now - timedelta(days=days + 5),
    )


@pytest.fixture
def rev_cards(student: User) -> list[ReviewCard]:
    course = CourseFactory(slug="llm")
    free = QuestionFactory(
        course=course, slug="free-q", prompt_html="<p>FREE-PROMPT</p>", answer_html="<p>FREE-ANSWER</p>"
    )
    choice = QuestionFactory(
        course=course, slug="choice-q", kind=Question.Kind.CHOICE, prompt_html="<p>CHOICE-PROMPT</p>"
    )
    OptionFactory(question=choice, text="RIGHT-OPTION", is_correct=True, order=0)
    OptionFactory(question=choice, text="WRONG-OPTION", order=1)
    return [_due(student, free, days=3), _due(student, choice, days=1)]


def _token_in(html: str) -> str:
    start = html.index('name="token" value="') + len('name="token" value="')
    return html[start : html.index('"', start)]


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(REVIEW)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert client.post(ANSWER, {}).status_code == 302


def test_nothing_due(student_client: Client) -> None:
    html = student_client.get(REVIEW).content.decode()

    assert "Nothing due" in html


def test_first_due_card_with_progress_and_no_answer(
    student_client: Client, rev_cards: list[ReviewCard]
) -> None:
    html = student_client.get(REVIEW).content.decode()

    assert "FREE-PROMPT" in html  # most overdue first
    assert "CHOICE-PROMPT" not in html
    assert "1 of 2 due today" in html
    assert 'role="progressbar"' in html
    assert "FREE-ANSWER" not in html
    assert "js/review.js" in html and "data-reveal" in html


def test_reveal_then_grade_over_htmx(
    student_client: Client, student: User, rev_cards: list[ReviewCard]
) -> None:
    token = _token_in(student_client.get(REVIEW).content.decode())

    revealed = student_client.post(ANSWER, {"token": token, "action": "reveal"}, **HTMX)
    html = revealed.content.decode()
    assert revealed.status_code == 200 and "<html" not in html
    assert "FREE-ANSWER" in html and 'id="review"' in html
    # Here the digits work (static/js/review.js), so the grade buttons say so.
    assert 'data-key="3">Good <kbd>3</kbd></button>' in html

    graded = student_client.post(ANSWER, {"token": _token_in(html), "grade": "3"}, **HTMX)
    html = graded.content.decode()
    assert "<html" not in html
    assert "Good — back in" in html
    assert "CHOICE-PROMPT" in html and "2 of 2 due today" in html
    attempt = Attempt.objects.get(learner=student)
    assert (attempt.mode, attempt.grade, attempt.revealed) == (Mode.REVIEW, Grade.GOOD, True)
    card = ReviewCard.objects.get(pk=rev_cards[0].pk)
    assert card.due > timezone.now() and card.reps == 2


def test_grading_without_revealing_is_allowed(student_client: Client, student: User, rev_cards) -> None:
    token = _token_in(student_client.get(REVIEW).content.decode())

    student_client.post(ANSWER, {"token": token, "grade": "4"}, **HTMX)

    attempt = Attempt.objects.get(learner=student)
    assert attempt.revealed is False and attempt.grade == Grade.EASY


def test_double_submit_records_once(student_client: Client, student: User, rev_cards) -> None:
    token = _token_in(student_client.get(REVIEW).content.decode())

    student_client.post(ANSWER, {"token": token, "grade": "3"}, **HTMX)
    student_client.post(ANSWER, {"token": token, "grade": "3"}, **HTMX)

    assert Attempt.objects.filter(learner=student).count() == 1
    assert ReviewCard.objects.get(pk=rev_cards[0].pk).reps == 2


def test_choice_card_by_option_then_summary(student_client: Client, student: User, rev_cards) -> None:
    first = _token_in(student_client.get(REVIEW).content.decode())
    missed = student_client.post(ANSWER, {"token": first, "grade": "1"}, **HTMX).content.decode()
    # A self-graded miss shows the model answer again before moving on.
    assert "Marked: Again" in missed and "FREE-ANSWER" in missed and "Next card" in missed
    assert "CHOICE-PROMPT" not in missed
    html = student_client.get(REVIEW, **HTMX).content.decode()
    wrong = rev_cards[1].question.options.get(text="WRONG-OPTION")

    html = student_client.post(
        ANSWER, {"token": _token_in(html), "option": wrong.pk}, **HTMX
    ).content.decode()

    attempt = Attempt.objects.get(learner=student, question=rev_cards[1].question)
    assert attempt.is_correct is False and attempt.mode == Mode.REVIEW
    assert "Not quite." in html
    assert 'The correct answer is <strong class="correct-answer">RIGHT-OPTION</strong>' in html
    assert "verdict-wrong" in html and "verdict-right" not in html
    assert "Saved — next review in" in html
    html = student_client.get(REVIEW, **HTMX).content.decode()
    assert "Session done" in html
    assert '<th scope="row">Again</th><td>2</td>' in html  # a wrong choice counts as Again
    assert "Next card due in" in html


def test_plain_post_redirects_and_shows_the_feedback(student_client: Client, rev_cards) -> None:
    token = _token_in(student_client.get(REVIEW).content.decode())

    response = student_client.post(ANSWER, {"token": token, "grade": "2"})
    assert response.status_code == 302 and response["Location"] == REVIEW
    html = student_client.get(REVIEW).content.decode()
    assert "Hard — back in" in html and "<html" in html
    assert "Hard — back in" not in student_client.get(REVIEW).content.decode()


def test_plain_reveal_gets_a_full_page(student_client: Client, rev_cards) -> None:
    token = _token_in(student_client.get(REVIEW).content.decode())

    html = student_client.post(ANSWER, {"token": token, "action": "reveal"}).content.decode()

    assert "<html" in html and "FREE-ANSWER" in html


@pytest.mark.parametrize(
    "data",
    [
        {"token": "forged"},
        {"grade": "3"},
        {"token": "TOKEN", "grade": "9"},
        {"token": "TOKEN"},
        {"token": "TOKEN", "action": "explode"},
    ],
)
def test_bad_input_is_a_400_with_a_message(student_client: Client, student: User, rev_cards, data) -> None:
    token = check_token_for(student, rev_cards[0].question, mode="review")
    data = {key: token if value == "TOKEN" else value for key, value in data.items()}

    response = student_client.post(ANSWER, data, **HTMX)

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Attempt.objects.exists()


def test_tampered_token_is_rejected(student_client: Client, student: User, rev_cards) -> None:
    token = check_token_for(student, rev_cards[0].question, mode="review")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = student_client.post(ANSWER, {"token": tampered, "grade": "3"}, **HTMX)

    assert response.status_code == 400
    assert "This check has expired" in response.content.decode()


def test_outsider_cannot_answer_or_see_the_students_cards(
    student: User, outsider: User, rev_cards: list[ReviewCard]
) -> None:
    client = Client()
    client.force_login(outsider)
    html = client.get(REVIEW).content.decode()
    assert "FREE-PROMPT" not in html and "Nothing due" in html

    students_token = check_token_for(student, rev_cards[0].question, mode="review")
    assert client.post(ANSWER, {"token": students_token, "grade": "3"}, **HTMX).status_code == 400
    own_token = check_token_for(outsider, rev_cards[0].question, mode="review")
    assert client.post(ANSWER, {"token": own_token, "grade": "3"}, **HTMX).status_code == 404
    assert not Attempt.objects.exists()


def test_daily_cap_ends_the_session(student_client: Client, student: User, rev_cards) -> None:
    profile = profile_for(student)
    profile.daily_cap = 1
    profile.save()
    token = _token_in(student_client.get(REVIEW).content.decode())

    html = student_client.post(ANSWER, {"token": token, "grade": "3"}, **HTMX).content.decode()

    assert "daily cap of 1" in html and "CHOICE-PROMPT" not in html
    # Another session (a second device) has no tally: it says the cap, not "Nothing due".
    other = Client()
    other.force_login(student)
    elsewhere = other.get(REVIEW).content.decode()
    assert "Daily cap reached" in elsewhere and "Nothing due" not in elsewhere
    assert "1 more wait for tomorrow" in elsewhere


def test_review_js_has_the_shortcuts(client: Client) -> None:
    from django.contrib.staticfiles import finders

    path = finders.find("js/review.js")
    assert path
    with open(path) as handle:
        source = handle.read()
    assert '" "' in source and "[data-reveal]" in source and "Enter" in source and "data-key" in source


def _bulk_history(learner: User, cards: int, attempts: int) -> None:
    course = CourseFactory()
    questions = Question.objects.bulk_create(
        Question(course=course, slug=f"bulk-{i}", prompt_html=f"<p>P{i}</p>", answer_html="<p>A</p>")
        for i in range(cards)
    )
    now = timezone.now()
    ReviewCard.objects.bulk_create(
        ReviewCard(
            learner=learner,
            question=q,
            state=2,
            stability=5.0,
            difficulty=5.0,
            due=now - timedelta(hours=i + 1),
            last_review=now - timedelta(days=6),
            reps=1,
        )
        for i, q in enumerate(questions)
    )
    Attempt.objects.bulk_create(
        Attempt(
            learner=learner,
            question=questions[i % cards],
            mode=Mode.REVIEW,
            grade=3,
            key=f"bulk-{i}",
            created_at=now - timedelta(days=2),
        )
        for i in range(attempts)
    )


@pytest.mark.parametrize(("cards", "attempts"), [(5, 10), (500, 2000)])
def test_query_counts_do_not_grow(
    student_client: Client, student: User, django_assert_num_queries, cards: int, attempts: int
) -> None:
    _bulk_history(student, cards, attempts)
    profile_for(student)

    # session, user with profile, reviews done today, the due cards (counted and ordered from one
    # read), concept traces (the order), the card, its options, when the due cards next change
    with django_assert_num_queries(8):
        html = student_client.get(REVIEW).content.decode()
    assert f"1 of {cards if cards < 20 else 20} due today" in html
    # Then the queue is kept for the learner (accounts/learner_cache.py): the session alone.
    with django_assert_num_queries(1):
        again = student_client.get(REVIEW).content.decode()
    assert f"1 of {cards if cards < 20 else 20} due today" in again
    token = _token_in(html)
    # reveal: session, the card and its options (the user, profile and queue are kept; the token
    # is checked without a query; a question without a lesson needs no section label)
    with django_assert_num_queries(3):
        html = student_client.post(ANSWER, {"token": token, "action": "reveal"}, **HTMX).content.decode()
    # grade: session, card+options (user and profile kept); attempt_record (one transaction, here a
    # savepoint in the test's: insert, card lock, the course's memory model (then cached), card save,
    # concepts; the card's next due date comes from the card just saved, not a second read); the
    # session's tally saved; then the next
    # card (reviews done today, the due cards, concept traces, the card, its options, when the due
    # cards next change). The recompute is queued, not run here.
    with django_assert_num_queries(19):
        student_client.post(ANSWER, {"token": _token_in(html), "grade": "3"}, **HTMX)


def test_the_kept_region_gets_each_request_its_own_tokens_and_moves_on_after_an_answer(
    student_client: Client, student: User
) -> None:
    """The card's region is kept for the learner (mastery.views.review._region_kept): the same
    card, but a check token and a CSRF token of the request's own, never a placeholder."""
    from django.middleware.csrf import CSRF_TOKEN_LENGTH

    from courses.content_cache import CSRF_PLACEHOLDER
    from quizzes.forms import TOKEN_SLOT, check_token_read

    _bulk_history(student, 3, 6)
    profile_for(student)
    first = student_client.get(REVIEW).content.decode()
    second = student_client.get(REVIEW).content.decode()
    for html in (first, second):
        assert TOKEN_SLOT not in html and CSRF_PLACEHOLDER not in html
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert csrf is not None and len(csrf.group(1)) == CSRF_TOKEN_LENGTH
    one, two = (
        check_token_read(_token_in(h), learner_id=student.pk, question_id=None) for h in (first, second)
    )
    assert one.question_id == two.question_id  # the same card
    assert _token_in(first) != _token_in(second)  # each render signs its own token

    student_client.post(ANSWER, {"token": _token_in(second), "grade": "3"})  # a plain form post
    after = student_client.get(REVIEW).content.decode()
    shown = check_token_read(_token_in(after), learner_id=student.pk, question_id=None).question_id
    assert shown != one.question_id


def test_student_journey_on_the_demo_course(student_client: Client, student: User, settings) -> None:
    """Read a lesson, answer its checks, mark it read, start the week, then review what fell due."""
    from courses.bundles import import_bundle

    course = import_bundle(settings.DEMO_BUNDLE_DIR).course
    lesson = (
        Lesson.objects.filter(module__course=course).exclude(body_md="").order_by("module__order", "order")[0]
    )
    html = student_client.get(lesson.get_absolute_url()).content.decode()
    questions = {q.slug: q for q in Question.objects.filter(course=course).prefetch_related("options")}
    answered = 0
    for slug in lesson.check_slugs():
        question = questions.get(slug)
        if question is None:
            continue
        start = html.index(f'id="check-{slug}"')
        token = _token_in(html[start:])
        if question.is_choice:
            option = next(o for o in question.options.all() if o.is_correct)
            response = student_client.post(
                question.answer_url(), {"option": option.pk, "token": token}, **HTMX
            )
        else:
            revealed = student_client.post(question.reveal_url(), {"token": token}, **HTMX).content.decode()
            response = student_client.post(
                reverse("quizzes:grade", args=[course.slug, slug]),
                {"grade": "3", "token": _token_in(revealed)},
                **HTMX,
            )
        assert response.status_code == 200, slug
        assert "Saved — next review in" in response.content.decode()
        answered += 1
    assert answered and Attempt.objects.filter(learner=student).count() == answered

    read_url = reverse("mastery:lesson_read", args=[course.slug, lesson.module.slug, lesson.slug])
    assert student_client.post(read_url).status_code == 302
    plan = course.recall_plans.order_by("order").first()
    assert plan is not None
    student_client.post(reverse("mastery:recall_start", args=[course.slug, plan.slug]))
    week = student_client.get(plan.get_absolute_url()).content.decode()
    assert "Today, " in week

    # Time passes: everything answered falls due.
    ReviewCard.objects.filter(learner=student).update(due=timezone.now() - timedelta(minutes=1))
    page = student_client.get(REVIEW).content.decode()
    assert f"1 of {answered} due today" in page
    for _ in range(answered):
        token = _token_in(page)
        if 'name="option"' in page:
            start = page.index('name="option" value="') + len('name="option" value="')
            data = {"token": token, "option": page[start : page.index('"', start)]}
        else:
            data = {"token": token, "grade": "3"}
        page = student_client.post(ANSWER, data, **HTMX).content.decode()
        if "data-next" in page:  # the first option shown was wrong: its answer, then the next card
            page = student_client.get(REVIEW, **HTMX).content.decode()
    assert "Session done" in page
    assert Attempt.objects.filter(learner=student, mode=Mode.REVIEW).count() == answered


# --- A miss in Review shows its answer; the one check fragment -------------------------------


def test_a_missed_choice_over_plain_forms_shows_its_answer_after_the_redirect(
    student_client: Client, student: User, rev_cards, django_assert_num_queries
) -> None:
    choice = rev_cards[1].question
    Question.objects.filter(pk=choice.pk).update(
        section_ref="explainer §3.4", explanation_html="<p>CHOICE-WHY</p>"
    )
    ReviewCard.objects.filter(pk=rev_cards[0].pk).delete()
    page = student_client.get(REVIEW).content.decode()
    wrong = choice.options.get(text="WRONG-OPTION")

    response = student_client.post(ANSWER, {"token": _token_in(page), "option": wrong.pk})
    assert response.status_code == 302 and response["Location"] == REVIEW

    # session, user, the missed attempt with its question, its options, profile, reviews done
    # today, due count, the card's next due; the session saved (result popped: savepoint,
    # update, release). An unlinked reference needs no section query.
    with django_assert_num_queries(11):
        html = student_client.get(REVIEW).content.decode()
    assert 'The correct answer is <strong class="correct-answer">RIGHT-OPTION</strong>' in html
    assert "CHOICE-WHY" in html and "See explainer §3.4" in html
    assert '<form class="review-next" method="get" action="/review/"' in html
    # Shown once: the next visit moves on.
    assert "Session done" in student_client.get(REVIEW).content.decode()


def test_a_missed_choice_over_htmx_reads_its_next_due_once(student_client: Client, rev_cards) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    choice = rev_cards[1].question
    ReviewCard.objects.filter(pk=rev_cards[0].pk).delete()
    page = student_client.get(REVIEW, **HTMX).content.decode()
    wrong = choice.options.get(text="WRONG-OPTION")

    with CaptureQueriesContext(connection) as ctx:
        html = student_client.post(
            ANSWER, {"token": _token_in(page), "option": wrong.pk}, **HTMX
        ).content.decode()

    # The saved line comes from the card the answer just reviewed: no query reads a due date back.
    due_reads = [q for q in ctx.captured_queries if q["sql"].startswith('SELECT "mastery_reviewcard"."due"')]
    assert due_reads == []
    assert "Saved — next review" in html and "RIGHT-OPTION" in html


def test_review_uses_the_check_fragment_with_its_own_endpoint(student_client: Client, rev_cards) -> None:
    html = student_client.get(REVIEW).content.decode()

    assert 'class="check check-free" id="check-free-q"' in html and "data-check" in html
    assert f'hx-post="{ANSWER}" hx-target="#review"' in html
    assert 'name="onscreen" value="" data-onscreen' in html
    assert "FREE-ANSWER" not in html


def test_key_points_in_review_replace_the_grade_buttons(
    student_client: Client, student: User, rev_cards
) -> None:
    Question.objects.filter(pk=rev_cards[0].question_id).update(key_points="KP-ONE\nKP-TWO")
    page = student_client.get(REVIEW).content.decode()
    assert "Grade without looking" not in page and "KP-ONE" not in page

    revealed = student_client.post(ANSWER, {"token": _token_in(page), "action": "reveal"}, **HTMX)
    html = revealed.content.decode()
    assert "KP-ONE" in html and 'name="point" value="2" data-key="2"' in html

    graded = student_client.post(
        ANSWER, {"token": _token_in(html), "checklist": "1", "point": ["1", "2"]}, **HTMX
    ).content.decode()
    assert "✓ Good — back in" in graded and "CHOICE-PROMPT" in graded
    attempt = Attempt.objects.get(learner=student)
    assert (attempt.grade, attempt.key_points_recalled, attempt.key_points_total) == (Grade.GOOD, 2, 2)


def test_review_options_follow_the_learners_order_with_digits(
    student_client: Client, student: User, rev_cards
) -> None:
    ReviewCard.objects.filter(pk=rev_cards[0].pk).delete()
    choice = rev_cards[1].question
    for i in range(4):
        OptionFactory(question=choice, text=f"EXTRA-{i}", order=10 + i)
    shown = choice.options_for(student.pk)

    html = student_client.get(REVIEW).content.decode()

    for digit, option in enumerate(shown, start=1):
        assert f'value="{option.pk}" data-key="{digit}" required> <kbd>{digit}</kbd>' in html


def test_a_result_kept_in_the_session_shows_only_the_learners_own_attempt(
    student_client: Client, student: User, outsider: User, rev_cards
) -> None:
    theirs = Attempt.objects.create(
        learner=outsider, question=rev_cards[0].question, grade=Grade.AGAIN, key="theirs", is_correct=False
    )
    session = student_client.session
    session["review_result"] = theirs.pk
    session.save()

    html = student_client.get(REVIEW).content.decode()

    assert "FREE-ANSWER" not in html and "Marked: Again" not in html
    assert "1 of 2 due today" in html  # the learner's own next card instead
