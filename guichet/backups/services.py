"""Backups and restores of the whole platform (issue 23 §4): the database, every stored object
and the journal's checkpoints, with a manifest that gives each part's SHA-256.

Consistency: the database is copied first, as one snapshot (SQLite's online backup API; on
PostgreSQL `pg_dump --snapshot` of a snapshot this module holds open); the objects to copy are
then the stored files *that copy* lists, and the checkpoints those that attest no journal entry
beyond the copy's last. An object written after the snapshot is not referenced by it and is
left out; a checkpoint written after it would attest entries the copy does not hold, and is
left out too. Restoring such a backup gives a platform whose `verify_journal` and
`verify_files` pass.

Stored objects are read and written through Django's storage API only (`file_storage()`), by
the names the StoredFile rows give, never by walking a folder: the same code runs on the disk
backend and on object storage. The checkpoints go through `guichet.journal.checkpoints`.

What is not in a backup: the keys (GUICHET_MASTER_KEY, GUICHET_JOURNAL_KEY, the agency's
PKCS#12, SECRET_KEY), kept apart by design (docs/exploitation.md), and what the platform
rebuilds by itself (the register's export files, previews of referential imports, temporary
uploads)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.db import connection, connections
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from guichet.common.text import ngettext
from guichet.journal import checkpoints

FORMAT = "guichet.backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
# pg_dump / pg_restore of a large database take minutes; a stuck one must not hang forever.
DEFAULT_TIMEOUT = 3 * 3600
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
DATABASE_PARTS = {"sqlite": "database/guichet.sqlite3", "postgresql": "database/guichet.dump"}


class BackupError(Exception):
    """A refusal (bad input, a target that is not empty, a backup that does not check): French,
    the command exits 2."""


class BackupFailure(Exception):
    """A step that failed on the way (pg_dump, the storage): French, the command exits 1."""


def file_storage() -> Storage:
    """The storage that holds the StoredFile objects, by their `path`: the one configured as
    STORAGES["files"] when the object storage backend names it so, else the folder
    GUICHET_FILES_ROOT (today's disk backend). The only place this module learns where
    objects live."""
    from guichet.files.storage import files_storage

    return files_storage()


# --- Helpers -----------------------------------------------------------------------------------


def _sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _is_safe_name(name: str) -> bool:
    """A relative name with no way out of its folder."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def _run(command: list[str], *, env: dict, timeout: int, what: str) -> None:
    try:
        done = subprocess.run(
            command,
            env={**os.environ, **env},
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise BackupFailure(
            f"{command[0]} est introuvable : installez les outils clients de PostgreSQL "
            "(paquet postgresql-client) de la même version majeure que le serveur."
        ) from None
    except subprocess.TimeoutExpired:
        raise BackupFailure(
            f"{what} n'a pas fini en {timeout} s : arrêté (option --timeout pour attendre plus)."
        ) from None
    if done.returncode != 0:
        error = done.stderr.decode(errors="replace").strip()
        raise BackupFailure(f"{what} a échoué (code {done.returncode}) : {error}")


def _postgres_environment() -> dict[str, str]:
    """The libpq variables for pg_dump/pg_restore from DATABASES (the password never on the
    command line, where `ps` shows it)."""
    params = connection.settings_dict
    env = {
        "PGDATABASE": params["NAME"],
        "PGUSER": params.get("USER") or "",
        "PGPASSWORD": params.get("PASSWORD") or "",
        "PGHOST": params.get("HOST") or "",
        "PGPORT": str(params.get("PORT") or ""),
    }
    options = params.get("OPTIONS") or {}
    for option, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("options", "PGOPTIONS"),
        ("service", "PGSERVICE"),
    ):
        if options.get(option):
            env[variable] = str(options[option])
    return {name: value for name, value in env.items() if value}


def _postgres_connect():
    import psycopg

    env = _postgres_environment()
    keywords = {
        "dbname": env.get("PGDATABASE"),
        "user": env.get("PGUSER"),
        "password": env.get("PGPASSWORD"),
        "host": env.get("PGHOST"),
        "port": env.get("PGPORT"),
        "sslmode": env.get("PGSSLMODE"),
        "options": env.get("PGOPTIONS"),
    }
    return psycopg.connect(**{key: value for key, value in keywords.items() if value})


def _platform_version() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("guichet")
    except PackageNotFoundError:
        package = ""
    commit = os.environ.get("GUICHET_COMMIT", "")
    if not commit:
        try:
            done = subprocess.run(
                ["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],
                capture_output=True,
                timeout=10,
                check=False,
            )
            if done.returncode == 0:
                commit = done.stdout.decode().strip()
        except (OSError, subprocess.TimeoutExpired):
            pass
    return {"version": package, "commit": commit}


def _database_text(vendor: str, size: int) -> str:
    return f"base {VENDOR_NAMES.get(vendor, vendor)} ({filesizeformat(size)})"


def _objects_text(count: int, size: int) -> str:
    return ngettext("%(n)d objet (%(size)s)", "%(n)d objets (%(size)s)", count) % {
        "n": count,
        "size": filesizeformat(size),
    }


def _checkpoints_text(count: int) -> str:
    return ngettext("%(n)d point de contrôle", "%(n)d points de contrôle", count) % {"n": count}


# --- Backup -------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """The database copy and what it references."""

    part: str
    # storage name, recorded size and SHA-256 (of the plain content), encrypted
    objects: list[tuple[str, int, str, bool]]
    last_journal_entry: int | None


@dataclass
class BackupReport:
    destination: Path
    vendor: str
    database_size: int = 0
    objects: int = 0
    objects_size: int = 0
    checkpoints: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"Sauvegarde écrite dans {self.destination} : "
            f"{_database_text(self.vendor, self.database_size)}, "
            f"{_objects_text(self.objects, self.objects_size)}, "
            f"{_checkpoints_text(self.checkpoints)}, en {self.seconds:.1f} s."
        )


def _referenced(read_rows: Callable[[str], list]) -> tuple[list, int | None]:
    """The stored files and the journal's last entry, read from the copy by `read_rows(sql)`."""
    from guichet.files.models import StoredFile
    from guichet.journal.models import JournalEntry

    quote = connection.ops.quote_name
    meta = StoredFile._meta
    columns = ", ".join(
        quote(meta.get_field(name).column) for name in ("path", "size", "sha256", "encrypted")
    )
    objects = [
        (str(name), int(size), str(sha256), bool(encrypted))
        for name, size, sha256, encrypted in read_rows(
            f"SELECT {columns} FROM {quote(meta.db_table)} ORDER BY {quote(meta.get_field('path').column)}"
        )
    ]
    journal = JournalEntry._meta
    rows = read_rows(f"SELECT MAX({quote(journal.pk.column)}) FROM {quote(journal.db_table)}")
    return objects, rows[0][0] if rows else None


def _snapshot_sqlite(destination: Path, timeout: int) -> Snapshot:
    part = DATABASE_PARTS["sqlite"]
    target = destination / part
    target.parent.mkdir(parents=True, exist_ok=True)
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        # Online, in one step: the copy is one state of the database. Writers of the other
        # processes wait meanwhile (they wait up to 20 s, settings.py), milliseconds for a
        # database of megabytes; copied in steps, each write would restart the copy.
        connection.connection.backup(copy)
    finally:
        copy.close()
    reader = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:

        def read_rows(sql: str) -> list:
            return reader.execute(sql).fetchall()

        objects, last = _referenced(read_rows)
    finally:
        reader.close()
    return Snapshot(part=part, objects=objects, last_journal_entry=last)


def _snapshot_postgresql(destination: Path, timeout: int) -> Snapshot:
    """pg_dump reads the snapshot this transaction exports, which the file list and the
    journal's last entry are read from too: the three agree, whatever runs meanwhile."""
    import psycopg

    part = DATABASE_PARTS["postgresql"]
    target = destination / part
    target.parent.mkdir(parents=True, exist_ok=True)
    with _postgres_connect() as holder:
        holder.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        holder.read_only = True
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot_id,) = cursor.fetchone()

            def read_rows(sql: str) -> list:
                cursor.execute(sql)
                return cursor.fetchall()

            objects, last = _referenced(read_rows)
            _run(
                ["pg_dump", "-Fc", f"--snapshot={snapshot_id}", "--file", str(target)],
                env=_postgres_environment(),
                timeout=timeout,
                what="pg_dump",
            )
        holder.rollback()
    return Snapshot(part=part, objects=objects, last_journal_entry=last)


