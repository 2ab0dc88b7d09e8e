"""Importing bundle folders: content, idempotence, deletions, atomic failures, the command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courses.bundles import BundleError, import_bundle
from courses.models import Concept, Course, Module
from lessons.models import ConceptIndexEntry, Depth, Lesson
from quizzes.models import Question, Quiz, RecallDay, RecallPlan
from tests.courses.bundle_helpers import RICH, copy_rich, counts

pytestmark = pytest.mark.django_db


def test_rich_bundle_imports_every_kind_of_object() -> None:
    result = import_bundle(RICH)

    course = Course.objects.get(slug="signals-basics")
    assert result.course == course
    assert (result.modules, result.lessons, result.concepts, result.index_entries) == (2, 3, 4, 5)
    assert (result.questions, result.quizzes, result.recall_plans) == (9, 2, 1)
    assert "signals-basics" in result.summary() and "9 questions" in result.summary()
    assert course.order == 3 and course.is_published
    assert "<strong>digital signals</strong>" in course.description_html

    signals = Module.objects.get(course=course, slug="signals")
    assert (signals.status, signals.planned_lessons, signals.order) == ("In progress", 3, 1)
    assert signals.goal.startswith("The learner can pick")
    assert "photograph" in signals.record_html
    assert list(signals.lessons.values_list("slug", flat=True)) == ["sampling", "aliasing"]


def test_lesson_fields_sections_and_callouts() -> None:
    import_bundle(RICH)
    lesson = Lesson.objects.get(slug="sampling")
    assert (lesson.kicker, lesson.read_minutes, lesson.difficulty) == ("SIGNALS · SAMPLING", 9, "Beginner")
    assert lesson.notebook == "1-1-sampling.ipynb"
    assert "flip book" in lesson.analogies_html
    assert [(s.number, s.anchor) for s in lesson.sections.all()] == [
        ("1", "s1"),
        ("1.1", "s1-1"),
        ("2", "s2"),
    ]
    for css in ("callout-tldr", "callout-example", "callout-pitfall", "callout-remember", "compare-col"):
        assert css in lesson.body_html
    assert 'class="highlight"' in lesson.body_html
    assert lesson.check_slugs() == ["rate-unit"]


def test_concept_index_resolves_names_slugs_and_escaped_bars() -> None:
    import_bundle(RICH)
    entries = ConceptIndexEntry.objects.filter(lesson__module__slug="signals").order_by("order")
    assert [(e.concept.slug, e.lesson.slug, e.depth) for e in entries] == [
        ("sampling-rate", "sampling", Depth.DEVELOPED),
        ("nyquist", "sampling", Depth.INTRODUCED),
        ("nyquist", "aliasing", Depth.APPLIED),
        ("folding-of-frequencies-f-fs-f", "aliasing", Depth.MENTIONED),
    ]
    assert (
        Concept.objects.get(slug="folding-of-frequencies-f-fs-f").name
        == "Folding of frequencies (f | fs - f)"
    )
    assert Concept.objects.get(slug="moving-average").description.startswith("Replace each value")


def test_seed_style_module_record_inside_a_bundle() -> None:
    import_bundle(RICH)
    filters = Module.objects.get(slug="smoothing-filters")
    assert (filters.order, filters.status, filters.planned_lessons) == (2, "Planned", 2)
    lesson = filters.lessons.get()
    assert (lesson.slug, lesson.title, lesson.kind) == ("averaging", "Averaging neighbours", "BUILD")
    assert not lesson.is_built
    assert lesson.notebook == "2-1-averaging.ipynb"
    assert "voting among neighbours" in lesson.mental_models_md


def test_questions_options_quizzes_and_anchors() -> None:
    import_bundle(RICH)
    choice = Question.objects.get(slug="alias-choice")
    assert [(o.text, o.is_correct) for o in choice.options.all()] == [
        ("1 kHz", True),
        ("5 kHz", False),
        ("11 kHz", False),
    ]
    free = Question.objects.get(slug="rate-unit")
    assert (free.depth, free.lesson.slug, free.anchor) == (Depth.DEVELOPED, "sampling", "s1-1")
    assert sorted(free.concepts.values_list("slug", flat=True)) == ["nyquist", "sampling-rate"]
    readiness = Quiz.objects.get(slug="signals-readiness")
    assert [i.question.slug for i in readiness.items.all()] == ["rate-unit", "alias-choice", "units-check"]
    warmup = Quiz.objects.get(slug="warmup")
    assert (warmup.kind, warmup.lesson.slug) == ("lesson_check", "sampling")
    assert [i.question.answer_md for i in warmup.items.all()] == [
        "A voltage, at fixed times.",
        "Bigger files.",
    ]
    assert warmup.intro_md == "Answer from memory."


def test_recall_plan_days_prompts_and_lesson_refs() -> None:
    import_bundle(RICH)
    plan = RecallPlan.objects.get(slug="week-1")
    assert plan.module.slug == "signals"
    monday, tuesday = plan.days.all()
    assert [lesson.slug for lesson in monday.unlock_lessons.all()] == ["sampling"]
    assert sorted(lesson.slug for lesson in tuesday.unlock_lessons.all()) == ["aliasing", "sampling"]
    assert [p.question.slug for p in monday.prompts.all()] == ["week-1-d1-p1", "week-1-d1-p2", "alias-choice"]
    named = Question.objects.get(slug="week-1-d1-p2")
    assert (named.lesson.slug, named.section_ref, named.anchor) == ("sampling", "§1.1", "s1-1")
    wheel = Question.objects.get(slug="week-1-d2-p1")
    assert (wheel.lesson.slug, wheel.section_ref) == ("aliasing", "§1")
    multi_line = Question.objects.get(slug="week-1-d2-p2")
    assert multi_line.prompt_md.endswith("Show your working.")
    assert multi_line.section_ref == "§2"


def test_reimport_updates_in_place() -> None:
    import_bundle(RICH)
    before = counts()
    ids = {q.slug: q.pk for q in Question.objects.all()}
    result = import_bundle(RICH)
    assert counts() == before
    assert {q.slug: q.pk for q in Question.objects.all()} == ids
    assert not result.created and "Updated" in result.summary()


def test_reimport_removes_what_the_bundle_no_longer_has(tmp_path: Path) -> None:
    bundle = copy_rich(tmp_path)
    import_bundle(bundle)
    (bundle / "quizzes" / "02-warmup.md").unlink()
    (bundle / "recall" / "01-week-1.md").unlink()
    module = bundle / "modules" / "01-signals" / "module.md"
    module.write_text(
        module.read_text().replace(
            "| Nyquist limit | APPLIED | aliasing | Learners pick rates for three signals. |\n", ""
        )
    )

    result = import_bundle(bundle)

    assert not Quiz.objects.filter(slug="warmup").exists()
    assert not Question.objects.filter(slug__startswith="warmup-").exists()
    assert not RecallPlan.objects.exists() and not RecallDay.objects.exists()
    assert ConceptIndexEntry.objects.filter(lesson__slug="aliasing", concept__slug="nyquist").count() == 0
    assert result.deleted["quizzes"] == 1


BROKEN_CASES = [
    pytest.param(
        "modules/01-signals/01-sampling.md",
        ("title: What a sample is\n", "title: What: a sample is\n"),
        r"rich/modules/01-signals/01-sampling\.md:3: bad YAML",
        id="bad-yaml-front-matter",
    ),
    pytest.param(
        "modules/01-signals/01-sampling.md",
        ("difficulty: Beginner\n", "dificulty: Beginner\n"),
        r"01-sampling\.md:\d+: unknown front-matter key 'dificulty'",
        id="unknown-front-matter-key",
    ),
    pytest.param(
        "modules/01-signals/module.md",
        ("| nyquist | INTRODUCED |", "| nyquist | KNOWN |"),
        r"rich/modules/01-signals/module\.md:17: unknown depth 'KNOWN'",
        id="unknown-depth",
    ),
    pytest.param(
        "modules/01-signals/module.md",
        ("| APPLIED | aliasing |", "| APPLIED | wagon-wheels |"),
        r"module\.md:18: unknown lesson 'wagon-wheels' in module 'signals'",
        id="unknown-lesson-in-table",
    ),
    pytest.param(
        "modules/01-signals/questions.yaml",
        ("    - text: 5 kHz\n", "    - text: 5 kHz\n      correct: true\n"),
        r"questions\.yaml:11: choice question 'alias-choice' needs .* exactly one correct",
        id="two-correct-options",
    ),
    pytest.param(
        "modules/01-signals/02-aliasing.md",
        ("{{check: alias-choice}}", "{{check: no-such-question}}"),
        r"02-aliasing\.md:11: check names unknown question 'no-such-question'",
        id="check-names-unknown-question",
    ),
    pytest.param(
        "modules/01-signals/questions.yaml",
        ("- slug: alias-choice\n", "- slug: rate-unit\n"),
        r"questions\.yaml:11: duplicate question slug 'rate-unit'",
        id="duplicate-slug",
    ),
]


@pytest.mark.parametrize(("relative", "edit", "message"), BROKEN_CASES)
def test_broken_bundle_names_file_and_line_and_changes_nothing(
    tmp_path: Path, relative: str, edit: tuple[str, str], message: str
) -> None:
    bundle = copy_rich(tmp_path)
    import_bundle(bundle)
    before = counts()
    titles = sorted(Lesson.objects.values_list("title", flat=True))
    target = bundle / relative
    text = target.read_text()
    assert edit[0] in text
    target.write_text(text.replace(edit[0], edit[1], 1))
    # A change that would be written if the import went through: it must be rolled back.
    course_md = bundle / "course.md"
    course_md.write_text(course_md.read_text().replace("title: Signals from scratch", "title: Renamed"))

    with pytest.raises(BundleError) as caught:
        import_bundle(bundle)

    assert re.search(message, str(caught.value)), str(caught.value)
    assert caught.value.path.endswith(relative)
    assert counts() == before
    assert sorted(Lesson.objects.values_list("title", flat=True)) == titles
    assert Course.objects.get().title == "Signals from scratch"


def test_broken_bundle_into_empty_database_leaves_it_empty(tmp_path: Path) -> None:
    bundle = copy_rich(tmp_path)
    questions = bundle / "modules" / "01-signals" / "questions.yaml"
    questions.write_text(questions.read_text().replace("concepts: [nyquist]", "concepts: [nyquist, ghosts]"))
    with pytest.raises(BundleError, match="unknown concept 'ghosts'"):
        import_bundle(bundle)
    assert set(counts().values()) == {0}


def test_error_str_formats() -> None:
    assert str(BundleError("a/b.md", 3, "oops")) == "a/b.md:3: oops"
    assert str(BundleError("a/b.md", None, "oops")) == "a/b.md: oops"


def test_missing_course_md_and_missing_path(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"course\.md"):
        import_bundle(tmp_path)
    with pytest.raises(BundleError, match="no such file or folder"):
        import_bundle(tmp_path / "nowhere")


def test_single_document_needs_a_course(tmp_path: Path) -> None:
    document = tmp_path / "week.md"
    document.write_text("Week\n\nMonday\n- One? (§1)\nTuesday\n- Two? (§2)\n")
    with pytest.raises(BundleError, match="--course"):
        import_bundle(document)


def test_single_recall_document_replaces_only_its_plan(tmp_path: Path) -> None:
    import_bundle(RICH)
    document = tmp_path / "extra.md"
    document.write_text("# Extra week\n\nMonday (after aliasing)\n- First? (aliasing §2)\n- Second? (§1)\n")
    result = import_bundle(document, course_slug="signals-basics", kind="recall")
    assert result.recall_plans == 1 and result.questions == 2
    plan = RecallPlan.objects.get(slug="extra-week")
    assert [lesson.slug for lesson in plan.days.get().unlock_lessons.all()] == ["aliasing"]
    assert RecallPlan.objects.filter(slug="week-1").exists()
    document.write_text("# Extra week\n\nMonday\n- Only one now? (§1)\n")
    import_bundle(document, course_slug="signals-basics")
    assert not Question.objects.filter(slug="extra-week-d1-p2").exists()
    assert Question.objects.filter(slug="week-1-d1-p1").exists()


def test_import_command_prints_summary(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("import_course", str(RICH))
    assert "signals-basics" in capsys.readouterr().out


def test_import_command_turns_bundle_errors_into_command_errors(tmp_path: Path) -> None:
    bundle = copy_rich(tmp_path)
    (bundle / "course.md").write_text("---\nslug: x\ncolour: red\n---\n")
    with pytest.raises(CommandError, match=r"course\.md:3: unknown front-matter key 'colour'"):
        call_command("import_course", str(bundle))
