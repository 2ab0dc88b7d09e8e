"""Exporting a course as a canonical bundle, and export → import round trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command

from courses.bundles import export_course, import_bundle
from courses.models import Course
from tests.courses.bundle_helpers import (
    RICH,
    SEED_EXPLAINER,
    SEED_RECALL,
    SEED_RECORD,
    SEEDS,
    canonical_dump,
    counts,
)

pytestmark = pytest.mark.django_db


def _round_trip(course: Course, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    before = canonical_dump()
    export_course(course, tmp_path / "out")
    Course.objects.all().delete()
    assert set(counts().values()) == {0}
    import_bundle(tmp_path / "out")
    return before, canonical_dump()


def test_round_trip_of_rich_bundle(tmp_path: Path) -> None:
    result = import_bundle(RICH)
    before, after = _round_trip(result.course, tmp_path)
    assert after == before
    assert len(before["Question"]) == 9 and len(before["RecallPrompt"]) == 5


def test_round_trip_survives_a_second_export(tmp_path: Path) -> None:
    course = import_bundle(RICH).course
    export_course(course, tmp_path / "one")
    import_bundle(tmp_path / "one")
    export_course(Course.objects.get(), tmp_path / "two")
    first = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*") if p.is_file())
    assert first == second
    for relative in first:
        assert (tmp_path / "one" / relative).read_text() == (tmp_path / "two" / relative).read_text()


def test_export_layout_and_format(tmp_path: Path) -> None:
    course = import_bundle(RICH).course
    out = tmp_path / "out"
    export_course(course, out)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == [
        "concepts.yaml",
        "course.md",
        "modules/01-signals/01-sampling.md",
        "modules/01-signals/02-aliasing.md",
        "modules/01-signals/module.md",
        "modules/01-signals/questions.yaml",
        "modules/02-smoothing-filters/01-averaging.md",
        "modules/02-smoothing-filters/module.md",
        "questions.yaml",
        "quizzes/01-signals-readiness.md",
        "quizzes/02-warmup.md",
        "recall/01-week-1.md",
    ]
    lesson = (out / "modules/01-signals/01-sampling.md").read_text()
    assert lesson.startswith("---\nslug: sampling\ntitle: What a sample is\n")
    assert "mental_models: '- \"A sample is a photograph of a wave\"'\n" in lesson
    assert "goal: |-\n  The learner can pick" in (out / "modules/01-signals/module.md").read_text()
    module = (out / "modules/01-signals/module.md").read_text()
    assert "| Folding of frequencies (f \\| fs - f) | MENTIONED | aliasing | Named only. |" in module
    recall = (out / "recall/01-week-1.md").read_text()
    assert "## Monday (after sampling)" in recall
    assert "- {{question: alias-choice}}" in recall
    questions = yaml.safe_load((out / "modules/01-signals/questions.yaml").read_text())
    assert [q["slug"] for q in questions] == ["alias-choice", "rate-unit", "warmup-q1", "warmup-q2"]


def test_export_replaces_stale_files_but_keeps_others(tmp_path: Path) -> None:
    course = import_bundle(RICH).course
    out = tmp_path / "out"
    (out / "modules" / "99-gone").mkdir(parents=True)
    (out / "modules" / "99-gone" / "module.md").write_text("stale")
    (out / "README.md").write_text("mine")
    export_course(course, out)
    assert not (out / "modules" / "99-gone").exists()
    assert (out / "README.md").read_text() == "mine"


def test_changed_recall_unlocks_survive_export(tmp_path: Path) -> None:
    course = import_bundle(RICH).course
    monday = course.recall_plans.get().days.get(name="Monday")
    monday.unlock_lessons.clear()
    before, after = _round_trip(course, tmp_path)
    assert after == before


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the example documents folder {SEEDS} is absent")
def test_round_trip_of_imported_seeds(tmp_path: Path) -> None:
    for seed in (SEED_RECORD, SEED_EXPLAINER, SEED_RECALL):
        import_bundle(seed, course_slug="seeded")
    before, after = _round_trip(Course.objects.get(), tmp_path)
    for model, rows in before.items():
        for row_before, row_after in zip(rows, after[model], strict=True):
            assert {k: v for k, v in row_after.items() if row_before[k] != v} == {}, model
    assert after == before


def test_export_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import_bundle(RICH)
    call_command("export_course", "signals-basics", str(tmp_path / "cmd"))
    assert (tmp_path / "cmd" / "course.md").is_file()
    assert "signals-basics" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no course"):
        call_command("export_course", "missing", str(tmp_path / "x"))