SNAPSHOTS = {"sqlite": _snapshot_sqlite, "postgresql": _snapshot_postgresql}


def _copy_object(storage: Storage, name: str, target: Path) -> tuple[str, int]:
    """Streamed from the storage to `target`, hashed on the way; never whole in memory."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    digest, size = hashlib.sha256(), 0
    with storage.open(name, "rb") as source, open(partial, "xb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    partial.replace(target)
    return digest.hexdigest(), size


def check_destination(destination: Path) -> None:
    if destination.exists() and not destination.is_dir():
        raise BackupError(f"{destination} existe et n'est pas un dossier.")
    if destination.is_dir() and any(destination.iterdir()):
        raise BackupError(
            f"Le dossier {destination} n'est pas vide : donnez un dossier neuf ou vide, une "
            "sauvegarde ne se mélange pas à une autre."
        )


def backup(destination: Path, *, timeout: int = DEFAULT_TIMEOUT) -> BackupReport:
    """Writes a consistent copy of the platform into `destination` (absent or empty)."""
    started = time.perf_counter()
    vendor = connection.vendor
    if vendor not in SNAPSHOTS:
        raise BackupError(f"Base de données « {vendor} » non prise en charge par la sauvegarde.")
    check_destination(destination)
    destination.mkdir(parents=True, exist_ok=True)
    created_at = timezone.now()
    report = BackupReport(destination=destination, vendor=vendor)

    snapshot = SNAPSHOTS[vendor](destination, timeout)
    sha256, size = _sha256_of(destination / snapshot.part)
    report.database_size = size
    parts = [{"kind": "database", "path": snapshot.part, "size": size, "sha256": sha256}]

    storage = file_storage()
    for name, recorded_size, recorded_sha256, encrypted in snapshot.objects:
        if not _is_safe_name(name):
            report.warnings.append(f"Objet au nom refusé, non copié : « {name} ».")
            continue
        path = f"objects/{name}"
        try:
            sha256, size = _copy_object(storage, name, destination / path)
        except FileNotFoundError:
            report.warnings.append(
                f"Objet absent du stockage, non copié : « {name} » (verify_files le signale)."
            )
            continue
        if not encrypted and (size, sha256) != (recorded_size, recorded_sha256):
            # Copied as it is (a backup keeps what is there); verify_files names it too.
            report.warnings.append(
                f"Objet « {name} » différent de son dépôt (taille ou empreinte) : copié tel quel."
            )
        parts.append({"kind": "object", "path": path, "name": name, "size": size, "sha256": sha256})
        report.objects += 1
        report.objects_size += size

    for checkpoint in checkpoints.kept():
        last = checkpoint.last_entry_id
        if (
            last is not None
            and snapshot.last_journal_entry is not None
            and last > snapshot.last_journal_entry
        ):
            continue  # attests entries written after the copy of the database
        if snapshot.last_journal_entry is None and last is not None:
            continue
        for suffix, data in (
            ("", checkpoint.document),
            (checkpoints.SIGNATURE_SUFFIX, checkpoint.signature),
        ):
            if not data:
                continue
            path = f"checkpoints/{checkpoint.name}{suffix}"
            target = destination / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            parts.append(
                {
                    "kind": "checkpoint" if not suffix else "checkpoint_signature",
                    "path": path,
                    "name": checkpoint.name + suffix,
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
        report.checkpoints += 1

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": created_at.astimezone(dt.UTC).isoformat(),
        "platform": _platform_version(),
        "database": {"vendor": vendor, "last_journal_entry": snapshot.last_journal_entry},
        "parts": parts,
    }
    # Written last, whole or not at all: a backup cut short has no manifest and is refused.
    partial = destination / (MANIFEST + ".part")
    partial.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    partial.replace(destination / MANIFEST)
    report.seconds = time.perf_counter() - started
    return report


# --- Restore ------------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    source: Path
    vendor: str
    database_size: int = 0
    objects: int = 0
    objects_size: int = 0
    checkpoints: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"Restauration terminée depuis {self.source} : "
            f"{_database_text(self.vendor, self.database_size)}, "
            f"{_objects_text(self.objects, self.objects_size)}, "
            f"{_checkpoints_text(self.checkpoints)}, en {self.seconds:.1f} s. Ensuite : "
            "python manage.py migrate, verify_journal et verify_files."
        )


def read_manifest(source: Path) -> dict:
    """The manifest, its every part checked against its size and SHA-256 (read once each)."""
    if not source.is_dir():
        raise BackupError(f"Dossier de sauvegarde introuvable : {source}.")
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(
            f"Pas de {MANIFEST} dans {source} : ce n'est pas une sauvegarde complète de Guichet."
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{source / MANIFEST} est illisible (JSON invalide).") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("format_version") != FORMAT_VERSION
        or not isinstance(manifest.get("parts"), list)
    ):
        raise BackupError(
            f"{source / MANIFEST} n'est pas un manifeste de sauvegarde de Guichet que cette "
            f"version sait lire (format {FORMAT} {FORMAT_VERSION})."
        )
    problems = []
    for part in manifest["parts"]:
        path = str(part.get("path", ""))
        if not _is_safe_name(path) or (
            part.get("kind") == "object" and not _is_safe_name(str(part.get("name", "")))
        ):
            problems.append(f"« {path} » : chemin refusé")
            continue
        try:
            sha256, size = _sha256_of(source / path)
        except FileNotFoundError:
            problems.append(f"« {path} » : fichier absent")
            continue
        if size != part.get("size"):
            problems.append(f"« {path} » : {size} octets au lieu de {part.get('size')}")
        elif sha256 != part.get("sha256"):
            problems.append(f"« {path} » : empreinte SHA-256 différente de celle du manifeste")
    databases = [part for part in manifest["parts"] if part.get("kind") == "database"]
    if len(databases) != 1:
        problems.append("le manifeste doit nommer une et une seule base de données")
    if problems:
        raise BackupError(
            "Sauvegarde refusée, rien n'a été restauré :\n"
            + "\n".join(f"- {problem}" for problem in problems)
        )
    return manifest


def _database_rows() -> str | None:
    """What makes the database not empty (French), or None."""
    from guichet.accounts.models import User
    from guichet.applications.models import Application
    from guichet.files.models import StoredFile

    tables = set(connection.introspection.table_names())
    for model, what in (
        (User, "des utilisateurs"),
        (Application, "des candidatures"),
        (StoredFile, "des fichiers déposés"),
    ):
        if model._meta.db_table in tables and model.objects.exists():
            return what
    return None


def _first_object(storage: Storage, folder: str = "") -> str | None:
    """Any object in the storage (temporary uploads apart), or None; stops at the first."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return None
    if files:
        return f"{folder}/{files[0]}" if folder else files[0]
    for name in folders:
        if not folder and name == "tmp":
            continue
        found = _first_object(storage, f"{folder}/{name}" if folder else name)
        if found:
            return found
    return None


