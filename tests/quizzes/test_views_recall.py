"""The recall week page: days in order, unlock notes, prompts that jump back to sections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import profile_for
from lessons.models import Lesson, Section
from mastery.models import Attempt, LessonRead, RecallEnrollment, ReviewCard
from quizzes.models import RecallPlan
from tests.factories import (
    COURSE_SIZES,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    RecallDayFactory,
    RecallPlanFactory,
    RecallPromptFactory,
    ReviewCardFactory,
    build_course,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan() -> RecallPlan:
    course = CourseFactory(slug="llm")
    module = ModuleFactory(course=course, slug="m1")
    lesson = LessonFactory(module=module, slug="sft", title="Supervised fine-tuning")
    Section.objects.create(lesson=lesson, number="2.1", anchor="s2-1", title="Data quality")
    plan = RecallPlanFactory(course=course, module=module, slug="week-5", title="Week 5")
    tuesday = RecallDayFactory(plan=plan, name="Tuesday", order=2, unlock_note="chapter 3")
    monday = RecallDayFactory(plan=plan, name="Monday", order=1, unlock_note="after the intro")
    monday.unlock_lessons.add(lesson)
    RecallPromptFactory(
        day=monday,
        question=QuestionFactory(
            course=course,
            slug="p-quality",
            prompt_html="<p>Why does quality beat quantity?</p>",
            answer_html="<p>SECRET-QUALITY</p>",
            lesson=lesson,
            anchor="s2-1",
            section_ref="§2.1",
        ),
    )
    RecallPromptFactory(
        day=tuesday,
        question=QuestionFactory(
            course=course,
            slug="p-eli5",
            prompt_html="<p>Explain it to a child.</p>",
            answer_html="",
            lesson=lesson,
            anchor="",
            section_ref="ELI5",
        ),
    )
    return plan


def test_days_in_order_with_unlock_notes_and_lessons(client: Client, plan: RecallPlan) -> None:
    response = client.get(plan.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(">Monday<") < html.index(">Tuesday<")
    assert "After the intro" in html
    assert "After chapter 3" in html  # "after" is added when the author left it out
    assert '<a href="/courses/llm/modules/m1/sft/">Supervised fine-tuning</a>' in html


def test_prompts_jump_to_their_sections(client: Client, plan: RecallPlan) -> None:
    html = client.get(plan.get_absolute_url()).content.decode()

    assert "Why does quality beat quantity?" in html
    assert '<a href="/courses/llm/modules/m1/sft/#s2-1">Jump to §2.1</a>' in html
    # No section matches: the reference is shown as written.
    assert '<a href="/courses/llm/modules/m1/sft/">Jump to ELI5</a>' in html


def test_every_prompt_can_be_checked_and_no_answer_is_shown(client: Client, plan: RecallPlan) -> None:
    html = client.get(plan.get_absolute_url()).content.decode()

    assert "/questions/p-quality/reveal/" in html
    # Without a model answer the learner still checks themself against the section, then grades.
    assert "/questions/p-eli5/reveal/" in html
    assert "Check myself" in html
    assert "SECRET-QUALITY" not in html


def test_empty_plan(client: Client) -> None:
    plan = RecallPlanFactory()

    assert "This week has no days yet." in client.get(plan.get_absolute_url()).content.decode()


def test_access(client: Client, student_client: Client, instructor_client: Client) -> None:
    plan = RecallPlanFactory(course=CourseFactory(is_published=False))

    assert client.get(plan.get_absolute_url()).status_code == 404
    assert student_client.get(plan.get_absolute_url()).status_code == 404
    assert instructor_client.get(plan.get_absolute_url()).status_code == 200
    assert client.get(f"/courses/{plan.course.slug}/recall/nope/").status_code == 404


@pytest.mark.parametrize(
    "size",
    COURSE_SIZES,
)
def test_query_count_does_not_grow(client: Client, django_assert_num_queries, size: dict[str, int]) -> None:
    course = build_course(**size)
    plan = course.recall_plans.get()
    url = plan.get_absolute_url()

    # plan+course+module, days, unlock lessons, prompts+questions, options, section labels
    with django_assert_num_queries(6):
        response = client.get(url)
    html = response.content.decode()
    assert html.count('class="recall-day"') == size["modules"]
    assert html.count("Jump to §1") == size["lessons"] * size["checks_per_lesson"]


# --- Signed-in learners: starting the week, day states, today's work ------------------------------


def _start(client: Client, plan: RecallPlan):
    return client.post(reverse("mastery:recall_start", args=[plan.course.slug, plan.slug]))


def test_signed_in_learner_is_offered_to_start_with_tokens(student_client: Client, plan: RecallPlan) -> None:
    html = student_client.get(plan.get_absolute_url()).content.decode()

    assert "Start this week" in html
    assert 'name="token"' in html and 'name="mode" value="study"' in html


def test_anonymous_sees_the_plan_without_start_or_tokens(client: Client, plan: RecallPlan) -> None:
    html = client.get(plan.get_absolute_url()).content.decode()

    assert "Start this week" not in html and 'name="token"' not in html
    assert _start(client, plan).status_code == 302
    assert not RecallEnrollment.objects.exists()


def test_start_then_days_with_dates_and_locks(student_client: Client, student, plan: RecallPlan) -> None:
    response = _start(student_client, plan)
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    assert _start(student_client, plan).status_code == 302  # starting twice is harmless
    enrollment = RecallEnrollment.objects.get(learner=student)

    html = student_client.get(plan.get_absolute_url()).content.decode()

    assert "Start this week" not in html
    assert enrollment.started_on.strftime("%-d %b") in html
    # Monday needs the lesson read first: it is locked and says which lesson.
    assert "Locked</span> read first" in html
    assert "Nothing to recall today" in html


def test_reading_the_lesson_opens_the_day_with_its_checks(student_client: Client, student, plan) -> None:
    _start(student_client, plan)
    LessonRead.objects.create(learner=student, lesson=plan.days.get(name="Monday").unlock_lessons.get())

    html = student_client.get(plan.get_absolute_url()).content.decode()
    today = html[html.index("Today's prompts") : html.index('class="recall-day')]

    assert 'id="check-p-quality"' in today and 'name="token"' in today
    assert "SECRET-QUALITY" not in html


def test_missed_prompts_offer_the_section_to_reread(student_client: Client, student, plan) -> None:
    RecallEnrollment.objects.create(
        learner=student, plan=plan, started_on=timezone.localdate() - timedelta(days=3)
    )
    LessonRead.objects.create(learner=student, lesson=plan.days.get(name="Monday").unlock_lessons.get())

    html = student_client.get(plan.get_absolute_url()).content.decode()
    catch_up = html[html.index("Catch up") : html.index('class="recall-day')]

    assert '<a href="/courses/llm/modules/m1/sft/#s2-1">Reread §2.1</a>' in catch_up
    assert 'id="check-p-quality"' in catch_up and 'id="check-p-eli5"' in catch_up


def test_outsider_never_sees_the_students_week(student: User, outsider: User, plan: RecallPlan) -> None:
    RecallEnrollment.objects.create(learner=student, plan=plan, started_on=timezone.localdate())
    now = timezone.now()
    secret = QuestionFactory(course=plan.course, slug="students-card", prompt_html="<p>STUDENT-ONLY</p>")
    ReviewCardFactory(learner=student, question=secret, due=now - timedelta(days=1), last_review=now)
    client = Client()
    client.force_login(outsider)

    html = client.get(plan.get_absolute_url()).content.decode()

    assert "Start this week" in html and "STUDENT-ONLY" not in html


def _history(learner: User, course, attempts: int, cards: int) -> None:
    questions = list(course.questions.all())
    now = timezone.now()
    ReviewCard.objects.bulk_create(
        ReviewCard(
            learner=learner,
            question=q,
            due=now - timedelta(hours=1),
            last_review=now - timedelta(days=3),
            stability=3.0,
            difficulty=5.0,
            state=2,
            reps=1,
        )
        for q in questions[:cards]
    )
    Attempt.objects.bulk_create(
        Attempt(
            learner=learner,
            question=questions[i % len(questions)],
            grade=3,
            key=f"h-{i}",
            created_at=now - timedelta(days=2),
        )
        for i in range(attempts)
    )


@pytest.mark.parametrize(
    ("size", "attempts"),
    [
        ({"modules": 1, "lessons": 2, "concepts": 2, "checks_per_lesson": 2}, 10),
        ({"modules": 6, "lessons": 30, "concepts": 40, "checks_per_lesson": 4}, 2000),
    ],
)
def test_query_count_for_an_enrolled_learner_does_not_grow(
    student_client: Client, student: User, django_assert_num_queries, size: dict[str, int], attempts: int
) -> None:
    course = build_course(**size)
    plan = course.recall_plans.get()
    RecallEnrollment.objects.create(
        learner=student, plan=plan, started_on=timezone.localdate() - timedelta(days=2)
    )
    LessonRead.objects.bulk_create(
        LessonRead(learner=student, lesson=lesson) for lesson in Lesson.objects.all()
    )
    _history(student, course, attempts, cards=3)

    profile_for(student)

    # session (the user is kept); the plan (5 queries as for visitors); profile, enrollment,
    # reads, latest attempts, cards, due cards and their options; section labels
    with django_assert_num_queries(14):
        response = student_client.get(plan.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="recall-today"' in html
    assert html.count('class="recall-day') == size["modules"]
    assert 'class="check ' in html


def test_a_reference_to_another_document_is_shown_as_text(
    client: Client, student: User, student_client: Client, plan: RecallPlan
) -> None:
    """No lesson of this course holds "explainer §3.4": no link, but the learner still sees it."""
    day = plan.days.get(name="Monday")
    RecallPromptFactory(
        day=day,
        order=5,
        question=QuestionFactory(
            course=plan.course,
            slug="p-elsewhere",
            prompt_html="<p>Where do gradients vanish?</p>",
            lesson=None,
            section_ref="explainer §3.4",
        ),
    )
    RecallPromptFactory(
        day=day,
        order=6,
        question=QuestionFactory(
            course=plan.course, slug="p-bare", prompt_html="<p>Bare prompt</p>", lesson=None, section_ref=""
        ),
    )

    html = client.get(plan.get_absolute_url()).content.decode()
    check = html[html.index('id="check-p-elsewhere"') :]
    assert '<p class="check-jump check-reference">See explainer §3.4</p>' in check[: check.index("</form>")]
    bare = html[html.index('id="check-p-bare"') :]
    assert "check-reference" not in bare[: bare.index("</form>")]

    # Once the week is started, the day's list shows it the same way.
    student_client.post(reverse("mastery:recall_start", args=[plan.course.slug, plan.slug]))
    started = student_client.get(plan.get_absolute_url()).content.decode()
    assert '<span class="check-ref">(see explainer §3.4)</span>' in started


def test_unlock_notes_name_lessons_by_title(client: Client, plan: RecallPlan) -> None:
    lesson = Lesson.objects.get(slug="sft")
    intro = LessonFactory(module=lesson.module, slug="intro", title="Where it starts")
    longer = LessonFactory(module=lesson.module, slug="intro-to-pages", title="Pages, first look")
    monday = plan.days.get(name="Monday")
    monday.unlock_note = "after intro + intro-to-pages + sft + missing-slug"
    monday.save()
    monday.unlock_lessons.add(intro, longer)

    html = client.get(plan.get_absolute_url()).content.decode()

    # Titles, not slugs, joined in words; a slug that names no lesson of the day stays as written.
    assert "After Where it starts and Pages, first look and Supervised fine-tuning and missing-slug" in html
    assert "After chapter 3" in html


def test_unlock_note_chapters_link_into_the_lesson_the_prompts_point_to(
    client: Client, plan: RecallPlan
) -> None:
    from lessons.services import lesson_render_sections

    lesson = Lesson.objects.get(slug="sft")
    lesson.body_md = "## Data\n\nText.\n\n## Recipes\n\nText.\n\n## Costs\n\nText.\n"
    lesson.save()
    lesson_render_sections(lesson=lesson)
    plan.days.filter(name="Monday").update(unlock_note="after ELI5 + chapters 1-2")
    plan.days.filter(name="Tuesday").update(unlock_note="after chapter 9")

    html = client.get(plan.get_absolute_url()).content.decode()

    assert (
        'After ELI5 and <a href="/courses/llm/modules/m1/sft/#s1">chapters 1-2 of Supervised fine-tuning</a>'
        in html
    )
    # The lesson has no ninth chapter: as written, no link.
    assert '<span class="unlock-note">After chapter 9</span>' in html


def test_a_note_that_only_names_the_days_lessons_is_left_to_the_read_first_list(
    client: Client, plan: RecallPlan
) -> None:
    lesson = Lesson.objects.get(slug="sft")
    other = LessonFactory(module=lesson.module, slug="rlhf", title="RLHF+DPO: preference tuning")
    monday = plan.days.get(name="Monday")
    monday.unlock_note = "after sft + rlhf"
    tuesday = plan.days.get(name="Tuesday")
    tuesday.unlock_note = "after rlhf + chapter 3"
    tuesday.save()
    tuesday.unlock_lessons.add(other)
    monday.save()
    monday.unlock_lessons.add(other)

    html = client.get(plan.get_absolute_url()).content.decode()
    monday_html = html[html.index('aria-labelledby="day-1"') : html.index('aria-labelledby="day-2"')]

    assert "unlock-note" not in monday_html and "sft" not in monday_html.replace("/sft/", "")
    assert '<span class="unlock-lessons">Read first:' in monday_html
    # A title's own "+" is not a separator.
    assert "After RLHF+DPO: preference tuning and chapter 3" in html
    assert ">Supervised fine-tuning</a>" in monday_html and ">RLHF+DPO: preference tuning</a>" in monday_html


def test_a_started_week_names_each_day_by_the_learners_own_dates(
    student_client: Client, student, plan: RecallPlan
) -> None:
    today = timezone.now().date()  # the student's profile is in UTC
    RecallEnrollment.objects.create(learner=student, plan=plan, started_on=today - timedelta(days=1))

    html = student_client.get(plan.get_absolute_url()).content.decode()

    yesterday, now = today - timedelta(days=1), today
    assert f"Day 1: Yesterday, {yesterday:%A} {yesterday.day} {yesterday:%B}</h2>" in html
    assert f"Day 2: Today, {now:%A} {now.day} {now:%B}</h2>" in html
    assert "“Monday” in the plan" in html and "“Tuesday” in the plan" in html
    # No abbreviated date next to another weekday's name ("Monday Tue 1 Dec").
    assert f"{now:%a} {now.day} {now:%b}<" not in html
