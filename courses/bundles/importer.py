"""Importer stage: plain bundle data in, database rows out, all in one transaction.

Objects are matched by slug within the course, so a re-import updates rows in place
(ids, and whatever hangs off them such as learners' attempts, survive). A full bundle is
the truth for its course: what it no longer contains is deleted. A single document only
replaces what it defines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.db.models import F, Max

from courses import content_cache
from courses.bundles.data import (
    ConceptData,
    CourseData,
    DocumentData,
    LessonData,
    ModuleData,
    QuestionData,
    QuizData,
    RecallPlanData,
    RecallPromptData,
    Source,
)
from courses.bundles.errors import BundleError
from courses.bundles.naming import (
    generated_by_plan,
    generated_by_quiz,
    generated_by_sheet,
    recall_question_slug,
    sheet_quizzes,
)
from courses.bundles.parsers.common import make_slug
from courses.bundles.reader import read_bundle, read_document
from courses.bundles.references import candidates_for, unlocked_by
from courses.bundles.report import ImportReport, LeftOut
from courses.bundles.schema import SLUG_RE
from courses.models import Concept, Course, Module
from courses.services import course_render
from lessons.models import ConceptIndexEntry, Lesson, Section
from lessons.rendering import resolve_section_ref
from quizzes.models import Option, Question, Quiz, QuizItem, RecallDay, RecallPlan, RecallPrompt
from quizzes.services import question_render
from search.indexing import course_index

CHECK_LINE_RE = re.compile(r"^\s*\{\{\s*check\s*:\s*(?P<slug>[^}\s]*)\s*\}\}\s*$")
LESSON_RECORD_FIELDS = (
    "concepts_taught_md", "mental_models_md", "analogies_md", "how_taught_md", "not_covered_md",
    "notebook", "notebook_about",
)  # fmt: skip
LESSON_PAGE_FIELDS = ("kicker", "summary", "read_minutes", "difficulty", "body_md")
# Unique constraints on (parent, order) would trip over a half-renumbered list; park the
# old rows out of the way first.
ORDER_PARKING_OFFSET = 1_000_000
BATCH = 500
QUESTION_FIELDS = [
    "kind", "prompt_md", "answer_md", "key_points", "shuffle_options", "explanation_md", "depth", "lesson",
    "section_ref",
]  # fmt: skip
CONCEPT_FIELDS = ["name", "description"]
INDEX_FIELDS = ["depth", "notes", "order"]


@dataclass
class ImportResult:
    course: Course
    created: bool = False
    modules: int = 0
    lessons: int = 0
    concepts: int = 0
    index_entries: int = 0
    questions: int = 0
    quizzes: int = 0
    recall_plans: int = 0
    recall_prompts: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    report: ImportReport = field(default_factory=ImportReport)

    def finish(self, *, dry_run: bool) -> ImportResult:
        report = self.report
        report.course, report.created, report.dry_run = self.course.slug, self.created, dry_run
        report.counts.update(
            {
                "modules": self.modules,
                "lessons": self.lessons,
                "concepts": self.concepts,
                "index entries": self.index_entries,
                "questions": self.questions,
                "quizzes": self.quizzes,
                "recall plans": self.recall_plans,
                "recall prompts": self.recall_prompts,
            }
        )
        report.deleted.update(self.deleted)
        return self

    def summary(self) -> str:
        return self.report.summary()

    def lines(self) -> list[str]:
        return self.report.lines()


class _DryRun(Exception):
    """Raised inside the transaction to roll back a dry run after everything was checked."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result


def import_bundle(
    path: Path, *, course_slug: str | None = None, kind: str | None = None, dry_run: bool = False
) -> ImportResult:
    """Import a bundle folder, or one document into course `course_slug`; atomic and idempotent.

    A dry run does all the work (every check, every resolution) and rolls it back, so its
    report is exactly what a real import would give.
    """
    path = Path(path)
    if course_slug is not None and not SLUG_RE.match(course_slug):
        raise BundleError(str(path), None, f"course slug {course_slug!r} is not a slug")
    report = ImportReport()
    if path.is_symlink():
        raise BundleError(str(path), None, "is a symbolic link; import the file or folder it points to")
    if path.is_dir():
        data = read_bundle(path, report)
        if course_slug:
            data.slug = course_slug
        return _atomically(lambda: _import_course(data, report), dry_run=dry_run)
    if path.is_file():
        if not course_slug:
            raise BundleError(
                str(path), None, "a single document needs the course to import into (--course SLUG)"
            )
        document = read_document(path, kind=kind, report=report)
        return _atomically(
            lambda: _import_document(document, course_slug=course_slug, path=str(path), report=report),
            dry_run=dry_run,
        )
    raise BundleError(str(path), None, "no such file or folder")


