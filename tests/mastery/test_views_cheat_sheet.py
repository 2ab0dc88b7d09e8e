"""The night-before cheat sheet of a module: chapters at a glance, then question → answer → why."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from courses.models import Course, Module
from lessons.services import lesson_render_sections
from quizzes.models import Question, Quiz
from quizzes.services import question_render
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    OptionFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    build_course,
)

pytestmark = pytest.mark.django_db


def url(module: Module) -> str:
    return reverse("mastery:cheat_sheet", args=[module.course.slug, module.slug])


def open_course(**fields: object) -> Course:
    return CourseFactory(cheat_sheet_access=Course.CheatSheetAccess.OPEN, **fields)


def answer_all(user: User, module: Module) -> None:
    for question in Question.objects.filter(lesson__module=module):
        AttemptFactory(learner=user, question=question)


@pytest.fixture
def mast_module() -> Module:
    """Three lessons (one without questions): the sheet is grouped by lesson."""
    module = ModuleFactory(title="Transformers", course=open_course(title="Deep nets"))
    late = LessonFactory(module=module, order=2, title="Second lesson")
    early = LessonFactory(module=module, order=1, title="First lesson")
    LessonFactory(module=module, order=3, title="Lesson without questions")
    QuestionFactory(
        course=module.course,
        lesson=late,
        prompt_html="<p>Why scale the dot product?</p>",
        answer_html="<p>To keep the softmax out of saturation.</p>",
        explanation_html="<p>Variance grows with the dimension.</p>",
    )
    choice = QuestionFactory(
        course=module.course,
        lesson=early,
        kind=Question.Kind.CHOICE,
        prompt_html="<p>Which mask hides the future?</p>",
        explanation_html="<p>Decoders must not peek.</p>",
    )
    OptionFactory(question=choice, text="The causal mask", is_correct=True, order=0)
    OptionFactory(question=choice, text="The padding mask", order=1)
    QuizFactory(course=module.course, module=module, kind=Quiz.Kind.READINESS, title="Transformers readiness")
    QuestionFactory(course=module.course, lesson=LessonFactory(), prompt_html="<p>Elsewhere</p>")
    # A recall prompt: its section is the answer, so it has nothing to put on the sheet.
    QuestionFactory(
        course=module.course, lesson=early, prompt_html="<p>Say it aloud</p>", answer_md="", answer_html=""
    )
    return module


def test_facts_grouped_by_lesson_with_chapters_at_a_glance(
    student_client: Client, mast_module: Module
) -> None:
    html = student_client.get(url(mast_module)).content.decode()

    assert "3 chapters · 2 key facts" in html
    assert "Deep nets · Module: Transformers" in html
    glance = html[html.index("Lessons at a glance") : html.index("</nav>", html.index("Lessons at a glance"))]
    assert '<a href="#ch-1">Ch 1: First lesson</a> <span class="glance-count">1 fact</span>' in glance
    assert '<a href="#ch-2">Ch 2: Second lesson</a>' in glance
    # Listed so the outline is whole, but there is no group to jump to.
    assert "<span>Ch 3: Lesson without questions</span>" in glance and "no key facts" in glance
    assert html.count('id="ch-3"') == 0 and html.count('id="ch-1"') == 1
    assert html.index('id="ch-1-h"') < html.index('id="ch-2-h"')
    assert "Elsewhere" not in html
    assert "Say it aloud" not in html
    first = html[html.index("Which mask hides the future?") :]
    assert first.index("The causal mask") < first.index("Decoders must not peek.")
    assert "The padding mask" not in html
    second = html[html.index("Why scale the dot product?") :]
    assert second.index("To keep the softmax out of saturation.") < second.index("Variance grows")


EXPLAINER = """## Storage pages

Rows live in fixed-size pages; the buffer pool caches hot pages in memory.

### Page layout

A slotted page keeps a slot directory at the front.

## Write-ahead logging

Every change is appended to the log before the page is flushed, so a crash can be redone.

## Vacuum

