"""Importing the example documents in ../shared/seeds as they are (flattened web pages)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from courses.bundles import import_bundle
from courses.models import Module
from lessons.models import ConceptIndexEntry, Depth, Lesson
from quizzes.models import Question, Quiz, RecallPlan
from tests.courses.bundle_helpers import SEED_EXPLAINER, SEED_RECALL, SEED_RECORD, SEEDS, counts

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not SEEDS.is_dir(),
        reason=f"the example documents folder {SEEDS} is absent (a fresh checkout has none)",
    ),
]

RECORD_LESSONS = [
    ("finetuning-for-classification", "BUILD"),
    ("instruction-tuning", "STRETCH"),
    ("rlhf-and-alignment", "BUILD"),
    ("lora-and-quantization", "STRETCH"),
    ("putting-it-all-together", "CONSOLIDATE"),
]


def _import(path: Path, kind: str | None = None) -> None:
    import_bundle(path, course_slug="seeded", kind=kind)


def test_daily_recall_week() -> None:
    _import(SEED_RECALL)
    plan = RecallPlan.objects.get()
    days = list(plan.days.all())
    assert [d.name for d in days] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Weekend"]
    assert [d.prompts.count() for d in days] == [7, 7, 5, 6, 6, 6]
    assert "chapters 1-2" in days[0].unlock_note
    assert "Week 5" in plan.title
    refs = set(Question.objects.values_list("section_ref", flat=True))
    assert {"§2.1", "§1.1-§1.2", "ELI5", "ELI5 + §6.1", "final bridge"} <= refs
    first = days[0].prompts.first().question
    assert first.prompt_md.endswith("placeholders.")
    assert not any(q.prompt_md.rstrip().endswith(")") for q in Question.objects.all())


def test_module_record() -> None:
    _import(SEED_RECORD)
    module = Module.objects.get()
    assert (module.slug, module.title) == ("beyond-pretraining", "Beyond Pretraining")
    assert module.goal.startswith("The student can explain")
    assert (module.status, module.planned_lessons) == ("Complete", 5)
    assert "Key Mental Models" in module.record_md and module.record_html

    lessons = list(module.lessons.all())
    assert [(lesson.slug, lesson.kind) for lesson in lessons] == RECORD_LESSONS
    assert lessons[0].title == "Finetuning for Classification"
    assert lessons[3].title == "LoRA, Quantization & Inference"
    for lesson in lessons:
        assert (
            lesson.mental_models_md and lesson.analogies_md and lesson.how_taught_md and lesson.not_covered_md
        )
    assert lessons[0].notebook.endswith(".ipynb") and lessons[2].notebook == ""

    entries = ConceptIndexEntry.objects.filter(lesson__module=module)
    assert entries.count() == 42
    assert Counter(entries.values_list("depth", flat=True)) == {
        Depth.DEVELOPED: 23,
        Depth.INTRODUCED: 15,
        Depth.MENTIONED: 3,
        Depth.APPLIED: 1,
    }
    assert {e.lesson.slug for e in entries} == {slug for slug, _ in RECORD_LESSONS}
    escaped = entries.get(concept__name__startswith="Chat templates")
    assert "<|im_start|>" in escaped.concept.name and escaped.depth == Depth.DEVELOPED


def test_explainer_page() -> None:
    _import(SEED_EXPLAINER)
    lesson = Lesson.objects.get()
    assert (lesson.read_minutes, lesson.difficulty) == (35, "Sr Staff bar")
    chapters = list(lesson.sections.filter(level=2).exclude(number=""))
    assert [s.number for s in chapters] == [str(n) for n in range(1, 11)]
    assert chapters[0].title.startswith("The pretraining recipe")
    assert "FOUNDATIONS · PRETRAINING" in lesson.body_md

    first_chapter = lesson.body_html.split('id="s2"')[0]
    for css in ("callout-tldr", "callout-example", "callout-pitfall", "callout-remember"):
        assert css in first_chapter
    assert "callout-insight" in lesson.body_html
    assert '!!! compare "PPO (RLHF) vs GRPO"' in lesson.body_md
    assert 'class="compare"' in lesson.body_html

    quiz = Quiz.objects.get()
    assert quiz.kind == Quiz.Kind.READINESS
    questions = [item.question for item in quiz.items.all()]
    assert len(questions) == 20
    assert questions[0].prompt_md.startswith("Walk through Llama 3")
    assert questions[1].prompt_md == "Why GRPO over PPO?"
    assert all(q.answer_md.strip() and q.kind == Question.Kind.FREE for q in questions)
    assert "Show answer" not in "".join(q.answer_md for q in questions)


@pytest.mark.parametrize(
    "seed", [SEED_RECALL, SEED_RECORD, SEED_EXPLAINER], ids=["recall", "record", "explainer"]
)
def test_importing_a_seed_twice_keeps_the_counts(seed: Path) -> None:
    _import(seed)
    before = counts()
    _import(seed)
    assert counts() == before


def test_all_three_seeds_share_a_course_and_recall_links_into_the_explainer() -> None:
    _import(SEED_RECORD)
    _import(SEED_EXPLAINER)
    _import(SEED_RECALL)
    assert Module.objects.count() == 2
    linked = Question.objects.get(section_ref="§3.3", prompt_md__startswith="Why is a chat template")
    assert linked.lesson is not None and linked.anchor == "s3-3"
    # The record import replaced nothing of the explainer's module.
    _import(SEED_RECORD)
    assert Lesson.objects.filter(slug="llm-training-and-rlhf").exists()


def test_forced_kind_is_respected(tmp_path: Path) -> None:
    text = "Some week\n\nMonday (after intro)\n- What is it? (§1)\n"
    document = tmp_path / "w.txt"
    document.write_text(text)
    _import(document, kind="recall")
    assert RecallPlan.objects.get().days.get().prompts.count() == 1
