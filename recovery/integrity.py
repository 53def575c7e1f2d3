"""What every model save passes through, whatever wrote it (a form, an import, the admin, a
command): text without control characters, and no text longer than its column.

Forms and the import check lengths themselves and say which field or cell is too long; this is
the last line, so that nothing reaches the database to fail there (PostgreSQL refuses an
over-long value with a DataError, SQLite stores it silently): both databases refuse it alike.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Model

from recovery.text import clean_text

_TEXT_TYPES = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}


@cache
def _is_ours(app_label: str) -> bool:
    """An app of this project (not Django's, nor a library's, whose models manage themselves)."""
    config = apps.app_configs.get(app_label)  # Django's own migration records have no app
    if config is None:
        return False
    base = Path(settings.BASE_DIR).resolve()
    path = Path(config.path).resolve()
    return path.is_relative_to(base) and ".venv" not in path.relative_to(base).parts


def clean_text_fields(sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any) -> None:
    """pre_save: clean every text field (recovery.text.clean_text) and refuse one over its length."""
    if raw or not _is_ours(sender._meta.app_label):  # loaddata restores a backup exactly as it was
        return
    if getattr(sender, "text_is_machine_data", False):  # keys and parameters are matched byte for byte
        return
    too_long: dict[str, str] = {}
    for field in instance._meta.concrete_fields:
        if field.get_internal_type() not in _TEXT_TYPES:
            continue
        value = getattr(instance, field.attname)
        if not isinstance(value, str):
            continue
        cleaned = clean_text(value)
        if cleaned is not value:
            setattr(instance, field.attname, cleaned)
        limit = getattr(field, "max_length", None)
        if limit is not None and len(cleaned) > limit:
            too_long[field.name] = (
                f"{str(field.verbose_name).capitalize()} is {len(cleaned):,} characters long: at most {limit:,} fit."
            )
    if too_long:
        raise ValidationError(too_long)
