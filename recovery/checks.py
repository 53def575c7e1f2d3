"""System checks for the storage the app writes to, so a missing or read-only data directory or
database is a clear message at start-up (``manage.py check``, ``migrate``, ``runserver`` and the
WSGI start of gunicorn, see recovery.wsgi), not a 500 on every page.

- the data directory (``DJANGO_VAR_DIR``, default ``var/``): exists and is writable;
- attachments (``MEDIA_ROOT``) and the file cache: their directory can be created and written;
- the static files manifest, in production: present (``collectstatic`` has been run), checked at
  the WSGI start only (``check`` runs before collectstatic in a deployment);
- the database: an SQLite file (and its directory, for the journal) writable; PostgreSQL not in
  read-only mode (a hot standby, ``default_transaction_read_only``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache
from django.core.checks import CheckMessage, Error, Tags, register, run_checks
from django.db import DatabaseError, connections
from django.utils.module_loading import import_string


def _writable_dir(path: Path, what: str, setting: str, ident: str) -> list[CheckMessage]:
    """``path`` is a directory this process can write to, or can create under a writable parent."""
    if path.is_dir():
        if os.access(path, os.W_OK | os.X_OK):
            return []
        return [
            Error(
                f"The {what} {path} is read-only for this process: make it writable by the user the app runs as.",
                hint=f"chown/chmod the directory, or point {setting} at a writable one.",
                id=ident,
            )
        ]
    if path.exists():
        return [Error(f"The {what} {path} is not a directory.", hint=f"Set {setting} to a directory.", id=ident)]
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
        return []  # created on first use
    return [
        Error(
            f"The {what} {path} does not exist and cannot be created here.",
            hint=f"Create it (mkdir -p {path}) writable by the user the app runs as, or set {setting}.",
            id=ident,
        )
    ]


@register(Tags.files)
def data_directories(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """The data directory, attachments and the file cache can be written."""
    errors: list[CheckMessage] = []
    var_dir = Path(settings.VAR_DIR)
    if not var_dir.is_dir():
        errors.append(
            Error(
                f"The data directory {var_dir} does not exist: the database, attachments, cache and static files "
                "live under it.",
                hint=f"Create it (mkdir -p {var_dir}) writable by the user the app runs as, or set DJANGO_VAR_DIR.",
                id="recovery.E001",
            )
        )
    else:
        errors += _writable_dir(var_dir, "data directory", "DJANGO_VAR_DIR", "recovery.E001")
    if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        errors += _writable_dir(
            Path(settings.MEDIA_ROOT), "attachments directory", "DJANGO_MEDIA_ROOT", "recovery.E002"
        )
    cache = settings.CACHES["default"]
    if issubclass(import_string(cache["BACKEND"]), FileBasedCache):
        errors += _writable_dir(Path(cache["LOCATION"]), "cache directory", "DJANGO_VAR_DIR", "recovery.E003")
    return errors


def static_files_collected() -> list[CheckMessage]:
    """In production, the static files manifest is there (collectstatic has been run). Checked
    when the app starts serving, not by ``manage.py check``, which runs before collectstatic."""
    if "Manifest" not in settings.STORAGES["staticfiles"]["BACKEND"]:
        return []
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.is_file():
        return []
    return [
        Error(
            f"The static files have not been collected ({manifest} is missing): every page would fail.",
            hint="Run `manage.py collectstatic --no-input` (make serve-prod does) after each deployment.",
            id="recovery.E004",
        )
    ]


@register(Tags.database)
def database_writable(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Each database the check is asked about can be written (``check --database default``,
    ``migrate``, and the WSGI start-up)."""
    errors: list[CheckMessage] = []
    for alias in kwargs.get("databases") or []:
        connection = connections[alias]
        if connection.vendor == "sqlite":
            name = str(connection.settings_dict["NAME"])
            if connection.is_in_memory_db():  # type: ignore[attr-defined]
                continue
            path = Path(name)
            if path.exists() and not os.access(path, os.W_OK):
                errors.append(
                    Error(
                        f"The SQLite database {path} is read-only for this process: nobody could sign in or save.",
                        hint="Make the file (and its directory) writable by the user the app runs as.",
                        id="recovery.E010",
                    )
                )
            elif not (path.parent.is_dir() and os.access(path.parent, os.W_OK | os.X_OK)):
                errors.append(
                    Error(
                        f"The directory of the SQLite database {path} is missing or read-only: SQLite writes its "
                        "journal beside the database, so nothing could be saved.",
                        hint=f"Create {path.parent} writable by the user the app runs as, or set DATABASE_URL.",
                        id="recovery.E011",
                    )
                )
        elif connection.vendor == "postgresql":
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SHOW transaction_read_only")
                    read_only = cursor.fetchone()[0] == "on"
            except DatabaseError as error:
                errors.append(Error(f"The database cannot be reached: {error}", id="recovery.E012"))
                continue
            if read_only:
                errors.append(
                    Error(
                        "The PostgreSQL database is read-only (a standby, or default_transaction_read_only): "
                        "nobody could sign in or save.",
                        hint="Point DATABASE_URL at the primary, writable server.",
                        id="recovery.E010",
                    )
                )
    return errors


def refuse_to_start_without_storage() -> None:
    """At the WSGI start (gunicorn): with the data directory or the database unusable, say so
    plainly and exit, rather than serve a 500 on every page."""
    problems = [
        message
        for message in run_checks(tags=[Tags.files, Tags.database], databases=list(settings.DATABASES))
        if message.is_serious() and str(message.id).startswith("recovery.")
    ] + static_files_collected()
    if not problems:
        return
    lines = ["The recovery plans app cannot start: its storage is not usable.", ""]
    for message in problems:
        lines.append(f"  {message.id}: {message.msg}")
        if message.hint:
            lines.append(f"      {message.hint}")
    lines += ["", "Run `manage.py check --database default` after fixing this."]
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
    raise SystemExit(3)
