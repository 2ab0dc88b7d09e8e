"""search.backends.search on whichever database the suite runs on (SQLite quick, PostgreSQL in CI)."""

from __future__ import annotations

import contextlib
import random

import pytest
from django.contrib.auth.models import AnonymousUser, User

from courses.models import Course
from courses.services import course_render
from lessons.models import Lesson
from search.backends import MAX_QUERY_CHARS, QueryError, fts5_query, search
from search.indexing import SEP, course_index, section_texts
from search.models import SearchEntry
from tests.factories import ConceptFactory, CourseFactory, LessonFactory, ModuleFactory, QuestionFactory
from tests.search.conftest import make_course

pytestmark = pytest.mark.django_db


def urls(query: str, user: User | AnonymousUser | None = None) -> list[str]:
    return [hit.url for hit in search(query, user or AnonymousUser())]


def test_a_term_finds_the_section_that_explains_it(course: Course) -> None:
    hits = search("clock sweep victim", AnonymousUser())
    assert hits[0].url == "/courses/storage/modules/buffers/buffer-pool/#s2"
    assert hits[0].title == "§2 Choosing a victim"
    assert hits[0].context == SEP.join(("Storage engines", "Buffers", "The buffer pool"))
    assert "<mark>" in hits[0].snippet


def test_stemming_finds_other_forms(course: Course) -> None:
    assert "/courses/storage/modules/buffers/buffer-pool/#s2" in urls("evicting")


def test_concepts_and_prompts_are_found(course: Course) -> None:
    kinds = {hit.kind for hit in search("sweep", AnonymousUser())}
    assert kinds == {"section", "concept", "question"}
    concept = next(hit for hit in search("approximation", AnonymousUser()))
    assert concept.url == "/courses/storage/concepts/clock-sweep/"


def test_the_question_hit_links_to_its_section(course: Course) -> None:
    hit = next(h for h in search("which frame", AnonymousUser()) if h.kind == "question")
    assert hit.url == "/courses/storage/modules/buffers/buffer-pool/#s2"


@pytest.mark.parametrize("secret", ["walrus", "xylophone", "quagmire", "zanzibar"])
def test_answers_options_key_points_and_explanations_are_never_found(course: Course, secret: str) -> None:
    assert search(secret, AnonymousUser()) == []
    assert not SearchEntry.objects.filter(body__icontains=secret).exists()


def test_title_ranks_above_body(course: Course) -> None:
    # "frames" is in §1's title and (twice) in §2's body.
    sections = [hit.url for hit in search("frames", AnonymousUser()) if hit.kind == "section"]
    assert sections == [
        "/courses/storage/modules/buffers/buffer-pool/#s1",
        "/courses/storage/modules/buffers/buffer-pool/#s2",
    ]


def test_a_concept_ranks_above_a_section_above_a_question_for_the_same_word(db: None) -> None:
    """A reader who types a concept's name gets the concept, then where it is taught, then the
    question prompts that mention it, however short those prompts are (search.backends.KIND_WEIGHT)."""
    course = CourseFactory(slug="latches", title="Latches", is_published=True)
    module = ModuleFactory(course=course, slug="m", title="Module")
    LessonFactory(
        module=module,
        slug="l",
        title="Lesson",
        body_md="Intro.\n\n## Spinlocks\n\nA spinlock waits, looping on one word until it is free.\n",
    )
    ConceptFactory(course=course, slug="spinlock", name="Spinlock", description="Busy waiting on a word.")
    QuestionFactory(course=course, slug="q1", prompt_md="Why spinlock?", answer_md="")
    QuestionFactory(course=course, slug="q2", prompt_md="Spinlock or mutex?", answer_md="")
    course_render(course=course)
    course_index(course=course)

    kinds = [hit.kind for hit in search("spinlock", AnonymousUser())]
    assert kinds == ["concept", "section", "question", "question"]


def test_drafts_only_for_staff(course: Course, draft: Course, staff: User, student: User) -> None:
    assert {u.split("/")[2] for u in urls("victim", student)} == {"storage"}
    assert {u.split("/")[2] for u in urls("victim")} == {"storage"}
    assert {u.split("/")[2] for u in urls("victim", staff)} == {"storage", "draft"}


def test_a_snippet_escapes_the_lesson_text(db: None) -> None:
    course = make_course()
    lesson = Lesson.objects.get(module__course=course)
    lesson.body_md = "## Compare\n\nThe guard `a < b` keeps <script>alert(1)</script> harmless tokens.\n"
    lesson.save()
    from lessons.services import lesson_render

    lesson_render(lesson=lesson)
    course_index(course=course)
    hit = search("guard harmless", AnonymousUser())[0]
    assert "<script" not in hit.snippet
    assert "&lt;" in hit.snippet and "<mark>" in hit.snippet


def test_reindex_replaces_entries(course: Course) -> None:
    before = SearchEntry.objects.filter(course=course).count()
    assert course_index(course=course) == before
    assert SearchEntry.objects.filter(course=course).count() == before


def test_deleting_a_lesson_drops_its_sections(course: Course) -> None:
    Lesson.objects.filter(module__course=course).delete()
    assert search("victim", AnonymousUser()) == []


@pytest.mark.parametrize("query", ["", "   ", '"', "*", "-", "(", "()", "\x00\x01"])
def test_queries_without_words_are_refused_with_a_message(course: Course, query: str) -> None:
    with pytest.raises(QueryError):
        search(query, AnonymousUser())


def test_a_query_too_long_is_refused(course: Course) -> None:
    with pytest.raises(QueryError, match=str(MAX_QUERY_CHARS)):
        search("a" * 1000, AnonymousUser())


@pytest.mark.parametrize(
    "query",
    ['"clock', 'clock"', "clock*", "-clock", "NEAR(clock sweep", "clock OR", "AND clock", "clock:x",
     "^clock", "sweep NOT", "café", "évincer", "数据库", "clock\x00sweep", "' OR 1=1 --", "%_"],
)  # fmt: skip
def test_search_syntax_is_searched_as_words(course: Course, query: str) -> None:
    search(query, AnonymousUser())  # no exception: FTS5 and tsquery syntax never reaches the parser raw


def test_fts5_query_quotes_every_word() -> None:
    assert fts5_query('NEAR(a b) "c d" e*') == '"NEAR" "a" "b" "c d" "e"'


FUZZ_ALPHABET = list("\"*-+^:()[]{}'\\%_;.,!?~|&<>=/ \t\n\x00\x1f") + list(
    "abcNEARORANDNOTé数ß🙂\u200b\u0301"
)
FUZZ_WORDS = ["NEAR(", "AND", "OR", "NOT", "clock", "sweep", "*", '"', "-", "<->", "!", "&", ":*"]


def test_fuzz_never_raises_anything_but_query_error(course: Course) -> None:
    rng = random.Random(11)
    for _ in range(300):
        if rng.random() < 0.5:
            query = "".join(rng.choice(FUZZ_ALPHABET) for _ in range(rng.randint(0, 40)))
        else:
            query = " ".join(rng.choice(FUZZ_WORDS) for _ in range(rng.randint(1, 8)))
        with contextlib.suppress(QueryError):
            search(query, AnonymousUser())


def test_section_texts_cut_at_headings() -> None:
    parts = section_texts(
        '<p>Intro</p><h2 id="s1"><a class="section-number" href="#s1">§1</a> One</h2><p>a &amp; b</p>'
    )
    assert [(p.anchor, p.title, p.text) for p in parts] == [("", "", "Intro"), ("s1", "One", "a & b")]
