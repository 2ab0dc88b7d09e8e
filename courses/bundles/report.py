"""The import report: what came in, and every non-blank source line that did not, with why.

Parsers claim lines on a per-file Ledger as they read them: `use` when the line's content
went somewhere, `skip` with a reason when it was left out on purpose. A line nobody
claims is still reported ("not read"), so nothing is lost silently; the fixture tests
assert that no line of theirs ends up there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

NOT_READ = "not read by any parser"


@dataclass(frozen=True)
class LeftOut:
    path: str
    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}: {self.text.strip()[:100]}"


@dataclass
class Ledger:
    """The lines of one file and what became of each."""

    path: str
    lines: list[str]
    used: set[int] = field(default_factory=set)
    skipped: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, path: str, text: str) -> Ledger:
        return cls(path=path, lines=text.split("\n"))

    def use(self, *lines: int) -> None:
        self.used.update(lines)

    def use_span(self, first: int, last: int) -> None:
        """Lines first..last (1-based, inclusive)."""
        self.used.update(range(first, last + 1))

    def skip(self, line: int, reason: str) -> None:
        if line not in self.used:
            self.skipped.setdefault(line, reason)

    def unskip(self, line: int) -> None:
        self.skipped.pop(line, None)

    def left_out(self) -> list[LeftOut]:
        items: list[LeftOut] = []
        for number, text in enumerate(self.lines, start=1):
            if not text.strip() or number in self.used:
                continue
            reason = self.skipped.get(number, NOT_READ)
            items.append(LeftOut(self.path, number, text, reason))
        return items


@dataclass
class ImportReport:
    """Counts per kind that came in (or would, in a dry run) and the lines that did not."""

    course: str = ""
    created: bool = False
    dry_run: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    ledgers: list[Ledger] = field(default_factory=list)
    notes: list[LeftOut] = field(default_factory=list)  # read, but not as written (e.g. an unresolved ref)

    def ledger(self, path: str, text: str) -> Ledger:
        ledger = Ledger.of(path, text)
        self.ledgers.append(ledger)
        return ledger

    def left_out(self) -> list[LeftOut]:
        return [item for ledger in self.ledgers for item in ledger.left_out()]

    def line_totals(self, left_out: list[LeftOut] | None = None) -> tuple[int, int]:
        """(non-blank lines read, non-blank lines left out) over every file."""
        total = sum(1 for ledger in self.ledgers for text in ledger.lines if text.strip())
        left = len(self.left_out() if left_out is None else left_out)
        return total - left, left

    def summary(self) -> str:
        order = (
            "modules", "lessons", "concepts", "index entries", "questions", "quizzes",
            "recall plans", "recall days", "recall prompts",
        )  # fmt: skip
        parts = [f"{self.counts.get(kind, 0)} {kind}" for kind in order if kind in self.counts]
        parts += [f"{count} {kind}" for kind, count in self.counts.items() if kind not in order]
        verb = "Would create" if self.dry_run and self.created else "Would update" if self.dry_run else None
        verb = verb or ("Created" if self.created else "Updated")
        text = f"{verb} course {self.course!r}: {', '.join(parts)}."
        removed = [f"{count} {name}" for name, count in self.deleted.items() if count]
        if removed:
            text += f" {'Would remove' if self.dry_run else 'Removed'}: {', '.join(removed)}."
        return text

    def lines(self) -> list[str]:
        """The whole report as text lines, as import_course --dry-run prints it."""
        left_out = self.left_out()
        read, left = self.line_totals(left_out)
        out = [self.summary(), f"Lines: {read} read, {left} left out."]
        if left_out:
            out.append("Left out:")
            out += [f"  {item}" for item in left_out]
        if self.notes:
            out.append("Notes:")
            out += [f"  {item}" for item in self.notes]
        return out