def _sqlite_folder_made() -> None:
    """A new SQLite database is a file SQLite creates, in a folder that must exist."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and name != ":memory:" and "mode=memory" not in name:
        Path(name).parent.mkdir(parents=True, exist_ok=True)


def check_target_is_empty() -> None:
    _sqlite_folder_made()
    found = _database_rows()
    if found:
        raise BackupError(
            f"La base de données cible contient déjà {found} : la restauration se fait dans une "
            "base vide (créez-en une neuve, ou videz celle-ci en connaissance de cause). Rien "
            "n'a été restauré."
        )
    found = _first_object(file_storage())
    if found:
        raise BackupError(
            f"Le stockage des fichiers cible n'est pas vide (il contient « {found} ») : la "
            "restauration se fait dans un stockage vide. Rien n'a été restauré."
        )


def _restore_sqlite(source: Path, timeout: int) -> None:
    """SQLite's backup API, the other way: the copy's pages written into the database Django
    opens (created if absent); SQLite handles its journal, nothing is copied beside it."""
    connection.close()
    connection.ensure_connection()
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        reader.backup(connection.connection)
    finally:
        reader.close()
    connection.close()


def _restore_postgresql(source: Path, timeout: int) -> None:
    """Into the empty database of DATABASES; if `migrate` created the tables already (empty:
    checked), pg_restore drops them first. One transaction: all or nothing."""
    tables = connection.introspection.table_names()
    connections.close_all()
    command = [
        "pg_restore",
        "--no-owner",
        "--no-acl",
        "--single-transaction",
        "--exit-on-error",
    ]
    if tables:
        command += ["--clean", "--if-exists"]
    env = _postgres_environment()
    command += ["--dbname", env.pop("PGDATABASE"), str(source)]
    _run(command, env=env, timeout=timeout, what="pg_restore")


RESTORES = {"sqlite": _restore_sqlite, "postgresql": _restore_postgresql}


def _parts(manifest: dict, kind: str) -> Iterator[dict]:
    return (part for part in manifest["parts"] if part.get("kind") == kind)


def restore(source: Path, *, timeout: int = DEFAULT_TIMEOUT) -> RestoreReport:
    """Checks the backup, then restores it into an empty database and storage: the database
    first, then the objects, then the checkpoints."""
    started = time.perf_counter()
    manifest = read_manifest(source)
    vendor = connection.vendor
    saved_vendor = (manifest.get("database") or {}).get("vendor")
    if saved_vendor != vendor:
        raise BackupError(
            f"Cette sauvegarde est celle d'une base {VENDOR_NAMES.get(saved_vendor, saved_vendor)}"
            f" ; la base configurée (DATABASE_URL) est {VENDOR_NAMES.get(vendor, vendor)}. "
            "Rien n'a été restauré."
        )
    check_target_is_empty()
    report = RestoreReport(source=source, vendor=vendor)

    (database,) = _parts(manifest, "database")
    RESTORES[vendor](source / database["path"], timeout)
    report.database_size = database["size"]

    storage = file_storage()
    for part in _parts(manifest, "object"):
        with open(source / part["path"], "rb") as content:
            saved = storage.save(part["name"], File(content))
        if saved != part["name"]:
            storage.delete(saved)
            raise BackupFailure(
                f"Le stockage a enregistré « {part['name']} » sous un autre nom ({saved}) : "
                "il n'était donc pas vide. Restauration interrompue."
            )
        report.objects += 1
        report.objects_size += part["size"]

    signatures = {
        part["name"]: (source / part["path"]).read_bytes()
        for part in _parts(manifest, "checkpoint_signature")
    }
    for part in _parts(manifest, "checkpoint"):
        try:
            checkpoints.put_back(
                part["name"],
                (source / part["path"]).read_bytes(),
                signatures.get(part["name"] + checkpoints.SIGNATURE_SUFFIX, b""),
            )
        except checkpoints.CheckpointWriteError as error:
            raise BackupFailure(error.message) from error
        report.checkpoints += 1
    report.seconds = time.perf_counter() - started
    return report
