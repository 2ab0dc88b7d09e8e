"""Named reads for the learner dashboard and the instructor cohort page.

Each function runs a fixed number of queries, whatever the number of concepts,
questions, attempts or learners: rows grow, queries do not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from html import escape as html_escape

from django.contrib.auth.models import User
from django.db.models import BooleanField, Count, ExpressionWrapper, F, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from accounts.days import day_start, local_date_expr
from courses import content_cache
from courses.access import own_courses_first
from courses.models import Concept, Course, Enrollment, Module
from lessons.models import ConceptIndexEntry, Lesson
from mastery import scheduling
from mastery.charts import ForecastChart, forecast_chart, retention_forecast
from mastery.levels import Level, probability_at, target_for_depth
from mastery.models import Attempt, ConceptMastery, Grade, LessonRead, ReviewCard
from quizzes.access import section_labels
from quizzes.models import Question

ConceptQuestion = Question.concepts.through

WEAKEST = 5
STREAK_HORIZON_DAYS = 400
FORGETTING_DAYS = 3
FORGETTING_BELOW = 0.7


@dataclass(frozen=True)
class ModuleProgress:
    module: Module
    read: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.read / self.total) if self.total else 0


@dataclass(frozen=True)
class ConceptRef:
    """What a cell shows of its concept, without a model instance (a dashboard holds hundreds)."""

    pk: int
    name: str
    slug: str
    course: Course


@dataclass(frozen=True)
class ConceptCell:
    concept: Concept | ConceptRef
    level: Level
    target: Level | None
    retrievability: float | None
    attempts: int = 0
    url: str = ""

    @property
    def reached(self) -> bool:
        return self.target is not None and self.level >= self.target

    @property
    def below(self) -> bool:
        return self.target is not None and self.level < self.target

    @property
    def retrievability_percent(self) -> int | None:
        return None if self.retrievability is None else scheduling.recall_percent(self.retrievability)

    @property
    def css_class(self) -> str:
        state = "reached" if self.reached else "below" if self.below else "no-target"
        return f"concept-cell level-{self.level.value} {state}"

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "no target"
        return f"{'✓ target' if self.reached else 'target'}: {self.target.label}"


@dataclass
class CoursePanel:
    course: Course
    modules: list[ModuleProgress] = field(default_factory=list)
    cells: list[ConceptCell] = field(default_factory=list)

    @property
    def reached(self) -> int:
        return sum(1 for cell in self.cells if cell.reached)

    @property
    def with_target(self) -> int:
        return sum(1 for cell in self.cells if cell.target is not None)

    @property
    def grid_html(self) -> SafeString:
        return concept_grid_html(self.cells)


def concept_grid_html(cells: Sequence[ConceptCell]) -> SafeString:
    """The dashboard's concept grid, one linked cell per concept.

    Built as a string, not with a template: a course has hundreds of concepts, and the
    template engine spent some 40 ms on them on every dashboard view.
    """
    if not cells:
        return mark_safe('<p class="meta">No concepts are indexed for this course yet.</p>')
    html = ['<ul class="concept-grid">']
    # Class, level and target text depend on (level, target) alone: made once per pair.
    shown: dict[tuple[Level, Level | None], tuple[str, str]] = {}
    for cell in cells:
        pair = (cell.level, cell.target)
        if pair not in shown:
            shown[pair] = (
                cell.css_class,
                f'\n<span class="level-label" data-level="{cell.level.value}">'
                f"{html_escape(str(cell.level.label))}</span>"
                f'\n<span class="target-label">{html_escape(cell.target_text)}</span>',
            )
        css, middle = shown[pair]
        percent = cell.retrievability_percent
        recall = (
            ""
            if percent is None
            else f'\n<span class="recall-label" title="Chance you recall it now">recall {percent}%</span>'
        )
        html.append(
            f'<li class="{css}"><a href="{html_escape(cell.url)}">'
            f'\n<span class="concept-name">{html_escape(cell.concept.name)}</span>{middle}{recall}\n</a></li>'
        )
    html.append("</ul>")
    return mark_safe("\n".join(html))


@dataclass(frozen=True)
class Link:
    url: str
    label: str


@dataclass(frozen=True)
class WeakConcept:
    cell: ConceptCell
    lessons: list[Link]
    sections: list[Link]


@dataclass(frozen=True)
class Dashboard:
    started: bool  # False: no attempts or reads yet, the panels show every published course
    panels: list[CoursePanel]
    due_today: int
    streak: int
    answered_today: bool
    forecast: ForecastChart | None
    weakest: list[WeakConcept]


def concept_probability(row: ConceptMastery | None, now: datetime) -> float | None:
    """The learner's chance of a right answer on the concept at `now`, from its stored trace (no query)."""
    if row is None:
        return None
    return probability_at(row.knowledge, row.stability, row.memory_at, now)


