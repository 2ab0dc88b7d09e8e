"""Reader stage: a bundle folder (or one document) in, plain data out. No database access.

Every file is opened through courses.bundles.safety and gets a Ledger on the report, so
the import can say which of its lines came in and which did not.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from courses.bundles.data import (
    ConceptData,
    CourseData,
    DocumentData,
    LessonData,
    ModuleData,
    OptionData,
    QuestionData,
    QuizData,
    RecallPlanData,
    Source,
)
from courses.bundles.errors import BundleError
from courses.bundles.frontmatter import Document, check_keys, split_front_matter
from courses.bundles.naming import quiz_question_slug, sheet_question_slug, sheet_quiz_slug
from courses.bundles.parsers.cheatsheet import parse_cheatsheet
from courses.bundles.parsers.common import make_slug
from courses.bundles.parsers.detect import KINDS, check_forced_kind, detect_kind
from courses.bundles.parsers.explainer import parse_explainer
from courses.bundles.parsers.quiz import find_inline_quiz, parse_inline_quiz
from courses.bundles.parsers.recall import parse_recall
from courses.bundles.parsers.record import notebook_parts, parse_record
from courses.bundles.report import ImportReport, Ledger
from courses.bundles.safety import check_tree, load_yaml_node, read_text
from courses.bundles.schema import (
    CHEAT_SHEET_ACCESS,
    CHOICE,
    CONCEPT_KEYS,
    COURSE_KEYS,
    DEFAULT_CHEAT_SHEET_ACCESS,
    DEPTHS,
    FREE,
    LESSON_KEYS,
    LESSON_KINDS,
    MODULE_KEYS,
    MODULE_KINDS,
    OPTION_KEYS,
    QUESTION_KEYS,
    QUESTION_KINDS,
    QUIZ_KEYS,
    QUIZ_KINDS,
    RECALL_KEYS,
    SLUG_RE,
)

ORDER_PREFIX_RE = re.compile(r"^\d+[-_. ]+")


# --- helpers ----------------------------------------------------------------------------


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _stem_slug(path: Path) -> str:
    return make_slug(ORDER_PREFIX_RE.sub("", path.stem)) or make_slug(path.stem)


def _open(path: Path, shown: str, report: ImportReport) -> tuple[str, Ledger]:
    text = read_text(path, shown)
    return text, report.ledger(shown, text)


def _document(path: Path, shown: str, report: ImportReport) -> tuple[Document, Ledger]:
    text, ledger = _open(path, shown, report)
    doc = split_front_matter(text, path=shown)
    if doc.has_front_matter:
        ledger.use_span(1, doc.body_line - 1)
    return doc, ledger


def _str(doc: Document, key: str, default: str = "") -> str:
    value = doc.meta.get(key, default)
    if value is None:
        return default
    if isinstance(value, (dict, list)):
        raise BundleError(doc.path, doc.key_line(key), f"{key!r} must be text")
    return str(value).strip()


def _int(doc: Document, key: str, default: int = 0) -> int:
    value = doc.meta.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise BundleError(doc.path, doc.key_line(key), f"{key!r} must be a whole number >= 0, got {value!r}")
    return value


def _slug(value: str, *, path: str, line: int | None, what: str, max_length: int = 80) -> str:
    if not SLUG_RE.match(value) or len(value) > max_length:
        raise BundleError(
            path,
            line,
            f"{what} {value!r} is not a slug (lowercase letters, digits, - and _; at most {max_length})",
        )
    return value


def _choice(value: str, allowed: tuple[str, ...], *, path: str, line: int | None, what: str) -> str:
    if value not in allowed:
        raise BundleError(path, line, f"unknown {what} {value!r} (expected one of {', '.join(allowed)})")
    return value


def _yaml_items(text: str, *, path: str) -> list[tuple[Any, int]]:
    """A YAML list with the 1-based line of each item, so errors can point at it."""
    data, node = load_yaml_node(text, path=path)
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise BundleError(path, 1, "expected a YAML list (one '- ' item per entry)")
    return [(item, child.start_mark.line + 1) for item, child in zip(data, node.value, strict=True)]


# --- questions --------------------------------------------------------------------------


def _options(item: dict[str, Any], slug: str, *, path: str, line: int) -> list[OptionData]:
    raw_options = item.get("options") or []
    if not isinstance(raw_options, list):
        raise BundleError(path, line, "'options' must be a list")
    options: list[OptionData] = []
    for raw in raw_options:
        if isinstance(raw, str):
            raw = {"text": raw}
        if not isinstance(raw, dict) or any(key not in OPTION_KEYS for key in raw):
            raise BundleError(
                path, line, f"question {slug!r}: each option needs 'text' and optional 'correct'"
            )
        options.append(OptionData(text=str(raw.get("text") or "").strip(), correct=bool(raw.get("correct"))))
    return options


def _check_options(kind: str, options: list[OptionData], slug: str, *, path: str, line: int) -> None:
    if kind != CHOICE:
        if options:
            raise BundleError(path, line, f"free-recall question {slug!r} cannot have options")
        return
    correct = sum(option.correct for option in options)
    if len(options) < 2 or correct != 1:
        raise BundleError(
            path,
            line,
            f"choice question {slug!r} needs two or more options and exactly one correct "
            f"(has {len(options)} options, {correct} correct)",
        )
    if any(not option.text for option in options):
        raise BundleError(path, line, f"choice question {slug!r} has an option without text")


def _text_field(item: dict[str, Any], key: str, *, path: str, line: int) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise BundleError(path, line, f"{key!r} must be text")
    return str(value).strip()


def _key_points(item: dict[str, Any], *, path: str, line: int) -> str:
    value = item.get("key_points")
    if isinstance(value, list):
        return "\n".join(str(point).strip() for point in value if str(point).strip())
    return _text_field(item, "key_points", path=path, line=line)


def _check_question_keys(item: Any, *, path: str, line: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise BundleError(path, line, "a question must be a mapping (slug, prompt, ...)")
    for key in item:
        if key not in QUESTION_KEYS:
            raise BundleError(
                path, line, f"unknown question key {key!r} (allowed: {', '.join(QUESTION_KEYS)})"
            )
    return item


def _question_depth(item: dict[str, Any], *, path: str, line: int) -> str:
    depth_text = str(item.get("depth") or "INTRODUCED")
    if depth_text.upper() not in DEPTHS:
        raise BundleError(path, line, f"unknown depth {depth_text!r} (expected one of {', '.join(DEPTHS)})")
    return depth_text.upper()


def _question_links(
    item: dict[str, Any], *, path: str, line: int, allow_lesson: bool
) -> tuple[list[Any], str]:
    concepts = item.get("concepts") or []
    if not isinstance(concepts, list):
        raise BundleError(path, line, "'concepts' must be a list of concept slugs")
    lesson = _text_field(item, "lesson", path=path, line=line)
    if lesson and not allow_lesson:
        raise BundleError(
            path, line, "a question outside a module cannot name a lesson; move it to the module"
        )
    return concepts, lesson


def read_question(raw: Any, line: int, *, path: str, module: str, allow_lesson: bool) -> QuestionData:
    item = _check_question_keys(raw, path=path, line=line)
    slug = _slug(str(item.get("slug") or ""), path=path, line=line, what="question slug", max_length=100)
    kind = _choice(str(item.get("kind") or FREE), QUESTION_KINDS, path=path, line=line, what="question kind")
    prompt = _text_field(item, "prompt", path=path, line=line)
    if not prompt:
        raise BundleError(path, line, f"question {slug!r} has no prompt")
    depth = _question_depth(item, path=path, line=line)
    concepts, lesson = _question_links(item, path=path, line=line, allow_lesson=allow_lesson)
    shuffle = item.get("shuffle_options", True)
    if not isinstance(shuffle, bool):
        raise BundleError(path, line, "'shuffle_options' must be true or false")
    options = _options(item, slug, path=path, line=line)
    _check_options(kind, options, slug, path=path, line=line)
    return QuestionData(
        slug=slug,
        prompt=prompt,
        kind=kind,
        answer=_text_field(item, "answer", path=path, line=line),
        key_points=_key_points(item, path=path, line=line),
        explanation=_text_field(item, "explanation", path=path, line=line),
        concepts=[str(c) for c in concepts],
        depth=DEPTHS[depth],
        lesson=lesson,
        module=module if lesson else "",
        ref=_text_field(item, "ref", path=path, line=line),
        options=options,
        shuffle_options=shuffle,
        source=Source(path, line),
    )


def read_questions(text: str, *, path: str, module: str, allow_lesson: bool = True) -> list[QuestionData]:
    return [
        read_question(item, line, path=path, module=module, allow_lesson=allow_lesson)
        for item, line in _yaml_items(text, path=path)
    ]


def _inline_questions(
    lines: list[str], *, start: int, first_line: int, quiz: QuizData, path: str, ledger: Ledger
) -> list[QuestionData]:
    questions: list[QuestionData] = []
    items = parse_inline_quiz(lines[start:], first_line=first_line + start, ledger=ledger)
    for n, item in enumerate(items, start=1):
        slug = quiz_question_slug(quiz.slug, n)
        questions.append(
            QuestionData(
                slug=slug,
                prompt=item.prompt,
                answer=item.answer,
                lesson=quiz.lesson,
                module=quiz.module if quiz.lesson else "",
                source=Source(path, item.line),
            )
        )
        quiz.question_slugs.append(slug)
    return questions


# --- documents --------------------------------------------------------------------------


def read_module_doc(doc: Document, ledger: Ledger, *, default_slug: str, default_order: int) -> ModuleData:
    check_keys(doc, MODULE_KEYS)
    module = parse_record(
        doc.body,
        path=doc.path,
        ledger=ledger,
        first_line=doc.body_line,
        table_lessons=not doc.has_front_matter,
    )
    slug_line = doc.key_line("slug")
    module.slug = (
        _str(doc, "slug") or (make_slug(module.title) if not doc.has_front_matter else "") or default_slug
    )
    _slug(module.slug, path=doc.path, line=slug_line, what="module slug")
    module.title = _str(doc, "title") or module.title or module.slug
    kind = _str(doc, "kind", MODULE_KINDS[0]).lower()
    module.kind = _choice(kind, MODULE_KINDS, path=doc.path, line=doc.key_line("kind"), what="module kind")
    module.order = _int(doc, "order", default_order)
    module.status = _str(doc, "status") or module.status
    module.planned_lessons = _int(doc, "planned_lessons", module.planned_lessons)
    module.goal = _str(doc, "goal") or module.goal
    module.source = Source(doc.path, 1)
    return module


def _lesson_title(doc: Document, slug: str) -> str:
    title = _str(doc, "title")
    if not title:
        first = re.match(r"^\s*#\s+(.+?)\s*\n", doc.body)
        title = first.group(1) if first else slug
    return title


def _leading_blank_lines(text: str) -> int:
    return text[: len(text) - len(text.lstrip())].count("\n")


def read_lesson_doc(doc: Document, ledger: Ledger, *, default_slug: str, default_order: int) -> LessonData:
    check_keys(doc, LESSON_KEYS)
    ledger.use_span(doc.body_line, len(ledger.lines))
    slug = _slug(
        _str(doc, "slug") or default_slug, path=doc.path, line=doc.key_line("slug"), what="lesson slug"
    )
    kind = _choice(
        _str(doc, "kind", LESSON_KINDS[0]).upper(),
        LESSON_KINDS,
        path=doc.path,
        line=doc.key_line("kind"),
        what="lesson kind",
    )
    notebook, about = notebook_parts(_str(doc, "notebook"))
    return LessonData(
        slug=slug,
        title=_lesson_title(doc, slug),
        kind=kind,
        order=_int(doc, "order", default_order),
        kicker=_str(doc, "kicker"),
        summary=_str(doc, "summary"),
        read_minutes=_int(doc, "read_minutes"),
        difficulty=_str(doc, "difficulty"),
        body_md=doc.body.strip(),
        concepts_taught_md=_str(doc, "concepts_taught"),
        mental_models_md=_str(doc, "mental_models"),
        analogies_md=_str(doc, "analogies"),
        how_taught_md=_str(doc, "how_taught"),
        not_covered_md=_str(doc, "not_covered"),
        notebook=notebook,
        notebook_about=_str(doc, "notebook_about") or about,
        # body_md is stripped: point at its first line so a check's offset lands on its own line.
        source=Source(doc.path, doc.body_line + _leading_blank_lines(doc.body)),
    )


def read_quiz_doc(doc: Document, ledger: Ledger, *, default_slug: str) -> tuple[QuizData, list[QuestionData]]:
    check_keys(doc, QUIZ_KEYS)
    slug = _str(doc, "slug") or default_slug
    _slug(slug, path=doc.path, line=doc.key_line("slug"), what="quiz slug", max_length=100)
    kind = _choice(
        _str(doc, "kind", "readiness"), QUIZ_KINDS, path=doc.path, line=doc.key_line("kind"), what="quiz kind"
    )
    quiz = QuizData(
        slug=slug,
        title=_str(doc, "title") or slug,
        kind=kind,
        module=_str(doc, "module"),
        lesson=_str(doc, "lesson"),
        source=Source(doc.path, doc.key_line("questions") if "questions" in doc.meta else 1),
    )
    if quiz.lesson and not quiz.module:
        raise BundleError(
            doc.path, doc.key_line("lesson"), "a quiz that names a lesson must also name its module"
        )
    listed = doc.meta.get("questions") or []
    if not isinstance(listed, list):
        raise BundleError(doc.path, doc.key_line("questions"), "'questions' must be a list of question slugs")
    quiz.question_slugs = [str(slug) for slug in listed]
    lines = doc.body.split("\n")
    start = find_inline_quiz(lines)
    intro_end = len(lines) if start is None else start
    quiz.intro_md = "\n".join(lines[:intro_end]).strip()
    ledger.use_span(doc.body_line, doc.body_line + intro_end - 1)
    if start is None:
        return quiz, []
    questions = _inline_questions(
        lines, start=start, first_line=doc.body_line, quiz=quiz, path=doc.path, ledger=ledger
    )
    return quiz, questions


def _apply_unlocks(doc: Document, plan: RecallPlanData) -> None:
    unlocks = doc.meta.get("unlock_lessons") or {}
    line = doc.key_line("unlock_lessons")
    if not isinstance(unlocks, dict):
        raise BundleError(doc.path, line, "'unlock_lessons' maps day names to lesson slugs")
    for name, slugs in unlocks.items():
        day = next((d for d in plan.days if d.name == str(name)), None)
        if day is None or not isinstance(slugs, list):
            raise BundleError(doc.path, line, f"unlock_lessons: no day {name!r} or not a list of slugs")
        day.unlock_lessons = [str(slug) for slug in slugs]


def read_recall_doc(
    doc: Document, ledger: Ledger, *, default_slug: str, default_order: int
) -> RecallPlanData:
    check_keys(doc, RECALL_KEYS)
    plan = parse_recall(
        doc.body, path=doc.path, ledger=ledger, first_line=doc.body_line, canonical=doc.has_front_matter
    )
    plan.slug = _slug(
        _str(doc, "slug") or default_slug, path=doc.path, line=doc.key_line("slug"), what="recall plan slug"
    )
    plan.title = _str(doc, "title") or plan.title or plan.slug
    plan.module = _str(doc, "module")
    plan.order = _int(doc, "order", default_order)
    _apply_unlocks(doc, plan)
    if not plan.days:
        raise BundleError(
            doc.path, doc.body_line, "no days found (a day is a line such as 'Monday (after chapter 1)')"
        )
    return plan


# --- a whole bundle ---------------------------------------------------------------------


def _read_course_file(root: Path, report: ImportReport) -> CourseData:
    course_file = root / "course.md"
    shown = _rel(course_file, root)
    if not course_file.is_file() or course_file.is_symlink():
        if course_file.is_symlink():
            raise BundleError(
                shown, None, "is a symbolic link; a bundle may hold only regular files and folders"
            )
        raise BundleError(shown, None, "a bundle needs a course.md at its top level")
    doc, ledger = _document(course_file, shown, report)
    ledger.use_span(doc.body_line, len(ledger.lines))
    check_keys(doc, COURSE_KEYS)
    slug = _slug(
        _str(doc, "slug") or make_slug(root.name),
        path=doc.path,
        line=doc.key_line("slug"),
        what="course slug",
    )
    published = doc.meta.get("published", True)
    if not isinstance(published, bool):
        raise BundleError(doc.path, doc.key_line("published"), "'published' must be true or false")
    cheat_sheets = _str(doc, "cheat_sheets") or DEFAULT_CHEAT_SHEET_ACCESS
    if cheat_sheets not in CHEAT_SHEET_ACCESS:
        raise BundleError(
            doc.path,
            doc.key_line("cheat_sheets"),
            f"'cheat_sheets' must be one of {', '.join(CHEAT_SHEET_ACCESS)}, not {cheat_sheets!r}",
        )
    return CourseData(
        slug=slug,
        title=_str(doc, "title") or slug,
        summary=_str(doc, "summary"),
        description_md=doc.body.strip(),
        order=_int(doc, "order"),
        published=published,
        cheat_sheet_access=cheat_sheets,
        source=Source(doc.path, 1),
    )


def read_bundle(root: Path, report: ImportReport | None = None) -> CourseData:
    """Every file of a bundle folder, as plain data."""
    report = report if report is not None else ImportReport()
    root = root.resolve()
    check_tree(root, root.name)
    course = _read_course_file(root, report)
    concepts_file = root / "concepts.yaml"
    if concepts_file.is_file():
        course.concepts = _read_concepts(concepts_file, root, report)
    root_questions = root / "questions.yaml"
    if root_questions.is_file():
        shown = _rel(root_questions, root)
        text, ledger = _open(root_questions, shown, report)
        course.questions += read_questions(text, path=shown, module="", allow_lesson=False)
        ledger.use_span(1, len(ledger.lines))
    modules_dir = root / "modules"
    folders = sorted(p for p in modules_dir.iterdir() if p.is_dir()) if modules_dir.is_dir() else []
    for position, folder in enumerate(folders, start=1):
        course.modules.append(_read_module_folder(folder, root, position, course, report))
    _read_quizzes(root, course, report)
    for position, path in enumerate(sorted((root / "recall").glob("*.md")), start=1):
        doc, ledger = _document(path, _rel(path, root), report)
        plan = read_recall_doc(doc, ledger, default_slug=_stem_slug(path), default_order=position)
        course.recall_plans.append(plan)
    _report_unread_files(root, report)
    return course


def _read_quizzes(root: Path, course: CourseData, report: ImportReport) -> None:
    for path in sorted((root / "quizzes").glob("*.md")):
        doc, ledger = _document(path, _rel(path, root), report)
        quiz, questions = read_quiz_doc(doc, ledger, default_slug=_stem_slug(path))
        course.quizzes.append(quiz)
        course.questions += questions


def _report_unread_files(root: Path, report: ImportReport) -> None:
    """Files no reader opened (a stray notes.txt) are reported whole, not silently skipped."""
    opened = {ledger.path for ledger in report.ledgers}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        shown = _rel(path, root)
        if shown in opened or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        try:
            text = read_text(path, shown)
        except BundleError:
            text = "(not text)"
        ledger = report.ledger(shown, text)
        for number, line in enumerate(ledger.lines, start=1):
            if line.strip():
                ledger.skip(number, "file not part of the bundle layout (see docs/bundle-format.md)")


def _read_concepts(path: Path, root: Path, report: ImportReport) -> list[ConceptData]:
    shown = _rel(path, root)
    text, ledger = _open(path, shown, report)
    ledger.use_span(1, len(ledger.lines))
    concepts: list[ConceptData] = []
    for item, line in _yaml_items(text, path=shown):
        if not isinstance(item, dict) or any(key not in CONCEPT_KEYS for key in item):
            raise BundleError(shown, line, f"a concept is a mapping with {', '.join(CONCEPT_KEYS)}")
        name = str(item.get("name") or "").strip()
        slug = str(item.get("slug") or "").strip() or make_slug(name, 100)
        if not name:
            raise BundleError(shown, line, "a concept needs a name")
        _slug(slug, path=shown, line=line, what="concept slug", max_length=100)
        description = str(item.get("description") or "").strip()
        concepts.append(
            ConceptData(slug=slug, name=name, description=description, source=Source(shown, line))
        )
    return concepts


def _read_lesson_file(
    path: Path, root: Path, order: int, module: ModuleData, course: CourseData, report: ImportReport
) -> LessonData:
    doc, ledger = _document(path, _rel(path, root), report)
    if doc.has_front_matter or _kind_or_none(doc.body, doc.path) != "explainer":
        return read_lesson_doc(doc, ledger, default_slug=_stem_slug(path), default_order=order)
    explainer = parse_explainer(doc.body, path=doc.path, ledger=ledger)
    explainer.lesson.order = order
    if explainer.quiz is not None:
        explainer.quiz.module = module.slug
        course.quizzes.append(explainer.quiz)
        for question in explainer.questions:
            question.module = module.slug
        module.questions += explainer.questions
    return explainer.lesson


def _read_module_folder(
    folder: Path, root: Path, position: int, course: CourseData, report: ImportReport
) -> ModuleData:
    module_file = folder / "module.md"
    shown = _rel(module_file, root)
    if not module_file.is_file():
        raise BundleError(shown, None, "each module folder needs a module.md")
    doc, ledger = _document(module_file, shown, report)
    module = read_module_doc(doc, ledger, default_slug=_stem_slug(folder), default_order=position)
    from_summaries = {lesson.slug: lesson for lesson in module.lessons}
    lessons: list[LessonData] = []
    lesson_files = sorted(p for p in folder.glob("*.md") if p.name != "module.md")
    for order, path in enumerate(lesson_files, start=1):
        lesson = _read_lesson_file(path, root, order, module, course, report)
        summary = from_summaries.pop(lesson.slug, None)
        if summary is not None:
            _fill_record(lesson, summary)
        lessons.append(lesson)
    # Lessons known only from the record's per-lesson summaries exist too, unbuilt.
    module.lessons = lessons + list(from_summaries.values())
    questions_file = folder / "questions.yaml"
    if questions_file.is_file():
        shown = _rel(questions_file, root)
        text, ledger = _open(questions_file, shown, report)
        module.questions += read_questions(text, path=shown, module=module.slug)
        ledger.use_span(1, len(ledger.lines))
    return module


RECORD_FIELDS = (
    "concepts_taught_md", "mental_models_md", "analogies_md", "how_taught_md", "not_covered_md",
    "notebook", "notebook_about",
)  # fmt: skip


def _fill_record(lesson: LessonData, summary: LessonData) -> None:
    for name in RECORD_FIELDS:
        if not getattr(lesson, name):
            setattr(lesson, name, getattr(summary, name))


def _kind_or_none(text: str, path: str) -> str | None:
    try:
        return detect_kind(text, path=path)
    except BundleError:
        return None


# --- one document -----------------------------------------------------------------------


def read_document(path: Path, *, kind: str | None = None, report: ImportReport | None = None) -> DocumentData:
    """One seed-style (or bundle-format) document: a record, a recall week, an explainer or a cheat sheet."""
    report = report if report is not None else ImportReport()
    shown = str(path)
    if kind is not None and kind not in KINDS:
        raise BundleError(shown, None, f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    doc, ledger = _document(path, shown, report)
    if kind is not None and not doc.has_front_matter:
        check_forced_kind(doc.body, kind, path=shown)
    kind = kind or _kind_from_meta(doc) or detect_kind(doc.body, path=shown)
    if kind == "record":
        return _record_document(doc, ledger, path)
    if kind == "recall":
        plan = read_recall_doc(doc, ledger, default_slug=_stem_slug(path), default_order=0)
        if not doc.meta.get("slug") and plan.title:
            # A seed file's name is an opaque id; its title line names the week.
            plan.slug = make_slug(plan.title) or plan.slug
        return DocumentData(kind=kind, recall_plans=[plan])
    if kind == "cheatsheet":
        return _cheatsheet_document(doc, ledger)
    return _explainer_document(doc, ledger, path)


def _record_document(doc: Document, ledger: Ledger, path: Path) -> DocumentData:
    module = read_module_doc(doc, ledger, default_slug=_stem_slug(path), default_order=0)
    if not doc.has_front_matter and not (module.index or module.lessons or module.goal):
        raise BundleError(
            doc.path, None, "no module record here: no Goal:, concept-index table or lesson summaries found"
        )
    return DocumentData(kind="record", modules=[module])


def _explainer_document(doc: Document, ledger: Ledger, path: Path) -> DocumentData:
    shown = doc.path
    if doc.has_front_matter:
        lesson = read_lesson_doc(doc, ledger, default_slug=_stem_slug(path), default_order=0)
        module = ModuleData(
            slug="", title=lesson.title, kind="part", lessons=[lesson], source=Source(shown, 1)
        )
        return DocumentData(kind="explainer", modules=[module])
    explainer = parse_explainer(doc.body, path=shown, ledger=ledger)
    if not explainer.lesson.body_md.strip() and not explainer.questions:
        raise BundleError(shown, None, "no explainer here: no chapters, body text or readiness quiz found")
    module = ModuleData(
        slug="",
        title=explainer.lesson.title,
        kind="part",
        lessons=[explainer.lesson],
        questions=explainer.questions,
        source=Source(shown, 1),
    )
    quizzes = [explainer.quiz] if explainer.quiz else []
    return DocumentData(kind="explainer", modules=[module], quizzes=quizzes)


def _cheatsheet_document(doc: Document, ledger: Ledger) -> DocumentData:
    sheet = parse_cheatsheet(doc.body, ledger=ledger, first_line=doc.body_line)
    if not sheet.chapters:
        raise BundleError(
            doc.path, None, "no chapters found in this cheat sheet (a chapter line is 'Ch 1: Title')"
        )
    slug = make_slug(sheet.title) or "cheat-sheet"
    document = DocumentData(
        kind="cheatsheet", sheet_module=sheet.context.split("·")[-1].strip(), sheet_slug=slug
    )
    for chapter in sheet.chapters:
        quiz = QuizData(
            slug=sheet_quiz_slug(slug, chapter.number),
            title=f"Ch {chapter.number}: {chapter.title}"[:200],
            source=Source(doc.path, chapter.line),
        )
        for number, fact in enumerate(chapter.facts, start=1):
            question = QuestionData(
                slug=sheet_question_slug(slug, chapter.number, number),
                prompt=fact.question,
                answer=fact.answer,
                explanation=fact.why,
                ref=f"Ch. {chapter.number}",
                source=Source(doc.path, fact.line),
            )
            document.questions.append(question)
            quiz.question_slugs.append(question.slug)
        document.quizzes.append(quiz)
    return document


def _kind_from_meta(doc: Document) -> str | None:
    if not doc.has_front_matter:
        return None
    keys = set(doc.meta)
    if keys & {"status", "planned_lessons", "goal"} or str(doc.meta.get("kind", "")).lower() in MODULE_KINDS:
        return "record"
    if "unlock_lessons" in keys or "module" in keys:
        return "recall"
    lesson_only = set(LESSON_KEYS) - {"slug", "title", "order"}
    if keys & lesson_only or str(doc.meta.get("kind", "")).upper() in LESSON_KINDS:
        return "explainer"
    return None
