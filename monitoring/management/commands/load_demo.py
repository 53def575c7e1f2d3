"""python manage.py load_demo: the seed organisation, plans, schemes and one demo user per role."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from monitoring.demo import load_demo
from plans.demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Load the demo data from the seed documents (idempotent) and the demo users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Create the demo users even though DEBUG is off (never on a real server).",
        )
        parser.add_argument(
            "--no-users",
            action="store_true",
            help="Load the organisation and plans only, without demo users.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with_users = not options["no_users"]
        if with_users and not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to create demo users with a known password while DEBUG is off. "
                "Use --no-users for the data alone, or --force on a machine nobody else can reach."
            )
        report = load_demo(with_users=with_users)
        if report.changed_anything:
            created = ", ".join(f"{count} {kind}" for kind, count in report.created.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: created {created}."))
        else:
            self.stdout.write("Demo data already loaded: nothing changed.")
        if with_users:
            self.stdout.write(f"Demo users (password for each: {DEMO_PASSWORD}):")
            for username, _first, _last, role in DEMO_USERS:
                self.stdout.write(f"  {username:<10} {role.value}")