def _atomically(run: Any, *, dry_run: bool) -> ImportResult:
    try:
        with transaction.atomic():
            # Hundreds of rows change; the course's content version moves once, at the end.
            with content_cache.deferred():
                result: ImportResult = run()
            content_cache.course_content_bump(result.course.pk)
            result.finish(dry_run=dry_run)
            if dry_run:
                raise _DryRun(result)
    except _DryRun as rolled_back:
        return rolled_back.result
    return result


# --- whole course -----------------------------------------------------------------------


def _import_course(data: CourseData, report: ImportReport) -> ImportResult:
    course = Course.objects.filter(slug=data.slug).first()
    created = course is None
    course = course or Course(slug=data.slug)
    course.title = data.title
    course.summary = data.summary
    course.description_md = data.description_md
    course.order = data.order
    course.is_published = data.published
    course.cheat_sheet_access = data.cheat_sheet_access
    _save(course, data.source)
    writer = _Writer(course, full=True, report=report)
    writer.result.created = created

    _unique([m.slug for m in data.modules], [m.source for m in data.modules], "module")
    writer.write_concepts(data.concepts, data.modules)
    for module_data in data.modules:
        writer.write_module(module_data, delete_other_lessons=True)
    writer.delete_missing(
        Module.objects.filter(course=course).exclude(slug__in=[m.slug for m in data.modules]), "modules"
    )
    for module_data in data.modules:
        writer.write_index(module_data)

    questions = [q for m in data.modules for q in m.questions] + list(data.questions)
    questions += writer.recall_questions(data.recall_plans)
    writer.write_questions(questions)
    writer.delete_missing(
        Question.objects.filter(course=course).exclude(slug__in=[q.slug for q in questions]), "questions"
    )
    writer.write_quizzes(data.quizzes)
    writer.delete_missing(
        Quiz.objects.filter(course=course).exclude(slug__in=[q.slug for q in data.quizzes]), "quizzes"
    )
    writer.write_recall_plans(data.recall_plans)
    writer.delete_missing(
        RecallPlan.objects.filter(course=course).exclude(slug__in=[p.slug for p in data.recall_plans]),
        "recall plans",
    )
    writer.check_embedded_checks([lesson for m in data.modules for lesson in m.lessons])
    writer.render()
    return writer.result


# --- one document -----------------------------------------------------------------------


def _import_document(
    document: DocumentData, *, course_slug: str, path: str, report: ImportReport
) -> ImportResult:
    course = Course.objects.filter(slug=course_slug).first()
    created = course is None
    if course is None:
        course = Course(slug=course_slug, title=course_slug.replace("-", " ").replace("_", " ").capitalize())
        _save(course, Source(path))

    _place_modules(course, document)
    writer = _Writer(course, full=False, report=report)
    writer.result.created = created
    writer.write_concepts([], document.modules)
    for module_data in document.modules:
        writer.write_module(module_data, delete_other_lessons=document.kind == "record")
        writer.write_index(module_data)

    questions = [q for m in document.modules for q in m.questions] + document.questions
    questions += writer.recall_questions(document.recall_plans)
    writer.write_questions(questions)
    _delete_stale_generated(writer, document, {q.slug for q in questions})
    writer.write_quizzes(document.quizzes)
    for plan in document.recall_plans:
        if not RecallPlan.objects.filter(course=course, slug=plan.slug).exists() and not plan.order:
            plan.order = _next_order(RecallPlan.objects.filter(course=course))
    writer.write_recall_plans(document.recall_plans)
    writer.check_embedded_checks([lesson for m in document.modules for lesson in m.lessons])
    writer.render()
    return writer.result


