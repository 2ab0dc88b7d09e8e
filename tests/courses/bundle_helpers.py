"""Shared helpers for the bundle tests: fixture paths, row counts and a canonical dump."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models

from courses.models import Concept, Course, Module
from lessons.models import ConceptIndexEntry, Lesson, Section
from quizzes.models import Option, Question, Quiz, QuizItem, RecallDay, RecallPlan, RecallPrompt

FIXTURES = Path(__file__).parent / "bundle_fixtures"
RICH = FIXTURES / "rich"
SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
SEED_RECALL = SEEDS / "000_c86ad979f2f23b1d.txt"
SEED_EXPLAINER = SEEDS / "002_ea4e60c1fa0f08e2.txt"
SEED_RECORD = SEEDS / "004_d2014853c5c029c4.txt"

CURRICULUM_MODELS: list[type[models.Model]] = [
    Course, Module, Lesson, Section, Concept, ConceptIndexEntry, Question, Option, Quiz, QuizItem,
    RecallPlan, RecallDay, RecallPrompt,
]  # fmt: skip
SKIPPED_FIELDS = {"id", "updated_at", "toc", "content_version"}


def copy_rich(tmp_path: Path) -> Path:
    target = tmp_path / "rich"
    shutil.copytree(RICH, target)
    return target


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in CURRICULUM_MODELS}


def natural_key(obj: models.Model | None) -> Any:
    """A key that survives export → import into an empty database (no ids)."""
    if obj is None:
        return None
    if isinstance(obj, Course):
        return obj.slug
    if isinstance(obj, (Module, Concept, Question, Quiz, RecallPlan)):
        return (natural_key(obj.course), obj.slug)
    if isinstance(obj, Lesson):
        return (natural_key(obj.module), obj.slug)
    if isinstance(obj, Section):
        return (natural_key(obj.lesson), obj.order)
    if isinstance(obj, Option):
        return (natural_key(obj.question), obj.order)
    if isinstance(obj, QuizItem):
        return (natural_key(obj.quiz), obj.order)
    if isinstance(obj, RecallDay):
        return (natural_key(obj.plan), obj.order)
    if isinstance(obj, RecallPrompt):
        return (natural_key(obj.day), obj.order)
    if isinstance(obj, ConceptIndexEntry):
        return (natural_key(obj.concept), natural_key(obj.lesson))
    raise TypeError(obj)


def canonical_dump() -> dict[str, list[dict[str, Any]]]:
    """Every curriculum row's fields (no ids, no *_html), FKs and M2Ms as natural keys, sorted."""
    dump: dict[str, list[dict[str, Any]]] = {}
    for model in CURRICULUM_MODELS:
        rows = []
        for obj in model.objects.all():
            row: dict[str, Any] = {}
            for field in obj._meta.concrete_fields:
                if field.name in SKIPPED_FIELDS or field.name.endswith("_html"):
                    continue
                if field.is_relation:
                    row[field.name] = natural_key(getattr(obj, field.name))
                else:
                    row[field.name] = getattr(obj, field.attname)
            for m2m in obj._meta.many_to_many:
                if m2m.remote_field.through._meta.auto_created:
                    row[m2m.name] = sorted(repr(natural_key(o)) for o in getattr(obj, m2m.name).all())
            rows.append(row)
        dump[model.__name__] = sorted(rows, key=lambda r: repr(sorted(r.items())))
    return dump