MASTERY_CELL_FIELDS = ("concept_id", "level", "attempts_count", "knowledge", "stability", "memory_at")


def learner_courses(user: User) -> list[Course]:
    """Published courses the learner is enrolled in, has answered a question in or read a lesson
    of: the enrolled ones first, in the catalog's order (courses/access.py own_courses_first).
    Each carries `begun`: whether the learner answered or read in it (has_begun)."""
    attempted = Attempt.objects.filter(learner=user).values("question__course_id")
    read = LessonRead.objects.filter(learner=user).values("lesson__module__course_id")
    enrolled = Enrollment.objects.filter(learner=user).values("course_id")
    begun = Q(pk__in=attempted) | Q(pk__in=read)
    mine = (
        Course.objects.published()
        .filter(begun | Q(pk__in=enrolled))
        .annotate(begun=ExpressionWrapper(begun, output_field=BooleanField()))
    )
    return list(own_courses_first(mine, user))


def has_begun(courses: Iterable[Course]) -> bool:
    """Whether the learner answered or read anything in these courses (learner_courses rows):
    enrolled only, they have not started, and the dashboard shows every course at Not started."""
    return any(getattr(course, "begun", False) for course in courses)


def module_progress(user: User, course_ids: Sequence[int]) -> dict[int, list[ModuleProgress]]:
    """Course id → its modules with lessons read / lessons (three queries)."""
    modules = (
        Module.objects.filter(course_id__in=course_ids)
        .order_by("course_id", "order", "id")
        .prefetch_related(Prefetch("lessons", queryset=Lesson.objects.only("id", "module_id")))
    )
    read = set(
        LessonRead.objects.filter(learner=user, lesson__module__course_id__in=course_ids).values_list(
            "lesson_id", flat=True
        )
    )
    result: dict[int, list[ModuleProgress]] = defaultdict(list)
    for module in modules:
        lessons = list(module.lessons.all())
        done = sum(1 for lesson in lessons if lesson.pk in read)
        result[module.course_id].append(ModuleProgress(module=module, read=done, total=len(lessons)))
    return result


def concept_cells(user: User, course_ids: Sequence[int], now: datetime) -> dict[int, list[ConceptCell]]:
    """Course id → a cell per concept: level, target and chance of a right answer now (two queries)."""
    concepts = Concept.objects.filter(course_id__in=course_ids).select_related("course").with_deepest()
    rows = {
        row.concept_id: row
        for row in ConceptMastery.objects.filter(learner=user, concept__course_id__in=course_ids).only(
            *MASTERY_CELL_FIELDS
        )
    }
    result: dict[int, list[ConceptCell]] = defaultdict(list)
    # One reverse() per course, not per cell: a course can index hundreds of concepts and
    # resolving a URL per cell was a third of the dashboard's time in the benchmark.
    url_patterns: dict[int, str] = {}
    for concept in concepts:
        if concept.course_id not in url_patterns:
            url_patterns[concept.course_id] = reverse("courses:concept", args=[concept.course.slug, "-slug-"])
        row = rows.get(concept.pk)
        result[concept.course_id].append(
            ConceptCell(
                concept=concept,
                level=Level(row.level) if row else Level.NOT_STARTED,
                target=target_for_depth(concept.deepest),
                retrievability=concept_probability(row, now),
                attempts=row.attempts_count if row else 0,
                url=url_patterns[concept.course_id].replace("/-slug-/", f"/{concept.slug}/"),
            )
        )
    return result


def due_today_count(user: User, now: datetime, tz: tzinfo) -> int:
    """The learner's due cards (ReviewCard.objects.due: what the Review page will show)."""
    return ReviewCard.objects.due_for(user, now, tz).count()


def attempt_days(user: User, today: date, tz: tzinfo) -> set[date]:
    """Local dates on which the learner answered anything, over a bounded horizon (one query)."""
    since = day_start(today - timedelta(days=STREAK_HORIZON_DAYS), tz)
    return set(
        Attempt.objects.filter(learner=user, created_at__gte=since)
        .annotate(day=local_date_expr("created_at", tz))
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    )


