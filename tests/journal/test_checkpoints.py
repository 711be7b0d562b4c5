"""Sealed checkpoints make the journal's truncation and rewriting detectable (R-AUD-1,
issue 10 §2): an attacker who writes the database can delete the last entries, or change
an entry and recompute every later hash, and the chain still holds; the checkpoints, signed
with the agency's certificate and kept outside the database, do not."""

import base64
import datetime as dt
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from guichet.common import periodic
from guichet.deadlines import french_datetime
from guichet.journal import checkpoints
from guichet.journal.models import JournalEntry
from guichet.journal.services import create_checkpoint, record, verify_chain, verify_journal
from guichet.journal.tasks import checkpoint_journal
from guichet.signing.cms import SealVerifier
from tests.journal.attacker import delete, rewrite

pytestmark = pytest.mark.django_db


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
        call_command("verify_journal", stderr=io.StringIO())
    return str(raised.value)


def folder() -> Path:
    return Path(settings.GUICHET_JOURNAL_CHECKPOINT_DIR)


def recorded(checkpoint) -> JournalEntry:
    """The journal's entry for the checkpoint, written just after it (issue 20 §3)."""
    return JournalEntry.objects.get(action="journal.checkpoint", object_id=checkpoint.name)


def test_r_aud_1_deleting_the_last_entries_is_detected_by_the_checkpoint():
    entries = append(6)
    checkpoint = create_checkpoint(by="test")
    assert checkpoint.entry_count == JournalEntry.objects.count() - 1  # not its own entry
    assert (checkpoint.last_entry_id, checkpoint.head_hash) == (entries[-1].pk, entries[-1].hash)

    delete(entries[4].pk, entries[5].pk, recorded(checkpoint).pk)  # the last entries

    assert verify_chain() is None  # the chain alone holds: what remains is well linked
    assert (
        f"Le journal s'arrête à l'entrée n° {entries[3].pk} alors que le point de contrôle du "
        f"{checkpoint.when} en attestait {checkpoint.entry_count} (jusqu'à l'entrée "
        f"n° {entries[5].pk}) : 2 entrées supprimées."
    ) in verify_command()


def test_r_aud_1_rewriting_an_entry_and_every_later_hash_is_detected():
    entries = append(3)
    earlier = create_checkpoint(by="test")
    entries += append(3)
    latest = create_checkpoint(by="test")

    # By an insider who holds the journal's key too (issue 20 §3: without it, the chain breaks).
    rewrite(entries[4].pk, key=settings.GUICHET_JOURNAL_KEY, after=json.dumps({"n": 999}))

    assert verify_chain() is None  # re-hashed: every link and every hash holds again
    assert JournalEntry.objects.get(pk=entries[4].pk).after == {"n": 999}
    assert (
        f"L'entrée n° {entries[5].pk} ne porte plus l'empreinte attestée par le point de "
        f"contrôle du {latest.when} : le journal a été réécrit à cette entrée ou avant, après "
        f"l'entrée n° {entries[2].pk} (encore conforme au point de contrôle du {earlier.when})."
    ) in verify_command()


def test_r_aud_1_an_entry_attested_then_deleted_is_detected_though_the_journal_goes_on():
    entries = append(4)
    checkpoint = create_checkpoint(by="test")
    delete(entries[3].pk, recorded(checkpoint).pk)
    append(2)  # the application keeps writing, chained on what is left

    result = verify_journal()

    assert result.chain_break is None
    assert result.errors == [
        f"L'entrée n° {entries[3].pk}, la dernière attestée par le point de contrôle du "
        f"{checkpoint.when}, a disparu : le journal compte {checkpoint.entry_count - 1} entrées "
        f"jusqu'à elle au lieu de {checkpoint.entry_count} (1 entrée supprimée)."
    ]


