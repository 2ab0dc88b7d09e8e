"""The seed recall week, imported next to its explainer, reads in plain words."""

from __future__ import annotations

import pytest
from django.test import Client

from courses.bundles import import_bundle
from quizzes.models import RecallPlan
from tests.courses.bundle_helpers import SEED_EXPLAINER, SEED_RECALL, SEEDS

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not SEEDS.is_dir(),
        reason=f"the example documents folder {SEEDS} is absent (a fresh checkout has none)",
    ),
]


def test_days_say_which_chapters_open_them_and_every_prompt_shows_its_reference(client: Client) -> None:
    import_bundle(SEED_EXPLAINER, course_slug="seeded")
    import_bundle(SEED_RECALL, course_slug="seeded")
    plan = RecallPlan.objects.get()

    html = client.get(plan.get_absolute_url()).content.decode()

    assert "chapters 1-2 of LLM training &amp; RLHF</a>" in html
    prompts = [prompt.question for day in plan.days.all() for prompt in day.prompts.all()]
    for question in prompts:
        check = html[html.index(f'id="check-{question.slug}"') :]
        check = check[: check.index("</form>")]
        assert "check-jump" in check, f"{question.slug} ({question.section_ref!r}) shows no reference"
