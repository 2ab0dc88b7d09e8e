"""Exporter: a course from the database written as a canonical bundle.

Files are named `NN-slug.md` so ordering is explicit and a git diff shows only what an
instructor changed. Everything derived at import (HTML, sections, anchors) is left out.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from courses.bundles.errors import BundleError
from courses.bundles.frontmatter import split_front_matter
from courses.bundles.naming import recall_question_slug
from courses.bundles.parsers.common import escape_cell
from courses.bundles.references import unlocked_by
from courses.bundles.safety import read_text
from courses.bundles.schema import DEFAULT_CHEAT_SHEET_ACCESS, DEFAULT_DEPTH, DEPTH_NAMES
from courses.models import Concept, Course, Module
from lessons.models import ConceptIndexEntry, Lesson, Section
from quizzes.models import Question, Quiz, RecallDay, RecallPlan

# Folders and files the exporter owns; anything else in DIR (e.g. .git, a README) stays.
MANAGED = ("course.md", "concepts.yaml", "questions.yaml", "modules", "quizzes", "recall")


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Literal blocks keep multi-line Markdown readable and diffable; CR never reaches the file.
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def _yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _document(meta: dict[str, Any], body: str) -> str:
    text = f"---\n{_yaml(meta)}---\n"
    return text + (f"{body.strip()}\n" if body.strip() else "")


def _write(path: Path, text: str) -> None:
    """UTF-8 with LF line ends whatever the database holds (an admin textarea sends CRLF)."""
    path.write_bytes(text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8"))


def _compact(meta: dict[str, Any], *, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    return {key: value for key, value in meta.items() if key in keep or value not in ("", None, [], {})}


def _existing_names(dest: Path) -> dict[tuple[str, ...], str]:
    """File and folder names an earlier export (or the author) gave, keyed by what they hold.

    Exporting into the bundle's own checkout keeps every name, so a diff shows content
    changes only; objects new since then get `NN-slug` names.
    """
    names: dict[tuple[str, ...], str] = {}
    for path in (
        sorted(dest.glob("modules/*/*.md"))
        + sorted(dest.glob("quizzes/*.md"))
        + sorted(dest.glob("recall/*.md"))
    ):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            meta = split_front_matter(read_text(path, str(path)), path=str(path)).meta
        except (OSError, BundleError):
            continue
        slug = str(meta.get("slug") or "")
        if not slug:
            continue
        if path.parent.parent.name == "modules" and path.name == "module.md":
            names[("module", slug)] = path.parent.name
        elif path.parent.parent.name == "modules":
            names[("lesson", path.parent.name, slug)] = path.name
        else:
            names[(path.parent.name, slug)] = path.name
    return names


def export_course(course: Course, dest: Path) -> None:
    """Write `course` as a bundle folder at dest (created if missing; exporter-owned files replaced)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    names = _existing_names(dest)
    _clear_managed(dest)
    meta = _compact(
        {
            "slug": course.slug,
            "title": course.title,
            "summary": course.summary,
            "order": course.order,
            "published": course.is_published,
            # The default is left out so bundles written before the setting export unchanged.
            "cheat_sheets": ""
            if course.cheat_sheet_access == DEFAULT_CHEAT_SHEET_ACCESS
            else course.cheat_sheet_access,
        },
        keep=("order", "published"),
    )
    _write((dest / "course.md"), _document(meta, course.description_md))

    concepts = list(Concept.objects.filter(course=course).order_by("slug"))
    if concepts:
        items = [_compact({"slug": c.slug, "name": c.name, "description": c.description}) for c in concepts]
        _write((dest / "concepts.yaml"), _yaml(items))
    name_counts: dict[str, int] = {}
    for concept in concepts:
        name_counts[concept.name] = name_counts.get(concept.name, 0) + 1

    questions = list(
        Question.objects.filter(course=course)
        .select_related("lesson__module")
        .prefetch_related("options", "concepts")
        .order_by("slug")
    )
    plans = list(
        RecallPlan.objects.filter(course=course)
        .select_related("module")
        .prefetch_related("days__prompts__question__lesson", "days__unlock_lessons")
        .order_by("order", "id")
    )
    inline = _inline_recall_questions(plans, questions)

    _write_modules(course, dest, names, name_counts, [q for q in questions if q.pk not in inline])
    loose = [q for q in questions if q.lesson is None and q.pk not in inline]
    if loose:
        _write((dest / "questions.yaml"), _yaml([_question(q) for q in loose]))

    quizzes = list(
        Quiz.objects.filter(course=course)
        .select_related("module", "lesson")
        .prefetch_related("items__question")
        .order_by("module__order", "title", "slug")
    )
    for position, quiz in enumerate(quizzes, start=1):
        name = names.get(("quizzes", quiz.slug), f"{position:02d}-{quiz.slug}.md")
        _write_quiz(quiz, dest / "quizzes" / name)
    for position, plan in enumerate(plans, start=1):
        name = names.get(("recall", plan.slug), f"{position:02d}-{plan.slug}.md")
        _write_plan(plan, dest / "recall" / name, inline)


