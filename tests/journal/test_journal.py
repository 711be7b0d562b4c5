"""The append-only, hash-chained audit journal (R-AUD-1)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import (
    IntegrityError,
    InternalError,
    OperationalError,
    ProgrammingError,
    connection,
    transaction,
)
from django.urls import reverse

from guichet.journal.models import GENESIS_HASH, AppendOnlyError, JournalEntry
from guichet.journal.services import record, verify_chain
from guichet.referentials.models import Pathway
from tests.conftest import PASSWORD
from tests.journal.attacker import REPLACING, replacing_statement, tamper

# Not transactional: the append-only triggers also refuse the table flush that transactional
# tests end with; each test runs in a transaction rolled back at its end instead.
pytestmark = pytest.mark.django_db

# SQLite's RAISE(ABORT) and PostgreSQL's RAISE EXCEPTION surface as different DB errors.
DATABASE_REFUSALS = (IntegrityError, InternalError, OperationalError, ProgrammingError)


def append(n, by=None):
    entries = []
    for i in range(n):
        with transaction.atomic():
            entries.append(
                record(
                    action="test.action",
                    object_type="essai",
                    object_id=str(i),
                    by=by,
                    before={"n": i},
                    after={"n": i + 1},
                )
            )
    return entries


def test_r_aud_1_entries_form_a_hash_chain(agency_admin):
    first, second, third = append(3, by=agency_admin)
    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.hash and third.previous_hash == second.hash
    assert first.actor_email == agency_admin.email and first.actor_role == "agency_admin"
    assert verify_chain() is None
    out = StringIO()
    call_command("verify_journal", stdout=out)
    assert "3 entrées" in out.getvalue()


def test_r_aud_1_the_model_refuses_update_and_delete():
    (entry,) = append(1)
    entry.action = "autre"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        JournalEntry.objects.filter(pk=entry.pk).update(action="autre")
    with pytest.raises(AppendOnlyError):
        JournalEntry.objects.all().delete()


def test_r_aud_1_the_database_refuses_update_and_delete():
    (entry,) = append(1)
    for statement in (
        "UPDATE journal_journalentry SET action = 'autre' WHERE id = %s",
        "DELETE FROM journal_journalentry WHERE id = %s",
    ):
        with pytest.raises(DATABASE_REFUSALS, match="ajout seul"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [entry.pk])
    assert JournalEntry.objects.get(pk=entry.pk).action == "test.action"


@pytest.mark.parametrize("how", REPLACING)
def test_r_aud_1_the_database_refuses_to_replace_an_entry(how):
    """Issue 20 §3: SQLite's INSERT OR REPLACE (and REPLACE) rewrote an entry with both
    triggers in place, since the row it displaces is deleted without firing DELETE triggers;
    the upserts (ON CONFLICT … DO UPDATE, on both databases) are refused too."""
    first, second = append(2)
    statement, params = replacing_statement(first.pk, how, action="autre")
    with pytest.raises(DATABASE_REFUSALS, match="ajout seul"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
    assert list(JournalEntry.objects.values_list("id", "action", "hash")) == [
        (first.pk, "test.action", first.hash),
        (second.pk, "test.action", second.hash),
    ]
    assert verify_chain() is None


def test_r_aud_1_verify_journal_names_the_first_entry_whose_content_changed():
    entries = append(4)
    tamper(entries[2].pk, after=json.dumps({"n": 999}))
    with pytest.raises(CommandError, match=f"n° {entries[2].pk} : contenu modifié"):
        call_command("verify_journal")


def test_r_aud_1_verify_journal_detects_a_broken_link():
    entries = append(3)
    tamper(entries[1].pk, previous_hash="f" * 64)
    with pytest.raises(CommandError, match=f"n° {entries[1].pk} : lien rompu"):
        call_command("verify_journal")


@pytest.mark.django_db(transaction=True)
def test_r_aud_1_an_entry_is_written_only_inside_the_change_transaction():
    with pytest.raises(RuntimeError):
        record(action="hors.transaction", object_type="essai", object_id="1")
    with pytest.raises(ValueError), transaction.atomic():
        record(action="annule", object_type="essai", object_id="1")
        raise ValueError("le changement échoue après l'écriture du journal")
    assert not JournalEntry.objects.exists()


def test_r_aud_1_agency_changes_are_journaled_with_their_author(client, catalogue, agency_admin):
    client.login(email=agency_admin.email, password=PASSWORD)
    pathway = Pathway.objects.get(referential__code="DMN", code="pecan")
    client.post(reverse("referentials:pathway", args=[pathway.pk]), {"is_open": "1"})
    entry = JournalEntry.objects.get(action="pathway.open")
    assert entry.object_id == str(pathway.pk)
    assert entry.before == {"is_open": False} and entry.after == {"is_open": True}
    assert entry.actor_id == agency_admin.pk


def test_r_aud_1_the_journal_exports_as_csv_and_json():
    append(2)
    out = StringIO()
    call_command("export_journal", "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [row["object_id"] for row in rows] == ["0", "1"]
    assert rows[1]["previous_hash"] == rows[0]["hash"]
    out = StringIO()
    call_command("export_journal", "--format", "csv", stdout=out)
    assert out.getvalue().splitlines()[0].startswith("id;hash;previous_hash")
