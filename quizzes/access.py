"""Access helpers for quizzes, recall plans and the questions learners answer."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import Prefetch, Q

from courses import content_cache
from courses.access import User, course_facts, course_visible_q, missing
from courses.models import Course, Module
from lessons.models import Lesson, Section
from quizzes.models import Option, Question, Quiz, QuizItem, RecallDay, RecallPlan, RecallPrompt

# What a check block needs from a question: the course for its URLs, the lesson (up to
# the course) for "jump to §x", and its options in order.
QUESTION_RELATED = ("course", "lesson__module__course")


def _options(lookup: str = "options") -> Prefetch:
    return Prefetch(lookup, queryset=Option.objects.order_by("order", "id"))


def get_quiz_for_user(user: User, course_slug: str, quiz_slug: str) -> Quiz:
    """A quiz with its items in order, each with its question and options (three queries)."""
    items = QuizItem.objects.select_related(*(f"question__{name}" for name in QUESTION_RELATED)).order_by(
        "order", "id"
    )
    quiz = (
        Quiz.objects.select_related("course", "module", "lesson__module")
        .filter(course_visible_q(user, "course__"), course__slug=course_slug, slug=quiz_slug)
        .prefetch_related(
            Prefetch("items", queryset=items),
            _options("items__question__options"),
        )
        .first()
    )
    if quiz is None:
        raise missing(user, course_slug, "No such quiz.")
    return quiz


def get_recall_plan_for_user(user: User, course_slug: str, plan_slug: str) -> RecallPlan:
    """A recall week: days in order with unlocking lessons and prompts with their questions."""
    prompts = RecallPrompt.objects.select_related(
        *(f"question__{name}" for name in QUESTION_RELATED)
    ).order_by("order", "id")
    days = RecallDay.objects.order_by("order", "id").prefetch_related(
        Prefetch(
            "unlock_lessons",
            queryset=Lesson.objects.select_related("module")
            .only("id", "slug", "title", "order", "module__id", "module__slug", "module__order")
            .order_by("module__order", "order", "id"),
        ),
        Prefetch("prompts", queryset=prompts),
        _options("prompts__question__options"),
    )
    plan = (
        RecallPlan.objects.select_related("course", "module")
        .filter(course_visible_q(user, "course__"), course__slug=course_slug, slug=plan_slug)
        .prefetch_related(Prefetch("days", queryset=days))
        .first()
    )
    if plan is None:
        raise missing(user, course_slug, "No such recall plan.")
    return plan


def get_question_for_user(user: User, course_slug: str, question_slug: str) -> Question:
    """A question a learner may answer: its course must be visible to them.

    In a course open to all, the question (course, lesson, options, concepts and section
    label loaded) is content, from the content cache: no query. Elsewhere two queries.
    """
    facts = course_facts(course_slug)
    question: Question | None
    if facts is not None and facts.open_to_all:
        course_id = facts.pk
        question = content_cache.cached(
            content_cache.key("question", course_id, facts.version, question_slug),
            lambda: _question_load(Q(course_id=course_id, slug=question_slug), for_cache=True),
        )
    else:
        where = Q(course_visible_q(user, "course__"), course__slug=course_slug, slug=question_slug)
        question = _question_load(where, for_cache=False)
    if question is None:
        raise missing(user, course_slug, "No such question.")
    return question


def _heavy_text(prefix: str, model: type[models.Model]) -> list[str]:
    """The long text columns of a related row (a lesson's body, a course's description): a
    question's check never shows them, and a cached question would carry them on every read."""
    return [
        f"{prefix}{f.name}"
        for f in model._meta.concrete_fields
        if isinstance(f, models.TextField | models.JSONField)
    ]


def _question_load(where: Q, *, for_cache: bool) -> Question | None:
    """The question with what its check needs; to be cached, with its concepts and section label too."""
    rows = Question.objects.select_related(*QUESTION_RELATED).prefetch_related(_options()).filter(where)
    if for_cache:
        heavy = [
            *_heavy_text("lesson__", Lesson),
            *_heavy_text("lesson__module__", Module),
            *_heavy_text("lesson__module__course__", Course),
            *_heavy_text("course__", Course),
        ]
        rows = rows.prefetch_related("concepts").defer(*heavy)
    question = rows.first()
    if question is not None and for_cache:
        question.known_section_label = section_labels([question]).get(question.pk, "")  # type: ignore[attr-defined]
    return question


def section_labels(questions: Iterable[Question]) -> dict[int, str]:
    """Question id → the label of the section it points to ("§2.3"), in one query.

    A question whose anchor matches no section (or that has none) gets its section_ref
    as written, so the "jump to" link still says where it goes.
    """
    questions = list(questions)
    # A cached question (get_question_for_user) carries its label: no query for it.
    known = {q.pk: q.known_section_label for q in questions if hasattr(q, "known_section_label")}
    questions = [question for question in questions if question.pk not in known]
    lesson_ids = {question.lesson_id for question in questions if question.lesson_id and question.anchor}
    anchors = {question.anchor for question in questions if question.lesson_id and question.anchor}
    found: dict[tuple[int, str], str] = {}
    if lesson_ids:
        sections = Section.objects.filter(lesson_id__in=lesson_ids, anchor__in=anchors).only(
            "lesson", "anchor", "number", "title"
        )
        found = {(section.lesson_id, section.anchor): section.label for section in sections}
    labels: dict[int, str] = {pk: label for pk, label in known.items() if label}
    for question in questions:
        label = found.get((question.lesson_id or 0, question.anchor)) or question.section_ref
        if label:
            labels[question.pk] = label
    return labels