def test_r_aud_1_a_tampered_checkpoint_file_is_reported_as_a_bad_signature():
    append(3)
    checkpoint = create_checkpoint(by="test")
    path = folder() / checkpoint.name
    path.chmod(0o644)  # written read-only; the attacker has the file system too
    forged = path.read_text().replace(
        f'"entry_count": {checkpoint.entry_count}', f'"entry_count": {checkpoint.entry_count + 5}'
    )
    assert forged != path.read_text()
    path.write_text(forged)

    result = verify_journal()

    assert result.errors == [
        f"Le point de contrôle « {checkpoint.name} » porte une signature invalide (le contenu "
        "ne correspond plus à ce qui a été signé) : il a été modifié ou n'a pas été scellé par "
        "l'agence. Il n'est pas pris en compte ; signalez-le au responsable de la sécurité."
    ]
    # Its claims are not believed: no truncation reported from the forged count.
    assert result.checkpoints == []
    assert "Aucun point de contrôle scellé" in result.warnings[0]
    assert "signature invalide" in verify_command()


def test_r_aud_1_a_checkpoint_signed_by_another_key_or_unsigned_is_refused():
    (entry,) = append(1)
    # A forger's own certificate and a well-formed CMS signature claiming more entries.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Faussaire")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    data = checkpoints.document(
        entry_count=100, last_entry_id=entry.pk + 99, head_hash="a" * 64, created_at=now, by="x"
    )
    signature = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(data)
        .add_signer(certificate, key, hashes.SHA256())
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
        )
    )
    folder().mkdir(parents=True)
    (folder() / "checkpoint-20260101T000000.000000Z.json").write_bytes(data)
    (folder() / "checkpoint-20260101T000000.000000Z.json.p7s").write_bytes(signature)
    (folder() / "checkpoint-20260102T000000.000000Z.json").write_bytes(data)

    errors = verify_journal().errors

    assert len(errors) == 2
    assert (
        "« checkpoint-20260101T000000.000000Z.json » porte une signature invalide (le "
        in (errors[0])
    )
    assert "(le signataire n'est pas le certificat de cachet de l'agence)" in errors[0]
    assert "(sa signature est absente)" in errors[1]


@pytest.mark.parametrize(
    "removed", [("", ".p7s"), ("",), (".p7s",)], ids=["both", "document", "signature"]
)
def test_r_aud_1_a_recorded_checkpoint_whose_file_is_missing_or_unsealed_fails(removed):
    """Issue 20 §3: deleting the checkpoint files gave a warning and exit 0. The journal
    records each checkpoint; one whose file is gone, or whose seal is, is an error."""
    append(2)
    checkpoint = create_checkpoint(by="test")
    for suffix in removed:
        (folder() / f"{checkpoint.name}{suffix}").unlink()

    message = verify_command()

    recorded = JournalEntry.objects.get(action="journal.checkpoint")
    assert (recorded.object_id, recorded.after) == (
        checkpoint.name,
        {
            "entry_count": checkpoint.entry_count,
            "last_entry_id": checkpoint.last_entry_id,
            "head_hash": checkpoint.head_hash,
            "requested_by": "test",
        },
    )
    if removed == (".p7s",):
        assert f"« {checkpoint.name} » porte une signature invalide (sa signature est absente)" in (
            message
        )
    else:
        assert (
            f"Le point de contrôle « {checkpoint.name} », inscrit au journal à l'entrée "
            f"n° {recorded.pk} ({french_datetime(recorded.created_at)}), est introuvable dans "
            f"{folder()} : son fichier "
            "a été supprimé, ou pas encore copié là. Restaurez-le depuis le stockage en écriture "
            "unique ; signalez sa disparition au responsable de la sécurité."
        ) in message


def test_r_aud_1_no_checkpoint_is_a_warning_not_an_error():
    append(2)
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_journal", stdout=out, stderr=err)
    assert "Journal intègre" in out.getvalue()
    assert "Aucun point de contrôle scellé" in err.getvalue()


