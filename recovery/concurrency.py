"""Optimistic locking: two people editing the same record at once.

Each editable record has a ``version`` that every save increases. A form carries the version it
was opened at; if the record has moved on by the time it is saved, the save is refused with a
ConcurrentEdit that says who changed what, and the page shows the form again with everything the
user typed, ready to check and save over the newer version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model

from recovery.history import Change, history_of


@dataclass
class ConcurrentEdit(ValidationError):
    """The record was saved by someone else since this form was opened."""

    current_version: int
    changes: list[Change]

    def __init__(self, *, current_version: int, changes: list[Change]) -> None:
        who = ", ".join(sorted({change.who for change in changes})) or "someone else"
        super().__init__(
            f"{who} saved this while you were editing it. Your changes have not been saved yet: they are "
            "still in the form below. Check them against the changes listed here, then save again.",
            code="concurrent_edit",
        )
        self.current_version = current_version
        self.changes = changes


def check_version(instance: Model, expected: int | None) -> None:
    """Raise ConcurrentEdit if ``instance`` (locked with select_for_update) has moved on from the
    version the form was opened at. ``expected`` None means the caller is not a form (a command)."""
    current: int = instance.version  # type: ignore[attr-defined]
    if expected is None or expected == current:
        return
    newer = [change for change in history_of(instance) if _version_of(change) > expected]
    raise ConcurrentEdit(current_version=current, changes=newer or history_of(instance)[:1])


def _version_of(change: Change) -> int:
    return change.version


def bump(instance: Any) -> None:
    instance.version = (instance.version or 0) + 1


def keep_typed(form: Any, data: Any, error: ConcurrentEdit) -> None:
    """After a refused save: the form keeps everything typed, now based on the current version,
    so saving again goes over the newer record (the user has seen what changed)."""
    kept = data.copy()
    kept["version"] = str(error.current_version)
    form.data = kept