def _clear_managed(dest: Path) -> None:
    for name in MANAGED:
        target = dest / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def _write_modules(
    course: Course,
    dest: Path,
    names: dict[tuple[str, ...], str],
    name_counts: dict[str, int],
    questions: list[Question],
) -> None:
    modules = list(Module.objects.filter(course=course).order_by("order", "id"))
    for position, module in enumerate(modules, start=1):
        folder = dest / "modules" / names.get(("module", module.slug), f"{position:02d}-{module.slug}")
        folder.mkdir(parents=True)
        _write_module(module, folder, name_counts, names)
        own = [q for q in questions if q.lesson is not None and q.lesson.module_id == module.pk]
        if own:
            _write((folder / "questions.yaml"), _yaml([_question(q) for q in own]))


def _write_module(
    module: Module, folder: Path, name_counts: dict[str, int], names: dict[tuple[str, ...], str]
) -> None:
    lessons = list(Lesson.objects.filter(module=module).order_by("order", "id"))
    entries = list(
        ConceptIndexEntry.objects.filter(lesson__module=module)
        .select_related("concept", "lesson")
        .order_by("order", "lesson__order", "id")
    )
    meta = _compact(
        {
            "slug": module.slug,
            "title": module.title,
            "kind": module.kind,
            "order": module.order,
            "status": module.status,
            "planned_lessons": module.planned_lessons,
            "goal": module.goal,
        },
        keep=("order",),
    )
    if module.planned_lessons == 0:
        meta.pop("planned_lessons", None)
    body = ""
    if entries:
        rows = ["## Concept Index", "", "| Concept | Depth | Lesson | Notes |", "|---|---|---|---|"]
        for entry in entries:
            # A name can be shared by two concepts; the slug (listed in concepts.yaml) cannot.
            name = entry.concept.name if name_counts.get(entry.concept.name) == 1 else entry.concept.slug
            cells = (escape_cell(name), DEPTH_NAMES[entry.depth], entry.lesson.slug, escape_cell(entry.notes))
            rows.append(f"| {' | '.join(cells)} |")
        body = "\n".join(rows) + "\n\n"
    body += module.record_md
    _write((folder / "module.md"), _document(meta, body))

    for position, lesson in enumerate(lessons, start=1):
        lesson_meta = _compact(
            {
                "slug": lesson.slug,
                "title": lesson.title,
                "kind": lesson.kind,
                "order": lesson.order,
                "kicker": lesson.kicker,
                "summary": lesson.summary,
                "read_minutes": lesson.read_minutes or None,
                "difficulty": lesson.difficulty,
                "notebook": lesson.notebook,
                "notebook_about": lesson.notebook_about,
                "concepts_taught": lesson.concepts_taught_md,
                "mental_models": lesson.mental_models_md,
                "analogies": lesson.analogies_md,
                "how_taught": lesson.how_taught_md,
                "not_covered": lesson.not_covered_md,
            },
            keep=("order",),
        )
        path = folder / names.get(("lesson", folder.name, lesson.slug), f"{position:02d}-{lesson.slug}.md")
        _write(path, _document(lesson_meta, lesson.body_md))


