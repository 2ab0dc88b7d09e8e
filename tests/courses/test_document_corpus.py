"""The document corpus: documents of the seeds' kinds (our own writing), each with the result it must give.

Each `tests/fixtures/documents/NAME.txt` has a sidecar `NAME.expect.yaml`:

    kind: recall              # optional: forced --kind
    setup: [other.txt]        # optional: corpus documents imported first into the same course
    error: "text"             # the import must fail with this in the message (then nothing changed)
    counts: {Question: 4}     # row counts after the import
    days: [[Monday, 2, note]] # recall days in order: name, prompt count, unlock note (optional)
    unlocks: {Monday: [slug]} # lesson slugs each day unlocks
    questions: {slug: {field: value, field_contains: text, field_lacks: text}}
    lessons: {slug: {...}}    # same field checks on lessons; modules: {slug: {...}}
    entries: {concept name: {depth: DEVELOPED, notes_contains: text}}
    quizzes: {slug: number of questions}
    left_out: {line: reason text}   # the only lines the report may leave out

and every document's report must account for every non-blank line: read, or left out
with a reason that is not "not read by any parser".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from courses.bundles import BundleError, import_bundle
from courses.bundles.report import NOT_READ
from courses.models import Module
from lessons.models import ConceptIndexEntry, Lesson
from quizzes.models import Question, Quiz, RecallPlan
from tests.courses.bundle_helpers import counts

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "documents"
DOCUMENTS = sorted(CORPUS.glob("*.txt"))
COURSE = "corpus"


def _expect(document: Path) -> dict[str, Any]:
    sidecar = document.with_suffix(".expect.yaml")
    data = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
    assert isinstance(data, dict), sidecar
    return data


def _check_fields(obj: Any, wanted: dict[str, Any], label: str) -> None:
    for key, value in wanted.items():
        if key.endswith("_contains"):
            actual = str(getattr(obj, key.removesuffix("_contains")))
            assert value in actual, (label, key, actual)
        elif key.endswith("_lacks"):
            actual = str(getattr(obj, key.removesuffix("_lacks")))
            assert value not in actual, (label, key, actual)
        elif key == "lesson":
            actual_lesson = obj.lesson.slug if obj.lesson else None
            assert actual_lesson == value, (label, key, actual_lesson)
        else:
            assert getattr(obj, key) == value, (label, key, getattr(obj, key))


def _check_recall(expect: dict[str, Any]) -> None:
    if "days" in expect:
        plan = RecallPlan.objects.get()
        days = [[day.name, day.prompts.count(), day.unlock_note] for day in plan.days.order_by("order")]
        assert [day[: len(want)] for day, want in zip(days, expect["days"], strict=True)] == expect["days"]
    for name, slugs in expect.get("unlocks", {}).items():
        day = RecallPlan.objects.get().days.get(name=name)
        assert sorted(lesson.slug for lesson in day.unlock_lessons.all()) == sorted(slugs), name


def _check_rows(expect: dict[str, Any]) -> None:
    for model, count in expect.get("counts", {}).items():
        assert counts()[model] == count, (model, counts()[model])
    for slug, wanted in expect.get("questions", {}).items():
        _check_fields(Question.objects.get(slug=slug), wanted, slug)
    for slug, wanted in expect.get("lessons", {}).items():
        _check_fields(Lesson.objects.get(slug=slug), wanted, slug)
    for slug, wanted in expect.get("modules", {}).items():
        _check_fields(Module.objects.get(slug=slug), wanted, slug)
    for name, wanted in expect.get("entries", {}).items():
        entry = ConceptIndexEntry.objects.get(concept__name=name)
        _check_fields(entry, {k: v for k, v in wanted.items() if k != "depth"}, name)
        if "depth" in wanted:
            assert entry.get_depth_display().upper() == wanted["depth"], name
    for slug, number in expect.get("quizzes", {}).items():
        assert Quiz.objects.get(slug=slug).items.count() == number, slug


def test_the_corpus_has_forty_documents_each_with_a_sidecar() -> None:
    assert len(DOCUMENTS) >= 40
    for document in DOCUMENTS:
        assert document.with_suffix(".expect.yaml").is_file(), document


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.stem for d in DOCUMENTS])
def test_document_gives_its_expected_result(document: Path) -> None:
    expect = _expect(document)
    for name in expect.get("setup", []):
        import_bundle(CORPUS / name, course_slug=COURSE)
    if "error" in expect:
        before = counts()
        with pytest.raises(BundleError) as caught:
            import_bundle(document, course_slug=COURSE, kind=expect.get("kind"))
        assert expect["error"] in str(caught.value)
        assert counts() == before
        return
    result = import_bundle(document, course_slug=COURSE, kind=expect.get("kind"))
    _check_rows(expect)
    _check_recall(expect)
    left_out = {item.line: item.reason for item in result.report.left_out() if item.path == str(document)}
    wanted = {int(line): reason for line, reason in (expect.get("left_out") or {}).items()}
    assert set(left_out) == set(wanted), left_out
    for line, reason in wanted.items():
        assert reason in left_out[line], (line, left_out[line])


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.stem for d in DOCUMENTS])
def test_every_non_blank_line_is_read_or_reported_with_a_reason(document: Path) -> None:
    expect = _expect(document)
    if "error" in expect:
        pytest.skip("an import that fails reports its error instead")
    for name in expect.get("setup", []):
        import_bundle(CORPUS / name, course_slug=COURSE)
    report = import_bundle(document, course_slug=COURSE, kind=expect.get("kind"), dry_run=True).report
    ledger = next(ledger for ledger in report.ledgers if ledger.path == str(document))
    non_blank = {n for n, line in enumerate(ledger.lines, start=1) if line.strip()}
    left = {item.line: item.reason for item in ledger.left_out()}
    assert non_blank == (ledger.used & non_blank) | set(left)
    assert NOT_READ not in left.values(), {n: ledger.lines[n - 1] for n, r in left.items() if r == NOT_READ}


def test_a_dry_run_writes_nothing() -> None:
    before = counts()
    result = import_bundle(DOCUMENTS[0], course_slug=COURSE, dry_run=True)
    assert counts() == before
    assert result.report.dry_run and result.summary().startswith("Would create")


def test_import_course_dry_run_prints_the_report_and_writes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = CORPUS / "c04-unsplittable.txt"
    call_command("import_course", str(document), course="corpus", dry_run=True)
    out = capsys.readouterr().out
    assert out.startswith("Would create course 'corpus': ")
    assert "Lines: 7 read, 2 left out." in out
    assert f"{document}:5: cannot split this into a question and its answer" in out
    assert set(counts().values()) == {0}
    call_command("import_course", str(document), course="corpus")
    assert capsys.readouterr().out.startswith("Created course 'corpus': ")
    assert counts()["Question"] == 2
