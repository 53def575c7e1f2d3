"""What a tracker import would change, scheme by scheme, for the preview: each field old → new,
and which of those someone edited in the app after the last import of that row (from
django-simple-history's records), so an import never quietly undoes work done in the app.

The list is fingerprinted: the confirm recomputes it and refuses to write if the file or the
database has moved on since the preview (what finance approved is exactly what is written).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Model

from monitoring.figures import BY_NAME
from recovery.money import format_pounds
from recovery.rag import RAG

# The history records an import writes carry this change reason: the app's own saves do not.
IMPORT_REASON = "Imported from a savings tracker"

FIELD_LABELS = {
    **{name: figure.label for name, figure in BY_NAME.items()},
    "rag": "RAG",
    "rag_reason": "RAG reason",
    "recurrence": "Recurrent",
    "is_unallocated": "Unallocated",
    "timeline": "Timeline",
    "challenges": "Challenges (commentary)",
}


def shown(name: str, value: object) -> str:
    """A field's value as the preview shows it: £1,234 (pence only when there are any), Red, blank."""
    if value is None or value == "":
        return "blank"
    if isinstance(value, Decimal):
        return format_pounds(value, places=2).removesuffix(".00")
    if isinstance(value, bool):
        return "Y" if value else "N"
    if name == "rag":
        return RAG(str(value)).label
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


@dataclass(slots=True)  # no __dict__ for each of the (many) changes a large file's preview lists
class FieldChange:
    """One field the import would change: where (the scheme itself, or a quarter), old → new,
    and, if someone changed it in the app since the last import, who and when."""

    where: str  # "" (the scheme itself) or the quarter, "Q2"
    name: str
    old: str
    new: str
    edited_by: str = ""
    edited_at: datetime | None = None
    imported_before: bool = True  # False: the row has never been imported (every app edit counts)

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.name, self.name)


@dataclass
class SchemeChange:
    """A scheme the file would add or change, with every field's old → new value."""

    key: str  # what the preview's tick box sends back
    title: str
    service_area: str
    year: str
    rows: list[int] = field(default_factory=list)
    new: bool = False
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def flagged(self) -> list[FieldChange]:
        """The changes that would overwrite an edit made in the app since the last import."""
        return [change for change in self.changes if change.edited_by]


def scheme_key(identity: tuple[object, ...]) -> str:
    """A short stable key for a scheme of the file (its directorate, area, year, ref, title)."""
    return hashlib.sha256(repr(identity).encode()).hexdigest()[:16]


def fingerprint(data: bytes, changes: Iterable[SchemeChange]) -> str:
    """What the preview showed: the file and every change (with its app-edit flag). The confirm
    recomputes it against the database as it is then; a different one means something moved."""
    digest = hashlib.sha256(hashlib.sha256(data).digest())
    for change in changes:
        digest.update(repr((change.key, change.new, change.rows)).encode())
        for item in change.changes:
            digest.update(repr((item.where, item.name, item.old, item.new, item.edited_by, item.edited_at)).encode())
    return digest.hexdigest()


def app_edits(model: type[Model], wanted: Mapping[int, set[str]]) -> dict[tuple[int, str], tuple[str, datetime, bool]]:
    """For each (primary key, field) wanted: the latest edit made in the app (a history record
    with a user, not written by an import) after the row's last import, as (who, when, whether
    the row was ever imported). One query for all the rows."""
    if not wanted:
        return {}
    records = (
        model.history.filter(id__in=list(wanted))  # type: ignore[attr-defined]
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    by_pk: dict[int, list[object]] = {}
    for record in records:
        by_pk.setdefault(record.id, []).append(record)
    found: dict[tuple[int, str], tuple[str, datetime, bool]] = {}
    for pk, history in by_pk.items():
        imports = [index for index, record in enumerate(history) if record.history_change_reason == IMPORT_REASON]  # type: ignore[attr-defined]
        start = imports[-1] + 1 if imports else 0
        for index in range(start, len(history)):
            record = history[index]
            user = record.history_user  # type: ignore[attr-defined]
            if user is None:
                continue  # a command or the demo loader, not a person in the app
            previous = history[index - 1] if index else None
            for name in wanted[pk]:
                before = getattr(previous, name) if previous is not None else None
                if getattr(record, name) != before and not (before is None and getattr(record, name) == ""):
                    who = user.get_full_name() or user.get_username()
                    found[(pk, name)] = (who, record.history_date, bool(imports))  # type: ignore[attr-defined]
    return found
