"""Optimistic locking: two people editing the same record at once.

Each editable record has a ``version`` that every save increases. A form carries the version it
was opened at; if the record has moved on by the time it is saved, the save is refused with a
ConcurrentEdit that says who changed what, and the page shows the form again with everything the
user typed, ready to check and save over the newer version.
"""

from __future__ import annotations

from collections.abc import Mapping
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


# The version a form carries when it was opened before its record existed (a scheme's figures for
# a quarter nobody has filled in yet, a plan's first update of a quarter).
NOT_YET_SAVED = 0

MISSING_VERSION = (
    "This form was sent without the version of the record it was opened at, so saving it could "
    "overwrite someone else's work. Nothing was saved: reload the page and save again."
)


def posted_version(data: Mapping[str, Any]) -> int | None:
    """The version a posted form was opened at; None when it is missing or not a number (the view
    answers 400: a save without it is never let through unchecked)."""
    raw = str(data.get("version", "")).strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def check_version(instance: Model, expected: int | None) -> None:
    """Raise ConcurrentEdit if ``instance`` (locked with select_for_update) has moved on from the
    version the form was opened at: NOT_YET_SAVED (0) when the form was opened before the record
    existed. ``expected`` None means the caller is not a form (a command, an import)."""
    current: int = instance.version  # type: ignore[attr-defined]
    if expected is None or expected == current:
        return
    if expected == NOT_YET_SAVED:
        # Everything the other person saved is new to this user: list every value they gave.
        names = [
            field.name
            for field in instance._meta.concrete_fields
            if not field.is_relation and not field.primary_key and field.name not in _BOOKKEEPING
        ]
        raise ConcurrentEdit(current_version=current, changes=history_of(instance, fields=names))
    newer = [change for change in history_of(instance) if _version_of(change) > expected]
    raise ConcurrentEdit(current_version=current, changes=newer or history_of(instance)[:1])


_BOOKKEEPING = {"version", "quarter", "updated_at", "submitted_at", "reviewed_at", "status"}


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
