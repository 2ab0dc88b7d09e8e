"""Git-friendly export: export -> import -> export gives byte-identical files, and names are kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from courses.bundles import export_course, import_bundle
from courses.models import Course
from lessons.models import Lesson
from quizzes.models import Question
from tests.courses.bundle_helpers import RICH, SEED_EXPLAINER, SEED_RECALL, SEED_RECORD, SEEDS, canonical_dump

pytestmark = pytest.mark.django_db

DEMO = Path(settings.DEMO_BUNDLE_DIR)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _export_import_export(course: Course, tmp_path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    export_course(course, tmp_path / "first")
    Course.objects.all().delete()
    import_bundle(tmp_path / "first")
    export_course(Course.objects.get(), tmp_path / "second")
    return _files(tmp_path / "first"), _files(tmp_path / "second")


def _import_seeds() -> Course:
    for seed in (SEED_RECORD, SEED_EXPLAINER, SEED_RECALL):
        import_bundle(seed, course_slug="seeded")
    return Course.objects.get()


@pytest.mark.parametrize("source", ["rich", "demo", "seeds"])
def test_export_import_export_is_byte_identical(source: str, tmp_path: Path) -> None:
    if source == "seeds":
        if not SEEDS.is_dir():
            pytest.skip(f"the example documents folder {SEEDS} is absent")
        course = _import_seeds()
    else:
        course = import_bundle(RICH if source == "rich" else DEMO).course
    first, second = _export_import_export(course, tmp_path)
    assert list(first) == list(second)
    for name, data in first.items():
        assert data == second[name], name
        assert b"\r" not in data and data.endswith(b"\n"), name


def test_export_into_the_source_checkout_keeps_its_file_names(tmp_path: Path) -> None:
    checkout = tmp_path / "course"
    shutil.copytree(DEMO, checkout)
    (checkout / ".git").mkdir()
    (checkout / "README.md").write_text("Notes for the authors.\n")
    before = set(_files(checkout))
    course = import_bundle(checkout).course
    export_course(course, checkout)
    assert set(_files(checkout)) == before
    assert (checkout / "README.md").read_text() == "Notes for the authors.\n"


def test_an_admin_edit_changes_only_its_own_file_and_no_line_ends(tmp_path: Path) -> None:
    checkout = tmp_path / "course"
    shutil.copytree(DEMO, checkout)
    course = import_bundle(checkout).course
    export_course(course, checkout)
    exported = _files(checkout)
    lesson = Lesson.objects.filter(module__course=course).order_by("module__order", "order").first()
    assert lesson is not None
    lesson.body_md = lesson.body_md.replace("\n", "\r\n") + "\r\n\r\nOne more paragraph.\r\n"
    lesson.save()
    export_course(course, checkout)
    changed = {name for name, data in _files(checkout).items() if exported.get(name) != data}
    assert len(changed) == 1 and changed.pop().endswith(".md")
    assert all(b"\r" not in data for data in _files(checkout).values())


KEY_POINTS_QUESTIONS = """- slug: why-two
  prompt: Why are there two high tides a day?
  answer: The far side is pulled less than the centre.
  key_points:
    - the near side is pulled more than the centre
    - the far side is pulled less and bulges away
- slug: pick-one
  kind: choice
  prompt: Which answer is complete?
  options:
    - text: The moon
      correct: true
    - text: The sun
    - text: All of the above
  shuffle_options: false
"""


def test_key_points_and_pinned_option_order_round_trip(tmp_path: Path) -> None:
    bundle = tmp_path / "tides"
    shutil.copytree(RICH, bundle)
    questions = bundle / "questions.yaml"
    questions.write_text(questions.read_text() + KEY_POINTS_QUESTIONS)
    course = import_bundle(bundle).course
    free = Question.objects.get(slug="why-two")
    assert free.key_point_list() == [
        "the near side is pulled more than the centre",
        "the far side is pulled less and bulges away",
    ]
    assert Question.objects.get(slug="pick-one").shuffle_options is False
    assert Question.objects.filter(shuffle_options=True).exists()
    before = canonical_dump()
    first, second = _export_import_export(course, tmp_path)
    assert first == second and canonical_dump() == before
    assert b"shuffle_options: false" in first["questions.yaml"]
    assert b"key_points:\n  - the near side" in first["questions.yaml"]


def test_cheat_sheet_access_round_trips_and_a_bad_value_names_its_line(tmp_path: Path) -> None:
    from courses.bundles import BundleError

    bundle = tmp_path / "tides"
    shutil.copytree(RICH, bundle)
    course_md = bundle / "course.md"
    course_md.write_text(course_md.read_text().replace("---\n", "---\ncheat_sheets: open\n", 1))
    course = import_bundle(bundle).course
    assert course.cheat_sheet_access == Course.CheatSheetAccess.OPEN
    first, second = _export_import_export(course, tmp_path)
    assert first == second and b"cheat_sheets: open\n" in first["course.md"]

    course_md.write_text(course_md.read_text().replace("cheat_sheets: open", "cheat_sheets: sometimes"))
    with pytest.raises(BundleError, match=r"course\.md:2: 'cheat_sheets' must be one of after_checks, open"):
        import_bundle(bundle)


def test_the_default_cheat_sheet_access_is_not_written(tmp_path: Path) -> None:
    course = import_bundle(RICH).course
    assert course.cheat_sheet_access == Course.CheatSheetAccess.AFTER_CHECKS
    export_course(course, tmp_path / "out")
    assert b"cheat_sheets" not in (tmp_path / "out" / "course.md").read_bytes()
