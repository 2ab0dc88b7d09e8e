from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from courses.demo import instructors_group_ensure


class Command(BaseCommand):
    help = 'Create or refresh the "Instructors" group and its permissions. Safe to run on every deploy.'

    def handle(self, *args: Any, **options: Any) -> None:
        group = instructors_group_ensure()
        self.stdout.write(f'"{group.name}" group has {group.permissions.count()} permissions.')
