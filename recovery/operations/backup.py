"""One archive holds everything: the database (every app, history included) and the stored files.

``backup_create`` writes ``recovery-YYYYmmdd-HHMMSS.tar.gz`` (readable by its owner only):

- ``data.json``: the database as Django's JSON (natural foreign keys; not the tables that are
  rebuilt or throw-away: content types, permissions, sessions, sign-in lockouts, jobs);
- ``files/<name>``: every file in the default storage (attachments, uploads awaiting
  confirmation), local or S3-compatible;
- ``manifest.json``: format, app and Django version, database engine, applied migrations, the
  number of rows per table and a SHA-256 of ``data.json`` and of every file.

``backup_restore`` checks the whole archive against its manifest before touching anything,
refuses a database or storage that already holds data unless ``replace`` (which then replaces
everything: never a merge), brings the schema to the backup's migrations, loads the data in one
transaction with the models as they were at those migrations (a backup made by an older version
has no values for this version's newer columns), writes the files, verifies rows per table and
file checksums against the manifest (any difference rolls the database back), then migrates to
this version's schema (also when the load failed, so the app is never left on an old schema).
Data that cannot be loaded is refused in one line, like a damaged archive.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.python import Deserializer as PythonDeserializer
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps
from django.utils import timezone

FORMAT = "recovery-backup/1"
MANIFEST = "manifest.json"
DATA = "data.json"
FILES = "files/"
# Rebuilt by migrations (content types, permissions) or throw-away (sessions, lockouts, jobs).
EXCLUDE = ["contenttypes", "auth.permission", "sessions", "axes", "jobs"]


class BackupError(Exception):
    """A backup or restore refused, with a one-line reason for the person running it."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    rows: int
    tables: int
    files: int
    size: int

    @property
    def summary(self) -> str:
        return (
            f"wrote {self.path} ({self.rows} rows in {self.tables} tables, {self.files} files, "
            f"{self.size / 1_000_000:.1f} MB)"
        )


@dataclass(frozen=True)
class RestoreResult:
    rows: int
    tables: int
    files: int
    replaced: bool

    @property
    def summary(self) -> str:
        return (
            f"restored {self.rows} rows in {self.tables} tables and {self.files} files"
            f"{' (everything that was there before was replaced)' if self.replaced else ''}; "
            "verified against the manifest"
        )


def app_version() -> str:
    try:
        return metadata.version("recovery-plans")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def backed_up_models() -> list[type[models.Model]]:
    """The models whose rows the backup carries, many-to-many tables included."""
    chosen = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        if meta.app_label in EXCLUDE or meta.label_lower in EXCLUDE or meta.label in EXCLUDE:
            continue
        chosen.append(model)
    return sorted(chosen, key=lambda model: model._meta.label_lower)


def table_counts() -> dict[str, int]:
    """Rows per backed-up table in the database (tables not yet created count as 0)."""
    existing = set(connection.introspection.table_names())
    return {
        model._meta.label_lower: (model._base_manager.count() if model._meta.db_table in existing else 0)
        for model in backed_up_models()
    }


def counts_in_data(objects: list[dict[str, Any]]) -> dict[str, int]:
    """Rows per table that loading ``objects`` (Django's JSON) creates, many-to-many rows included."""
    counts: Counter[str] = Counter()
    for item in objects:
        label = item["model"]
        counts[label] += 1
        model = apps.get_model(label)
        for name, value in item.get("fields", {}).items():
            field = model._meta.get_field(name)
            if field.many_to_many and isinstance(value, list):
                through = field.remote_field.through
                counts[through._meta.label_lower] += len(value)
    return {model._meta.label_lower: counts.get(model._meta.label_lower, 0) for model in backed_up_models()}


def stored_files(directory: str = "") -> Iterator[str]:
    """Every file name in the default storage, local or S3-compatible."""
    try:
        folders, files = default_storage.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for folder in sorted(folders):
        yield from stored_files(f"{directory}/{folder}" if directory else folder)


def applied_migrations() -> dict[str, list[str]]:
    executor = MigrationExecutor(connection)
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(executor.loader.applied_migrations):
        applied.setdefault(app_label, []).append(name)
    return applied


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _add(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = 0o600
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(content))


