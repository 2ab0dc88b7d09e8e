"""Access helper for the lesson page: the lesson and everything its page shows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch
from django.urls import reverse

from courses import content_cache
from courses.access import LESSON_LIST_DEFER, ContentRef, User, course_facts, course_visible_q, missing
from lessons.models import ConceptIndexEntry, Lesson
from quizzes.models import Option, Question

# A question's lesson is only linked to (its section's URL): its text stays in the database.
LESSON_BODY = (*LESSON_LIST_DEFER, "body_md")


@dataclass(frozen=True)
class Neighbour:
    title: str
    url: str


@dataclass(frozen=True)
class LessonPage:
    lesson: Lesson
    entries: list[ConceptIndexEntry]
    # Questions of the body's check markers by slug; a marker whose question is
    # missing is simply absent here and the page shows a placeholder.
    checks: dict[str, Question]
    previous: Neighbour | None
    next: Neighbour | None


def check_questions(lesson: Lesson, slugs: list[str]) -> dict[str, Question]:
    """The questions behind the lesson's check markers, with course, lesson and options loaded:
    two queries (none if no slugs), three when a marker names a question of another lesson.

    A question belongs to the lesson's course, and most to the lesson itself, so both are
    taken from the lesson already loaded (with its module and course) instead of being
    joined again for every question, long body columns and all.
    """
    if not slugs:
        return {}
    course = lesson.module.course
    questions = list(
        Question.objects.filter(course_id=course.pk, slug__in=slugs).prefetch_related(
            Prefetch("options", queryset=Option.objects.order_by("order", "id"))
        )
    )
    other_ids = {q.lesson_id for q in questions if q.lesson_id is not None and q.lesson_id != lesson.pk}
    lessons = {lesson.pk: lesson}
    if other_ids:
        lessons.update(Lesson.objects.select_related("module__course").defer(*LESSON_BODY).in_bulk(other_ids))
    for question in questions:
        question.course = course
        if question.lesson_id is not None:
            question.lesson = lessons[question.lesson_id]
    return {question.slug: question for question in questions}


def get_lesson_for_user(user: User, course_slug: str, module_slug: str, lesson_slug: str) -> LessonPage:
    """The lesson with module, course, concept entries, check questions and neighbours.

    Five queries whatever the size of the course (three when the body has no checks, six when a
    check asks a question of another lesson).
    """
    lesson = (
        Lesson.objects.select_related("module__course")
        .filter(
            course_visible_q(user, "module__course__"),
            module__course__slug=course_slug,
            module__slug=module_slug,
            slug=lesson_slug,
        )
        .first()
    )
    if lesson is None:
        raise missing(user, course_slug, "No such lesson.")
    course = lesson.module.course
    entries = list(
        ConceptIndexEntry.objects.filter(lesson=lesson).select_related("concept").order_by("order", "id")
    )
    checks = check_questions(lesson, lesson.check_slugs())
    # One narrow query over the whole course beats two tuple comparisons that would
    # have to break ties between modules (and lessons) that share an order number.
    outline = list(
        Lesson.objects.filter(module__course=course)
        .order_by("module__order", "module_id", "order", "id")
        .values_list("pk", "slug", "title", "module__slug")
    )
    position = next(i for i, row in enumerate(outline) if row[0] == lesson.pk)

    def neighbour(index: int) -> Neighbour | None:
        if not 0 <= index < len(outline):
            return None
        _, slug, title, module = outline[index]
        return Neighbour(title=title, url=reverse("lessons:lesson", args=[course.slug, module, slug]))

    return LessonPage(
        lesson=lesson,
        entries=entries,
        checks=checks,
        previous=neighbour(position - 1),
        next=neighbour(position + 1),
    )


def lesson_ref_for_user(user: User, course_slug: str, module_slug: str, lesson_slug: str) -> ContentRef:
    """The access check of the lesson page (the same visibility rule as get_lesson_for_user);
    courses.access.missing when the user may not see it. A course open to all needs no query:
    its facts and the lesson's id are content, from the content cache; otherwise one narrow query."""
    facts = course_facts(course_slug)
    if facts is not None and facts.open_to_all:
        pk = content_cache.cached(
            content_cache.key("lesson-ref", facts.pk, facts.version, module_slug, lesson_slug),
            lambda: (
                Lesson.objects.filter(module__course_id=facts.pk, module__slug=module_slug, slug=lesson_slug)
                .values_list("pk", flat=True)
                .first()
            ),
        )
        if pk is None:
            raise missing(user, course_slug, "No such lesson.")
        return ContentRef(pk, facts.pk, facts.version)
    row = (
        Lesson.objects.filter(
            course_visible_q(user, "module__course__"),
            module__course__slug=course_slug,
            module__slug=module_slug,
            slug=lesson_slug,
        )
        .values_list("pk", "module__course_id", "module__course__content_version")
        .first()
    )
    if row is None:
        raise missing(user, course_slug, "No such lesson.")
    return ContentRef(*row)