Dead row versions are reclaimed by a background sweeper.
"""


@pytest.fixture
def explainer_module() -> Module:
    """One explainer lesson with three chapters: the sheet is grouped by chapter."""
    module = ModuleFactory(title="Engines", course=open_course())
    lesson = LessonFactory(module=module, title="How an engine stores rows", body_md=EXPLAINER)
    sections = lesson_render_sections(lesson=lesson)
    specs = [
        # A reference into a subsection counts for its chapter.
        ("ref-sub", "§1.1", "What sits at the front of a slotted page?", "The slot directory."),
        ("ref-top", "§2", "When is a change logged?", "Before its page is flushed."),
        # No reference: placed by its words (the log, the crash, redone).
        ("words", "", "Why can a crash be redone?", "Because the log holds every change."),
        # No word in common with any chapter.
        ("stray", "", "Quokka?", "Marsupial."),
    ]
    for slug, ref, prompt, answer in specs:
        question = QuestionFactory(
            course=module.course,
            slug=slug,
            lesson=lesson,
            section_ref=ref,
            prompt_md=prompt,
            answer_md=answer,
        )
        question_render(question=question, sections=sections)
    return module


def test_one_explainer_is_grouped_by_its_chapters(student_client: Client, explainer_module: Module) -> None:
    html = student_client.get(url(explainer_module)).content.decode()

    assert "3 chapters · 4 key facts" in html
    assert "Chapters at a glance" in html
    assert '<a href="#ch-1">Ch 1: Storage pages</a> <span class="glance-count">1 fact</span>' in html
    assert '<a href="#ch-2">Ch 2: Write-ahead logging</a> <span class="glance-count">2 facts</span>' in html
    assert "<span>Ch 3: Vacuum</span>" in html
    assert '<a href="#other">Other key facts</a>' in html
    chapter_2 = html[html.index('id="ch-2"') : html.index('id="other"')]
    assert "When is a change logged?" in chapter_2 and "Why can a crash be redone?" in chapter_2
    assert "Quokka?" in html[html.index('id="other"') :]
    lesson = explainer_module.lessons.get()
    assert f'href="{lesson.get_absolute_url()}#s2"' in chapter_2


def test_course_sheet_has_every_module(student_client: Client) -> None:
    course = open_course(title="Whole thing")
    first = ModuleFactory(course=course, order=1, title="Part A")
    second = ModuleFactory(course=course, order=2, title="Part B")
    QuestionFactory(course=course, lesson=LessonFactory(module=first), prompt_md="Alpha fact?")
    QuestionFactory(course=course, lesson=LessonFactory(module=second), prompt_md="Beta fact?")
    QuestionFactory(course=course, lesson=LessonFactory(module=second), prompt_md="Gamma fact?")
    for question in Question.objects.filter(course=course):
        question_render(question=question)

    html = student_client.get(reverse("mastery:course_cheat_sheet", args=[course.slug])).content.decode()

    assert "Whole thing: the whole course" in html and "2 modules" in html
    assert "3 chapters · 3 key facts" in html
    assert html.index("Part A") < html.index("Alpha fact?") < html.index("Part B") < html.index("Beta fact?")
    # Group ids carry the module, so two modules' "Ch 1" never share an anchor.
    assert f'id="{first.slug}-ch-1"' in html and f'id="{second.slug}-ch-1"' in html
    assert f'href="#{second.slug}-ch-2"' in html


def test_links_the_readiness_quiz_and_is_printable(student_client: Client, mast_module: Module) -> None:
    quiz = mast_module.quizzes.get()

    html = student_client.get(url(mast_module)).content.decode()

    assert f'href="{quiz.get_absolute_url()}"' in html and "Readiness quiz: Transformers readiness" in html
    assert "css/mastery.css" in html
    assert 'class="no-print actions"' in html
    # The course's name stays on every printed page (a print stylesheet of the course's own).
    print_css = reverse("mastery:cheat_sheet_print_css", args=[mast_module.course.slug])
    assert f'<link rel="stylesheet" media="print" href="{print_css}">' in html


def test_a_quiz_that_names_no_module_is_linked_through_its_questions(student_client: Client) -> None:
    module = ModuleFactory(course=open_course())
    question = QuestionFactory(course=module.course, lesson=LessonFactory(module=module))
    quiz = QuizFactory(course=module.course, module=None, lesson=None, kind=Quiz.Kind.READINESS)
    QuizItemFactory(quiz=quiz, question=question)
    unrelated = QuizFactory(course=module.course, module=None, lesson=None, kind=Quiz.Kind.READINESS)

    html = student_client.get(url(module)).content.decode()

    assert f'href="{quiz.get_absolute_url()}"' in html
    assert f'href="{unrelated.get_absolute_url()}"' not in html


def test_print_stylesheet_has_margins_page_numbers_and_keeps_facts_whole() -> None:
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "css" / "mastery.css").read_text()
    page = css[css.index("@page") : css.index("@media print")]
    print_rules = css[css.index("@media print") :]

    assert "margin:" in page and "counter(page)" in page and "counter(pages)" in page
    assert ".site-header" in print_rules and ".no-print" in print_rules
    assert "break-inside: avoid" in print_rules


def test_empty_module(student_client: Client) -> None:
    module = ModuleFactory(course=open_course())

    html = student_client.get(url(module)).content.decode()

    assert "0 chapters · 0 key facts" in html
    assert "nothing to put on a cheat sheet" in html


def test_post_is_not_allowed(student_client: Client, mast_module: Module) -> None:
    assert student_client.post(url(mast_module)).status_code == 405


def test_module_course_and_lesson_pages_link_the_sheets(client: Client, mast_module: Module) -> None:
    course_sheet = reverse("mastery:course_cheat_sheet", args=[mast_module.course.slug])
    assert url(mast_module) in client.get(mast_module.get_absolute_url()).content.decode()
    course_page = client.get(mast_module.course.get_absolute_url()).content.decode()
    assert url(mast_module) in course_page and course_sheet in course_page


def test_readiness_quiz_is_linked_from_its_explainer_lesson_and_module(client: Client) -> None:
    module = ModuleFactory()
    lesson = LessonFactory(module=module)
    other = LessonFactory(module=module)
    question = QuestionFactory(course=module.course, lesson=lesson)
    quiz = QuizFactory(
        course=module.course, module=None, lesson=None, kind=Quiz.Kind.READINESS, title="Ready?"
    )
    QuizItemFactory(quiz=quiz, question=question)

    lesson_page = client.get(lesson.get_absolute_url()).content.decode()
    assert f'href="{quiz.get_absolute_url()}"' in lesson_page and "Readiness quiz: Ready?" in lesson_page
    assert url(module) in lesson_page
    assert quiz.get_absolute_url() not in client.get(other.get_absolute_url()).content.decode()
    module_page = client.get(module.get_absolute_url()).content.decode()
    assert f'href="{quiz.get_absolute_url()}"' in module_page


@pytest.mark.parametrize(
    "size",
    [
        {"modules": 1, "lessons": 1, "checks_per_lesson": 2},
        {"modules": 1, "lessons": 12, "checks_per_lesson": 6},
    ],
)
def test_query_count_does_not_grow(
    student: User, student_client: Client, django_assert_num_queries, size: dict[str, int]
) -> None:
    course = build_course(**size)
    module = course.modules.get()
    answer_all(student, module)

    # session, user, module with course, lessons, questions, correct options, attempts, quizzes
    with django_assert_num_queries(8):
        response = student_client.get(url(module))

    facts = size["lessons"] * size["checks_per_lesson"]
    assert f"{facts} key facts" in response.content.decode()
    assert response.content.decode().count('class="fact"') == facts


@pytest.mark.parametrize("modules", [1, 4])
def test_course_sheet_query_count_does_not_grow(
    student: User, student_client: Client, django_assert_num_queries, modules: int
) -> None:
    course = build_course(modules=modules, lessons=modules * 3, checks_per_lesson=2)
    for module in course.modules.all():
        answer_all(student, module)

    # session, user, course, modules, lessons, questions, correct options, attempts, quizzes
    with django_assert_num_queries(9):
        response = student_client.get(reverse("mastery:course_cheat_sheet", args=[course.slug]))

    assert response.content.decode().count('class="fact"') == modules * 3 * 2


def test_print_stylesheet_names_the_course_escaped(client: Client) -> None:
    course = CourseFactory(title='Quotes "and" \\ back; slashes}')
    response = client.get(reverse("mastery:cheat_sheet_print_css", args=[course.slug]))

    assert response.status_code == 200 and response["Content-Type"].startswith("text/css")
    css = response.content.decode()
    assert css.startswith('@page { @top-left { content: "Quotes \\22 and\\22  \\5c  back; slashes\\7d ')
    assert css.count("{") == css.count("}") == 2


def test_print_stylesheet_of_a_draft_is_hidden(client: Client, instructor_client: Client) -> None:
    draft = CourseFactory(is_published=False)
    target = reverse("mastery:cheat_sheet_print_css", args=[draft.slug])
    assert client.get(target).status_code == 404
    assert instructor_client.get(target).status_code == 200
