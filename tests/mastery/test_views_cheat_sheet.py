"""The night-before cheat sheet: key facts (question, answer, why) by lesson; public like the module."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import Module
from quizzes.models import Question, Quiz
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    OptionFactory,
    QuestionFactory,
    QuizFactory,
    build_course,
)

pytestmark = pytest.mark.django_db


def url(module: Module) -> str:
    return reverse("mastery:cheat_sheet", args=[module.course.slug, module.slug])


@pytest.fixture
def mast_module() -> Module:
    module = ModuleFactory(title="Transformers")
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
    OptionFactory(question=choice, text="The causal mask", is_correct=True)
    OptionFactory(question=choice, text="The padding mask")
    QuizFactory(course=module.course, module=module, kind=Quiz.Kind.READINESS, title="Transformers readiness")
    QuestionFactory(course=module.course, lesson=LessonFactory(), prompt_html="<p>Elsewhere</p>")
    # A recall prompt: its section is the answer, so it has nothing to put on the sheet.
    QuestionFactory(
        course=module.course, lesson=early, prompt_html="<p>Say it aloud</p>", answer_md="", answer_html=""
    )
    return module


def test_facts_grouped_by_lesson_in_order_with_answer_and_why(client: Client, mast_module: Module) -> None:
    html = client.get(url(mast_module)).content.decode()

    assert "2 key facts" in html
    assert html.index("First lesson") < html.index("Second lesson")
    assert "Lesson without questions" not in html
    assert "Elsewhere" not in html
    assert "Say it aloud" not in html
    first = html[html.index("Which mask hides the future?") :]
    assert first.index("The causal mask") < first.index("Decoders must not peek.")
    assert "The padding mask" not in html
    second = html[html.index("Why scale the dot product?") :]
    assert second.index("To keep the softmax out of saturation.") < second.index("Variance grows")


def test_links_a_drill_and_is_printable(client: Client, mast_module: Module) -> None:
    quiz = mast_module.quizzes.get()

    html = client.get(url(mast_module)).content.decode()

    assert f'href="{quiz.get_absolute_url()}"' in html and "Drill these" in html
    assert "css/mastery.css" in html
    assert 'class="no-print actions"' in html


def test_print_stylesheet_hides_navigation_and_keeps_facts_whole() -> None:
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "css" / "mastery.css").read_text()
    print_rules = css[css.index("@media print") :]

    assert ".site-header" in print_rules and ".no-print" in print_rules
    assert "break-inside: avoid" in print_rules


def test_empty_module(client: Client) -> None:
    module = ModuleFactory()

    html = client.get(url(module)).content.decode()

    assert "0 key facts" in html
    assert "nothing to put on a cheat sheet" in html


def test_access(client: Client, student_client: Client, instructor_client: Client) -> None:
    draft = ModuleFactory(course=CourseFactory(is_published=False))

    assert client.get(url(draft)).status_code == 404
    assert student_client.get(url(draft)).status_code == 404
    assert instructor_client.get(url(draft)).status_code == 200
    assert client.get(f"/courses/{draft.course.slug}/modules/nope/cheat-sheet/").status_code == 404


def test_post_is_not_allowed(client: Client, mast_module: Module) -> None:
    assert client.post(url(mast_module)).status_code == 405


def test_module_and_course_pages_link_the_cheat_sheet(client: Client, mast_module: Module) -> None:
    assert url(mast_module) in client.get(mast_module.get_absolute_url()).content.decode()
    assert url(mast_module) in client.get(mast_module.course.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    "size",
    [
        {"modules": 1, "lessons": 1, "checks_per_lesson": 2},
        {"modules": 1, "lessons": 12, "checks_per_lesson": 6},
    ],
)
def test_query_count_does_not_grow(client: Client, django_assert_num_queries, size: dict[str, int]) -> None:
    course = build_course(**size)
    module = course.modules.get()

    # module with course, lessons, questions, correct options, readiness quizzes
    with django_assert_num_queries(5):
        response = client.get(url(module))

    facts = size["lessons"] * size["checks_per_lesson"]
    assert f"{facts} key facts" in response.content.decode()
    assert response.content.decode().count('class="fact"') == facts
