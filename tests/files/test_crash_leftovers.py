"""What a killed process leaves among the files is found and purged (issue 23 §3): « objects
without a row (an upload cut short) are listed and removed after a grace period by a periodic
purge, never by a request ». The leftovers are made as a kill makes them: an upload stopped
mid-stream (its `.part` file), a transaction that wrote its object and never committed its row.
Ages are set with os.utime, never waited for."""

import datetime as dt
import io
import os
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from guichet.common import periodic
from guichet.files.maintenance import orphan_objects
from guichet.files.models import StoredFile
from guichet.files.services import commit
from guichet.files.uploads import StreamingUploadHandler, temp_dir, upload_from_stream
from guichet.journal.models import JournalEntry
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


class Killed(Exception):
    """Stands for the SIGKILL: the transaction never commits, nothing cleans up after it."""


def aged(path, seconds: float):
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def cut_short_upload(chunk: bytes = b"%PDF-1.4\n" + b"x" * 4096):
    """An upload whose process died while it was streaming: its `.part` file stays."""
    handler = StreamingUploadHandler()
    handler.new_file("file", "preuve.pdf", "application/pdf", None)
    handler.receive_data_chunk(chunk, 0)
    handler._out.close()  # the dead process no longer holds it
    return handler.uploads[0].temp_path


def object_without_row(by) -> str:
    """An upload killed after its object was moved into place, before its row committed."""
    upload = upload_from_stream(io.BytesIO(PDF + os.urandom(256)), "coupé.pdf")
    try:
        with transaction.atomic():
            stored = commit(upload, by=by)
            raise Killed
    except Killed:
        pass
    assert not StoredFile.objects.filter(pk=stored.pk).exists()
    assert (settings.GUICHET_FILES_ROOT / stored.path).exists()
    return stored.path


def kept_file(by) -> StoredFile:
    with transaction.atomic():
        return commit(upload_from_stream(io.BytesIO(PDF + os.urandom(64)), "gardé.pdf"), by=by)


def run_purge(capture) -> dict:
    """As the worker runs it once the scheduler enqueued it."""
    from guichet.files.tasks import purge_upload_leftovers

    with capture(execute=True):
        result = purge_upload_leftovers.enqueue()
    return result.return_value


def test_crash_the_purge_of_upload_leftovers_is_a_periodic_task():
    from guichet.files.tasks import purge_upload_leftovers

    entry = next(p for p in periodic.registered() if p.task is purge_upload_leftovers)
    assert entry.every == dt.timedelta(hours=1) and "dépôts interrompus" in entry.label


def test_crash_temporary_uploads_older_than_the_grace_period_are_purged(
    django_capture_on_commit_callbacks,
):
    old = aged(cut_short_upload(), DAY + 60)
    young = aged(cut_short_upload(), DAY - 3600)
    other = temp_dir() / "aperçu.xlsx"
    other.write_bytes(b"PK")
    aged(other, DAY * 3)
    found = run_purge(django_capture_on_commit_callbacks)
    assert found["temporary"] == 1 and found["temporary_size"] > 4096
    assert not old.exists()
    assert young.exists(), "younger than the grace period: maybe an upload in progress"
    assert other.exists(), "only the uploads' .part files are the purge's"
    entry = JournalEntry.objects.get(action="file.purge")
    assert entry.after["temporary"] == 1 and entry.after["orphans"] == []


def test_crash_the_grace_period_is_a_setting(settings, django_capture_on_commit_callbacks):
    settings.GUICHET_UPLOAD_GRACE_HOURS = 1
    old = aged(cut_short_upload(), 2 * 3600)
    young = aged(cut_short_upload(), 1800)
    assert run_purge(django_capture_on_commit_callbacks)["temporary"] == 1
    assert not old.exists() and young.exists()


def test_crash_an_object_without_its_row_is_listed_by_verify_files(agency_admin, capsys):
    """« verify_files passes: every stored file has its object with its recorded size and
    SHA-256; objects without a row (an upload cut short) are listed »."""
    kept = kept_file(agency_admin)
    orphan = object_without_row(agency_admin)
    call_command("verify_files")  # passes: the deposited files are intact
    out = capsys.readouterr().out
    assert "1 objet stocké sans ligne en base (dépôt interrompu) :" in out
    assert orphan in out and kept.path not in out
    assert "1 fichier vérifié" in out
    assert [item.name for item in orphan_objects()] == [orphan]


def test_crash_objects_without_a_row_are_purged_after_the_grace_period_only(agency_admin, capsys):
    kept = kept_file(agency_admin)
    aged(settings.GUICHET_FILES_ROOT / kept.path, DAY * 30)
    old = object_without_row(agency_admin)
    young = object_without_row(agency_admin)
    aged(settings.GUICHET_FILES_ROOT / old, DAY + 60)
    aged(settings.GUICHET_FILES_ROOT / young, 600)
    export = settings.GUICHET_FILES_ROOT / "exports" / "register.csv"
    export.parent.mkdir(parents=True)
    export.write_text("numéro\n")
    aged(export, DAY * 30)
    call_command("purge_files")
    out = capsys.readouterr().out
    assert "1 objet sans ligne en base supprimé" in out and old in out
    assert not (settings.GUICHET_FILES_ROOT / old).exists()
    assert (settings.GUICHET_FILES_ROOT / young).exists()
    assert (settings.GUICHET_FILES_ROOT / kept.path).exists(), "a file with its row is kept"
    assert export.exists(), "what is not a row's object is not the purge's"
    assert JournalEntry.objects.get(action="file.purge").after["orphans"] == [old]
    call_command("verify_files")  # still passes, and the young one is still listed
    out = capsys.readouterr().out
    assert young in out and old not in out


def test_crash_nothing_to_purge_journals_nothing(django_capture_on_commit_callbacks):
    assert run_purge(django_capture_on_commit_callbacks) == {
        "temporary": 0,
        "temporary_size": 0,
        "orphans": [],
        "orphans_size": 0,
    }
    assert not JournalEntry.objects.filter(action="file.purge").exists()
