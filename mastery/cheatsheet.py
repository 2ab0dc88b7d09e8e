"""The night-before cheat sheet: key facts (question → answer → why) grouped by chapter.

A module that is one explainer lesson is grouped by that lesson's chapters (its top-level
numbered sections, §1 … §10); a module of several lessons is grouped by lesson. A fact
goes to the chapter its section reference points into. A fact without a usable reference
(the readiness quiz at the end of an imported explainer names no sections) goes to the
chapter whose text shares the most distinctive words with it (Okapi BM25 over the
chapters); docs/cheat-sheets.md gives the measured placement against a baseline.

Answers stay earned: unless the course opens its sheets at once, a learner sees a
module's sheet after answering each of its checks once, the facts it asks in a lesson, a
quiz or a recall week (instructors always see it).
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from courses.models import Course, Module
from lessons.models import Lesson
from mastery.models import Attempt
from quizzes.models import Question, QuizItem, RecallPrompt

# --- placing a fact by its words ------------------------------------------------------

# Words that say nothing about a topic; without them "what is" would pull every
# question towards the longest chapter.
_STOP_WORDS_TEXT = """
a about after all also an and any are as at be because been before being between both but by
can could did do does doing during each few for from had has have how i if in into is it its
just more most no nor not of on once only or other our out over own same should so some such
than that the their them then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_WORD_RE = re.compile(r"[a-z0-9]+")
_TAG_RE = re.compile(r"<[^>]+>")
BM25_K1 = 1.2
BM25_B = 0.75


def words(text: str) -> list[str]:
    """Lower-case words of a text, stop words and single letters left out."""
    return [w for w in _WORD_RE.findall(text.lower()) if len(w) > 1 and w not in STOP_WORDS]


def html_text(fragment: str) -> str:
    return html.unescape(_TAG_RE.sub(" ", fragment))


class ChapterMatcher:
    """Scores a text against each chapter's words (BM25); built once per sheet."""

    def __init__(self, chapter_texts: Sequence[str]) -> None:
        self.docs = [Counter(words(text)) for text in chapter_texts]
        self.lengths = [sum(doc.values()) for doc in self.docs]
        self.average = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        frequency: Counter[str] = Counter(w for doc in self.docs for w in doc)
        n = len(self.docs)
        self.idf = {w: math.log(1 + (n - df + 0.5) / (df + 0.5)) for w, df in frequency.items()}

    def scores(self, text: str) -> list[float]:
        query = Counter(words(text))
        result = []
        for doc, length in zip(self.docs, self.lengths, strict=True):
            norm = BM25_K1 * (1 - BM25_B + BM25_B * length / self.average) if self.average else BM25_K1
            result.append(
                sum(self.idf[w] * doc[w] * (BM25_K1 + 1) / (doc[w] + norm) for w in query if doc.get(w))
            )
        return result

    def best(self, text: str) -> int | None:
        """Index of the best chapter; None when the text shares no word with any."""
        scores = self.scores(text)
        if not scores or max(scores) <= 0:
            return None
        return max(range(len(scores)), key=lambda i: (scores[i], -i))


def question_text(question: Question) -> str:
    """What a reader would compare with the chapters: prompt, answer, why and the options."""
    options = " ".join(option.text for option in getattr(question, "correct_options", []))
    return " ".join([question.prompt_md, question.answer_md, question.explanation_md, options])


# --- the sheet ------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    question: Question

    @property
    def correct_option(self) -> str:
        options = getattr(self.question, "correct_options", [])
        return options[0].text if options else ""


def is_fact(question: Question) -> bool:
    """A fact needs an answer: a recall prompt without a model answer (its section is the
    answer) has nothing to put on the sheet."""
    return question.is_choice or bool(question.answer_html)


@dataclass
class Chapter:
    number: int  # 0 for the group of facts no chapter claims
    title: str
    anchor: str  # the id of its group on the sheet
    url: str  # where the chapter is read
    facts: list[Fact] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"Ch {self.number}: {self.title}" if self.number else self.title


@dataclass(frozen=True)
class ModuleSheet:
    module: Module
    chapters: list[Chapter]
    # Facts that no chapter claims (they share no word with any); shown last.
    other: Chapter | None
    # "chapters" when grouped by one explainer's sections, "lessons" when by lesson.
    grouping: str

    @property
    def groups(self) -> list[Chapter]:
        """Chapters with facts, in order, then the unclaimed facts."""
        groups = [chapter for chapter in self.chapters if chapter.facts]
        return [*groups, self.other] if self.other else groups

    @property
    def facts(self) -> list[Fact]:
        return [fact for group in self.groups for fact in group.facts]

    @property
    def fact_count(self) -> int:
        return len(self.facts)


def top_sections(lesson: Lesson) -> list[dict[str, Any]]:
    """The lesson's chapters: its top-level numbered sections (§1, §2, …) from the stored outline."""
    return [item for item in lesson.toc if item.get("number") and "." not in item["number"]]


def _chapter_texts(lesson: Lesson, chapters: list[dict[str, Any]]) -> list[str]:
    body = lesson.body_html
    starts = []
    for item in chapters:
        position = body.find(f'id="{item["anchor"]}"')
        starts.append(max(0, position))
    ends = [*starts[1:], len(body)]
    return [html_text(body[start:end]) for start, end in zip(starts, ends, strict=True)]


def _chapter_of_anchor(lesson: Lesson, anchor: str) -> str:
    """The number of the chapter a section anchor lies in ("" for none, e.g. a named top section)."""
    current = ""
    for item in lesson.toc:
        number = item.get("number") or ""
        if number and "." not in number:
            current = number
        elif not number and item.get("level", 2) <= 2:
            current = ""
        if item.get("anchor") == anchor:
            return number.split(".")[0] if number else current
    return ""