def test_r_aud_1_an_intact_journal_matches_every_checkpoint():
    append(2)
    create_checkpoint(by="test")
    append(1)
    latest = create_checkpoint(by="test")
    append(1)  # entries after the last checkpoint are normal
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_journal", stdout=out, stderr=err)
    assert (
        f"conforme aux 2 points de contrôle scellés (le dernier du {latest.when} : "
        f"{latest.entry_count} entrées jusqu'à l'entrée n° {latest.last_entry_id})"
    ) in out.getvalue()
    assert err.getvalue() == ""


def test_r_aud_1_a_late_checkpoint_is_a_warning():
    append(1)
    checkpoint = create_checkpoint(by="test")
    result = verify_journal(now=timezone.now() + dt.timedelta(days=3))
    assert result.is_intact
    assert result.warnings == [
        f"Le dernier point de contrôle date du {checkpoint.when} : la tâche quotidienne ne "
        "tourne plus. Vérifiez que le planificateur (manage.py run_periodic --loop) et le "
        "worker (manage.py db_worker) sont lancés."
    ]


def test_r_aud_1_a_checkpoint_verifies_with_openssl_and_the_agency_ca_alone():
    append(1)
    checkpoint = create_checkpoint(by="test")
    ca = Path(settings.GUICHET_SIGNING_P12).parent / "ca.pem"
    document = folder() / checkpoint.name

    def openssl_verify():
        return subprocess.run(
            ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any"]
            + ["-CAfile", str(ca), "-in", f"{document}.p7s", "-content", str(document)]
            + ["-out", "/dev/null"],
            capture_output=True,
            text=True,
        )

    verified = openssl_verify()
    assert verified.returncode == 0, verified.stderr
    assert "Verification successful" in verified.stderr
    assert json.loads(document.read_bytes())["head_hash"] == checkpoint.head_hash
    document.chmod(0o644)
    document.write_bytes(document.read_bytes().replace(b'"version": 1', b'"version": 2'))
    assert openssl_verify().returncode != 0


def test_r_aud_1_checkpoint_files_are_never_overwritten():
    append(1)
    checkpoint = create_checkpoint(by="test")
    path = folder() / checkpoint.name
    original = path.read_bytes()
    with pytest.raises(FileExistsError):
        checkpoints._write_once(folder(), checkpoint.name, b"autre chose")
    assert path.read_bytes() == original
    assert sorted(p.name for p in folder().iterdir()) == [checkpoint.name, f"{checkpoint.name}.p7s"]
    assert path.stat().st_mode & 0o222 == 0  # read-only


def test_r_aud_1_an_unwritable_checkpoint_directory_is_refused_in_french(settings, tmp_path):
    append(1)
    blocker = tmp_path / "un-fichier"
    blocker.write_text("")
    settings.GUICHET_JOURNAL_CHECKPOINT_DIR = blocker / "points"
    with pytest.raises(CommandError, match="n'a pas pu être écrit dans .*GUICHET_JOURNAL"):
        call_command("checkpoint_journal")


def test_r_aud_1_the_daily_task_writes_a_checkpoint(django_capture_on_commit_callbacks):
    (declared,) = [entry for entry in periodic.registered() if entry.task is checkpoint_journal]
    assert declared.every == dt.timedelta(days=1)
    append(1)
    with django_capture_on_commit_callbacks(execute=True):
        enqueued = periodic.enqueue_due(timezone.now())
    assert declared in enqueued
    (loaded,) = checkpoints.load_all()
    assert loaded.requested_by == "tâche quotidienne"
    assert loaded.entry_count == JournalEntry.objects.count() - 1
    assert JournalEntry.objects.last() == recorded(loaded)


def test_r_aud_1_checkpoint_journal_command_on_demand():
    (entry,) = append(1)
    out = io.StringIO()
    call_command("checkpoint_journal", stdout=out)
    assert f"jusqu'à l'entrée n° {entry.pk}" in out.getvalue()
    (loaded,) = checkpoints.load_all()
    assert loaded.requested_by == "commande checkpoint_journal"


