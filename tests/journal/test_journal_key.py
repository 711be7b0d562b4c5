"""The journal's entries are chained with a keyed hash, an HMAC-SHA-256 whose key lives outside
the database (R-AUD-1, issue 20 §3): writing the database is no longer enough to append a
forged entry or to re-chain edited ones after the last checkpoint. The key rotates, and the
entries written before it existed stay verifiable."""

import hashlib
import hmac
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from guichet.journal import keys
from guichet.journal.models import JournalEntry
from guichet.journal.services import Break, create_checkpoint, record, verify_journal
from tests.journal.attacker import forge, replacing_statement, rewrite, seal, tamper, triggers_off

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
NEW_KEY = "la-clé-suivante-du-journal-après-rotation-0123456789"


def append(n):
    entries = []
    for i in range(n):
        with transaction.atomic():
            entries.append(
                record(action="test.action", object_type="essai", object_id=str(i), after={"n": i})
            )
    return entries


def verify_command() -> str:
    """verify_journal's error, which must exist."""
    with pytest.raises(CommandError) as raised:
        call_command("verify_journal", stdout=io.StringIO(), stderr=io.StringIO())
    return str(raised.value)


def test_r_aud_1_entries_are_chained_with_an_hmac_of_the_journal_key(settings):
    first, second = append(2)
    assert first.key_id == second.key_id == keys.key_id(settings.GUICHET_JOURNAL_KEY)
    assert len(first.key_id) == 16 and first.key_id not in settings.GUICHET_JOURNAL_KEY
    payload = json.dumps(
        second.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()
    assert json.loads(payload)["key_id"] == second.key_id  # the key's id is sealed too
    assert second.previous_hash == first.hash
    assert (
        second.hash
        == hmac.new(settings.GUICHET_JOURNAL_KEY.encode(), payload, hashlib.sha256).hexdigest()
    )
    assert second.hash != hashlib.sha256(payload).hexdigest()
    assert verify_journal().is_intact


@pytest.mark.parametrize("claimed", ["sans clé", "avec l'identifiant de la clé"])
def test_r_aud_1_an_appended_entry_with_a_correct_sha256_is_detected(settings, claimed):
    """Issue 20 §3: an entry appended with a correct SHA-256, linked to the last one, was
    accepted."""
    append(2)
    create_checkpoint(by="test")
    values = {"key_id": keys.key_id(settings.GUICHET_JOURNAL_KEY)} if claimed != "sans clé" else {}
    forged = forge(**values)
    assert forged.hash == seal(forged)  # well-formed, as the journal wrote them before its key

    message = verify_command()

    reason = (
        "entrée sans clé après des entrées scellées par la clé du journal : ajoutée ou "
        "réécrite par qui ne détient pas la clé"
        if claimed == "sans clé"
        else "contenu modifié ou écrit sans la clé du journal (empreinte différente)"
    )
    assert f"Chaîne rompue à l'entrée n° {forged.pk} : {reason}." in message


@pytest.mark.parametrize("how", ["SHA-256", "HMAC d'une autre clé"])
def test_r_aud_1_entries_edited_and_rechained_after_the_last_checkpoint_are_detected(how):
    """Issue 20 §3: rows edited after the last checkpoint and re-chained were not detected
    (no checkpoint attests them yet)."""
    entries = append(3)
    create_checkpoint(by="test")
    entries += append(3)

    rewrite(
        entries[4].pk,
        key=None if how == "SHA-256" else "une-clé-devinée-par-l-attaquant-0123456789",
        after=json.dumps({"n": 999}),
    )

    assert JournalEntry.objects.get(pk=entries[4].pk).after == {"n": 999}
    result = verify_journal()
    assert result.chain_break.entry_id == entries[4].pk
    assert (
        f"Chaîne rompue à l'entrée n° {entries[4].pk} : contenu modifié ou écrit sans la clé "
        "du journal (empreinte différente)."
    ) in verify_command()


def test_r_aud_1_an_entry_stripped_of_its_key_is_detected():
    """Rewritten in the form of the entries written before the key (no key id, SHA-256): an
    unkeyed entry after a keyed one is refused."""
    first, second = append(2)
    tamper(second.pk, key_id="")
    rewrite(second.pk, after=json.dumps({"n": 999}))
    assert (
        f"Chaîne rompue à l'entrée n° {second.pk} : entrée sans clé après des entrées scellées "
        "par la clé du journal"
    ) in verify_command()


def test_r_aud_1_verify_journal_detects_a_replaced_entry():
    """A REPLACE the database let through (an older schema, triggers off) puts a row of the
    attacker's in an entry's place: without the key its hash cannot hold."""
    first, second = append(2)
    how = "insert_or_replace" if connection.vendor == "sqlite" else "on_conflict_id"
    statement, params = replacing_statement(first.pk, how, object_id="remplacée", hash="e" * 64)
    with triggers_off() as cursor:
        cursor.execute(statement, params)
    replaced = JournalEntry.objects.get(pk=first.pk)
    assert replaced.object_id == "remplacée"
    with triggers_off() as cursor:  # the attacker re-seals it as well as they can
        cursor.execute(
            "UPDATE journal_journalentry SET hash = %s WHERE id = %s", [seal(replaced), first.pk]
        )
    rewrite(second.pk)  # and re-links the next one

    assert (
        f"Chaîne rompue à l'entrée n° {first.pk} : contenu modifié ou écrit sans la clé du "
        "journal (empreinte différente)."
    ) in verify_command()


def test_r_aud_1_a_rotated_key_keeps_earlier_entries_verifiable(settings):
    old_key = settings.GUICHET_JOURNAL_KEY
    before = append(2)
    settings.GUICHET_JOURNAL_KEY = NEW_KEY
    settings.GUICHET_JOURNAL_PREVIOUS_KEYS = [old_key]

    (after,) = append(1)

    assert after.key_id == keys.key_id(NEW_KEY) != before[0].key_id
    assert after.previous_hash == before[-1].hash
    out = io.StringIO()
    call_command("verify_journal", stdout=out, stderr=io.StringIO())
    assert "Journal intègre : 3 entrées vérifiées" in out.getvalue()

    # Without the previous key, the earlier entries cannot be checked: said, not passed.
    settings.GUICHET_JOURNAL_PREVIOUS_KEYS = []
    assert (
        f"Chaîne rompue à l'entrée n° {before[0].pk} : scellée par une clé inconnue "
        f"(identifiant {before[0].key_id}) : ajoutée par qui ne détient pas la clé, ou clé "
        "précédente absente de GUICHET_JOURNAL_PREVIOUS_KEYS."
    ) in verify_command()


def test_r_aud_1_an_entry_sealed_with_a_retired_key_is_refused(settings):
    """A key is rotated because it may have leaked: whoever holds it no longer appends."""
    old_key = settings.GUICHET_JOURNAL_KEY
    append(1)
    settings.GUICHET_JOURNAL_KEY = NEW_KEY
    settings.GUICHET_JOURNAL_PREVIOUS_KEYS = [old_key]
    append(1)

    forged = forge(key=old_key, key_id=keys.key_id(old_key))

    assert (
        f"Chaîne rompue à l'entrée n° {forged.pk} : scellée par une clé retirée "
        f"(identifiant {forged.key_id}) après des entrées scellées par une clé plus récente."
    ) in verify_command()


def test_r_aud_1_entries_written_before_the_key_stay_verifiable():
    """The entries of a journal kept before its key (plain SHA-256, no key id) are not
    re-chained: they verify as they were written, and the first keyed entry seals their end."""
    earlier = [forge(key_id="", object_id=str(i)) for i in range(2)]  # as the code wrote them
    later = append(2)

    assert later[0].previous_hash == earlier[-1].hash
    result = verify_journal()
    assert result.is_intact, result.errors
    assert result.details().startswith(
        "4 entrées vérifiées, dont 2 antérieures à la clé du journal (SHA-256 seul)"
    )
    # Rewriting one of them breaks the link that the first keyed entry seals.
    altered = JournalEntry.objects.get(pk=earlier[1].pk)
    altered.object_id = "autre"
    tamper(altered.pk, object_id="autre", hash=seal(altered))
    assert verify_journal().chain_break == Break(later[0].pk, "lien rompu avec l'entrée précédente")


def test_r_aud_1_a_short_journal_key_is_refused_in_french(settings):
    settings.GUICHET_JOURNAL_KEY = "courte"
    with pytest.raises(ImproperlyConfigured, match="GUICHET_JOURNAL_KEY : 32 caractères au moins"):
        append(1)
    settings.GUICHET_JOURNAL_KEY = NEW_KEY
    settings.GUICHET_JOURNAL_PREVIOUS_KEYS = ["courte"]
    assert verify_journal().errors == [
        "Le journal ne peut pas être vérifié : GUICHET_JOURNAL_PREVIOUS_KEYS : 32 caractères au "
        "moins attendus pour une clé du journal."
    ]
    assert "GUICHET_JOURNAL_PREVIOUS_KEYS : 32 caractères" in verify_command()


def test_r_aud_1_production_refuses_to_start_without_the_journal_key(tmp_path):
    env = {
        **os.environ,
        "GUICHET_ENV": "production",
        "GUICHET_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 50,
        "GUICHET_MASTER_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    }
    env.pop("GUICHET_JOURNAL_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "GUICHET_JOURNAL_KEY doit être défini en production" in result.stderr
    assert not (tmp_path / "journal_key").exists()
