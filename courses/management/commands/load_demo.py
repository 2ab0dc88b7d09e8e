from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.bundles import BundleError, import_bundle
from courses.demo import demo_accounts_ensure


class Command(BaseCommand):
    help = "Load the demo course bundle and the demo accounts. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Create the demo accounts even when DEBUG is off (they have published passwords).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = import_bundle(settings.DEMO_BUNDLE_DIR)
        except BundleError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result.summary())
        if not settings.DEBUG and not options["allow_production"]:
            self.stdout.write("DEBUG is off: demo accounts not created (use --allow-production).")
            return
        for account in demo_accounts_ensure():
            self.stdout.write(f"demo {account.role}: {account.username} / {account.password}")
