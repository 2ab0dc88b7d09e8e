"""Reader stage: a bundle folder (or one document) in, plain data out. No database access."""

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
from courses.bundles.frontmatter import Document, check_keys, load_yaml, split_front_matter
from courses.bundles.seedformats import (
    KINDS,
    detect_kind,
    find_inline_quiz,
    parse_explainer,
    parse_inline_quiz,
    parse_recall,
    parse_record,
)
from courses.bundles.textutil import DEPTHS, LESSON_KINDS, MODULE_KINDS, make_slug

COURSE_KEYS = ("slug", "title", "summary", "order", "published")
MODULE_KEYS = ("slug", "title", "kind", "order", "status", "planned_lessons", "goal")
LESSON_KEYS = (
    "slug", "title", "kind", "order", "kicker", "summary", "read_minutes", "difficulty", "notebook",
    "mental_models", "analogies", "how_taught", "not_covered",
)  # fmt: skip
QUIZ_KEYS = ("slug", "title", "kind", "module", "lesson", "questions")
RECALL_KEYS = ("slug", "title", "module", "order", "unlock_lessons")
QUESTION_KEYS = (
    "slug",
    "kind",
    "prompt",
    "answer",
    "explanation",
    "concepts",
    "depth",
    "lesson",
    "ref",
    "options",
)
OPTION_KEYS = ("text", "correct")
CONCEPT_KEYS = ("slug", "name", "description")
QUIZ_KINDS = ("readiness", "lesson_check")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
ORDER_PREFIX_RE = re.compile(r"^\d+[-_. ]+")