def streak_from_days(days: set[date], today: date) -> int:
    """Consecutive days with an attempt, ending today, or yesterday when today is still open."""
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def weakest_concepts(cells: Iterable[ConceptCell], limit: int = WEAKEST) -> list[ConceptCell]:
    """Started concepts below their target: lowest level first, then least likely to be recalled."""
    below = [cell for cell in cells if cell.below and cell.level > Level.NOT_STARTED]
    below.sort(
        key=lambda c: (c.level, c.retrievability if c.retrievability is not None else 0.0, c.concept.name)
    )
    return below[:limit]


def reread_links(cells: Sequence[ConceptCell]) -> list[WeakConcept]:
    """For each weak concept: its lessons, deepest first, and its questions' sections.

    Content only, so from the content cache per concept and course version (one cache read);
    the concepts not cached yet cost three queries together."""
    if not cells:
        return []
    keys = {
        cell.concept.pk: content_cache.key(
            "reread", cell.concept.course.pk, cell.concept.course.content_version, cell.concept.pk
        )
        for cell in cells
    }
    links = content_cache.cached_many(keys, _reread_links_build)
    return [
        WeakConcept(cell=cell, lessons=links[cell.concept.pk][0], sections=links[cell.concept.pk][1])
        for cell in cells
    ]


def _reread_links_build(ids: list[int]) -> dict[int, tuple[list[Link], list[Link]]]:
    """Concept id → (its first two lessons, deepest first; its questions' first three sections)."""
    entries = (
        ConceptIndexEntry.objects.filter(concept_id__in=ids)
        .select_related("lesson__module__course")
        .order_by("-depth", "lesson__module__order", "lesson__order")
    )
    lessons: dict[int, list[Link]] = defaultdict(list)
    for entry in entries:
        lesson = entry.lesson
        lessons[entry.concept_id].append(
            Link(lesson.get_absolute_url(), f"{lesson.title} ({entry.get_depth_display()})")
        )
    links = list(
        ConceptQuestion.objects.filter(concept_id__in=ids, question__lesson__isnull=False)
        .select_related("question__lesson__module__course")
        .order_by("-question__depth", "question__slug")
    )
    labels = section_labels(link.question for link in links)
    sections: dict[int, list[Link]] = defaultdict(list)
    for link in links:
        question = link.question
        label = labels.get(question.pk) or question.lesson.title  # type: ignore[union-attr]
        item = Link(question.section_url(), f"{label} in {question.lesson.title}")  # type: ignore[union-attr]
        if item not in sections[link.concept_id]:
            sections[link.concept_id].append(item)
    return {pk: (lessons[pk][:2], sections[pk][:3]) for pk in ids}


def learner_dashboard(user: User, *, today: date, tz: tzinfo, now: datetime) -> Dashboard:
    """Everything on the learner's dashboard, for `user` only."""
    courses = learner_courses(user)
    started = has_begun(courses)
    if not started:
        courses = list(own_courses_first(Course.objects.published(), user))
    ids = [course.pk for course in courses]
    modules = module_progress(user, ids)
    cells = concept_cells(user, ids, now)
    panels = [
        CoursePanel(course=c, modules=modules.get(c.pk, []), cells=cells.get(c.pk, [])) for c in courses
    ]
    # Each card is read with its course's memory model (fitted parameters, same-day rule).
    cards = list(
        ReviewCard.objects.filter(learner=user, last_review__isnull=False)
        .only(*ReviewCard.MEMORY_FIELDS)
        .annotate(course_id=F("question__course_id"))
    )
    models = scheduling.course_models({getattr(rc, "course_id", 0) for rc in cards})
    all_cells = [cell for panel in panels for cell in panel.cells]
    days = attempt_days(user, today, tz)
    return Dashboard(
        started=started,
        panels=panels,
        due_today=due_today_count(user, now, tz),
        streak=streak_from_days(days, today),
        answered_today=today in days,
        forecast=forecast_chart(retention_forecast(cards, now, models=models)),
        weakest=reread_links(weakest_concepts(all_cells)),
    )


# --- Instructor cohort ---------------------------------------------------------------


@dataclass(frozen=True)
class HeatRow:
    learner: User
    cells: list[ConceptCell]


