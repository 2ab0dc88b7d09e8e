"""Writes to questions, quizzes and recall plans: rendering and validation."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from lessons.models import Section
from lessons.rendering import SectionInfo, render_markdown, resolve_section_ref
from quizzes.models import Option, Question, Quiz, RecallPlan

# savepoint=False: these run once per object inside course_render's transaction, where a
# savepoint each would add two queries per object; an error still rolls back the caller.


def question_render(*, question: Question, sections: Sequence[SectionInfo | Section] | None = None) -> None:
    """Render prompt, answer and explanation; resolve the anchor of section_ref.

    Pass the sections of question.lesson as `sections` when they are at hand (e.g. while
    rendering a whole course) so that no query is made for them.
    """
    with transaction.atomic(savepoint=False):
        question_render_unsaved(question=question, sections=sections)
        question.save(update_fields=QUESTION_RENDERED_FIELDS)


QUESTION_RENDERED_FIELDS = ["prompt_html", "answer_html", "explanation_html", "anchor"]


def question_render_unsaved(
    *, question: Question, sections: Sequence[SectionInfo | Section] | None = None
) -> None:
    """question_render without the save, for callers that save many questions in bulk."""
    question.prompt_html = render_markdown(question.prompt_md)
    question.answer_html = render_markdown(question.answer_md)
    question.explanation_html = render_markdown(question.explanation_md)
    anchor = ""
    if question.lesson_id is not None and question.section_ref.strip():
        if sections is None:
            sections = list(Section.objects.filter(lesson_id=question.lesson_id))
        anchor = resolve_section_ref(question.section_ref, sections)
    question.anchor = anchor


def quiz_render(*, quiz: Quiz) -> None:
    """Render the quiz introduction."""
    with transaction.atomic(savepoint=False):
        quiz.intro_html = render_markdown(quiz.intro_md)
        quiz.save(update_fields=["intro_html"])


def recall_plan_render(*, plan: RecallPlan) -> None:
    """Render the recall plan introduction."""
    with transaction.atomic(savepoint=False):
        plan.intro_html = render_markdown(plan.intro_md)
        plan.save(update_fields=["intro_html"])


def question_validate(*, question: Question, options: Sequence[Option]) -> list[str]:
    """Problems that make the question unusable, in words an instructor can act on; [] if none."""
    problems: list[str] = []
    if not question.prompt_md.strip():
        problems.append("The prompt is empty.")
    if question.kind == Question.Kind.CHOICE:
        if len(options) < 2:
            problems.append(f"A multiple-choice question needs at least two options; it has {len(options)}.")
        correct = sum(1 for option in options if option.is_correct)
        if correct != 1:
            problems.append(f"A multiple-choice question needs exactly one correct option; it has {correct}.")
        for position, option in enumerate(options, start=1):
            if not option.text.strip():
                problems.append(f"Option {position} has no text.")
    elif options:
        problems.append(
            f"A free-recall question is graded by the learner and takes no options; it has {len(options)}."
        )
    return problems
