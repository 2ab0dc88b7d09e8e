"""manage.py seed_bench: a large synthetic course and learner history for the benchmark.

    manage.py seed_bench --learners 2000 --concepts 500 --attempts 1000000 [--lessons 100] [--reset]

The course (slug ``bench-course``) is written with the ORM and rendered by the real
``course_render``, so lesson pages carry real sections, callouts, highlighted code and
embedded checks. Learners (``bench-0001`` …, all with the password ``bench-password``)
share one precomputed hash. Each learner's history replays the real FSRS scheduler
(``mastery.scheduling.review``) over their attempts, so every ReviewCard is exactly the
card the app would hold after those attempts. Attempts and cards go in with COPY on
PostgreSQL and bulk_create elsewhere.

ConceptMastery is left empty on purpose: the nightly recompute (``mastery_decay_all``)
fills it, and the benchmark times that run as its own step.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Profile
from courses.models import Concept, Course, Module
from courses.services import course_render
from lessons.models import ConceptIndexEntry, Depth, Lesson
from mastery import scheduling
from mastery.models import Attempt, ConceptMastery, Grade, Mode, ReviewCard
from quizzes.models import Option, Question

COURSE_SLUG = "bench-course"
USER_PREFIX = "bench-"
PASSWORD = "bench-password"

LESSONS_PER_MODULE = 10
SECTIONS_PER_LESSON = 5
CHECKS_PER_LESSON = 4
OPTIONS_PER_CHOICE = 4
# Learners revisit what they studied: on average this many attempts per question touched.
ATTEMPTS_PER_QUESTION = 3.3
HISTORY_DAYS = 90
MIN_HISTORY_DAYS = 7
# Rows per COPY (each in its own transaction, so the deferred foreign-key checks of one
# chunk are settled before the next) or per bulk_create batch.
COPY_CHUNK = 50_000
BULK_BATCH = 2_000

ATTEMPT_FIELDS = (
    "learner_id",
    "question_id",
    "mode",
    "grade",
    "option_id",
    "is_correct",
    "revealed",
    "think_ms",
    "time_taken_ms",
    "key",
    "created_at",
)
CARD_FIELDS = (
    "learner_id",
    "question_id",
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
)

# The vocabulary of the synthetic subject; only the shape of the text matters to the benchmark.
ADJECTIVES = [
    "adaptive",
    "bounded",
    "cached",
    "concurrent",
    "durable",
    "eager",
    "elastic",
    "layered",
    "lazy",
    "linear",
    "ordered",
    "partitioned",
    "persistent",
    "sharded",
    "sparse",
    "streaming",
    "tiered",
    "versioned",
]
NOUNS = [
    "buffer",
    "cursor",
    "journal",
    "ledger",
    "lattice",
    "manifest",
    "partition",
    "pipeline",
    "queue",
    "quorum",
    "register",
    "replica",
    "scheduler",
    "segment",
    "snapshot",
    "stream",
    "table",
    "window",
]
VERBS = [
    "absorbs",
    "batches",
    "bounds",
    "caches",
    "compacts",
    "defers",
    "drains",
    "flushes",
    "merges",
    "orders",
    "replays",
    "retries",
    "routes",
    "samples",
    "splits",
    "stages",
    "tracks",
    "validates",
]
CALLOUTS = ("tldr", "insight", "pitfall", "remember", "example")


def words(rng: random.Random, count: int) -> str:
    pool = (ADJECTIVES, NOUNS, VERBS)
    return " ".join(rng.choice(pool[i % 3]) for i in range(count))


def sentence(rng: random.Random) -> str:
    subject = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    text = f"The {subject} {rng.choice(VERBS)} {words(rng, rng.randint(6, 14))}"
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def lesson_body(rng: random.Random, *, title: str, check_slugs: Sequence[str]) -> str:
    """A lesson of numbered sections with a callout, a table, code and the given checks."""
    out: list[str] = []
    for number in range(1, SECTIONS_PER_LESSON + 1):
        out.append(f"## {rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS)}s in {title.lower()}\n")
        out.append(paragraph(rng, 5) + "\n")
        if number == 1:
            kind = rng.choice(CALLOUTS)
            out.append(f"!!! {kind}\n    {paragraph(rng, 2)}\n")
        if number == 2:
            out.append("| Setting | Effect | Cost |\n|---|---|---|")
            out.extend(
                f"| `{rng.choice(NOUNS)}_{i}` | {words(rng, 5)} | {rng.randint(1, 900)} ms |"
                for i in range(5)
            )
            out.append("")
        if number == 3:
            name = rng.choice(NOUNS)
            out.append(
                f"```python\ndef {name}_step(items: list[int], limit: int = {rng.randint(2, 64)}):\n"
                f"    # {words(rng, 6)}\n    kept = [x for x in items if x < limit]\n"
                "    return sorted(kept)[:limit]\n```\n"
            )
        for sub in range(1, 3):
            out.append(f"### {rng.choice(VERBS).capitalize()} the {rng.choice(NOUNS)} ({number}.{sub})\n")
            out.append(paragraph(rng, 4) + "\n")
            out.append("\n".join(f"- {sentence(rng)}" for _ in range(3)) + "\n")
        if number <= len(check_slugs):
            out.append(f"{{{{check: {check_slugs[number - 1]}}}}}\n")
    return "\n".join(out)


@dataclass
class BenchQuestion:
    pk: int
    is_choice: bool
    correct_option: int | None = None
    wrong_options: list[int] = field(default_factory=list)


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line every 10% in a log."""

    def __init__(self, out: OutputWrapper, label: str, total: int) -> None:
        self.out, self.label, self.total = out, label, max(total, 1)
        self.done = 0
        self.started = time.monotonic()
        self.drawn_at = 0.0
        self.tenths = -1
        self.tty = out.isatty()

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self.tty and now - self.drawn_at >= 0.1:
            self.drawn_at = now
            self._write("\r" + self._line())
        elif not self.tty and self.done * 10 // self.total > self.tenths:
            self.tenths = self.done * 10 // self.total
            self._write(self._line() + "\n")

    def close(self) -> None:
        self.done = self.total
        self._write(("\r" + self._line() + "\n") if self.tty else "")

    def _line(self) -> str:
        fraction = min(self.done / self.total, 1.0)
        bar = "#" * int(fraction * 30)
        elapsed = time.monotonic() - self.started
        return f"{self.label:<9} [{bar:<30}] {fraction:4.0%} {self.done:>9,}/{self.total:,} {elapsed:6.1f}s"

    def _write(self, text: str) -> None:
        if text:
            # The identity style: stderr's default style would colour the bar as an error.
            self.out.write(text, style_func=lambda s: s, ending="")
            self.out.flush()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)


