"""Plain data read from a bundle or a seed document, before anything touches the database.

Every object keeps the file and line it came from so the importer can name them in errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from courses.bundles.schema import DEFAULT_DEPTH


@dataclass(frozen=True)
class Source:
    path: str
    line: int | None = None


@dataclass
class ConceptData:
    slug: str
    name: str
    description: str = ""
    source: Source = field(default_factory=lambda: Source(""))


@dataclass
class IndexEntryData:
    concept: str  # the Concept cell: a name, or a slug listed in concepts.yaml
    depth: int
    lesson: str  # lesson slug in the same module
    notes: str
    order: int
    source: Source


@dataclass
class LessonData:
    slug: str
    title: str
    kind: str = "BUILD"
    order: int = 0
    kicker: str = ""
    summary: str = ""
    read_minutes: int = 0
    difficulty: str = ""
    body_md: str = ""
    concepts_taught_md: str = ""
    mental_models_md: str = ""
    analogies_md: str = ""
    how_taught_md: str = ""
    not_covered_md: str = ""
    notebook: str = ""
    notebook_about: str = ""
    # True when the lesson is only known from a module record's per-lesson summary: a
    # single-document import then leaves its body and page fields alone.
    record_only: bool = False
    source: Source = field(default_factory=lambda: Source(""))


@dataclass
class OptionData:
    text: str
    correct: bool


@dataclass
class QuestionData:
    slug: str
    prompt: str
    kind: str = "free"
    answer: str = ""
    key_points: str = ""
    explanation: str = ""
    concepts: list[str] = field(default_factory=list)
    depth: int = DEFAULT_DEPTH
    lesson: str = ""  # lesson slug; "" = none
    module: str = ""  # module slug the lesson belongs to; "" = any module of the course
    ref: str = ""
    options: list[OptionData] = field(default_factory=list)
    shuffle_options: bool = True
    # A reference that names a document ("explainer §3.4"): only that document's lesson may
    # take it; None = the reference names none (or lesson is set).
    ref_document: str | None = None
    source: Source = field(default_factory=lambda: Source(""))


@dataclass
class ModuleData:
    slug: str
    title: str
    kind: str = "module"
    order: int = 0
    goal: str = ""
    status: str = ""
    planned_lessons: int = 0
    record_md: str = ""
    lessons: list[LessonData] = field(default_factory=list)
    index: list[IndexEntryData] = field(default_factory=list)
    questions: list[QuestionData] = field(default_factory=list)
    source: Source = field(default_factory=lambda: Source(""))


@dataclass
class QuizData:
    slug: str
    title: str
    kind: str = "readiness"
    module: str = ""
    lesson: str = ""
    intro_md: str = ""
    question_slugs: list[str] = field(default_factory=list)
    source: Source = field(default_factory=lambda: Source(""))


@dataclass
class RecallPromptData:
    text: str
    raw_ref: str  # the trailing reference as written, possibly starting with a lesson slug
    question_slug: str = ""  # set when the bullet names an existing question ({{question: slug}})
    source: Source = field(default_factory=lambda: Source(""))


@dataclass
class RecallDayData:
    name: str
    unlock_note: str
    prompts: list[RecallPromptData] = field(default_factory=list)
    # None = derive from the lesson slugs named in unlock_note.
    unlock_lessons: list[str] | None = None
    source: Source = field(default_factory=lambda: Source(""))


@dataclass
class RecallPlanData:
    slug: str
    title: str
    module: str = ""
    intro_md: str = ""
    order: int = 0
    days: list[RecallDayData] = field(default_factory=list)
    source: Source = field(default_factory=lambda: Source(""))


@dataclass
class CourseData:
    slug: str
    title: str
    summary: str = ""
    description_md: str = ""
    order: int = 0
    published: bool = True
    cheat_sheet_access: str = "after_checks"
    concepts: list[ConceptData] = field(default_factory=list)
    modules: list[ModuleData] = field(default_factory=list)
    questions: list[QuestionData] = field(default_factory=list)  # course-level, outside any module
    quizzes: list[QuizData] = field(default_factory=list)
    recall_plans: list[RecallPlanData] = field(default_factory=list)
    source: Source = field(default_factory=lambda: Source(""))


@dataclass
class DocumentData:
    """What one single-file import defines; the importer replaces only these objects."""

    kind: str  # record | recall | explainer | cheatsheet
    modules: list[ModuleData] = field(default_factory=list)
    questions: list[QuestionData] = field(default_factory=list)  # course-level (a cheat sheet's)
    sheet_module: str = ""  # a cheat sheet's "Course · Module" line: the module it is about
    sheet_slug: str = ""
    quizzes: list[QuizData] = field(default_factory=list)
    recall_plans: list[RecallPlanData] = field(default_factory=list)
