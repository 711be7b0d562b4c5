"""Rotation of the master key (issue 24 §4): « The master key that wraps the sensitive proofs'
keys can be rotated: `python manage.py rotate_master_key` re-wraps every data key under the new
key in batches, resumable, without reading the proofs; a test rotates and reads every proof
back. » R-EVD-3 (TLC guide §5.1: « Cela permet de sécuriser les données fournies »)."""

from __future__ import annotations

import base64
import io
import secrets

import pytest
from django.core.management import CommandError, call_command

from guichet.files import crypto, rotation, storage
from guichet.files.models import StoredFile
from guichet.files.services import verified_chunks
from guichet.files.verification import verify_all_files
from guichet.journal.models import JournalEntry
from tests.evidence.test_evidence import proofs_of
from tests.evidence.test_evidence import upload as upload_evidence
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def sensitive(api, applicant, tlc_admissible):
    """Five sensitive proofs, encrypted under today's master key; their clear contents."""
    api.force_authenticate(applicant)
    _, proofs = proofs_of(api, tlc_admissible)
    proof_id = next(p["id"] for _, p in proofs if p["sensitive"])
    contents = {}
    for i in range(5):
        content = PDF + f"% rapport confidentiel n° {i}\n".encode()
        data = upload_evidence(api, tlc_admissible, proof_id, content, name=f"r{i}.pdf").json()[0]
        contents[data["id"]] = content
    assert StoredFile.objects.filter(encrypted=True).count() == 5
    return contents


def read_back(contents) -> None:
    for pk, content in contents.items():
        assert b"".join(verified_chunks(StoredFile.objects.get(pk=pk))) == content


def call(*args) -> str:
    out = io.StringIO()
    call_command("rotate_master_key", *args, stdout=out)
    return out.getvalue()


def test_rotation_rewraps_every_key_in_batches_without_reading_a_file(
    sensitive, settings, monkeypatch
):
    old = settings.GUICHET_MASTER_KEY
    ciphertexts = {
        row.pk: (row.path, row.wrapped_key) for row in StoredFile.objects.filter(encrypted=True)
    }
    settings.GUICHET_MASTER_KEY = new_key()
    settings.GUICHET_MASTER_PREVIOUS_KEYS = [old]
    read_back(sensitive)  # the old keys still open the files meanwhile

    def never(*args, **kwargs):
        raise AssertionError("a file was opened")

    monkeypatch.setattr(storage.FilesDiskStorage, "open", never)
    out = call("--lot", "2")
    monkeypatch.undo()
    assert "lot 3 : 5/5 clés vues" in out
    assert "5 clés chiffrées de nouveau, 0 déjà sous la clé actuelle." in out
    for row in StoredFile.objects.filter(encrypted=True):
        assert row.wrapped_key != ciphertexts[row.pk][1]
        assert row.path == ciphertexts[row.pk][0]  # the object is not rewritten

    # The old key removed: every proof reads back, intact.
    settings.GUICHET_MASTER_PREVIOUS_KEYS = []
    read_back(sensitive)
    assert verify_all_files().failed == 0
    assert call("--verifier").endswith(
        "5 sous la clé actuelle, 0 sous une ancienne, 0 illisibles.\n"
    )
    entry = JournalEntry.objects.get(action="files.master_key.rotated")
    assert entry.after["rewrapped"] == 5
    assert entry.after["master_key"] == crypto.key_id(crypto.master_key())
    assert settings.GUICHET_MASTER_KEY not in str(entry.after)


def test_an_interrupted_rotation_resumes_where_it_stopped(sensitive, settings, monkeypatch):
    old = settings.GUICHET_MASTER_KEY
    settings.GUICHET_MASTER_KEY = new_key()
    settings.GUICHET_MASTER_PREVIOUS_KEYS = [old]
    calls = {"n": 0}
    real = crypto.rewrap

    def crash_in_the_second_batch(wrapped):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the operator's Ctrl-C, the machine's crash
        return real(wrapped)

    monkeypatch.setattr(crypto, "rewrap", crash_in_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        rotation.rotate_master_key(batch_size=2)
    monkeypatch.undo()
    found = rotation.census()
    assert (found.current, found.previous) == (2, 3)  # the first batch committed, no more

    again = rotation.rotate_master_key(batch_size=2)
    assert (again.rewrapped, again.already, again.unreadable) == (3, 2, [])
    settings.GUICHET_MASTER_PREVIOUS_KEYS = []
    read_back(sensitive)


def test_rotation_without_the_old_key_says_which_files_it_cannot_open(sensitive, settings):
    """The new key set but the old one forgotten: nothing is changed, the command fails and
    names the files, in French; --verifier refuses to call the rotation finished."""
    settings.GUICHET_MASTER_KEY = new_key()
    settings.GUICHET_MASTER_PREVIOUS_KEYS = []
    before = dict(StoredFile.objects.filter(encrypted=True).values_list("pk", "wrapped_key"))
    with pytest.raises(CommandError) as failed:
        call()
    assert "5 clés ne s'ouvrent avec aucune clé maîtresse configurée" in str(failed.value)
    assert "GUICHET_MASTER_PREVIOUS_KEYS" in str(failed.value)
    assert (
        dict(StoredFile.objects.filter(encrypted=True).values_list("pk", "wrapped_key")) == before
    )
    with pytest.raises(CommandError) as refused:
        call("--verifier")
    assert "ne s'ouvrent avec aucune clé maîtresse" in str(refused.value)
    with pytest.raises(CommandError) as bad:
        call("--lot", "0")
    assert str(bad.value) == "--lot : un nombre de clés positif."