def _place_modules(course: Course, document: DocumentData) -> None:
    for module_data in document.modules:
        if document.kind == "explainer":
            _place_explainer(course, module_data)
        elif (
            not module_data.order and not Module.objects.filter(course=course, slug=module_data.slug).exists()
        ):
            module_data.order = _next_order(Module.objects.filter(course=course))


def _delete_stale_generated(writer: _Writer, document: DocumentData, new_slugs: set[str]) -> None:
    """Questions (and a cheat sheet's chapter quizzes) this document generated last time but no longer has."""
    for quiz in document.quizzes:
        writer.delete_generated(generated_by_quiz(quiz.slug), new_slugs)
    for plan in document.recall_plans:
        writer.delete_generated(generated_by_plan(plan.slug), new_slugs)
    if document.kind == "cheatsheet":
        writer.write_sheet(document, new_slugs)


def _place_explainer(course: Course, module_data: ModuleData) -> None:
    """A lone explainer goes back where its lesson already lives, else into a module of its own."""
    lesson = module_data.lessons[0]
    existing = (
        Lesson.objects.filter(module__course=course, slug=lesson.slug)
        .select_related("module")
        .order_by("module__order")
        .first()
    )
    if existing is not None:
        module = existing.module
        lesson.order = lesson.order or existing.order
    else:
        module = Module.objects.filter(course=course, slug=lesson.slug).first() or Module(
            course=course,
            slug=lesson.slug,
            title=lesson.title,
            kind=Module.Kind.PART,
            order=_next_order(Module.objects.filter(course=course)),
        )
        if module.pk is None:
            _save(module, module_data.source)
        lesson.order = lesson.order or _next_order(Lesson.objects.filter(module=module))
    module_data.slug = module.slug
    module_data.title = module.title
    module_data.kind = module.kind
    module_data.order = module.order
    module_data.goal, module_data.status = module.goal, module.status
    module_data.planned_lessons, module_data.record_md = module.planned_lessons, module.record_md
    for question in module_data.questions:
        question.module = module.slug


def _next_order(queryset: models.QuerySet[Any]) -> int:
    return (queryset.aggregate(top=Max("order"))["top"] or 0) + 1


# --- the writer -------------------------------------------------------------------------


