from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.bundles import BundleError, import_bundle
from courses.demo import demo_accounts_ensure
from courses.demo_history import demo_history_ensure
from courses.demo_members import demo_members_ensure
from courses.models import Course


class Command(BaseCommand):
    help = (
        "Load the demo course bundle and the demo accounts when they are absent; "
        "--reset reloads both (make demo-reset)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Re-import the demo course over edits made since (the bundle is the truth for its "
            "course) and reset the demo accounts' passwords and roles.",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Skip the demo learners' weeks of answers (courses/demo_history.py); CI's stack "
            "uses it so its worker is not busy with a thousand recomputes during the stack tests.",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Create the demo accounts even when DEBUG is off (they have published passwords).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reset = options["reset"]
        # `make run` calls this on every start: re-importing then would silently undo what an
        # instructor changed in the admin since.
        if not reset and Course.objects.filter(slug=settings.DEMO_COURSE_SLUG).exists():
            self.stdout.write(
                f"Demo course {settings.DEMO_COURSE_SLUG!r} is already loaded; left as it is "
                "(make demo-reset reloads it)."
            )
        else:
            try:
                result = import_bundle(settings.DEMO_BUNDLE_DIR)
            except BundleError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(result.summary())
        if not settings.DEBUG and not options["allow_production"]:
            self.stdout.write("DEBUG is off: demo accounts not created (use --allow-production).")
            return
        for account, fresh in demo_accounts_ensure(reset=reset):
            if fresh:
                self.stdout.write(f"demo {account.role}: {account.username} / {account.password}")
            else:
                self.stdout.write(f"demo {account.role}: {account.username} exists, left as it is")
        if not options["no_history"]:
            # Apart from the accounts: answers written through the real services (courses/demo_history.py).
            self.stdout.write(
                demo_history_ensure(course_slug=settings.DEMO_COURSE_SLUG, reset=reset).summary()
            )
        # After the history, so that the demo classmates it writes join the cohort too.
        cohort = demo_members_ensure()
        if cohort is not None:
            self.stdout.write(
                f"demo cohort: {cohort.name} (invitation code {cohort.code}), taught by instructor"
            )