def _question(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {"slug": question.slug, "kind": question.kind, "prompt": question.prompt_md}
    data["answer"] = question.answer_md
    data["key_points"] = question.key_point_list()
    if question.is_choice:
        data["options"] = [
            {"text": o.text, "correct": True} if o.is_correct else {"text": o.text}
            for o in sorted(question.options.all(), key=lambda o: (o.order, o.pk))
        ]
        if not question.shuffle_options:
            data["shuffle_options"] = False
    data["explanation"] = question.explanation_md
    data["concepts"] = sorted(c.slug for c in question.concepts.all())
    if question.depth != DEFAULT_DEPTH:
        data["depth"] = DEPTH_NAMES[question.depth]
    data["lesson"] = question.lesson.slug if question.lesson else ""
    data["ref"] = question.section_ref
    return _compact(data)


def _write_quiz(quiz: Quiz, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    items = sorted(quiz.items.all(), key=lambda item: (item.order, item.pk))
    meta = _compact(
        {
            "slug": quiz.slug,
            "title": quiz.title,
            "kind": quiz.kind,
            "module": quiz.module.slug if quiz.module else "",
            "lesson": quiz.lesson.slug if quiz.lesson else "",
            "questions": [item.question.slug for item in items],
        }
    )
    if quiz.lesson and not quiz.module:
        meta["module"] = quiz.lesson.module.slug
    _write(path, _document(meta, quiz.intro_md))


def _inline_recall_questions(plans: list[RecallPlan], questions: list[Question]) -> set[int]:
    """Ids of questions that round-trip as a plain recall bullet (no answer, concepts, options...)."""
    quiz_question_ids = set(
        Quiz.objects.filter(course_id__in={q.course_id for q in questions}).values_list(
            "items__question_id", flat=True
        )
    )
    uses: dict[int, int] = {}
    for plan in plans:
        for day in plan.days.all():
            for prompt in day.prompts.all():
                uses[prompt.question_id] = uses.get(prompt.question_id, 0) + 1
    inline: set[int] = set()
    for plan in plans:
        for day_number, day in enumerate(_days(plan), start=1):
            for number, prompt in enumerate(_prompts(day), start=1):
                q = prompt.question
                plain = (
                    q.slug == recall_question_slug(plan.slug, day_number, number)
                    and q.kind == Question.Kind.FREE
                    and not q.answer_md
                    and not q.key_points.strip()
                    and not q.explanation_md
                    and not q.concepts.all()
                    and q.depth == DEFAULT_DEPTH
                    and uses.get(q.pk) == 1
                    and q.pk not in quiz_question_ids
                    and "\n\n" not in q.prompt_md.strip()
                )
                if plain:
                    inline.add(q.pk)
    return inline


def _days(plan: RecallPlan) -> list[RecallDay]:
    return sorted(plan.days.all(), key=lambda day: (day.order, day.pk))


def _prompts(day: RecallDay) -> list[Any]:
    return sorted(day.prompts.all(), key=lambda prompt: (prompt.order, prompt.pk))


def _write_plan(plan: RecallPlan, path: Path, inline: set[int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lessons = sorted(
        Lesson.objects.filter(module__course=plan.course_id).select_related("module"),
        key=lambda lesson: (lesson.module.order, lesson.module.slug, lesson.order),
    )
    module_slug = plan.module.slug if plan.module else ""
    own = [lesson for lesson in lessons if module_slug and lesson.module.slug == module_slug]
    chapters = set(
        Section.objects.filter(lesson__in=lessons, level=2)
        .exclude(number="")
        .values_list("lesson_id", "number")
    )
    unlocks: dict[str, list[str]] = {}
    lines: list[str] = []
    if plan.intro_md.strip():
        lines += [plan.intro_md.strip(), ""]
    for day in _days(plan):
        heading = f"## {day.name}" + (f" ({day.unlock_note})" if day.unlock_note else "")
        lines += [heading, ""]
        actual = sorted(lesson.slug for lesson in day.unlock_lessons.all())
        derived = sorted(
            lesson.slug
            for lesson in unlocked_by(
                day.unlock_note,
                module_lessons=own,
                course_lessons=lessons,
                has_chapter=lambda lesson, n: (lesson.pk, str(n)) in chapters,
            )
        )
        if actual != derived:
            unlocks[day.name] = actual
        for prompt in _prompts(day):
            lines.append(_bullet(prompt.question, inline))
        lines.append("")
    meta = _compact(
        {
            "slug": plan.slug,
            "title": plan.title,
            "module": module_slug,
            "order": plan.order,
            "unlock_lessons": unlocks,
        },
        keep=("order",),
    )
    _write(path, _document(meta, "\n".join(lines)))


def _bullet(question: Question, inline: set[int]) -> str:
    if question.pk not in inline:
        return f"- {{{{question: {question.slug}}}}}"
    ref = question.section_ref
    if question.lesson is not None:
        ref = f"{question.lesson.slug} {ref}".strip()
    text = "\n  ".join(line.strip() for line in question.prompt_md.strip().split("\n"))
    if ref or re.search(r"\)\s*$", text):
        # An empty "()" keeps a prompt that itself ends in parentheses from losing them.
        text += f" ({ref})"
    return f"- {text}"
