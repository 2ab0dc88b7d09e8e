"""Template helpers of the check fragment (templates/quizzes/_check.html)."""

from __future__ import annotations

from typing import Any

from django import template

from quizzes.models import Option, Question

register = template.Library()


@register.simple_tag(takes_context=True)
def shown_options(context: template.Context, question: Question) -> list[Option]:
    """The question's options in the order the viewing learner sees them (Question.options_for)."""
    user: Any = context.get("user")
    learner_id = user.pk if getattr(user, "is_authenticated", False) else None
    return question.options_for(learner_id)


@register.simple_tag
def check_target(question: Question, target: str = "") -> str:
    """What the check's forms replace: the given region (Review) or the check itself."""
    return target or f"#check-{question.slug}"