class _Writer:
    def __init__(self, course: Course, *, full: bool, report: ImportReport) -> None:
        self.course = course
        self.full = full
        self.result = ImportResult(course=course, report=report)
        self.concepts: dict[str, Concept] = {c.slug: c for c in Concept.objects.filter(course=course)}
        self.concept_for_entry: dict[tuple[str, int], str] = {}
        self.modules: dict[str, Module] = {m.slug: m for m in Module.objects.filter(course=course)}
        self.lessons: dict[tuple[str, str], Lesson] = {
            (lesson.module.slug, lesson.slug): lesson
            for lesson in Lesson.objects.filter(module__course=course).select_related("module")
        }
        self.questions: dict[str, Question] = {q.slug: q for q in Question.objects.filter(course=course)}
        # Generated questions whose reference is linked after rendering, when the candidate
        # lessons' sections exist: (question, candidates, reference kept if it links).
        self.unplaced: list[tuple[Question, list[Lesson], str]] = []
        # Recall days whose unlock note is resolved after rendering (chapters are sections).
        self.unlocks: list[tuple[RecallDay, str, str, Source]] = []
        self._sources: dict[int, Source] = {}

    # concepts ---------------------------------------------------------------------------

    def write_concepts(self, listed: list[ConceptData], modules: list[ModuleData]) -> None:
        _unique([c.slug for c in listed], [c.source for c in listed], "concept")
        by_name = {c.name: c for c in listed}
        by_slug = {c.slug: c for c in listed}
        wanted: dict[str, ConceptData] = dict(by_slug)
        for module in modules:
            for entry in module.index:
                found = by_name.get(entry.concept) or by_slug.get(entry.concept)
                if found is None:
                    slug = make_slug(entry.concept, 100)
                    if not slug:
                        raise BundleError(
                            entry.source.path, entry.source.line, f"cannot make a slug from {entry.concept!r}"
                        )
                    found = wanted.get(slug) or ConceptData(
                        slug=slug, name=entry.concept[:300], source=entry.source
                    )
                    # Only concepts.yaml carries descriptions; keep what an instructor wrote
                    # in the admin when a document merely names the concept.
                    if not self.full and slug in self.concepts:
                        found.description = self.concepts[slug].description
                wanted[found.slug] = found
                self.concept_for_entry[(module.slug, entry.order)] = found.slug
        loaded = _loaded(self.concepts.values(), CONCEPT_FIELDS)
        for data in wanted.values():
            concept = self.concepts.get(data.slug) or Concept(course=self.course, slug=data.slug)
            concept.name = data.name
            concept.description = data.description
            _check(concept, data.source)
            self.concepts[data.slug] = concept
        _bulk_save(Concept, [self.concepts[slug] for slug in wanted], CONCEPT_FIELDS, loaded)
        self.result.concepts = len(wanted)
        if self.full:
            stale = Concept.objects.filter(course=self.course).exclude(slug__in=list(wanted))
            self.delete_missing(stale, "concepts")
            self.concepts = {slug: c for slug, c in self.concepts.items() if slug in wanted}

    # modules and lessons ----------------------------------------------------------------

    def write_module(self, data: ModuleData, *, delete_other_lessons: bool) -> None:
        module = self.modules.get(data.slug) or Module(course=self.course, slug=data.slug)
        module.title = data.title
        module.kind = data.kind
        module.order = data.order
        module.goal = data.goal
        module.status = data.status
        module.planned_lessons = data.planned_lessons
        module.record_md = data.record_md
        _save(module, data.source)
        self.modules[data.slug] = module
        self.result.modules += 1

        _unique(
            [lesson.slug for lesson in data.lessons], [lesson.source for lesson in data.lessons], "lesson"
        )
        for lesson_data in data.lessons:
            self._write_lesson(module, lesson_data)
        if delete_other_lessons:
            stale = Lesson.objects.filter(module=module).exclude(
                slug__in=[lesson.slug for lesson in data.lessons]
            )
            for slug in stale.values_list("slug", flat=True):
                self.lessons.pop((module.slug, slug), None)
            self.delete_missing(stale, "lessons")

    def _write_lesson(self, module: Module, data: LessonData) -> None:
        lesson = self.lessons.get((module.slug, data.slug)) or Lesson(module=module, slug=data.slug)
        lesson.title = data.title
        lesson.kind = data.kind
        lesson.order = data.order
        fields: tuple[str, ...] = LESSON_RECORD_FIELDS
        if self.full or not data.record_only or lesson.pk is None:
            fields = (*LESSON_RECORD_FIELDS, *LESSON_PAGE_FIELDS)
        for name in fields:
            setattr(lesson, name, getattr(data, name))
        _save(lesson, data.source)
        self.lessons[(module.slug, data.slug)] = lesson
        self.result.lessons += 1

    def write_index(self, data: ModuleData) -> None:
        module = self.modules[data.slug]
        lesson_slugs = {lesson.slug for lesson in data.lessons}
        existing = {
            (entry.concept_id, entry.lesson_id): entry
            for entry in ConceptIndexEntry.objects.filter(lesson__module=module)
        }
        loaded = _loaded(existing.values(), INDEX_FIELDS)
        kept: set[tuple[int, int]] = set()
        rows: list[ConceptIndexEntry] = []
        for entry in data.index:
            if entry.lesson not in lesson_slugs:
                known = ", ".join(sorted(lesson_slugs)) or "none"
                raise BundleError(
                    entry.source.path,
                    entry.source.line,
                    f"unknown lesson {entry.lesson!r} in module {data.slug!r} (its lessons: {known})",
                )
            concept = self.concepts[self.concept_for_entry[(data.slug, entry.order)]]
            lesson = self.lessons[(data.slug, entry.lesson)]
            row = existing.get((concept.pk, lesson.pk))
            if (concept.pk, lesson.pk) in kept:
                raise BundleError(
                    entry.source.path,
                    entry.source.line,
                    f"concept {concept.name!r} is listed twice for {entry.lesson!r}",
                )
            row = row or ConceptIndexEntry(concept=concept, lesson=lesson)
            row.depth, row.notes, row.order = entry.depth, entry.notes, entry.order
            _check(row, entry.source)
            existing[(concept.pk, lesson.pk)] = row
            kept.add((concept.pk, lesson.pk))
            rows.append(row)
            self.result.index_entries += 1
        _bulk_save(ConceptIndexEntry, rows, INDEX_FIELDS, loaded)
        stale = ConceptIndexEntry.objects.filter(lesson__module=module).exclude(pk__in=[r.pk for r in rows])
        self.delete_missing(stale, "index entries")

    # questions --------------------------------------------------------------------------

    def find_lesson(self, slug: str, *, module: str = "", source: Source | None = None) -> Lesson | None:
        if module:
            found = self.lessons.get((module, slug))
        else:
            matches = [lesson for (_, lesson_slug), lesson in self.lessons.items() if lesson_slug == slug]
            found = min(matches, key=lambda lesson: (lesson.module.order, lesson.order), default=None)
        if found is None and source is not None:
            where = f" in module {module!r}" if module else ""
            raise BundleError(source.path, source.line, f"unknown lesson {slug!r}{where}")
        return found

    def write_questions(self, items: list[QuestionData]) -> None:
        _unique([q.slug for q in items], [q.source for q in items], "question")
        written: list[Question] = []
        loaded = _loaded(self.questions.values(), QUESTION_FIELDS)
        for data in items:
            for concept in data.concepts:
                if concept not in self.concepts:
                    raise BundleError(
                        data.source.path,
                        data.source.line,
                        f"question {data.slug!r}: unknown concept {concept!r}",
                    )
            lesson = (
                self.find_lesson(data.lesson, module=data.module, source=data.source) if data.lesson else None
            )
            question = self.questions.get(data.slug) or Question(course=self.course, slug=data.slug)
            question.kind = data.kind
            question.prompt_md = data.prompt
            question.answer_md = data.answer
            question.key_points = data.key_points
            question.shuffle_options = data.shuffle_options
            question.explanation_md = data.explanation
            question.depth = data.depth
            question.lesson = lesson
            question.section_ref = data.ref
            _check(question, data.source)
            written.append(question)
            self.questions[data.slug] = question
        # In bulk: one save per question (with its concepts and options) was most of an import.
        _bulk_save(Question, written, QUESTION_FIELDS, loaded)
        through = Question.concepts.through
        through.objects.filter(question__in=written).delete()
        through.objects.bulk_create(
            (
                through(question_id=question.pk, concept_id=self.concepts[slug].pk)
                for question, data in zip(written, items, strict=True)
                for slug in dict.fromkeys(data.concepts)
            ),
            batch_size=BATCH,
        )
        self._write_options(list(zip(written, items, strict=True)))
        self.result.questions += len(items)

    def _write_options(self, pairs: list[tuple[Question, QuestionData]]) -> None:
        """Options matched by position, so their ids (which answers point to) survive a re-import."""
        existing: dict[int, list[Option]] = {}
        for option in Option.objects.filter(question__in=[q for q, _ in pairs]).order_by("order", "id"):
            existing.setdefault(option.question_id, []).append(option)
        if existing:
            Option.objects.filter(question_id__in=list(existing)).update(
                order=F("order") + ORDER_PARKING_OFFSET, is_correct=False
            )
        reused: list[Option] = []
        created: list[Option] = []
        surplus: list[int] = []
        for question, data in pairs:
            old = existing.get(question.pk, [])
            for position, option_data in enumerate(data.options, start=1):
                option = old[position - 1] if position <= len(old) else Option(question=question)
                option.text, option.is_correct, option.order = option_data.text, option_data.correct, position
                _check(option, data.source)
                (reused if option.pk else created).append(option)
            surplus += [o.pk for o in old[len(data.options) :]]
        if surplus:
            Option.objects.filter(pk__in=surplus).delete()
        # Parked above, so every reused option is written back.
        Option.objects.bulk_update(reused, ["text", "is_correct", "order"], batch_size=BATCH)
        Option.objects.bulk_create(created, batch_size=BATCH)

    def recall_questions(self, plans: list[RecallPlanData]) -> list[QuestionData]:
        """The free-recall questions a recall week's bullets generate (linked after rendering)."""
        items: list[QuestionData] = []
        for plan in plans:
            for day_number, day in enumerate(plan.days, start=1):
                for prompt_number, prompt in enumerate(day.prompts, start=1):
                    if prompt.question_slug:
                        continue
                    items.append(
                        QuestionData(
                            slug=recall_question_slug(plan.slug, day_number, prompt_number),
                            prompt=prompt.text,
                            ref=prompt.raw_ref,
                            source=prompt.source,
                        )
                    )
        return items

    # quizzes and recall -----------------------------------------------------------------

    def write_quizzes(self, items: list[QuizData]) -> None:
        _unique([q.slug for q in items], [q.source for q in items], "quiz")
        existing = {quiz.slug: quiz for quiz in Quiz.objects.filter(course=self.course)}
        for data in items:
            module = self._module(data.module, data.source) if data.module else None
            lesson = (
                self.find_lesson(data.lesson, module=data.module, source=data.source) if data.lesson else None
            )
            quiz = existing.get(data.slug) or Quiz(course=self.course, slug=data.slug)
            quiz.title, quiz.kind, quiz.intro_md = data.title, data.kind, data.intro_md
            quiz.module, quiz.lesson = module, lesson
            _save(quiz, data.source)
            _unique(data.question_slugs, [data.source] * len(data.question_slugs), "quiz question")
            questions = [self._question(slug, data.source) for slug in data.question_slugs]
            QuizItem.objects.filter(quiz=quiz).delete()
            QuizItem.objects.bulk_create(
                QuizItem(quiz=quiz, question=question, order=order)
                for order, question in enumerate(questions, start=1)
            )
        self.result.quizzes += len(items)

    def write_recall_plans(self, items: list[RecallPlanData]) -> None:
        _unique([p.slug for p in items], [p.source for p in items], "recall plan")
        existing = {plan.slug: plan for plan in RecallPlan.objects.filter(course=self.course)}
        for data in items:
            plan = existing.get(data.slug) or RecallPlan(course=self.course, slug=data.slug)
            plan.title, plan.intro_md, plan.order = data.title, data.intro_md, data.order
            plan.module = self._module(data.module, data.source) if data.module else None
            _save(plan, data.source)
            days = list(plan.days.order_by("order", "id")) if plan.pk else []
            if days:
                RecallDay.objects.filter(plan=plan).update(order=F("order") + ORDER_PARKING_OFFSET)
            for day_number, day_data in enumerate(data.days, start=1):
                day = days[day_number - 1] if day_number <= len(days) else RecallDay(plan=plan)
                day.name, day.unlock_note, day.order = day_data.name, day_data.unlock_note, day_number
                _save(day, day_data.source)
                if day_data.unlock_lessons is not None:
                    day.unlock_lessons.set(
                        self._explicit_unlocks(day_data.unlock_lessons, data, day_data.source)
                    )
                else:
                    self.unlocks.append((day, day_data.unlock_note, data.module, day_data.source))
                self._write_prompts(day, data, day_number, day_data.prompts)
                self.result.recall_prompts += len(day_data.prompts)
            if len(days) > len(data.days):
                RecallDay.objects.filter(pk__in=[d.pk for d in days[len(data.days) :]]).delete()
        self.result.recall_plans += len(items)

    def _write_prompts(
        self, day: RecallDay, plan: RecallPlanData, day_number: int, prompts: list[RecallPromptData]
    ) -> None:
        existing = list(day.prompts.order_by("order", "id"))
        if existing:
            RecallPrompt.objects.filter(day=day).update(order=F("order") + ORDER_PARKING_OFFSET)
        for number, prompt_data in enumerate(prompts, start=1):
            slug = prompt_data.question_slug or recall_question_slug(plan.slug, day_number, number)
            question = self._question(slug, prompt_data.source)
            prompt = existing[number - 1] if number <= len(existing) else RecallPrompt(day=day)
            prompt.question, prompt.order = question, number
            _save(prompt, prompt_data.source)
            if not prompt_data.question_slug and question.section_ref:
                self._place(question, plan.module, prompt_data.source)
        if len(existing) > len(prompts):
            RecallPrompt.objects.filter(pk__in=[p.pk for p in existing[len(prompts) :]]).delete()

    def _explicit_unlocks(self, slugs: list[str], plan: RecallPlanData, source: Source) -> list[Lesson]:
        found = [
            self.find_lesson(slug, module=plan.module) or self.find_lesson(slug, source=source)
            for slug in slugs
        ]
        return [lesson for lesson in found if lesson is not None]

    def _ordered_lessons(self) -> list[Lesson]:
        return sorted(
            self.lessons.values(), key=lambda lesson: (lesson.module.order, lesson.module.slug, lesson.order)
        )

    def _module_lessons(self, module: str) -> list[Lesson]:
        return [lesson for lesson in self._ordered_lessons() if module and lesson.module.slug == module]

    def _place(self, question: Question, module: str, source: Source) -> None:
        """Queue a generated question's reference for linking once sections exist."""
        lessons = self._ordered_lessons()
        per_module: dict[int, int] = {}
        for lesson in lessons:
            per_module[lesson.module_id] = per_module.get(lesson.module_id, 0) + 1
        explainers = [
            lesson
            for lesson in lessons
            if lesson.module.kind == Module.Kind.PART and per_module[lesson.module_id] == 1
        ]
        candidates, kept = candidates_for(
            question.section_ref,
            module_lessons=self._module_lessons(module),
            course_lessons=lessons,
            explainers=explainers,
        )
        question.lesson = None
        self.unplaced.append((question, candidates, kept))
        self._sources[question.pk] = source

    def _module(self, slug: str, source: Source) -> Module:
        if slug not in self.modules:
            raise BundleError(source.path, source.line, f"unknown module {slug!r}")
        return self.modules[slug]

    def _question(self, slug: str, source: Source) -> Question:
        if slug not in self.questions:
            raise BundleError(source.path, source.line, f"unknown question {slug!r}")
        return self.questions[slug]

    # checks, deletion, rendering --------------------------------------------------------

    def check_embedded_checks(self, lessons: Iterable[LessonData]) -> None:
        for lesson in lessons:
            if lesson.record_only and not self.full:
                continue
            for offset, line in enumerate(lesson.body_md.split("\n")):
                match = CHECK_LINE_RE.match(line)
                if match and match.group("slug") not in self.questions:
                    where = lesson.source.line + offset if lesson.source.line is not None else None
                    # The body was stripped on reading; count from its first non-blank line.
                    raise BundleError(
                        lesson.source.path, where, f"check names unknown question {match.group('slug')!r}"
                    )

    def write_sheet(self, document: DocumentData, keep: set[str]) -> None:
        """A cheat sheet's facts: stale ones and stale chapter quizzes go; references link into its module."""
        self.delete_generated(generated_by_sheet(document.sheet_slug), keep)
        quizzes = {quiz.slug for quiz in document.quizzes}
        pattern = sheet_quizzes(document.sheet_slug)
        stale = [
            q.pk
            for q in Quiz.objects.filter(course=self.course)
            if pattern.match(q.slug) and q.slug not in quizzes
        ]
        self.delete_missing(Quiz.objects.filter(pk__in=stale), "quizzes")
        module = self._named_module(document.sheet_module)
        for quiz in document.quizzes:
            quiz.module = module.slug if module else ""
        for data in document.questions:
            question = self.questions[data.slug]
            lessons = self._module_lessons(module.slug) if module else []
            self.unplaced.append((question, lessons, question.section_ref))
            self._sources[question.pk] = data.source

    def _named_module(self, name: str) -> Module | None:
        key = make_slug(name)
        return next((m for m in self.modules.values() if key and key in (m.slug, make_slug(m.title))), None)

    def delete_generated(self, pattern: re.Pattern[str], keep: set[str]) -> None:
        stale = [slug for slug in self.questions if pattern.match(slug) and slug not in keep]
        if stale:
            self.delete_missing(Question.objects.filter(course=self.course, slug__in=stale), "questions")
            for slug in stale:
                self.questions.pop(slug, None)

    def delete_missing(self, queryset: models.QuerySet[Any], label: str) -> None:
        count = queryset.count()
        if count:
            queryset.delete()
            self.result.deleted[label] = self.result.deleted.get(label, 0) + count

    def render(self) -> None:
        course_render(course=self.course)
        if self.unplaced or self.unlocks:
            self._link_after_render()
        # One call per course, inside the import's transaction (a dry run rolls it back too).
        course_index(course=self.course)

    def _link_after_render(self) -> None:
        sections: dict[int, list[Section]] = {}
        for section in Section.objects.filter(lesson__module__course=self.course).order_by(
            "lesson_id", "order"
        ):
            sections.setdefault(section.lesson_id, []).append(section)
        for question, candidates, kept in self.unplaced:
            self._link(question, candidates, kept, sections)
        for day, note, module, source in self.unlocks:
            self._unlock(day, note, module, source, sections)

    def _link(
        self, question: Question, candidates: list[Lesson], kept: str, sections: dict[int, list[Section]]
    ) -> None:
        raw = question.section_ref
        lesson = next((c for c in candidates if resolve_section_ref(kept, sections.get(c.pk, []))), None)
        if lesson is not None:
            question.lesson, question.section_ref = lesson, kept
        question.save(update_fields=["lesson", "section_ref"])
        question_render(question=question, sections=sections.get(lesson.pk, []) if lesson else [])
        if lesson is None:
            source = self._sources.get(question.pk, Source(""))
            self.result.report.notes.append(
                LeftOut(
                    source.path,
                    source.line or 0,
                    raw,
                    "reference kept as text (no lesson of the course has it)",
                )
            )

    def _unlock(
        self, day: RecallDay, note: str, module: str, source: Source, sections: dict[int, list[Section]]
    ) -> None:
        found = unlocked_by(
            note,
            module_lessons=self._module_lessons(module),
            course_lessons=self._ordered_lessons(),
            has_chapter=lambda lesson, n: _has_chapter(sections.get(lesson.pk, []), n),
        )
        day.unlock_lessons.set(found)
        if note and not found:
            self.result.report.notes.append(
                LeftOut(
                    source.path, source.line or 0, note, "unlock note kept as written (names no lesson here)"
                )
            )


