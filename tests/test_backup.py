"""Backups and restores (issue 23 §4): `manage.py backup DEST` copies the database, every stored
object and the journal's checkpoints with a manifest of SHA-256; `manage.py restore SRC`
restores them into an empty database and storage, after checking every part.

The restore runs in a process of its own, as an operator runs it: a new SQLite file, or on
PostgreSQL (CI) a new database beside the test database, and a new GUICHET_VAR_DIR for the
files and checkpoints; only the keys are the same (they are kept apart from backups)."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from guichet.accounts.models import User
from guichet.backups.services import SNAPSHOTS
from guichet.files.models import StoredFile
from guichet.files.services import copy_file
from guichet.journal.services import create_checkpoint
from tests.certificates.world import certified, small_dmn
from tests.conftest import committed

ROOT = Path(__file__).resolve().parent.parent
# Startup of Django, a restore, the verifications: seconds; a stuck one must not hang CI.
TIMEOUT = 300

# Runs in the restored platform: the two verifications the operators run, then the register's
# CSV as a visitor downloads it, after a marker.
CHECKS = """
import sys

import django

django.setup()
from django.core.management import call_command
from django.test import Client

call_command("verify_journal")
call_command("verify_files")
response = Client(HTTP_HOST="localhost").get("/register.csv")
assert response.status_code == 200, response.status_code
sys.stdout.flush()
sys.stdout.buffer.write(b"\\n--register.csv--\\n" + b"".join(response.streaming_content))
"""


def _register_csv(client) -> bytes:
    response = client.get("/register.csv")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    response.close()
    return content


@contextlib.contextmanager
def empty_database(tmp_path: Path):
    """The URL of a new, empty database of the test database's vendor, dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'guichet.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    params = connection.settings_dict
    name = f"{params['NAME']}_restored"
    keywords = {
        "dbname": params["NAME"],
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
        "host": params.get("HOST") or None,
        "port": params.get("PORT") or None,
        "autocommit": True,
    }

    def administer(statement: str) -> None:
        with psycopg.connect(**{k: v for k, v in keywords.items() if v is not None}) as admin:
            admin.execute(sql.SQL(statement).format(sql.Identifier(name)))

    administer("DROP DATABASE IF EXISTS {} WITH (FORCE)")
    administer("CREATE DATABASE {}")
    try:
        credentials = quote(params.get("USER") or "", safe="")
        if params.get("PASSWORD"):
            credentials += ":" + quote(params["PASSWORD"], safe="")
        yield (
            f"postgres://{credentials}@{params.get('HOST') or 'localhost'}:"
            f"{params.get('PORT') or 5432}/{name}"
        )
    finally:
        administer("DROP DATABASE IF EXISTS {} WITH (FORCE)")


