"""The lesson page: header, TOC, body with checks in place, concepts, previous/next."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from courses import content_cache
from lessons.models import Depth, Lesson
from lessons.services import lesson_render
from mastery.models import LessonRead
from quizzes.models import Question
from quizzes.services import question_render
from tests.factories import (
    ConceptFactory,
    ConceptIndexEntryFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    OptionFactory,
    QuestionFactory,
    build_course,
)

pytestmark = pytest.mark.django_db

BODY = """\
## Why tokens

Models read tokens, not letters.

{{check: why-tokens}}

### Byte pairs

!!! tldr
    Merge the most frequent pair, again and again.

!!! compare "BPE vs words"
    !!! column "BPE"
        - open vocabulary
    !!! column "Words"
        - unknown words

| Merge | Count |
|-------|-------|
| t h   | 12    |

{{check: pick-merge}}

## Costs

```python
tokens = encode("hello")
```
"""


@pytest.fixture
def lesson() -> Lesson:
    course = CourseFactory(slug="llm")
    module = ModuleFactory(course=course, slug="foundations", order=1)
    lesson = LessonFactory(
        module=module,
        slug="tokens",
        title="What is a token?",
        kicker="FOUNDATIONS · TOKENS",
        summary="How text becomes numbers.",
        difficulty="Beginner",
        kind="STRETCH",
        read_minutes=12,
        body_md=BODY,
        order=1,
    )
    lesson_render(lesson=lesson)
    free = QuestionFactory(
        course=course,
        slug="why-tokens",
        prompt_md="Why not read letters?",
        answer_md="Because SECRET-FREE-ANSWER.",
        explanation_md="SECRET-FREE-WHY.",
    )
    choice = QuestionFactory(
        course=course,
        slug="pick-merge",
        kind=Question.Kind.CHOICE,
        prompt_md="Which pair merges first?",
        explanation_md="SECRET-CHOICE-WHY.",
    )
    OptionFactory(question=choice, text="The most frequent pair", is_correct=True, order=1)
    OptionFactory(question=choice, text="The rarest pair", order=2)
    question_render(question=free)
    question_render(question=choice)
    concept = ConceptFactory(course=course, slug="bpe", name="Byte-pair encoding")
    ConceptIndexEntryFactory(concept=concept, lesson=lesson, depth=Depth.DEVELOPED)
    return lesson


def test_header_chips_and_toc(client: Client, lesson: Lesson) -> None:
    response = client.get(lesson.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "FOUNDATIONS · TOKENS" in html
    assert "<h1>What is a token?</h1>" in html
    assert "12 min read" in html
    assert "Beginner" in html
    assert 'class="badge kind kind-stretch"' in html
    toc = html[
        html.index('<nav aria-label="Table of contents">') : html.index("</nav>", html.index("Table of"))
    ]
    assert '<a href="#s1"><span class="toc-number">§1</span> Why tokens</a>' in toc
    assert 'href="#s1-1"' in toc and 'href="#s2"' in toc


def test_body_keeps_rendered_blocks(client: Client, lesson: Lesson) -> None:
    html = client.get(lesson.get_absolute_url()).content.decode()

    assert 'id="s1-1"' in html
    assert 'class="callout callout-tldr"' in html
    assert 'class="compare"' in html and 'class="compare-col"' in html
    assert 'class="table-wrap"' in html
    assert 'class="highlight"' in html


def test_checks_replace_markers_in_reading_order(client: Client, lesson: Lesson) -> None:
    html = client.get(lesson.get_absolute_url()).content.decode()

    assert "<!--check:" not in html
    assert html.index("Models read tokens") < html.index('id="check-why-tokens"') < html.index('id="s1-1"')
    assert html.index('id="s1-1"') < html.index('id="check-pick-merge"') < html.index('id="s2"')
    assert "Show answer" in html
    assert 'action="/courses/llm/questions/why-tokens/reveal/"' in html
    assert 'name="next" value="/courses/llm/modules/foundations/tokens/#check-why-tokens"' in html


def test_answers_and_correctness_are_not_in_the_page(client: Client, lesson: Lesson) -> None:
    html = client.get(lesson.get_absolute_url()).content.decode()

    assert "SECRET-FREE-ANSWER" not in html
    assert "SECRET-FREE-WHY" not in html
    assert "SECRET-CHOICE-WHY" not in html
    check = html[html.index('id="check-pick-merge"') :]
    check = check[: check.index("</section>")]
    assert "correct" not in check.lower()
    # Both options are marked up the same way: only the text and the id differ.
    labels = re.findall(r'<label class="option">.*?</label>', check)
    assert len(labels) == 2
    shapes = {re.sub(r'value="\d+"|<span class="option-text">[^<]*</span>', "", label) for label in labels}
    assert len(shapes) == 1


def test_missing_check_question_shows_a_placeholder(client: Client, lesson: Lesson) -> None:
    Question.objects.filter(slug="pick-merge").delete()

    response = client.get(lesson.get_absolute_url())

    assert response.status_code == 200
    assert "its question is missing" in response.content.decode()


def test_concepts_with_depth(client: Client, lesson: Lesson) -> None:
    html = client.get(lesson.get_absolute_url()).content.decode()
    concepts = html[html.index("Concepts in this lesson") :]

    assert '<a href="/courses/llm/concepts/bpe/">Byte-pair encoding</a>' in concepts
    assert 'class="badge depth depth-3"' in concepts


def test_previous_and_next_follow_module_then_lesson_order(client: Client) -> None:
    course = CourseFactory()
    second = ModuleFactory(course=course, order=2)
    first = ModuleFactory(course=course, order=1)
    a = LessonFactory(module=first, order=2, title="A")
    b = LessonFactory(module=second, order=1, title="B")
    zero = LessonFactory(module=first, order=1, title="Zero")

    html = client.get(a.get_absolute_url()).content.decode()
    pager = html[html.index('class="pager"') :]

    assert f'rel="prev" href="{zero.get_absolute_url()}"' in pager
    assert f'rel="next" href="{b.get_absolute_url()}"' in pager
    first_page = client.get(zero.get_absolute_url()).content.decode()
    assert 'rel="prev"' not in first_page
    last_page = client.get(b.get_absolute_url()).content.decode()
    assert 'rel="next"' not in last_page


def test_unbuilt_lesson_points_to_the_record(client: Client) -> None:
    lesson = LessonFactory(body_md="")

    html = client.get(lesson.get_absolute_url()).content.decode()

    assert "This lesson has not been written yet." in html
    assert f"#record-{lesson.slug}" in html


def test_access(client: Client, student_client: Client, instructor_client: Client) -> None:
    lesson = LessonFactory(module=ModuleFactory(course=CourseFactory(is_published=False)))

    assert client.get(lesson.get_absolute_url()).status_code == 404
    assert student_client.get(lesson.get_absolute_url()).status_code == 404
    assert instructor_client.get(lesson.get_absolute_url()).status_code == 200


def test_published_lesson_for_every_persona(
    client: Client, student_client: Client, instructor_client: Client, lesson: Lesson
) -> None:
    for visitor in (client, student_client, instructor_client):
        assert visitor.get(lesson.get_absolute_url()).status_code == 200


def test_unknown_slugs_are_404(client: Client, lesson: Lesson) -> None:
    assert client.get("/courses/llm/modules/foundations/nope/").status_code == 404
    assert client.get("/courses/llm/modules/nope/tokens/").status_code == 404
    assert client.get("/courses/nope/modules/foundations/tokens/").status_code == 404


@pytest.mark.parametrize(
    "size",
    [
        {"modules": 1, "lessons": 1, "concepts": 2, "checks_per_lesson": 2},
        {"modules": 8, "lessons": 30, "concepts": 40, "checks_per_lesson": 6},
    ],
)
def test_query_count_does_not_grow(
    client: Client,
    student_client: Client,
    django_assert_num_queries,
    size: dict[str, int],
) -> None:
    course = build_course(**size)
    lesson = Lesson.objects.filter(module__course=course).order_by("-order").first()
    assert lesson is not None
    url = lesson.get_absolute_url()

    # Cold cache: the access check (in a course open to all: the course's facts by slug and
    # the lesson's id, both kept in the content cache), then the content's own queries:
    # lesson+module+course, index entries+concepts, check questions, their options,
    # neighbours, readiness quizzes, the checks' section labels.
    content_cache.clear()
    with django_assert_num_queries(9):
        response = client.get(url)
    assert response.content.decode().count('class="check ') == size["checks_per_lesson"]
    # Warm: the whole page from the cache, no query (content_cache.visitor_page).
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.content.decode().count('class="check ') == size["checks_per_lesson"]
    # A signed-in learner on the warm cache: the session, the user, the checks they already
    # answered in this sitting (their cards' due times only when there are some) and whether
    # they marked the lesson read; the access check of an open course is cached content.
    with django_assert_num_queries(4):
        response = student_client.get(url)
    assert response.content.decode().count('name="token"') == size["checks_per_lesson"]


# --- Mark as read ---------------------------------------------------------------------------------


def _read_url(lesson: Lesson) -> str:
    return reverse("mastery:lesson_read", args=[lesson.module.course.slug, lesson.module.slug, lesson.slug])


def test_signed_in_learners_see_the_mark_as_read_form_and_study_tokens(
    client: Client, student_client: Client, lesson: Lesson
) -> None:
    html = student_client.get(lesson.get_absolute_url()).content.decode()
    anonymous = client.get(lesson.get_absolute_url()).content.decode()

    assert "Mark as read" in html and f'action="{_read_url(lesson)}"' in html
    assert html.count('name="token"') == 2 and 'name="mode" value="study"' in html
    assert "Mark as read" not in anonymous and 'name="token"' not in anonymous


def test_mark_as_read_plain_post_redirects_and_shows_the_date(
    student_client: Client, student, lesson: Lesson
) -> None:
    response = student_client.post(_read_url(lesson))

    assert response.status_code == 302
    assert response["Location"] == f"{lesson.get_absolute_url()}#lesson-read"
    read = LessonRead.objects.get(learner=student, lesson=lesson)
    html = student_client.get(lesson.get_absolute_url()).content.decode()
    assert f"Read on {read.read_at:%-d %B %Y}" in html and "Mark as read" not in html


def test_mark_as_read_over_htmx_returns_the_fragment(student_client: Client, student, lesson: Lesson) -> None:
    response = student_client.post(_read_url(lesson), HTTP_HX_REQUEST="true")
    again = student_client.post(_read_url(lesson), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == again.status_code == 200
    assert "<html" not in html and 'id="lesson-read"' in html and "Read on" in html
    assert LessonRead.objects.filter(learner=student).count() == 1


def test_mark_as_read_access(client: Client, student_client: Client, outsider, lesson: Lesson) -> None:
    assert client.post(_read_url(lesson)).status_code == 302  # to sign in
    assert student_client.get(_read_url(lesson)).status_code == 405
    hidden = LessonFactory(module=ModuleFactory(course=CourseFactory(is_published=False)))
    assert student_client.post(_read_url(hidden)).status_code == 404
    outsider_client = Client()
    outsider_client.force_login(outsider)
    outsider_client.post(_read_url(lesson))
    # Each learner's read is their own.
    assert "Mark as read" in student_client.get(lesson.get_absolute_url()).content.decode()
    assert not LessonRead.objects.exclude(learner=outsider).exists()


# --- The kept open checks of a signed-in page ---------------------------------------------------


@pytest.mark.django_db
def test_kept_open_checks_carry_each_learners_token_and_option_order(client: Client) -> None:
    import re

    from quizzes.forms import check_token_read
    from tests.factories import UserFactory

    course = build_course(checks_per_lesson=2)
    lesson = Lesson.objects.filter(module__course=course).order_by("order").first()
    assert lesson is not None
    choice = course.questions.get(slug=lesson.check_slugs()[1])
    assert choice.is_choice
    seen = []
    for name in ("ana", "bo", "cy"):
        learner = UserFactory(username=name)
        client.force_login(learner)
        html = client.get(lesson.get_absolute_url()).content.decode()
        assert "STUDYHALL" not in html  # no slot or placeholder left
        section = html[html.index(f'id="check-{choice.slug}"') :]
        section = section[: section.index("</section>")]
        shown = [int(pk) for pk in re.findall(r'name="option" value="(\d+)"', section)]
        assert shown == [option.pk for option in choice.options_for(learner.pk)]
        texts = re.findall(r'<span class="option-text">([^<]*)</span>', section)
        assert texts == [option.text for option in choice.options_for(learner.pk)]
        tokens = re.findall(r'name="token" value="([^"]+)"', section)
        assert len(tokens) == 1
        assert check_token_read(tokens[0], learner_id=learner.pk, question_id=choice.pk)
        seen.append(tuple(shown))
    assert len(seen) == 3


def test_a_visitors_choice_check_is_the_open_check_without_a_token(client: Client, lesson: Lesson) -> None:
    choice = Question.objects.get(slug="pick-merge")
    choice.shuffle_options = True
    choice.save()
    html = client.get(lesson.get_absolute_url()).content.decode()
    assert "STUDYHALL" not in html  # no slot or placeholder left
    section = html[html.index('id="check-pick-merge"') :]
    section = section[: section.index("</section>")]
    assert 'name="token"' not in section and 'name="mode"' not in section
    shown = [int(pk) for pk in re.findall(r'name="option" value="(\d+)"', section)]
    assert shown == [option.pk for option in choice.options_for(None)]
    texts = re.findall(r'<span class="option-text">([^<]*)</span>', section)
    assert texts == [option.text for option in choice.options_for(None)]


def test_a_check_asking_a_question_of_another_lesson_links_to_that_lesson(
    lesson: Lesson, django_assert_num_queries
) -> None:
    from lessons.access import check_questions

    other = LessonFactory(module=lesson.module, slug="merges", order=2)
    Question.objects.filter(slug="why-tokens").update(lesson=lesson, anchor="why-tokens")
    Question.objects.filter(slug="pick-merge").update(lesson=other, anchor="s-2")
    with django_assert_num_queries(3):  # questions, their options, the other lesson
        checks = check_questions(lesson, ["why-tokens", "pick-merge"])
    with django_assert_num_queries(0):
        assert checks["why-tokens"].lesson is lesson
        assert checks["why-tokens"].section_url() == f"{lesson.get_absolute_url()}#why-tokens"
        assert checks["pick-merge"].section_url() == f"{other.get_absolute_url()}#s-2"
        assert [o.text for o in checks["pick-merge"].options.all()] == [
            "The most frequent pair",
            "The rarest pair",
        ]
        assert checks["pick-merge"].course.slug == "llm"
