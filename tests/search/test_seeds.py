"""On a real explainer (../shared/seeds): a term a reader would type finds the section explaining it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from courses.bundles import import_bundle
from search.backends import search
from tests.courses.bundle_helpers import SEED_EXPLAINER, SEEDS

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not SEEDS.is_dir(),
        reason=f"the example documents folder {SEEDS} is absent (a fresh checkout has none)",
    ),
]


@pytest.mark.parametrize(
    ("query", "anchor"),
    [
        ("deduplication", "s1-3"),
        ("continual pretraining", "s2-2"),
        ("soft label distillation", "s8-1"),
        ("ring attention", "s10-2"),
        ("constitutional AI", "s5-2"),
    ],
)
def test_a_reader_s_term_finds_its_section(query: str, anchor: str) -> None:
    import_bundle(SEED_EXPLAINER, course_slug="seeded", kind="explainer")  # indexes the course
    sections = [hit.url for hit in search(query, AnonymousUser()) if hit.kind == "section"]
    assert any(url.endswith(f"#{anchor}") for url in sections[:3]), sections[:5]