@dataclass(frozen=True)
class Heatmap:
    concepts: list[Concept]
    targets: list[Level | None]
    rows: list[HeatRow]


@dataclass(frozen=True)
class QuestionStat:
    question: Question
    attempted: int
    first_correct: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.first_correct / self.attempted) if self.attempted else None


@dataclass(frozen=True)
class LearnerRecall:
    learner: User
    value: float

    @property
    def percent(self) -> int:
        return scheduling.recall_percent(self.value)


@dataclass(frozen=True)
class Forgetting:
    concept: Concept
    mean: float
    learners: int
    who: list[LearnerRecall] = field(default_factory=list)  # under the threshold, lowest first

    @property
    def percent(self) -> int:
        return scheduling.recall_percent(self.mean)


def cohort_heatmap(course: Course, learners: Sequence[User], now: datetime) -> Heatmap:
    """Learner by concept levels for the course (two queries)."""
    concepts: list[Concept] = list(Concept.objects.filter(course=course).with_deepest())
    targets = [target_for_depth(getattr(c, "deepest", None)) for c in concepts]
    levels: dict[tuple[int, int], ConceptMastery] = {
        (row.learner_id, row.concept_id): row
        for row in ConceptMastery.objects.filter(concept__course=course, learner__in=learners).only(
            "learner_id", *MASTERY_CELL_FIELDS
        )
    }
    rows = []
    for learner in learners:
        cells = []
        for concept, target in zip(concepts, targets, strict=True):
            row = levels.get((learner.pk, concept.pk))
            cells.append(
                ConceptCell(
                    concept=concept,
                    level=Level(row.level) if row else Level.NOT_STARTED,
                    target=target,
                    retrievability=concept_probability(row, now),
                    attempts=row.attempts_count if row else 0,
                )
            )
        rows.append(HeatRow(learner=learner, cells=cells))
    return Heatmap(concepts=concepts, targets=targets, rows=rows)


def first_attempt_correctness(course: Course, learners: Sequence[User] | None = None) -> list[QuestionStat]:
    """Per question, hardest first: learners whose first answer was right, out of those who answered.

    For free recall, "right" means graded Good or Easy. `learners` narrows it to a cohort.

    Two queries: the questions, and one aggregate over each learner's first attempt.
    """
    questions = list(Question.objects.filter(course=course).select_related("lesson").order_by("slug"))
    first = Attempt.objects.filter(learner=OuterRef("learner"), question=OuterRef("question")).order_by(
        "created_at", "id"
    )
    right = Q(question__kind=Question.Kind.CHOICE, is_correct=True) | Q(
        question__kind=Question.Kind.FREE, grade__gte=Grade.GOOD
    )
    firsts = Attempt.objects.filter(question__course=course, pk=Subquery(first.values("pk")[:1]))
    if learners is not None:
        firsts = firsts.filter(learner__in=[learner.pk for learner in learners])
    stats = {
        row["question_id"]: row
        for row in firsts.order_by()
        .values("question_id")
        .annotate(attempted=Count("pk"), correct=Count("pk", filter=right))
    }
    result = []
    for question in questions:
        row = stats.get(question.pk)
        result.append(
            QuestionStat(
                question=question,
                attempted=row["attempted"] if row else 0,
                first_correct=row["correct"] if row else 0,
            )
        )
    # Hardest first: the questions most learners got wrong first time need the instructor's eye.
    result.sort(key=lambda stat: (stat.attempted == 0, stat.first_correct / (stat.attempted or 1)))
    return result


def forgetting_soon(
    course: Course,
    now: datetime,
    days: int = FORGETTING_DAYS,
    below: float = FORGETTING_BELOW,
    learners: Sequence[User] | None = None,
) -> list[Forgetting]:
    """Concepts whose mean chance of a right answer in `days` days, across learners, is under `below`,
    each naming the learners under `below` on it (lowest first). `learners` narrows it to a cohort.

    One query.

    The same concept model as the levels and the dashboard: each learner's stored trace,
    read `days` ahead.
    """
    moment = now + timedelta(days=days)
    per_concept: dict[int, list[tuple[float, User]]] = defaultdict(list)
    concepts: dict[int, Concept] = {}
    rows = ConceptMastery.objects.filter(concept__course=course, knowledge__isnull=False)
    if learners is not None:
        rows = rows.filter(learner__in=[learner.pk for learner in learners])
    for row in rows.select_related("concept", "learner").order_by("learner__username", "concept_id"):
        value = concept_probability(row, moment)
        if value is not None:
            per_concept[row.concept_id].append((value, row.learner))
            concepts[row.concept_id] = row.concept
    result = []
    for pk, pairs in per_concept.items():
        mean = sum(value for value, _ in pairs) / len(pairs)
        if mean < below:
            who = sorted((pair for pair in pairs if pair[0] < below), key=lambda pair: pair[0])
            result.append(
                Forgetting(
                    concept=concepts[pk],
                    mean=mean,
                    learners=len(pairs),
                    who=[LearnerRecall(learner, value) for value, learner in who],
                )
            )
    result.sort(key=lambda f: (f.mean, f.concept.name))
    return result