def test_r_aud_1_export_journal_includes_the_checkpoints(tmp_path):
    append(1)
    checkpoint = create_checkpoint(by="test")
    target = tmp_path / "points.zip"
    call_command("export_journal", "--checkpoints", str(target), stdout=io.StringIO())
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["LISEZMOI.txt", "certificats-agence.pem", checkpoint.name, f"{checkpoint.name}.p7s"]
        )
    with pytest.raises(CommandError, match=r"\.zip ou \.json"):
        call_command("export_journal", "--checkpoints", str(tmp_path / "points.txt"))
    assert not (tmp_path / "points.txt").exists()


def test_r_aud_1_auditor_seals_and_downloads_checkpoints_from_the_page(client, agency_admin):
    (entry,) = append(1)
    client.force_login(agency_admin)
    assert client.get(reverse("journal:checkpoint")).status_code == 405
    page = client.post(reverse("journal:checkpoint"), follow=True).content.decode()
    assert f"jusqu&#x27;à l&#x27;entrée n° {entry.pk}" in page  # the confirmation message
    assert "Valide" in page and agency_admin.email in page
    (checkpoint,) = checkpoints.load_all()

    archive = client.get(reverse("journal:checkpoints-export", args=["zip"]))
    assert archive["Content-Disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))) as opened:
        assert opened.read(checkpoint.name) == (folder() / checkpoint.name).read_bytes()
        assert "openssl cms -verify" in opened.read("LISEZMOI.txt").decode()
    listed = json.loads(
        b"".join(client.get(reverse("journal:checkpoints-export", args=["json"])).streaming_content)
    )
    assert [item["name"] for item in listed] == [checkpoint.name]


def test_r_aud_1_auditor_page_reports_deleted_last_entries(client, agency_admin):
    entries = append(3)
    checkpoint = create_checkpoint(by="test")
    delete(entries[2].pk, recorded(checkpoint).pk)
    client.force_login(agency_admin)
    page = client.post(reverse("journal:verify"), follow=True).content.decode()
    assert (
        f"Le journal s&#x27;arrête à l&#x27;entrée n° {entries[1].pk} alors que le point de "
        f"contrôle du {checkpoint.when} en attestait {checkpoint.entry_count}"
    ) in page
    assert "intacte" not in page


def test_r_aud_1_checkpoints_api_for_the_auditor_only(api, agency_admin, instructor):
    append(2)
    checkpoint = create_checkpoint(by="test")
    api.force_authenticate(instructor)
    assert api.get("/api/v1/journal/checkpoints").status_code == 403
    api.force_authenticate(agency_admin)
    response = api.get("/api/v1/journal/checkpoints")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    (item,) = json.loads(b"".join(response.streaming_content))
    assert item["name"] == checkpoint.name
    # What the API gives is enough to check the seal: the exact document and its signature.
    SealVerifier().verify(item["document"].encode(), base64.b64decode(item["signature"]))
    assert json.loads(item["document"])["entry_count"] == checkpoint.entry_count
    zipped = api.get("/api/v1/journal/checkpoints", {"format": "zip"})
    assert zipped["Content-Type"] == "application/zip"
    bad = api.get("/api/v1/journal/checkpoints", {"format": "xml"})
    assert bad.status_code == 400 and "Format inconnu" in bad.json()["detail"]


def test_r_aud_1_without_the_agency_certificate_nothing_is_sealed_nor_believed(
    client, agency_admin, settings, tmp_path
):
    append(1)
    create_checkpoint(by="test")
    settings.GUICHET_SIGNING_P12 = str(tmp_path / "absent.p12")
    client.force_login(agency_admin)
    page = client.post(reverse("journal:checkpoint"), follow=True).content.decode()
    assert "GUICHET_SIGNING_P12 : fichier introuvable" in page
    assert len(checkpoints.names()) == 1
    result = verify_journal()
    assert result.errors == [
        "Les points de contrôle ne peuvent pas être vérifiés : GUICHET_SIGNING_P12 : fichier "
        f"introuvable ({tmp_path / 'absent.p12'})."
    ]
    assert client.get(reverse("journal:index")).status_code == 200
