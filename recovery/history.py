"""The change history of any model with django-simple-history records, as people read it:
who, when, and each field's old and new value by its label."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Model


@dataclass(frozen=True)
class Change:
    when: datetime
    who: str
    kind: str
    changes: list[tuple[str, str, str]]
    reason: str = ""
    version: int = 0


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return f"{value:,.2f}".removesuffix(".00")
    return str(value)


# Bookkeeping fields that the history of a change need not repeat (the when and who are shown).
_HISTORY_SKIP = {
    "id",
    "updated_at",
    "submitted_at",
    "reviewed_at",
    "created_at",
    "locked_at",
    "dmt_decided_at",
    "updated_by",
    "version",
}


def _labelled(model: type[Model], name: str, value: Any, users: dict[int, str]) -> tuple[str, str]:
    field = model._meta.get_field(name)
    label = str(getattr(field, "verbose_name", name))
    if getattr(field, "many_to_many", False):
        # simple-history gives the through rows: [{"deficitrecoveryplan": 1, "user": 2}, …]
        related = field.related_model._meta.model_name if field.related_model else ""
        ids = [row.get(related) for row in (value or []) if isinstance(row, dict)]
        if field.related_model is User:
            return label, ", ".join(users.get(int(pk), f"user {pk}") for pk in ids if pk is not None) or "—"
        return label, ", ".join(f"#{pk}" for pk in ids) or "—"
    if getattr(field, "is_relation", False) and value is not None:
        if field.related_model is User:
            return label, users.get(int(value), f"user {value}")
        return label, f"#{value}"
    choices = getattr(field, "choices", None)
    if choices and value not in (None, ""):
        return label, str(dict(choices).get(value, value))
    return label, _display(value)


def history_of(
    instance: Model,
    *,
    fields: Sequence[str] | None = None,
    reason_field: str = "",
    since: datetime | None = None,
) -> list[Change]:
    """Who changed what and when, newest first, from django-simple-history's records; with
    ``since``, only the changes made from that moment on (the drafting before it left out)."""
    records = list(instance.history.select_related("history_user").order_by("history_date", "history_id"))  # type: ignore[attr-defined]
    users = {user.pk: user.get_full_name() or user.get_username() for user in User.objects.all()}
    model = type(instance)
    skip = _HISTORY_SKIP | {name for name in ("history",) if name}
    changes: list[Change] = []
    previous = None
    for record in records:
        who = (
            record.history_user.get_full_name() or record.history_user.get_username()
            if record.history_user
            else "system"
        )
        if previous is None:
            kind = "created"
            diffs = []
            for name in fields or []:
                value = getattr(record, getattr(model._meta.get_field(name), "attname", name))
                if value not in (None, ""):
                    label, shown = _labelled(model, name, value, users)
                    diffs.append((label, "—", shown))
        else:
            kind = "changed"
            delta = record.diff_against(previous, included_fields=list(fields) if fields else None)
            diffs = []
            for item in delta.changes:
                if item.field in skip:
                    continue
                label, old = _labelled(model, item.field, item.old, users)
                _, new = _labelled(model, item.field, item.new, users)
                diffs.append((label, old, new))
            if not diffs:
                previous = record
                continue
        reason = str(getattr(record, reason_field, "") or "") if reason_field else ""
        version = int(getattr(record, "version", 0) or 0)
        changes.append(
            Change(when=record.history_date, who=who, kind=kind, changes=diffs, reason=reason, version=version)
        )
        previous = record
    if since is not None:
        changes = [change for change in changes if change.when >= since]
    return list(reversed(changes))
