"""Template helpers of the check fragment (templates/quizzes/_check.html)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from quizzes.models import Option, Question

register = template.Library()


@dataclass(frozen=True)
class OptionSlot:
    """An option's place in a check kept for any learner: its id and text are filled per learner
    (lessons/views.py OpenCheck), in that learner's order."""

    position: int
    is_correct = False

    @property
    def pk(self) -> str:
        return option_slot(self.position, "PK")

    @property
    def text(self) -> str:
        return option_slot(self.position, "TEXT")


def option_slot(position: int, what: str) -> str:
    """The placeholder of an option's id or text: letters and digits only, so escaping keeps it."""
    return f"STUDYHALLOPTION{position}{what}SLOT"


@register.simple_tag(takes_context=True)
def shown_options(context: template.Context, question: Question) -> list[Option] | list[OptionSlot]:
    """The question's options in the order the viewing learner sees them (Question.options_for),
    or placeholders when the check is rendered once for every learner (context "option_slots")."""
    if context.get("option_slots"):
        return [OptionSlot(position) for position in range(len(question.options.all()))]
    user: Any = context.get("user")
    learner_id = user.pk if getattr(user, "is_authenticated", False) else None
    return question.options_for(learner_id)


@register.simple_tag
def check_target(question: Question, target: str = "") -> str:
    """What the check's forms replace: the given region (Review) or the check itself."""
    return target or f"#check-{question.slug}"
