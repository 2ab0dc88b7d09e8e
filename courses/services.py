"""Writes to courses and modules, including re-rendering a whole course."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from config.bulk import update_many
from courses import content_cache
from courses.models import Course, Module
from lessons.models import Lesson, Section
from lessons.rendering import SectionInfo, render_markdown
from lessons.services import lessons_render
from quizzes.models import Question, Quiz, RecallPlan
from quizzes.services import (
    QUESTION_RENDERED_FIELDS,
    question_render_unsaved,
    quiz_render,
    recall_plan_render,
)

# savepoint=False: these run once per object inside course_render's transaction, where a
# savepoint each would add two queries per object; an error still rolls back the caller.


def module_render(*, module: Module) -> None:
    """Render the module record."""
    with transaction.atomic(savepoint=False):
        module.record_html = render_markdown(module.record_md)
        module.save(update_fields=["record_html"])


def course_render(*, course: Course) -> None:
    """Render all the course's Markdown: description, modules, lessons, questions, quizzes, plans."""
    with transaction.atomic():
        with content_cache.deferred():
            _course_render(course=course)
        # Once for the whole course (none inside an import: it bumps once at its end).
        content_cache.content_changed(pk=course.pk)


def _course_render(*, course: Course) -> None:
    with transaction.atomic():
        course.description_html = render_markdown(course.description_md)
        course.save(update_fields=["description_html", "updated_at"])
        for module in Module.objects.filter(course=course):
            module_render(module=module)

        # Every lesson once, written in bulk (the course's save above marks it for the search index).
        rendered = lessons_render(lessons=list(Lesson.objects.filter(module__course=course)))
        sections_by_lesson: dict[int, list[SectionInfo | Section]] = {
            pk: list(sections) for pk, sections in rendered.items()
        }

        questions = list(Question.objects.filter(course=course))
        # A question may point into another course's lesson; load those sections in one
        # query, and save the questions in bulk.
        foreign = {q.lesson_id for q in questions if q.lesson_id is not None} - sections_by_lesson.keys()
        if foreign:
            grouped: dict[int, list[SectionInfo | Section]] = defaultdict(list)
            for section in Section.objects.filter(lesson_id__in=foreign):
                grouped[section.lesson_id].append(section)
            sections_by_lesson.update({lesson_id: grouped[lesson_id] for lesson_id in foreign})
        changed: list[Question] = []
        for question in questions:
            before = [getattr(question, name) for name in QUESTION_RENDERED_FIELDS]
            lesson_sections = sections_by_lesson.get(question.lesson_id) if question.lesson_id else []
            question_render_unsaved(question=question, sections=lesson_sections or [])
            if before != [getattr(question, name) for name in QUESTION_RENDERED_FIELDS]:
                changed.append(question)
        # Only what rendering changed, in one UPDATE per batch.
        update_many(Question, changed, QUESTION_RENDERED_FIELDS)

        for quiz in Quiz.objects.filter(course=course):
            quiz_render(quiz=quiz)
        for plan in RecallPlan.objects.filter(course=course):
            recall_plan_render(plan=plan)