def target_environment(database_url: str, var_dir: Path) -> dict:
    """Another platform: its own database and var/ (files, checkpoints), the same keys."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name
        not in {
            "GUICHET_FILES_ROOT",
            "GUICHET_JOURNAL_CHECKPOINT_DIR",
            "MEDIA_ROOT",
            "REGISTER_EXPORT_DIR",
            "STATIC_ROOT",
        }
    }
    env.update(
        DATABASE_URL=database_url,
        GUICHET_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="guichet.settings",
        PYTHONPATH=str(ROOT),
        SECRET_KEY=settings.SECRET_KEY,
        GUICHET_BASE_URL=settings.GUICHET_BASE_URL,
        GUICHET_JOURNAL_KEY=settings.GUICHET_JOURNAL_KEY,
        GUICHET_MASTER_KEY=settings.GUICHET_MASTER_KEY,
        GUICHET_SIGNING_P12=str(settings.GUICHET_SIGNING_P12),
        GUICHET_SIGNING_P12_PASSWORD=settings.GUICHET_SIGNING_P12_PASSWORD,
        LOG_LEVEL="WARNING",
    )
    return env


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, timeout=TIMEOUT
    )


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return run(["manage.py", *args], env)


def _call(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def certified_world(journal_rows_removed, catalogue, applicant, instructor, committee_member):
    """A dossier with its proofs, its signed convention and its acknowledgment, decided by the
    collège and certified (its decision letter and its certificate's PDF made, as after a real
    commit), then a sealed checkpoint of the journal."""
    with committed():
        certificate = certified(
            small_dmn(),
            applicant=applicant,
            instructor=instructor,
            committee_member=committee_member,
        )
    create_checkpoint(by="test")
    return certificate


def written_meanwhile(snapshot, *, by, meanwhile: list):
    """The database's snapshot, then, while the backup goes on, a new file and two sealed
    checkpoints, as the other processes would write them at that moment."""

    def taken_then_written(destination, timeout):
        taken = snapshot(destination, timeout)
        with transaction.atomic():
            copy_file(StoredFile.objects.filter(encrypted=False).first(), by=by)
        # The first attests the snapshot's last entry (kept); its own journal entry comes
        # after the snapshot, and the second attests it (left out).
        meanwhile.append(create_checkpoint(by="pendant la sauvegarde"))
        meanwhile.append(create_checkpoint(by="pendant la sauvegarde"))
        return taken

    return taken_then_written


def test_backup_round_trip_restores_a_platform_whose_journal_files_and_register_hold(
    certified_world, applicant, client, tmp_path, monkeypatch
):
    """R-AUD-1: « Every state change and every document is recorded in an append-only,
    timestamped journal […] that an auditor can export and verify »; R-EVD-2: « every file is
    kept with its SHA-256, size, type, uploader and time »; R-PUB-1: « The register and its
    open-data export (CSV and JSON) list certified products ». Issue 23 §4: after restore,
    `verify_journal` and `verify_files` pass, and the register's CSV is identical byte for
    byte — while a file and a checkpoint written during the backup, after its snapshot of the
    database, are left out of it."""
    register = _register_csv(client)
    assert certified_world.number.encode() in register
    stored = {row.path: row for row in StoredFile.objects.all()}
    assert len(stored) >= 3  # proofs, convention, acknowledgment, letter, certificate…

    backup = tmp_path / "sauvegarde"
    vendor = connection.vendor
    meanwhile = []
    monkeypatch.setitem(
        SNAPSHOTS, vendor, written_meanwhile(SNAPSHOTS[vendor], by=applicant, meanwhile=meanwhile)
    )
    out = _call("backup", str(backup))
    assert out.startswith(f"Sauvegarde écrite dans {backup} : base ")
    assert StoredFile.objects.count() == len(stored) + 1  # written after the snapshot

    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor
    assert set(manifest["platform"]) == {"version", "commit"}
    assert manifest["created_at"]
    objects = {part["name"]: part for part in manifest["parts"] if part["kind"] == "object"}
    assert set(objects) == set(stored)
    # A checkpoint that attests entries the copy does not hold is left out.
    saved = {part["name"] for part in manifest["parts"] if part["kind"] == "checkpoint"}
    assert meanwhile[0].name in saved
    assert meanwhile[1].name not in saved
    assert len(saved) == 2

    with empty_database(tmp_path) as database_url:
        env = target_environment(database_url, tmp_path / "restored")
        restored = manage("restore", str(backup), env=env)
        assert restored.returncode == 0, restored.stderr.decode()
        assert "Restauration terminée" in restored.stdout.decode()
        checked = run(["-c", CHECKS], env)
        assert checked.returncode == 0, checked.stderr.decode()

        output, csv = checked.stdout.split(b"\n--register.csv--\n")
        assert "Journal intègre" in output.decode()
        assert "conforme aux 2 points de contrôle scellés" in output.decode()
        assert "tous correspondent à leur dépôt" in output.decode()
        assert csv == register

        again = manage("restore", str(backup), env=env)
    assert again.returncode == 2
    assert "La base de données cible contient déjà des utilisateurs" in again.stderr.decode()


def test_backup_refuses_a_destination_that_is_not_empty(db, tmp_path):
    """A backup never mixes with another: a destination that holds anything is refused (exit
    2, in French) and left as it was."""
    destination = tmp_path / "sauvegarde"
    destination.mkdir()
    (destination / "autre.txt").write_text("une autre sauvegarde")
    with pytest.raises(CommandError) as refused:
        _call("backup", str(destination))
    assert refused.value.returncode == 2
    assert str(refused.value).startswith(f"Le dossier {destination} n'est pas vide")
    assert [entry.name for entry in destination.iterdir()] == ["autre.txt"]

    a_file = tmp_path / "fichier"
    a_file.write_text("pas un dossier")
    with pytest.raises(CommandError) as refused:
        _call("backup", str(a_file))
    assert refused.value.returncode == 2
    assert str(refused.value) == f"{a_file} existe et n'est pas un dossier."


def test_restore_refuses_a_tampered_backup_and_a_database_that_is_not_empty(
    certified_world, tmp_path
):
    """Issue 23 §4: `restore` checks every part's SHA-256 against the manifest before writing
    anything, and restores only into an empty database and storage."""
    backup = tmp_path / "sauvegarde"
    _call("backup", str(backup))
    users, files = User.objects.count(), StoredFile.objects.count()

    with pytest.raises(CommandError) as refused:
        _call("restore", str(backup))
    assert refused.value.returncode == 2
    assert "La base de données cible contient déjà des utilisateurs" in str(refused.value)

    tampered = tmp_path / "falsifiée"
    shutil.copytree(backup, tampered)
    manifest = json.loads((tampered / "manifest.json").read_text())
    part = next(part for part in manifest["parts"] if part["kind"] == "object")
    content = bytearray((tampered / part["path"]).read_bytes())
    content[len(content) // 2] ^= 0x01  # one bit, the size unchanged
    (tampered / part["path"]).write_bytes(bytes(content))
    with pytest.raises(CommandError) as refused:
        _call("restore", str(tampered))
    assert refused.value.returncode == 2
    assert str(refused.value) == (
        "Sauvegarde refusée, rien n'a été restauré :\n"
        f"- « {part['path']} » : empreinte SHA-256 différente de celle du manifeste"
    )
    assert (User.objects.count(), StoredFile.objects.count()) == (users, files)


def test_restore_refuses_a_storage_that_is_not_empty(certified_world, tmp_path):
    """An empty database beside a storage that already holds objects is refused too, before
    the database is touched (exit 2, in French)."""
    backup = tmp_path / "sauvegarde"
    _call("backup", str(backup))
    with empty_database(tmp_path) as database_url:
        env = target_environment(database_url, tmp_path / "occupied")
        leftover = tmp_path / "occupied" / "files" / "ab" / "abcdef"
        leftover.parent.mkdir(parents=True)
        leftover.write_bytes(b"un objet d'avant")
        refused = manage("restore", str(backup), env=env)
        assert refused.returncode == 2
        assert (
            "Le stockage des fichiers cible n'est pas vide (il contient « ab/abcdef »)"
            in refused.stderr.decode()
        )
        tables = run(
            [
                "-c",
                "import django; django.setup(); from django.db import connection; "
                "print(len(connection.introspection.table_names()))",
            ],
            env,
        )
        assert tables.stdout.decode().strip() == "0"