def _snapshot() -> None:
    """Make the transaction just begun read the whole database as it is now (a snapshot): on
    PostgreSQL, read committed (the default) would read each table as it is at its own turn, so
    a save made half-way through the dump could be in one table and not in another. (SQLite's
    IMMEDIATE transaction already holds the write lock: saves wait for the dump.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def backup_create(*, directory: Path, output: Path | None = None) -> BackupResult:
    """Write a backup of the database and the stored files (see the module docstring). A file
    system error (no such folder, no permission, disk full) is a ``BackupError``: one line for
    cron, no traceback, and no partial archive left behind."""
    try:
        return _backup_create(directory=directory, output=output)
    except OSError as error:
        raise BackupError(str(error).splitlines()[0] if str(error) else type(error).__name__) from error


def _backup_create(*, directory: Path, output: Path | None) -> BackupResult:
    directory.mkdir(parents=True, exist_ok=True)
    path = output or directory / f"recovery-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz"
    if path.exists():
        raise BackupError(f"{path} already exists; choose another name")
    partial = path.with_name(f".{path.name}.partial")
    # Created readable by the owner only, before a byte is written: it holds password hashes.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            with tempfile.TemporaryDirectory() as work:
                dump = Path(work) / DATA
                outermost = not connection.in_atomic_block
                with transaction.atomic():
                    if outermost:  # (inside a transaction already open, its isolation holds)
                        _snapshot()
                    call_command("dumpdata", natural_foreign=True, exclude=EXCLUDE, output=str(dump), verbosity=0)
                data = dump.read_bytes()
            tables = counts_in_data(json.loads(data))
            _add(tar, DATA, data)
            files = []
            for name in stored_files():
                with default_storage.open(name, "rb") as handle:
                    content = handle.read()
                _add(tar, FILES + name, content)
                files.append({"name": name, "size": len(content), "sha256": _sha256(content)})
            manifest = {
                "format": FORMAT,
                "created_at": timezone.now().isoformat(),
                "app_version": app_version(),
                "django_version": django.get_version(),
                "database": connection.vendor,
                "migrations": applied_migrations(),
                "tables": tables,
                "data": {"name": DATA, "size": len(data), "sha256": _sha256(data)},
                "files": files,
            }
            _add(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(
        path=path, rows=sum(tables.values()), tables=len(tables), files=len(files), size=path.stat().st_size
    )


# Restoring -------------------------------------------------------------------------------------

READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, UnicodeDecodeError, ValueError)


class Archive:
    """A backup archive opened for reading; every member is checked against the manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise BackupError(f"{path}: no such file")
        if path.stat().st_size == 0:
            raise BackupError(f"{path} is empty (0 bytes): not a backup (was the disk full when it was written?)")
        try:
            self.tar = tarfile.open(path, mode="r:gz")  # noqa: SIM115 (closed by Archive.close)
        except READ_ERRORS as error:
            raise BackupError(f"{path} is not a backup archive or is damaged ({_reason(error)})") from error
        self.manifest = self._manifest()

    def _read(self, name: str) -> bytes:
        try:
            member = self.tar.getmember(name)
            handle = self.tar.extractfile(member)
            if handle is None:
                raise BackupError(f"{self.path} is damaged: {name} is not a file")
            return handle.read()
        except KeyError:
            raise BackupError(f"{self.path} is damaged or incomplete: {name} is missing") from None
        except READ_ERRORS as error:
            raise BackupError(f"{self.path} is damaged ({_reason(error)}) while reading {name}") from error

    def _manifest(self) -> dict[str, Any]:
        try:
            names = set(self.tar.getnames())
        except READ_ERRORS as error:
            raise BackupError(f"{self.path} is damaged ({_reason(error)})") from error
        if MANIFEST not in names:
            raise BackupError(f"{self.path} has no {MANIFEST}: not an archive made by `manage.py backup`, or cut short")
        try:
            manifest = json.loads(self._read(MANIFEST))
        except ValueError as error:
            raise BackupError(f"{self.path} is damaged: {MANIFEST} is not valid JSON") from error
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise BackupError(
                f"{self.path} is not a backup this version can read (format {found!r}, expected {FORMAT})"
            )
        valid = (
            isinstance(manifest.get("tables"), dict)
            and all(isinstance(label, str) and type(count) is int for label, count in manifest["tables"].items())
            and isinstance(manifest.get("migrations"), dict)
            and all(
                isinstance(names, list) and all(isinstance(name, str) for name in names)
                for names in manifest["migrations"].values()
            )
            and isinstance(manifest.get("files"), list)
            and all(isinstance(entry, dict) for entry in manifest["files"])
            and isinstance(manifest.get("data"), dict)
            and isinstance(manifest.get("created_at"), str)
        )
        if not valid:
            raise BackupError(f"{self.path} is damaged: its manifest is incomplete or malformed")
        try:
            datetime.fromisoformat(manifest["created_at"])
        except ValueError:
            raise BackupError(f"{self.path} is damaged: its manifest has no valid date") from None
        return manifest

    def data(self) -> bytes:
        data = self._read(DATA)
        if _sha256(data) != self.manifest["data"].get("sha256"):
            raise BackupError(f"{self.path} is damaged: {DATA} does not match its checksum in the manifest")
        return data

    def files(self) -> Iterator[tuple[str, bytes]]:
        for entry in self.manifest["files"]:
            name = str(entry.get("name", ""))
            if not name or name.startswith("/") or ".." in name.split("/"):
                raise BackupError(f"{self.path} is damaged: the manifest names a file outside the storage ({name!r})")
            content = self._read(FILES + name)
            if _sha256(content) != entry.get("sha256"):
                raise BackupError(f"{self.path} is damaged: {name} does not match its checksum in the manifest")
            yield name, content

    def check(self) -> None:
        """Read every member and compare it with the manifest (nothing is written)."""
        self.data()
        for _ in self.files():
            pass

    def close(self) -> None:
        self.tar.close()


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return text or type(error).__name__


