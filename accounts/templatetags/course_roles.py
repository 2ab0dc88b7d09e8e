"""Templates ask accounts/roles.py, never a rule of their own.

`{% course_can "view_cohort" course as show %}`
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from accounts.roles import Standing, can, course_role
from courses.models import Course

register = template.Library()


def _user(context: Any) -> Any:
    """The request's user; a fragment rendered without a request (the content cache renders
    the anonymous page once for every visitor, courses/content_cache.py) is an anonymous one."""
    request = context.get("request")
    return request.user if request is not None else AnonymousUser()


@register.simple_tag(takes_context=True)
def course_can(context: dict[str, Any], action: str, course: Course) -> bool:
    return can(_user(context), action, course)


@register.simple_tag(takes_context=True)
def course_standing(context: dict[str, Any], course: Course) -> Standing:
    return course_role(_user(context), course)
