"""Templates ask accounts/roles.py, never a rule of their own.

`{% course_can "view_cohort" course as show %}`
"""

from __future__ import annotations

from typing import Any

from django import template

from accounts.roles import Standing, can, course_role
from courses.models import Course

register = template.Library()


@register.simple_tag(takes_context=True)
def course_can(context: dict[str, Any], action: str, course: Course) -> bool:
    return can(context["request"].user, action, course)


@register.simple_tag(takes_context=True)
def course_standing(context: dict[str, Any], course: Course) -> Standing:
    return course_role(context["request"].user, course)