class RowWriter:
    """Append rows of one model; COPY on PostgreSQL (fastest by far), bulk_create elsewhere."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        self.model, self.fields = model, fields
        self.use_copy = connection.vendor == "postgresql"
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def add(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= (COPY_CHUNK if self.use_copy else BULK_BATCH):
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with transaction.atomic():
            if self.use_copy:
                self._copy()
            else:
                self.model._default_manager.bulk_create(
                    [self.model(**dict(zip(self.fields, row, strict=True))) for row in self.rows],
                    batch_size=BULK_BATCH,
                )
        self.written += len(self.rows)
        self.rows = []

    def _copy(self) -> None:
        meta = self.model._meta
        columns = ", ".join(connection.ops.quote_name(self._column(name)) for name in self.fields)
        sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
        text = "".join("\t".join(_copy_value(v) for v in row) + "\n" for row in self.rows)
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            copy.write(text)

    def _column(self, name: str) -> str:
        model_field = self.model._meta.get_field(name)
        assert isinstance(model_field, models.Field) and model_field.column
        return model_field.column


@dataclass(frozen=True)
class Scale:
    learners: int
    concepts: int
    attempts: int
    lessons: int


class Command(BaseCommand):
    help = "Seed the benchmark dataset: a large course, many learners and their attempt history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--learners", type=int, default=2000)
        parser.add_argument("--concepts", type=int, default=500)
        parser.add_argument("--attempts", type=int, default=1_000_000)
        parser.add_argument("--lessons", type=int, default=100)
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed: the same seed gives the same data."
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete the bench course and bench learners first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale = Scale(
            learners=options["learners"],
            concepts=options["concepts"],
            attempts=options["attempts"],
            lessons=options["lessons"],
        )
        if min(scale.learners, scale.concepts, scale.lessons) < 1 or scale.attempts < 0:
            raise CommandError(
                "--learners, --concepts and --lessons must be at least 1, --attempts at least 0"
            )
        if options["reset"]:
            self._timed("reset", bench_data_delete)
        elif bench_data_exists():
            raise CommandError(
                f"the bench dataset is already there (course {COURSE_SLUG!r} or users {USER_PREFIX}*); "
                "use --reset to replace it"
            )
        rng = random.Random(options["seed"])
        questions = self._timed("course", lambda: bench_course_build(rng, scale))
        learner_ids = self._timed("learners", lambda: bench_learners_create(scale.learners))
        attempts, cards = self._timed(
            "history", lambda: bench_history_write(rng, learner_ids, questions, scale.attempts, self.stderr)
        )
        if connection.vendor == "postgresql":
            # Fresh statistics and visibility map, so that the benchmark does not race autovacuum.
            self._timed("analyze", bench_tables_vacuum)
        self.stdout.write(
            f"bench dataset: {len(learner_ids)} learners, {scale.concepts} concepts, "
            f"{len(questions)} questions, {scale.lessons} lessons, {attempts} attempts, {cards} review cards "
            f"(password for every learner: {PASSWORD})"
        )

    def _timed(self, label: str, step: Any) -> Any:
        started = time.monotonic()
        result = step()
        self.stderr.write(f"{label}: {time.monotonic() - started:.1f}s", style_func=lambda s: s)
        return result


def bench_data_exists() -> bool:
    return (
        Course.objects.filter(slug=COURSE_SLUG).exists()
        or User.objects.filter(username__startswith=USER_PREFIX).exists()
    )


def bench_data_delete() -> None:
    """Remove the bench course, the bench learners and everything that hangs off them."""
    learners = User.objects.filter(username__startswith=USER_PREFIX)
    with transaction.atomic():
        # The learner-model tables first, each as one DELETE: left to the cascade, the
        # collector would load a million attempts into memory.
        for model in (Attempt, ReviewCard, ConceptMastery):
            model._default_manager.filter(learner__in=learners).delete()
        learners.delete()
        Course.objects.filter(slug=COURSE_SLUG).delete()


def bench_course_build(rng: random.Random, scale: Scale) -> list[BenchQuestion]:
    """Write and render the bench course; its questions in course order (with option ids for choices)."""
    with transaction.atomic():
        course = Course.objects.create(
            slug=COURSE_SLUG,
            title="Benchmark course",
            summary="A large synthetic course for load tests.",
            description_md=paragraph(rng, 4),
            order=1000,
        )
        module_count = math.ceil(scale.lessons / LESSONS_PER_MODULE)
        modules = Module.objects.bulk_create(
            Module(
                course=course,
                slug=f"module-{m + 1:02d}",
                title=f"Module {m + 1}: {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}s",
                order=m + 1,
                goal=sentence(rng),
                record_md=f"## Key mental models\n\n1. {sentence(rng)}\n2. {sentence(rng)}\n",
            )
            for m in range(module_count)
        )
        lesson_titles = [
            f"{rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS)}s, part {n + 1}"
            for n in range(scale.lessons)
        ]
        concepts = Concept.objects.bulk_create(
            Concept(
                course=course,
                slug=f"concept-{c + 1:04d}",
                name=f"{rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS)} {c + 1}",
                description=sentence(rng),
            )
            for c in range(scale.concepts)
        )
        # Each concept is introduced in one lesson (spread evenly) and revisited in up to two later ones.
        primary = [c * scale.lessons // scale.concepts for c in range(scale.concepts)]
        entries: list[tuple[int, int, int]] = []  # (concept index, lesson index, depth)
        for c, home in enumerate(primary):
            depth = rng.choice((Depth.INTRODUCED, Depth.DEVELOPED))
            entries.append((c, home, depth))
            later = list(range(home + 1, scale.lessons))
            for revisit in rng.sample(later, min(len(later), rng.randint(0, 2))):
                entries.append((c, revisit, rng.choice((Depth.MENTIONED, Depth.DEVELOPED, Depth.APPLIED))))

        question_rows: list[tuple[int, int, int]] = []  # (concept index, lesson index, depth)
        for c, home in enumerate(primary):
            deepest = max(depth for concept, _, depth in entries if concept == c)
            depths = (Depth.INTRODUCED, deepest, Depth.APPLIED)[: 2 + c % 2]
            question_rows.extend((c, home, depth) for depth in depths)
        slugs = [f"q{n + 1:05d}" for n in range(len(question_rows))]
        by_lesson: dict[int, list[str]] = {}
        for slug, (_, lesson_index, _) in zip(slugs, question_rows, strict=True):
            by_lesson.setdefault(lesson_index, []).append(slug)

        lessons = Lesson.objects.bulk_create(
            Lesson(
                module=modules[n // LESSONS_PER_MODULE],
                slug=f"lesson-{n + 1:03d}",
                title=title,
                kind=rng.choice(Lesson.Kind.values),
                order=n % LESSONS_PER_MODULE + 1,
                kicker=f"{rng.choice(NOUNS).upper()} · {rng.choice(VERBS).upper()}",
                summary=paragraph(rng, 2),
                difficulty=rng.choice(("Beginner", "Intermediate", "Advanced")),
                body_md=lesson_body(rng, title=title, check_slugs=by_lesson.get(n, [])[:CHECKS_PER_LESSON]),
                mental_models_md="\n".join(f"- {sentence(rng)}" for _ in range(3)),
                analogies_md="\n".join(f"- {sentence(rng)}" for _ in range(2)),
                how_taught_md="\n".join(f"- {sentence(rng)}" for _ in range(2)),
                not_covered_md="\n".join(f"- {sentence(rng)}" for _ in range(2)),
            )
            for n, title in enumerate(lesson_titles)
        )
        ConceptIndexEntry.objects.bulk_create(
            ConceptIndexEntry(
                concept=concepts[c], lesson=lessons[n], depth=depth, notes=words(rng, 6), order=order
            )
            for order, (c, n, depth) in enumerate(entries)
        )
        questions = Question.objects.bulk_create(
            Question(
                course=course,
                slug=slug,
                # Every third question is multiple choice.
                kind=Question.Kind.CHOICE if q % 3 == 2 else Question.Kind.FREE,
                prompt_md=f"How does the {concepts[c].name.lower()} behave when it {rng.choice(VERBS)} "
                f"a {rng.choice(NOUNS)}?",
                answer_md=paragraph(rng, 2),
                explanation_md=paragraph(rng, 1),
                depth=depth,
                lesson=lessons[n],
                section_ref=f"§{1 + c % SECTIONS_PER_LESSON}.{1 + q % 2}",
            )
            for q, (slug, (c, n, depth)) in enumerate(zip(slugs, question_rows, strict=True))
        )
        links = [
            Question.concepts.through(question_id=question.pk, concept_id=concepts[c].pk)
            for question, (c, _, _) in zip(questions, question_rows, strict=True)
        ]
        # Some questions also exercise the next concept, as real ones often span two.
        links.extend(
            Question.concepts.through(question_id=question.pk, concept_id=concepts[c + 1].pk)
            for q, (question, (c, _, _)) in enumerate(zip(questions, question_rows, strict=True))
            if q % 7 == 6 and c + 1 < len(concepts)
        )
        Question.concepts.through.objects.bulk_create(links)
        options = Option.objects.bulk_create(
            Option(question=question, text=words(rng, 5), is_correct=i == 0, order=i)
            for question in questions
            if question.is_choice
            for i in range(OPTIONS_PER_CHOICE)
        )
        course_render(course=course)

    bench: dict[int, BenchQuestion] = {q.pk: BenchQuestion(pk=q.pk, is_choice=q.is_choice) for q in questions}
    for option in options:
        entry = bench[option.question_id]
        if option.is_correct:
            entry.correct_option = option.pk
        else:
            entry.wrong_options.append(option.pk)
    return list(bench.values())


def bench_learners_create(count: int) -> list[int]:
    """Create the bench learners (one shared password hash: hashing 2,000 times would take minutes)."""
    password = make_password(PASSWORD)
    now = timezone.now()
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                username=f"{USER_PREFIX}{n + 1:04d}",
                email=f"{USER_PREFIX}{n + 1:04d}@bench.invalid",
                password=password,
                date_joined=now - timedelta(days=HISTORY_DAYS),
            )
            for n in range(count)
        )
        Profile.objects.bulk_create(Profile(user=user, daily_cap=50) for user in users)
    return [user.pk for user in users]


def attempt_shares(rng: random.Random, learners: int, total: int) -> list[int]:
    """How many attempts each learner made: a skewed split (a few very active learners) summing to total."""
    weights = [rng.lognormvariate(0, 0.8) for _ in range(learners)]
    scale = total / sum(weights)
    shares = [int(w * scale) for w in weights]
    for i in rng.sample(range(learners), total - sum(shares)):
        shares[i] += 1
    return shares


def learner_history(
    rng: random.Random,
    *,
    learner_id: int,
    count: int,
    questions: Sequence[BenchQuestion],
    end: datetime,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(attempt rows, review card rows) of one learner with `count` attempts."""
    if count == 0:
        return [], []
    distinct = min(count, len(questions), max(1, round(count / ATTEMPTS_PER_QUESTION)))
    # Learners work through the course in order, so early questions are attempted most.
    window = min(len(questions), max(distinct, round(distinct * 1.3)))
    picked = rng.sample(range(window), distinct)
    repeats = Counter(rng.choices(range(distinct), k=count - distinct))
    first_day = end - timedelta(days=rng.uniform(MIN_HISTORY_DAYS, HISTORY_DAYS))
    span = (end - first_day).total_seconds()
    attempts: list[tuple[Any, ...]] = []
    cards: list[tuple[Any, ...]] = []
    for slot, index in enumerate(picked):
        question = questions[index]
        times = sorted(first_day + timedelta(seconds=rng.uniform(0, span)) for _ in range(1 + repeats[slot]))
        card = ReviewCard(learner_id=learner_id, question_id=question.pk)
        for n, moment in enumerate(times):
            mode = Mode.STUDY if n == 0 else rng.choices((Mode.REVIEW, Mode.STUDY, Mode.CRAM), (80, 12, 8))[0]
            think_ms = rng.randint(2_000, 40_000)
            # Recall improves with practice.
            p_right = 0.6 + 0.1 * min(n, 3)
            if question.is_choice:
                is_correct = rng.random() < p_right
                option = question.correct_option if is_correct else rng.choice(question.wrong_options)
                grade = None
                rating = scheduling.grade_for_choice(is_correct, think_ms)
            else:
                option = None
                grade = Grade.AGAIN if rng.random() >= p_right else rng.choice((2, 3, 3, 3, 4))
                is_correct = grade != Grade.AGAIN
                rating = Grade(grade)
            attempts.append(
                (
                    learner_id,
                    question.pk,
                    mode.value,
                    None if grade is None else int(grade),
                    option,
                    is_correct,
                    not question.is_choice,
                    think_ms,
                    think_ms + rng.randint(500, 8_000),
                    hashlib.sha256(f"bench:{learner_id}:{question.pk}:{n}".encode()).hexdigest(),
                    moment,
                )
            )
            if mode != Mode.CRAM:
                scheduling.review(card, rating, moment)
        if card.reps:
            cards.append(tuple(getattr(card, name) for name in CARD_FIELDS))
    return attempts, cards


