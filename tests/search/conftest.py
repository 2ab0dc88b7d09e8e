from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User

from courses.models import Course
from courses.services import course_render
from search import signals
from search.indexing import course_index
from tests.factories import (
    ConceptFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    OptionFactory,
    QuestionFactory,
)

BODY = """The lesson opens on disks and memory.

## Pages and frames

A page is copied into a frame of memory when a query touches it.

{{check: eviction-check}}

## Choosing a victim

When every frame is taken, the clock sweep picks the victim frame to evict.
"""


@pytest.fixture(autouse=True)
def _no_leftover_marks() -> Iterator[None]:
    # Marks from other tests' never-committed transactions must not leak into pinned counts.
    signals.flush_marks_clear()
    yield
    signals.flush_marks_clear()


def make_course(*, published: bool = True, slug: str = "storage", title: str = "Storage engines") -> Course:
    course = CourseFactory(slug=slug, title=title, is_published=published)
    module = ModuleFactory(course=course, slug="buffers", title="Buffers")
    LessonFactory(module=module, slug="buffer-pool", title="The buffer pool", body_md=BODY)
    ConceptFactory(
        course=course, slug="clock-sweep", name="Clock sweep", description="An approximation of LRU eviction."
    )
    question = QuestionFactory(
        course=course,
        slug="eviction-check",
        kind="choice",
        prompt_md="Which frame does the sweep evict?",
        answer_md="",
        explanation_md="Because its reference bit was already cleared: xylophone.",
        key_points="quagmire point",
        lesson=module.lessons.get(),
        section_ref="§2",
    )
    OptionFactory(question=question, text="The one with zanzibar bit clear", is_correct=True, order=0)
    OptionFactory(question=question, text="The newest", order=1)
    QuestionFactory(
        course=course, slug="free-one", prompt_md="Explain a dirty page.", answer_md="Flushed later: walrus."
    )
    course_render(course=course)
    course_index(course=course)
    return course


@pytest.fixture
def course(db: None) -> Course:
    return make_course()


@pytest.fixture
def draft(db: None) -> Course:
    return make_course(published=False, slug="draft", title="Draft course")


@pytest.fixture
def staff(db: None) -> User:
    from tests.factories import UserFactory

    return UserFactory.create(username="staffer", is_staff=True)
