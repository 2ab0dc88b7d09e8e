"""The one rule for the slugs of questions a document generates (and so may later delete).

A quiz written inline gives `<quiz>-q<N>`; a recall week's bullets `<plan>-d<day>-p<N>`; a
cheat sheet's facts `<sheet>-c<chapter>-f<N>`. Reader, writer and exporter all ask here.
"""

from __future__ import annotations

import re


def quiz_question_slug(quiz: str, number: int) -> str:
    return f"{quiz}-q{number}"


def recall_question_slug(plan: str, day: int, number: int) -> str:
    return f"{plan}-d{day}-p{number}"


def sheet_question_slug(sheet: str, chapter: int, number: int) -> str:
    return f"{sheet}-c{chapter}-f{number}"


def sheet_quiz_slug(sheet: str, chapter: int) -> str:
    return f"{sheet}-ch{chapter}"


def readiness_quiz_slug(lesson: str) -> str:
    return f"{lesson}-readiness"


def generated_by_quiz(quiz: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(quiz)}-q\d+$")


def generated_by_plan(plan: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(plan)}-d\d+-p\d+$")


def generated_by_sheet(sheet: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(sheet)}-c\d+-f\d+$")


def sheet_quizzes(sheet: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(sheet)}-ch\d+$")
