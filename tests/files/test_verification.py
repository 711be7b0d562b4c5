"""Every stored file is re-verified weekly against its deposit (issue 10 §6, R-EVD-2): each file
streamed once, each failure journaled with a summary, the agency's administrators told."""

import datetime as dt
import io
import os

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from guichet.common import periodic
from guichet.files.services import commit
from guichet.files.uploads import upload_from_stream
from guichet.journal.models import JournalEntry
from tests.conftest import make_staff
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db


def stored_files(by, count, *, encrypt=False, prefix="f"):
    with transaction.atomic():
        return [
            commit(
                upload_from_stream(
                    io.BytesIO(PDF + b"%" + os.urandom(64)), f"{prefix}{i}.pdf", encrypt=encrypt
                ),
                by=by,
            )
            for i in range(count)
        ]


def path_of(stored):
    return settings.GUICHET_FILES_ROOT / stored.path


def test_r_evd_2_weekly_verification_is_a_declared_periodic_task():
    from guichet.files.tasks import verify_stored_files

    entry = next(p for p in periodic.registered() if p.task is verify_stored_files)
    assert entry.every == dt.timedelta(weeks=1) and "fichiers déposés" in entry.label


def run_task(capture):
    """As the worker runs it: once enqueued, after the commit."""
    from guichet.files.tasks import verify_stored_files

    with capture(execute=True):
        result = verify_stored_files.enqueue()
    return result


def test_r_evd_2_intact_files_make_a_quiet_summary(
    agency_admin, django_capture_on_commit_callbacks
):
    stored_files(agency_admin, 2)
    stored_files(agency_admin, 1, encrypt=True)
    result = run_task(django_capture_on_commit_callbacks)
    assert result.return_value["checked"] == 3 and result.return_value["failed"] == 0
    summary = JournalEntry.objects.get(action="file.verification")
    assert summary.after["checked"] == 3 and summary.after["failed"] == 0
    assert not JournalEntry.objects.filter(action="file.integrity_failure").exists()
    assert mail.outbox == []


def test_r_evd_2_failures_are_journaled_and_reported_to_the_agency_admins(
    agency_admin, instructor, django_capture_on_commit_callbacks
):
    intact, altered, missing = stored_files(agency_admin, 3)
    (encrypted,) = stored_files(agency_admin, 1, encrypt=True, prefix="sensible")
    raw = bytearray(path_of(altered).read_bytes())
    raw[12] ^= 0x01
    path_of(altered).write_bytes(bytes(raw))
    path_of(missing).unlink()
    sealed = bytearray(path_of(encrypted).read_bytes())
    sealed[30] ^= 0x01
    path_of(encrypted).write_bytes(bytes(sealed))

    result = run_task(django_capture_on_commit_callbacks).return_value
    assert result["checked"] == 4 and result["failed"] == 3
    failures = {
        e.object_id: e.after["reason"]
        for e in JournalEntry.objects.filter(action="file.integrity_failure")
    }
    assert set(failures) == {str(altered.pk), str(missing.pk), str(encrypted.pk)}
    assert "empreinte" in failures[str(altered.pk)] and "absent" in failures[str(missing.pk)]
    assert JournalEntry.objects.get(action="file.verification").after["failed"] == 3
    (message,) = mail.outbox
    assert message.to == [agency_admin.email]  # the administrators, not the instructors
    assert "3 fichiers en échec" in message.subject
    assert f"« {altered.original_name} »" in message.body and "verify_files" in message.body
    assert intact.original_name + " »" not in message.body


def test_r_evd_2_verify_files_command_fails_when_a_file_fails(agency_admin, capsys):
    (stored,) = stored_files(agency_admin, 1)
    call_command("verify_files")
    assert "tous correspondent à leur dépôt" in capsys.readouterr().out
    path_of(stored).write_bytes(b"%PDF-1.4 autre\n")
    with pytest.raises(CommandError) as failed:
        call_command("verify_files")
    assert "1 ne correspond plus à son dépôt" in str(failed.value)
    assert stored.original_name in capsys.readouterr().err


def test_r_evd_2_verification_queries_do_not_grow_with_the_files(agency_admin):
    from guichet.files.verification import verify_all_files

    make_staff("admin2@agence.test", "agency_admin")

    def queries_for(count):
        stored_files(agency_admin, count)
        with CaptureQueriesContext(connection) as captured:
            verify_all_files()
        return len(captured)

    assert queries_for(2) == queries_for(6)