def _migration_targets(manifest: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The schema the backup was made with, as migrate targets; refuse a newer backup."""
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    backed_up = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(backed_up - set(graph.nodes))
    if unknown:
        app, name = unknown[0]
        raise BackupError(
            f"the backup was made by a newer version of the app (migration {app}.{name} is unknown here); "
            "install that version (or newer) and restore again"
        )
    targets: list[tuple[str, str | None]] = []
    for app in sorted({app for app, _ in graph.nodes}):
        mine = [node for node in backed_up if node[0] == app]
        if mine:
            targets.append(max(mine, key=lambda node: len(graph.forwards_plan(node))))
        else:
            targets.append((app, None))
    return targets


def _refuse_unless_empty(*, replace: bool) -> None:
    rows = {label: count for label, count in table_counts().items() if count}
    files = sum(1 for _ in stored_files())
    if (rows or files) and not replace:
        biggest = ", ".join(f"{count} {label}" for label, count in sorted(rows.items(), key=lambda kv: -kv[1])[:3])
        what = f"{sum(rows.values())} rows ({biggest})" if rows else "no rows"
        raise BackupError(
            f"the database and storage are not empty ({what}; {files} stored files); restore into an empty "
            "database, or give --replace to replace everything in them with the backup"
        )


def backup_restore(*, path: Path, replace: bool = False) -> RestoreResult:
    """Restore an archive written by ``backup_create`` (see the module docstring)."""
    archive = Archive(path)
    try:
        archive.check()
        manifest = archive.manifest
        targets = _migration_targets(manifest)
        _refuse_unless_empty(replace=replace)
        executor = MigrationExecutor(connection)
        try:
            if executor.migration_plan(targets):
                executor.migrate(targets)
            state = executor.loader.project_state([(app, name) for app, name in targets if name is not None])
            files = _load(archive, archive.data(), manifest, state.apps)
        except (DatabaseError, DeserializationError, FieldDoesNotExist, ValueError, LookupError) as error:
            raise BackupError(
                f"the backup's data could not be loaded ({_reason(error)}); nothing was restored"
            ) from error
        except OSError as error:  # the storage: not writable, full, gone
            raise BackupError(
                f"the files could not be written to the storage ({_reason(error)}); the database was left as it was"
            ) from error
        finally:
            # This version's schema again, whatever happened (the data migrations run on the rows).
            call_command("migrate", verbosity=0, interactive=False)
    finally:
        archive.close()
    return RestoreResult(
        rows=sum(manifest["tables"].values()), tables=len(manifest["tables"]), files=files, replaced=replace
    )


class _DeserializerAt(PythonDeserializer):
    """Django's deserializer with the models as they were at the backup's migrations (the data
    is loaded into that schema, then migrated), not as they are in this version's code."""

    def __init__(self, objects: list[dict[str, Any]], *, state_apps: StateApps, **options: Any) -> None:
        super().__init__(objects, **options)
        self.state_apps = state_apps
        # Natural keys are looked up through the models' managers (kept in the migration state),
        # and the user manager's lookup reads the model's USERNAME_FIELD, which the state lacks.
        for model in state_apps.get_models():
            try:
                current = apps.get_model(model._meta.label)
            except LookupError:
                continue
            if hasattr(current, "USERNAME_FIELD") and not hasattr(model, "USERNAME_FIELD"):
                model.USERNAME_FIELD = current.USERNAME_FIELD  # type: ignore[attr-defined]

    def _get_model_from_node(self, model_identifier: str) -> type[models.Model]:
        try:
            model: type[models.Model] = self.state_apps.get_model(model_identifier)
        except (LookupError, TypeError, ValueError):
            raise DeserializationError(f"Invalid model identifier: {model_identifier}") from None
        return model


def _load_rows(data: bytes, state_apps: StateApps) -> None:
    """What ``loaddata`` does, with the models of the backup's schema (see _DeserializerAt)."""
    loaded: dict[str, type[models.Model]] = {}
    deferred = []
    with connection.constraint_checks_disabled():
        for item in _DeserializerAt(json.loads(data), state_apps=state_apps, handle_forward_references=True):
            item.save()
            loaded[item.object._meta.label_lower] = type(item.object)
            if item.deferred_fields:
                deferred.append(item)
        for item in deferred:
            item.save_deferred_fields()
    tables = [model._meta.db_table for model in loaded.values()]
    connection.check_constraints(table_names=tables)
    statements = connection.ops.sequence_reset_sql(no_style(), list(loaded.values()))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _counts_at(state_apps: StateApps, labels: list[str]) -> dict[str, int]:
    """Rows per table of the backup's schema."""
    existing = set(connection.introspection.table_names())
    counts = {}
    for label in labels:
        try:
            model = state_apps.get_model(label)
        except LookupError:
            counts[label] = -1  # a table the backup has and its own migrations do not: never equal
            continue
        counts[label] = model._base_manager.count() if model._meta.db_table in existing else 0
    return counts


def _load(archive: Archive, data: bytes, manifest: dict[str, Any], state_apps: StateApps) -> int:
    """Replace the database's rows and the storage's files with the archive's, or change nothing."""
    written: list[str] = []
    with transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
        _load_rows(data, state_apps)
        expected = {label: int(count) for label, count in manifest["tables"].items()}
        found = _counts_at(state_apps, list(expected))
        different = {
            label: (count, found.get(label, 0)) for label, count in expected.items() if found.get(label) != count
        }
        if different:
            label, (want, got) = next(iter(sorted(different.items())))
            raise BackupError(
                f"the restored database does not match the manifest ({label}: {got} rows, the backup has {want}); "
                "nothing was changed"
            )
        for name, content in archive.files():
            if default_storage.exists(name):
                default_storage.delete(name)
            saved = default_storage.save(name, ContentFile(content))
            if saved != name:
                raise BackupError(f"could not store {name} under its own name (the storage chose {saved})")
            with default_storage.open(name, "rb") as handle:
                if _sha256(handle.read()) != _sha256(content):
                    raise BackupError(f"{name} reads back different from the backup; nothing was changed")
            written.append(name)
    keep = set(written)
    for name in list(stored_files()):
        if name not in keep:
            default_storage.delete(name)
    return len(written)


def manifest_summary(path: Path) -> str:
    """One line describing an archive (for ``restore --check``)."""
    archive = Archive(path)
    try:
        archive.check()
        manifest = archive.manifest
        _migration_targets(manifest)
    finally:
        archive.close()
    created = datetime.fromisoformat(manifest["created_at"])
    return (
        f"{path}: backup of {created:%Y-%m-%d %H:%M} by version {manifest['app_version']} "
        f"({manifest['database']}), {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables, "
        f"{len(manifest['files'])} files; every checksum matches and this version can restore it"
    )
