"""`make evaluate`: score the learner model against baselines on a real log, a simulation and a course.

manage.py evaluate_learner_model [--log PATH | --no-log] [--seed N --learners N ...] [--course SLUG]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, tzinfo
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.models import Course
from mastery import evaluation, scheduling, simulation
from mastery.evaluation import ConceptEvent, LogReview
from mastery.levels import EvidenceItem
from mastery.models import Attempt, Mode
from quizzes.models import Question

DEFAULT_LOG = settings.BASE_DIR.parent / "shared" / "data" / "review-logs" / "anki-reviews-12580.csv"


class Command(BaseCommand):
    help = "Replay review logs through the app's memory model and concept levels and print the tables."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--log",
            type=Path,
            default=DEFAULT_LOG,
            help="review log CSV (card_id, review_rating, review_time)",
        )
        parser.add_argument("--no-log", action="store_true", help="skip the review log")
        parser.add_argument("--no-simulation", action="store_true", help="skip the simulation")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--learners", type=int, default=40)
        parser.add_argument("--concepts", type=int, default=12)
        parser.add_argument("--days", type=int, default=28)
        parser.add_argument("--course", help="also replay this course's own attempts (slug)")

    def handle(self, *args: object, **options: object) -> None:
        if not options["no_log"]:
            path = Path(str(options["log"]))
            try:
                reviews = evaluation.read_review_log(path)
            except evaluation.LogError as error:
                raise CommandError(str(error)) from error
            self._memory(f"Memory (retrievability) on the review log {path.name}", reviews)
            self._concepts(
                f"Concept probability on the review log {path.name} (each card a concept, self-graded)",
                evaluation.log_concept_events(reviews),
                {},
            )
        if not options["no_simulation"]:
            seed, learners, concepts, days = (
                int(str(options[k])) for k in ("seed", "learners", "concepts", "days")
            )
            if min(learners, concepts, days) < 1:
                raise CommandError("--learners, --concepts and --days must be at least 1")
            world = simulation.simulate(seed, learners, concepts, days)
            label = f"simulation (seed {seed}, {learners} learners, {concepts} concepts, {days} days)"
            self._memory(f"Memory (retrievability) on the {label}", world.reviews)
            zones = {learner.key: learner.tz for learner in world.learners}
            self._concepts(f"Concept probability on the {label}", world.events, zones)
            self.stdout.write(
                simulation.format_gaming(simulation.gaming(seed, learners, concepts, days)) + "\n\n"
            )
        if options["course"]:
            self._course(str(options["course"]))

    def _memory(self, title: str, reviews: list[LogReview]) -> None:
        run = evaluation.replay_memory(reviews)
        self.stdout.write(
            evaluation.format_scores(
                f"{title}: every review with an earlier one", evaluation.memory_table(run)
            )
        )
        self.stdout.write(
            evaluation.format_scores(
                "  ... reviews a day or more after the last (what FSRS benchmarks score)",
                evaluation.memory_table(run, lambda i: not run.same_day[i]),
            )
        )
        self.stdout.write(
            evaluation.format_scores(
                "  ... same-day reviews", evaluation.memory_table(run, lambda i: run.same_day[i])
            )
            + "\n\n"
        )

    def _concepts(self, title: str, events: list[ConceptEvent], zones: Mapping[str, tzinfo]) -> None:
        run = evaluation.replay_concepts(events, lambda key: zones.get(key, UTC))
        if not run.outcomes:
            self.stdout.write(f"{title}: no answer follows an earlier one yet.\n\n")
            return
        self.stdout.write(
            evaluation.format_scores(
                f"{title}: the next answer on the concept", evaluation.concept_table(run)
            )
        )
        self.stdout.write(
            evaluation.format_levels(
                "Level before the answer -> share answered right", evaluation.level_table(run)
            )
            + "\n\n"
        )

    def _course(self, slug: str) -> None:
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"No course with the slug {slug!r}.")
        attempts = list(
            Attempt.objects.filter(question__course=course)
            .exclude(mode=Mode.CRAM)
            .select_related("learner__profile", "question")
            .prefetch_related("question__concepts", "question__options")
            .order_by("created_at", "id")
        )
        reviews: list[LogReview] = []
        events: list[ConceptEvent] = []
        zones: dict[str, tzinfo] = {}
        for a in attempts:
            learner = str(a.learner_id)
            profile = getattr(a.learner, "profile", None)
            zones[learner] = profile.tz if profile else UTC
            q: Question = a.question
            grade = scheduling.grade_seen(
                is_choice=q.is_choice, grade=a.grade, is_correct=a.is_correct, think_ms=a.think_ms
            )
            if grade is None:
                continue
            reviews.append(LogReview(learner, str(q.pk), a.created_at, grade, course=slug))
            item = EvidenceItem(
                depth=q.depth,
                kind=q.kind,
                mode=a.mode,
                grade=a.grade,
                is_correct=a.is_correct,
                revealed=a.revealed,
                think_ms=a.think_ms,
                created_at=a.created_at,
                question=q.slug,
                key_points_total=a.key_points_total,
                key_points_recalled=a.key_points_recalled,
                options=len(q.options.all()),
            )
            outcome = int(bool(a.is_correct)) if q.is_choice else int(grade > 1)
            for concept in q.concepts.all():
                events.append(ConceptEvent(learner, str(concept.pk), item, outcome))
        by_card: dict[tuple[str, str], int] = defaultdict(int)
        for r in reviews:
            by_card[(r.learner, r.card)] += 1
        if not any(n > 1 for n in by_card.values()):
            self.stdout.write(
                f"Course {slug}: {len(attempts)} attempts, no question answered twice by one learner yet.\n"
            )
            return
        self._memory(f"Memory (retrievability) on course {slug}'s attempts", reviews)
        self._concepts(f"Concept probability on course {slug}'s attempts", events, zones)