# --- helpers ----------------------------------------------------------------------------


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _read_text(path: Path, shown: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError(shown, None, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise BundleError(shown, None, f"cannot read: {exc.strerror}") from None


def _stem_slug(path: Path) -> str:
    return make_slug(ORDER_PREFIX_RE.sub("", path.stem)) or make_slug(path.stem)


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
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
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
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        load_yaml(text, path=path)  # raises with the line
        raise
    data = load_yaml(text, path=path)
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise BundleError(path, 1, "expected a YAML list (one '- ' item per entry)")
    return [(item, child.start_mark.line + 1) for item, child in zip(data, node.value, strict=True)]


# --- questions --------------------------------------------------------------------------


def read_questions(text: str, *, path: str, module: str, allow_lesson: bool = True) -> list[QuestionData]:
    questions: list[QuestionData] = []
    for item, line in _yaml_items(text, path=path):
        if not isinstance(item, dict):
            raise BundleError(path, line, "a question must be a mapping (slug, prompt, ...)")
        for key in item:
            if key not in QUESTION_KEYS:
                raise BundleError(
                    path, line, f"unknown question key {key!r} (allowed: {', '.join(QUESTION_KEYS)})"
                )
        slug = _slug(str(item.get("slug") or ""), path=path, line=line, what="question slug", max_length=100)
        kind = _choice(
            str(item.get("kind") or "free"), ("free", "choice"), path=path, line=line, what="question kind"
        )
        prompt = str(item.get("prompt") or "").strip()
        if not prompt:
            raise BundleError(path, line, f"question {slug!r} has no prompt")
        depth_text = str(item.get("depth") or "INTRODUCED")
        depth = DEPTHS.get(depth_text.upper())
        if depth is None:
            raise BundleError(
                path, line, f"unknown depth {depth_text!r} (expected one of {', '.join(DEPTHS)})"
            )
        concepts = item.get("concepts") or []
        if not isinstance(concepts, list):
            raise BundleError(path, line, "'concepts' must be a list of concept slugs")
        lesson = str(item.get("lesson") or "").strip()
        if lesson and not allow_lesson:
            raise BundleError(
                path, line, "a question outside a module cannot name a lesson; move it to the module"
            )
        options: list[OptionData] = []
        raw_options = item.get("options") or []
        if not isinstance(raw_options, list):
            raise BundleError(path, line, "'options' must be a list")
        for raw in raw_options:
            if isinstance(raw, str):
                raw = {"text": raw}
            if not isinstance(raw, dict) or any(key not in OPTION_KEYS for key in raw):
                raise BundleError(
                    path, line, f"question {slug!r}: each option needs 'text' and optional 'correct'"
                )
            options.append(
                OptionData(text=str(raw.get("text") or "").strip(), correct=bool(raw.get("correct")))
            )
        if kind == "choice":
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
        elif options:
            raise BundleError(path, line, f"free-recall question {slug!r} cannot have options")
        questions.append(
            QuestionData(
                slug=slug,
                prompt=prompt,
                kind=kind,
                answer=str(item.get("answer") or "").strip(),
                explanation=str(item.get("explanation") or "").strip(),
                concepts=[str(c) for c in concepts],
                depth=depth,
                lesson=lesson,
                module=module if lesson else "",
                ref=str(item.get("ref") or "").strip(),
                options=options,
                source=Source(path, line),
            )
        )
    return questions


def _inline_questions(
    lines: list[str], *, start: int, first_line: int, quiz: QuizData, path: str
) -> list[QuestionData]:
    questions: list[QuestionData] = []
    for n, item in enumerate(parse_inline_quiz(lines[start:], first_line=first_line + start), start=1):
        slug = f"{quiz.slug}-q{n}"
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


def read_module_doc(doc: Document, *, default_slug: str, default_order: int) -> ModuleData:
    check_keys(doc, MODULE_KEYS)
    module = parse_record(doc.body, path=doc.path, first_line=doc.body_line)
    slug_line = doc.key_line("slug")
    module.slug = (
        _str(doc, "slug") or (make_slug(module.title) if not doc.has_front_matter else "") or default_slug
    )
    _slug(module.slug, path=doc.path, line=slug_line, what="module slug")
    module.title = _str(doc, "title") or module.title or module.slug
    module.kind = _choice(
        _str(doc, "kind", "module").lower(),
        MODULE_KINDS,
        path=doc.path,
        line=doc.key_line("kind"),
        what="module kind",
    )
    module.order = _int(doc, "order", default_order)
    module.status = _str(doc, "status") or module.status
    module.planned_lessons = _int(doc, "planned_lessons", module.planned_lessons)
    module.goal = _str(doc, "goal") or module.goal
    module.source = Source(doc.path, 1)
    return module


def read_lesson_doc(doc: Document, *, default_slug: str, default_order: int) -> LessonData:
    check_keys(doc, LESSON_KEYS)
    slug = _slug(
        _str(doc, "slug") or default_slug, path=doc.path, line=doc.key_line("slug"), what="lesson slug"
    )
    kind = _choice(
        _str(doc, "kind", "BUILD").upper(),
        LESSON_KINDS,
        path=doc.path,
        line=doc.key_line("kind"),
        what="lesson kind",
    )
    title = _str(doc, "title")
    body = doc.body
    if not title:
        first = re.match(r"^\s*#\s+(.+?)\s*\n", body)
        title = first.group(1) if first else slug
    return LessonData(
        slug=slug,
        title=title,
        kind=kind,
        order=_int(doc, "order", default_order),
        kicker=_str(doc, "kicker"),
        summary=_str(doc, "summary"),
        read_minutes=_int(doc, "read_minutes"),
        difficulty=_str(doc, "difficulty"),
        body_md=body.strip(),
        mental_models_md=_str(doc, "mental_models"),
        analogies_md=_str(doc, "analogies"),
        how_taught_md=_str(doc, "how_taught"),
        not_covered_md=_str(doc, "not_covered"),
        notebook=_str(doc, "notebook"),
        source=Source(doc.path, doc.body_line),
    )


def read_quiz_doc(doc: Document, *, default_slug: str) -> tuple[QuizData, list[QuestionData]]:
    check_keys(doc, QUIZ_KEYS)
    slug = _slug(
        _str(doc, "slug") or default_slug,
        path=doc.path,
        line=doc.key_line("slug"),
        what="quiz slug",
        max_length=100,
    )
    quiz = QuizData(
        slug=slug,
        title=_str(doc, "title") or slug,
        kind=_choice(
            _str(doc, "kind", "readiness"),
            QUIZ_KINDS,
            path=doc.path,
            line=doc.key_line("kind"),
            what="quiz kind",
        ),
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
    questions: list[QuestionData] = []
    if start is None:
        quiz.intro_md = doc.body.strip()
    else:
        quiz.intro_md = "\n".join(lines[:start]).strip()
        questions = _inline_questions(lines, start=start, first_line=doc.body_line, quiz=quiz, path=doc.path)
    return quiz, questions


def read_recall_doc(doc: Document, *, default_slug: str, default_order: int) -> RecallPlanData:
    check_keys(doc, RECALL_KEYS)
    plan = parse_recall(doc.body, path=doc.path, first_line=doc.body_line, canonical=doc.has_front_matter)
    plan.slug = _slug(
        _str(doc, "slug") or default_slug,
        path=doc.path,
        line=doc.key_line("slug"),
        what="recall plan slug",
        max_length=80,
    )
    plan.title = _str(doc, "title") or plan.title or plan.slug
    plan.module = _str(doc, "module")
    plan.order = _int(doc, "order", default_order)
    unlocks = doc.meta.get("unlock_lessons") or {}
    if not isinstance(unlocks, dict):
        raise BundleError(
            doc.path, doc.key_line("unlock_lessons"), "'unlock_lessons' maps day names to lesson slugs"
        )
    for name, slugs in unlocks.items():
        day = next((d for d in plan.days if d.name == str(name)), None)
        if day is None or not isinstance(slugs, list):
            raise BundleError(
                doc.path,
                doc.key_line("unlock_lessons"),
                f"unlock_lessons: no day {name!r} or not a list of slugs",
            )
        day.unlock_lessons = [str(slug) for slug in slugs]
    if not plan.days:
        raise BundleError(
            doc.path, None, "no days found (a day is a heading such as '## Monday (after ...)')"
        )
    return plan


# --- a whole bundle ---------------------------------------------------------------------


def read_bundle(root: Path) -> CourseData:
    """Every file of a bundle folder, as plain data."""
    root = root.resolve()
    course_file = root / "course.md"
    if not course_file.is_file():
        raise BundleError(_rel(course_file, root), None, "a bundle needs a course.md at its top level")
    doc = split_front_matter(_read_text(course_file, _rel(course_file, root)), path=_rel(course_file, root))
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
    course = CourseData(
        slug=slug,
        title=_str(doc, "title") or slug,
        summary=_str(doc, "summary"),
        description_md=doc.body.strip(),
        order=_int(doc, "order"),
        published=published,
        source=Source(doc.path, 1),
    )
    concepts_file = root / "concepts.yaml"
    if concepts_file.is_file():
        course.concepts = _read_concepts(concepts_file, root)
    root_questions = root / "questions.yaml"
    if root_questions.is_file():
        shown = _rel(root_questions, root)
        course.questions += read_questions(
            _read_text(root_questions, shown), path=shown, module="", allow_lesson=False
        )

    modules_dir = root / "modules"
    folders = sorted(p for p in modules_dir.iterdir() if p.is_dir()) if modules_dir.is_dir() else []
    for position, folder in enumerate(folders, start=1):
        course.modules.append(_read_module_folder(folder, root, position, course))

    for path in sorted((root / "quizzes").glob("*.md")):
        shown = _rel(path, root)
        quiz, questions = read_quiz_doc(
            split_front_matter(_read_text(path, shown), path=shown), default_slug=_stem_slug(path)
        )
        course.quizzes.append(quiz)
        course.questions += questions
    for position, path in enumerate(sorted((root / "recall").glob("*.md")), start=1):
        shown = _rel(path, root)
        doc = split_front_matter(_read_text(path, shown), path=shown)
        course.recall_plans.append(
            read_recall_doc(doc, default_slug=_stem_slug(path), default_order=position)
        )
    return course


def _read_concepts(path: Path, root: Path) -> list[ConceptData]:
    shown = _rel(path, root)
    concepts: list[ConceptData] = []
    for item, line in _yaml_items(_read_text(path, shown), path=shown):
        if not isinstance(item, dict) or any(key not in CONCEPT_KEYS for key in item):
            raise BundleError(shown, line, f"a concept is a mapping with {', '.join(CONCEPT_KEYS)}")
        name = str(item.get("name") or "").strip()
        slug = str(item.get("slug") or "").strip() or make_slug(name, 100)
        if not name:
            raise BundleError(shown, line, "a concept needs a name")
        _slug(slug, path=shown, line=line, what="concept slug", max_length=100)
        concepts.append(
            ConceptData(
                slug=slug,
                name=name,
                description=str(item.get("description") or "").strip(),
                source=Source(shown, line),
            )
        )
    return concepts


def _read_module_folder(folder: Path, root: Path, position: int, course: CourseData) -> ModuleData:
    module_file = folder / "module.md"
    shown = _rel(module_file, root)
    if not module_file.is_file():
        raise BundleError(shown, None, "each module folder needs a module.md")
    module = read_module_doc(
        split_front_matter(_read_text(module_file, shown), path=shown),
        default_slug=_stem_slug(folder),
        default_order=position,
    )
    from_summaries = {lesson.slug: lesson for lesson in module.lessons}
    lessons: list[LessonData] = []
    lesson_files = sorted(p for p in folder.glob("*.md") if p.name != "module.md")
    for order, path in enumerate(lesson_files, start=1):
        shown = _rel(path, root)
        doc = split_front_matter(_read_text(path, shown), path=shown)
        if not doc.has_front_matter and detect_kind_or_none(doc.body, shown) == "explainer":
            explainer = parse_explainer(doc.body, path=shown)
            lesson = explainer.lesson
            lesson.order = order
            if explainer.quiz is not None:
                explainer.quiz.module = module.slug
                course.quizzes.append(explainer.quiz)
                for question in explainer.questions:
                    question.module = module.slug
                module.questions += explainer.questions
        else:
            lesson = read_lesson_doc(doc, default_slug=_stem_slug(path), default_order=order)
        summary = from_summaries.pop(lesson.slug, None)
        if summary is not None:
            _fill_record(lesson, summary)
        lessons.append(lesson)
    # Lessons known only from the record's per-lesson summaries exist too, unbuilt.
    module.lessons = lessons + list(from_summaries.values())
    questions_file = folder / "questions.yaml"
    if questions_file.is_file():
        shown = _rel(questions_file, root)
        module.questions += read_questions(_read_text(questions_file, shown), path=shown, module=module.slug)
    return module


def _fill_record(lesson: LessonData, summary: LessonData) -> None:
    for name in ("mental_models_md", "analogies_md", "how_taught_md", "not_covered_md", "notebook"):
        if not getattr(lesson, name):
            setattr(lesson, name, getattr(summary, name))


def detect_kind_or_none(text: str, path: str) -> str | None:
    try:
        return detect_kind(text, path=path)
    except BundleError:
        return None


# --- one document -----------------------------------------------------------------------


def read_document(path: Path, *, kind: str | None = None) -> DocumentData:
    """One seed-style (or bundle-format) document: a module record, a recall week or an explainer."""
    shown = str(path)
    doc = split_front_matter(_read_text(path, shown), path=shown)
    if kind is not None and kind not in KINDS:
        raise BundleError(shown, None, f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    kind = kind or _kind_from_meta(doc) or detect_kind(doc.body, path=shown)
    if kind == "record":
        module = read_module_doc(doc, default_slug=_stem_slug(path), default_order=0)
        return DocumentData(kind=kind, modules=[module])
    if kind == "recall":
        plan = read_recall_doc(doc, default_slug=_stem_slug(path), default_order=0)
        if not doc.meta.get("slug") and plan.title:
            # A seed file's name is an opaque id; its title line names the week.
            plan.slug = make_slug(plan.title) or plan.slug
        return DocumentData(kind=kind, recall_plans=[plan])
    if doc.has_front_matter:
        lesson = read_lesson_doc(doc, default_slug=_stem_slug(path), default_order=0)
        module = ModuleData(
            slug="", title=lesson.title, kind="part", lessons=[lesson], source=Source(shown, 1)
        )
        return DocumentData(kind=kind, modules=[module])
    explainer = parse_explainer(doc.body, path=shown)
    module = ModuleData(
        slug="",
        title=explainer.lesson.title,
        kind="part",
        lessons=[explainer.lesson],
        questions=explainer.questions,
        source=Source(shown, 1),
    )
    return DocumentData(kind=kind, modules=[module], quizzes=[explainer.quiz] if explainer.quiz else [])


def _kind_from_meta(doc: Document) -> str | None:
    if not doc.has_front_matter:
        return None
    keys = set(doc.meta)
    if keys & {"status", "planned_lessons", "goal"} or str(doc.meta.get("kind", "")).lower() in MODULE_KINDS:
        return "record"
    if "unlock_lessons" in keys or "module" in keys:
        return "recall"
    if (
        keys & set(LESSON_KEYS) - {"slug", "title", "order"}
        or str(doc.meta.get("kind", "")).upper() in LESSON_KINDS
    ):
        return "explainer"
    return None