def _has_chapter(sections: list[Section], number: int) -> bool:
    return any(section.level == 2 and section.number == str(number) for section in sections)


# --- helpers ----------------------------------------------------------------------------


def _unique(slugs: list[str], sources: list[Source], what: str) -> None:
    first: dict[str, Source] = {}
    for slug, source in zip(slugs, sources, strict=True):
        if slug in first:
            at = first[slug]
            where = f"{at.path}:{at.line}" if at.line is not None else at.path
            raise BundleError(
                source.path, source.line, f"duplicate {what} slug {slug!r} (first defined at {where})"
            )
        first[slug] = source


def _bulk_save(
    model: type[models.Model], objs: list[Any], fields: list[str], loaded: dict[int, tuple[Any, ...]]
) -> None:
    """Insert the new rows and update the changed ones, a few queries whatever their number (no signals).

    `loaded` holds each existing row's values of `fields` as read (see _values): a
    re-import that changes nothing updates nothing, and bulk_update's CASE per row and
    field is the slow part of a bulk write.
    """
    new = [obj for obj in objs if obj.pk is None]
    changed = [obj for obj in objs if obj.pk is not None and loaded.get(obj.pk) != _values(obj, fields)]
    if new:
        model._default_manager.bulk_create(new, batch_size=BATCH)
    if changed:
        model._default_manager.bulk_update(changed, fields, batch_size=BATCH)


def _values(obj: models.Model, fields: list[str]) -> tuple[Any, ...]:
    return tuple(getattr(obj, getattr(obj._meta.get_field(name), "attname", name)) for name in fields)


def _loaded(objs: Iterable[models.Model], fields: list[str]) -> dict[int, tuple[Any, ...]]:
    return {obj.pk: _values(obj, fields) for obj in objs if obj.pk is not None}


def _save(obj: models.Model, source: Source) -> None:
    _check(obj, source)
    obj.save()


def _check(obj: models.Model, source: Source) -> None:
    # SQLite ignores max_length; PostgreSQL would fail with a bare DataError. Say which
    # file and field instead.
    for model_field in obj._meta.concrete_fields:
        value = getattr(obj, model_field.attname, None)
        limit = getattr(model_field, "max_length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            raise BundleError(
                source.path,
                source.line,
                f"{obj._meta.verbose_name} {model_field.name} is {len(value)} characters (at most {limit})",
            )