def bench_history_write(
    rng: random.Random,
    learner_ids: Sequence[int],
    questions: Sequence[BenchQuestion],
    total: int,
    out: OutputWrapper,
) -> tuple[int, int]:
    """Generate and store every learner's attempts and review cards; (attempts, cards) written."""
    # History ends before today, so today's review allowance is untouched when the benchmark runs.
    end = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    attempts = RowWriter(Attempt, ATTEMPT_FIELDS)
    all_cards: list[tuple[Any, ...]] = []
    progress = Progress(out, "attempts", total)
    for learner_id, count in zip(learner_ids, attempt_shares(rng, len(learner_ids), total), strict=True):
        rows, cards = learner_history(rng, learner_id=learner_id, count=count, questions=questions, end=end)
        attempts.add(rows)
        all_cards.extend(cards)
        progress.advance(len(rows))
    attempts.flush()
    progress.close()
    # Cards after attempts: one COPY at a time per connection.
    writer = RowWriter(ReviewCard, CARD_FIELDS)
    progress = Progress(out, "cards", len(all_cards))
    for start in range(0, len(all_cards), COPY_CHUNK):
        chunk = all_cards[start : start + COPY_CHUNK]
        writer.add(chunk)
        progress.advance(len(chunk))
    writer.flush()
    progress.close()
    return attempts.written, writer.written


def bench_tables_vacuum() -> None:
    # VACUUM cannot run in a transaction (a test's, or a caller's atomic block): ANALYZE alone can.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in (Attempt, ReviewCard, User, Question):
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