def _explainer_sheet(module: Module, lesson: Lesson, prefix: str) -> ModuleSheet:
    toc_chapters = top_sections(lesson)
    url = lesson.get_absolute_url()
    chapters = [
        Chapter(
            number=int(item["number"]),
            title=item["title"],
            anchor=f"{prefix}ch-{item['number']}",
            url=f"{url}#{item['anchor']}",
        )
        for item in toc_chapters
    ]
    by_number = {str(chapter.number): chapter for chapter in chapters}
    matcher: ChapterMatcher | None = None
    other = Chapter(number=0, title="Other key facts", anchor=f"{prefix}other", url=url)
    for question in lesson.questions.all():
        if not is_fact(question):
            continue
        chapter = by_number.get(_chapter_of_anchor(lesson, question.anchor)) if question.anchor else None
        if chapter is None:
            matcher = matcher or ChapterMatcher(_chapter_texts(lesson, toc_chapters))
            index = matcher.best(question_text(question))
            chapter = chapters[index] if index is not None else other
        chapter.facts.append(Fact(question))
    return ModuleSheet(
        module=module, chapters=chapters, other=other if other.facts else None, grouping="chapters"
    )


def module_sheet(module: Module, *, prefix: str = "") -> ModuleSheet:
    """The sheet of a module whose lessons (with toc, body_html, questions and correct
    options) are prefetched, as get_cheat_sheet_module_for_user loads them.

    `prefix` keeps group ids unique when several modules share a page (the course sheet).
    """
    lessons = list(module.lessons.all())
    if len(lessons) == 1 and top_sections(lessons[0]):
        return _explainer_sheet(module, lessons[0], prefix)
    chapters = [
        Chapter(
            number=position,
            title=lesson.title,
            anchor=f"{prefix}ch-{position}",
            url=lesson.get_absolute_url(),
            facts=[Fact(q) for q in lesson.questions.all() if is_fact(q)],
        )
        for position, lesson in enumerate(lessons, start=1)
    ]
    return ModuleSheet(module=module, chapters=chapters, other=None, grouping="lessons")


# --- who may read it ------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a learner answers some of the checks still missing."""

    label: str
    url: str
    missing: int


@dataclass(frozen=True)
class SheetLock:
    total: int
    answered: int
    places: list[Place] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.answered >= self.total

    @property
    def missing(self) -> int:
        return self.total - self.answered


OPEN_LOCK = SheetLock(total=0, answered=0)


def sheet_opens_at_once(course: Course) -> bool:
    return course.cheat_sheet_access == Course.CheatSheetAccess.OPEN


def answered_question_ids(learner_id: int, question_ids: Iterable[int]) -> set[int]:
    """The questions among these that the learner has answered at least once (one query)."""
    ids = list(question_ids)
    if not ids:
        return set()
    return set(
        Attempt.objects.filter(learner_id=learner_id, question_id__in=ids)
        .values_list("question_id", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class AskedIn:
    """Where questions are asked outside lesson bodies: quizzes and recall weeks (two queries)."""

    quizzes: dict[int, Any]
    plans: dict[int, Any]

    @classmethod
    def load(cls, question_ids: Iterable[int]) -> AskedIn:
        ids = list(question_ids)
        quizzes: dict[int, Any] = {}
        items = QuizItem.objects.filter(question_id__in=ids).select_related("quiz__course")
        for item in items.order_by("quiz__title", "quiz_id"):
            quizzes.setdefault(item.question_id, item.quiz)
        plans: dict[int, Any] = {}
        prompts = RecallPrompt.objects.filter(question_id__in=ids).select_related("day__plan__course")
        for prompt in prompts.order_by("day__plan__order", "day__plan_id"):
            plans.setdefault(prompt.question_id, prompt.day.plan)
        return cls(quizzes=quizzes, plans=plans)


def check_places(module: Module, questions: list[Question], asked: AskedIn) -> dict[int, tuple[str, str]]:
    """Question id → where the learner answers it: the lesson that embeds it, else a quiz,
    else a recall week. A question asked nowhere is not one of the module's checks."""
    embedded: dict[str, Lesson] = {}
    for lesson in module.lessons.all():
        for slug in lesson.check_slugs():
            embedded.setdefault(slug, lesson)
    places: dict[int, tuple[str, str]] = {}
    for question in questions:
        host = embedded.get(question.slug)
        if host is not None:
            places[question.pk] = (f"the checks in “{host.title}”", host.get_absolute_url())
        elif question.pk in asked.quizzes:
            quiz = asked.quizzes[question.pk]
            places[question.pk] = (f"the quiz “{quiz.title}”", quiz.get_absolute_url())
        elif question.pk in asked.plans:
            plan = asked.plans[question.pk]
            places[question.pk] = (f"the recall week “{plan.title}”", plan.get_absolute_url())
    return places


def sheet_lock(*, sheet: ModuleSheet, answered: set[int], asked: AskedIn | None) -> SheetLock:
    """Whether a learner who answered `answered` (question ids) may read this module's sheet:
    once each of the module's checks (its facts asked in a lesson, a quiz or a recall week)
    has been answered once. `asked` may be None only when every fact is answered."""
    questions = [fact.question for fact in sheet.facts]
    if all(question.pk in answered for question in questions):
        return SheetLock(total=len(questions), answered=len(questions))
    assert asked is not None
    places = check_places(sheet.module, questions, asked)
    checks = [question for question in questions if question.pk in places]
    done = sum(1 for question in checks if question.pk in answered)
    counts = Counter(places[question.pk] for question in checks if question.pk not in answered)
    return SheetLock(
        total=len(checks),
        answered=done,
        places=[Place(label=label, url=url, missing=n) for (label, url), n in counts.items()],
    )
