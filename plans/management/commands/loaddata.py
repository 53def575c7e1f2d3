"""`loaddata` that restores history as it was: it loads with django-simple-history switched off.

Restoring a backup sets many-to-many fields (a plan's responsible users), which would otherwise
record a new "change" for every plan, dated at the restore and by nobody. The backup already
holds the history tables, so nothing is lost by not writing more."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.loaddata import Command as LoadDataCommand
from django.test.utils import override_settings


class Command(LoadDataCommand):
    help = f"{LoadDataCommand.help} History is not written while loading (it comes from the data itself)."

    def handle(self, *fixture_labels: Any, **options: Any) -> None:
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            super().handle(*fixture_labels, **options)