# --- The learner panel on a concept page -------------------------------------------------


@dataclass(frozen=True)
class EvidenceRow:
    """One stored evidence item, with its question when the concept still has it."""

    item: dict
    question: Question | None

    @property
    def at(self) -> datetime | None:
        try:
            return datetime.fromisoformat(str(self.item.get("at", "")))
        except ValueError:
            return None


PANEL_AHEAD_DAYS = 7


@dataclass(frozen=True)
class ConceptPanel:
    level: Level
    target: Level | None
    retrievability: float | None
    reviewed: int
    explanation: str
    next_step: str
    evidence: list[EvidenceRow]
    attempts: int
    probability: float | None = None  # the concept model's chance of a right answer now
    probability_ahead: float | None = None  # the same, PANEL_AHEAD_DAYS from now without practice
    ahead_days: int = PANEL_AHEAD_DAYS

    @property
    def reached(self) -> bool:
        return self.target is not None and self.level >= self.target

    @property
    def probability_percent(self) -> int | None:
        return None if self.probability is None else round(self.probability * 100)

    @property
    def probability_ahead_percent(self) -> int | None:
        return None if self.probability_ahead is None else round(self.probability_ahead * 100)

    @property
    def lowers(self) -> str:
        """What would lower the level, in words (the other half of the next step)."""
        if self.level <= Level.ATTEMPTED:
            return ""
        fade = (
            f" Without practice the estimate falls to {self.probability_ahead_percent}% "
            f"in {self.ahead_days} days."
            if self.probability_ahead is not None
            else ""
        )
        return (
            "A miss holds your level one step down until you answer right again, and the level "
            f"falls when the estimate drops below what it needs.{fade}"
        )

    @property
    def retrievability_percent(self) -> int | None:
        return None if self.retrievability is None else scheduling.recall_percent(self.retrievability)


def concept_panel(user: User, concept: Concept, questions: Sequence[Question], now: datetime) -> ConceptPanel:
    """The learner's level, target, chance of a right answer, retrievability and evidence (three queries)."""
    deepest = max((entry.depth for entry in concept.index_entries.all()), default=None)
    target = target_for_depth(deepest)
    row = ConceptMastery.objects.filter(learner=user, concept=concept).first()
    cards = [
        rc
        for rc in ReviewCard.objects.filter(
            learner=user, question_id__in=[q.pk for q in questions], last_review__isnull=False
        ).only(*ReviewCard.MEMORY_FIELDS)
    ]
    model = scheduling.course_models([concept.course_id])[concept.course_id]
    values = [scheduling.retrievability(rc, now, model) for rc in cards]
    by_slug = {question.slug: question for question in questions}
    if row is None:
        return ConceptPanel(
            level=Level.NOT_STARTED,
            target=target,
            retrievability=sum(values) / len(values) if values else None,
            reviewed=len(values),
            explanation="Not started: you have not answered a question on this concept yet.",
            next_step="Answer one of the questions below, without peeking at the answer.",
            evidence=[],
            attempts=0,
        )
    return ConceptPanel(
        level=Level(row.level),
        target=target,
        retrievability=sum(values) / len(values) if values else None,
        reviewed=len(values),
        explanation=row.explanation,
        next_step=row.next_step,
        evidence=[
            EvidenceRow(item=item, question=by_slug.get(str(item.get("question", ""))))
            for item in row.evidence
            if isinstance(item, dict)
        ],
        attempts=row.attempts_count,
        probability=concept_probability(row, now),
        probability_ahead=concept_probability(row, now + timedelta(days=PANEL_AHEAD_DAYS)),
    )
