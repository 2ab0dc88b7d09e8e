"""Where a learner is in a course: lessons read, and where to continue.

One rule for the catalog, the course page, the module page and the dashboard
(continue_points): a constant number of queries for any number of courses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Subquery
from django.urls import reverse

from courses import content_cache
from lessons.models import Lesson
from mastery.models import Attempt, LessonRead, Mode


@dataclass(frozen=True)
class ContinuePoint:
    """The next place to read in one course for one learner."""

    course_id: int
    title: str  # the lesson's title
    module_title: str
    url: str  # the lesson, at the section of the last check answered there when it is unfinished
    started: bool  # False: the learner has not begun the course ("Start with …")

    @property
    def verb(self) -> str:
        return "Continue with" if self.started else "Start with"


@dataclass(frozen=True)
class _OutlineRow:
    pk: int
    slug: str
    title: str
    module_slug: str
    module_title: str
    course_id: int
    course_slug: str


OUTLINE_FIELDS = (
    "pk", "slug", "title", "module__slug", "module__title", "module__course_id", "module__course__slug",
)  # fmt: skip


def lessons_read(learner_id: int, course_ids: Iterable[int]) -> dict[int, datetime]:
    """Lesson id → when the learner marked it read, over the given courses (one query)."""
    return dict(
        LessonRead.objects.filter(learner_id=learner_id, lesson__module__course_id__in=list(course_ids))
        .values_list("lesson_id", "read_at")
        .order_by()
    )


def continue_points(
    learner_id: int, courses: Mapping[int, int] | Iterable[int], read: dict[int, datetime] | None = None
) -> dict[int, ContinuePoint]:
    """Course id → where the learner continues; a course they have finished (every written
    lesson read) or with nothing written is absent. `courses` maps course id → content version
    (what the page's access check read), or lists ids (then one query reads the versions).
    The courses' outlines come from the content cache; two queries whatever the number of
    courses (one when the caller passes what lessons_read gave for the same courses).

    The rule: the learner's latest step in the course is the later of their last lesson
    marked read and their last study answer to a question of one of its lessons. After an
    answer in a lesson not yet read, they continue in that lesson, at the answered question's
    section; otherwise at the first unread written lesson after that step in course order
    (or, when none follows, the first unread one). Nothing done yet: the first written lesson.
    """
    if not isinstance(courses, Mapping):
        courses = _versions(list(courses))
    ids = list(courses)
    if not ids:
        return {}
    outline = _outlines(courses)
    read = lessons_read(learner_id, ids) if read is None else read
    answered = _latest_answers(learner_id, ids)
    points = {}
    for course_id, lessons in outline.items():
        point = _continue_in(lessons, read, answered.get(course_id))
        if point is not None:
            points[course_id] = point
    return points


def _versions(course_ids: list[int]) -> dict[int, int]:
    from courses.models import Course

    if not course_ids:
        return {}
    return dict(Course.objects.filter(pk__in=course_ids).values_list("pk", "content_version"))


def _outlines(versions: Mapping[int, int]) -> dict[int, list[_OutlineRow]]:
    """Course id → its written lessons in course order (content: cached per course version)."""

    def build(course_ids: list[int]) -> dict[int, list[_OutlineRow]]:
        outline: dict[int, list[_OutlineRow]] = {course_id: [] for course_id in course_ids}
        rows = (
            Lesson.objects.built()
            .filter(module__course_id__in=course_ids)
            .order_by("module__course_id", "module__order", "module_id", "order", "id")
            .values_list(*OUTLINE_FIELDS)
        )
        for row in rows:
            outline[row[5]].append(_OutlineRow(*row))
        return outline

    keys = {
        course_id: content_cache.key("outline", course_id, version) for course_id, version in versions.items()
    }
    return content_cache.cached_many(keys, build)


def _latest_answers(learner_id: int, course_ids: list[int]) -> dict[int, tuple[datetime, int, str]]:
    """Course id → (when, lesson id, section anchor) of the learner's latest study answer there."""
    from courses.models import Course

    latest = Attempt.objects.filter(
        learner_id=learner_id,
        mode=Mode.STUDY,
        question__course_id=OuterRef("pk"),
        question__lesson__isnull=False,
    ).order_by("-created_at", "-id")
    rows = (
        Course.objects.filter(pk__in=course_ids)
        .annotate(
            at=Subquery(latest.values("created_at")[:1]),
            lesson_id=Subquery(latest.values("question__lesson_id")[:1]),
            anchor=Subquery(latest.values("question__anchor")[:1]),
        )
        .filter(at__isnull=False)
        .values_list("pk", "at", "lesson_id", "anchor")
    )
    return {pk: (at, lesson_id, anchor) for pk, at, lesson_id, anchor in rows}


def _continue_in(
    lessons: list[_OutlineRow], read: dict[int, datetime], answer: tuple[datetime, int, str] | None
) -> ContinuePoint | None:
    position = {row.pk: i for i, row in enumerate(lessons)}
    # (when, position in the outline, an answer?, its section anchor)
    steps = [(read[row.pk], i, False, "") for i, row in enumerate(lessons) if row.pk in read]
    if answer is not None and answer[1] in position:
        steps.append((answer[0], position[answer[1]], True, answer[2]))
    after, started = 0, answer is not None
    if steps:
        _, index, is_answer, anchor = max(steps)
        if is_answer and lessons[index].pk not in read:
            # Left in the middle of a lesson: back to the section of the last check answered.
            return _point(lessons[index], anchor=anchor, started=True)
        after, started = index + 1, True
    for row in [*lessons[after:], *lessons[:after]]:
        if row.pk not in read:
            return _point(row, anchor="", started=started)
    return None


def _point(row: _OutlineRow, *, anchor: str, started: bool) -> ContinuePoint:
    url = reverse("lessons:lesson", args=[row.course_slug, row.module_slug, row.slug])
    return ContinuePoint(
        course_id=row.course_id,
        title=row.title,
        module_title=row.module_title,
        url=f"{url}#{anchor}" if anchor else url,
        started=started,
    )
