"""Give a person's single sign-on to the account they had before single sign-on was switched on.

Accounts are matched by the provider's subject, never by e-mail, so someone's first sign-in
through the provider makes a new account even when they already had one here (with their plans
and service areas). After that first sign-in, an administrator runs:

    manage.py move_sso_identity NEW_ACCOUNT OLD_ACCOUNT

and from the next sign-in the person is their old account (the new one is deactivated)."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recovery.accounts import services


class Command(BaseCommand):
    help = "Move the single sign-on identity of one account (made at a first sign-in) onto another."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("from_username", help="the account single sign-on made (e.g. fiona-2)")
        parser.add_argument("to_username", help="the account the person had before (e.g. fiona)")

    def handle(self, *args: Any, from_username: str, to_username: str, **options: Any) -> None:
        try:
            from_user = User.objects.get(username=from_username)
            to_user = User.objects.get(username=to_username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No account named {from_username!r} or {to_username!r}.") from exc
        try:
            identity = services.identity_move(
                from_user=from_user, to_user=to_user, by=f"manage.py move_sso_identity ({getpass.getuser()})"
            )
        except services.IdentityMoveRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{to_username} now signs in as subject {identity.subject}; {from_username} is deactivated.")
