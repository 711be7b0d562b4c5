"""Every kept file goes through the storage, and with GUICHET_STORAGE=s3 lands in the bucket
(issue 23 §1), checked against a real S3 (moto_server, tests/storage/conftest.py): uploads,
downloads through the application (authorisation first), sensitive proofs as ciphertext,
generated documents, the register's export, the referential import's preview, the journal's
checkpoints under Object Lock, and the operators' verifications."""

from __future__ import annotations

import hashlib
import io

import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command

from guichet.certificates import register
from guichet.files.models import StoredFile
from guichet.files.storage import files_storage, upload_temp_dir
from guichet.files.verification import verify_all_files
from guichet.journal import checkpoints
from guichet.journal.services import create_checkpoint, record, verify_journal
from tests.applications.test_documents import upload
from tests.certificates.register_world import world  # noqa: F401
from tests.evidence.test_evidence import proofs_of
from tests.evidence.test_evidence import upload as upload_evidence
from tests.fixtures import PDF
from tests.storage.conftest import content, keys

pytestmark = [pytest.mark.storage, pytest.mark.django_db]

# Over one 8 MiB part: the object is sent as a multipart upload.
LARGE_PDF = PDF + b"%" + b"guichet " * (9 * 1024 * 1024 // 8) + b"\n%%EOF\n"


def test_storage_is_s3_with_the_fixture_and_disk_by_default(settings, s3):
    """`make run` keeps its files on disk; GUICHET_STORAGE=s3 puts them in the bucket, with
    django-storages' own settings."""
    storage = files_storage()
    assert type(storage).__name__ == "FilesS3Storage" and storage.bucket_name == s3
    settings.STORAGES = {
        **settings.STORAGES,
        "files": {"BACKEND": "guichet.files.storage.FilesDiskStorage"},
    }
    assert files_storage().location == str(settings.GUICHET_FILES_ROOT)


def test_r_evd_2_an_upload_streams_to_the_bucket_and_downloads_through_the_application(
    s3, s3_client, api, applicant, stranger, dmn_application
):
    """R-EVD-2: « every file is kept with its SHA-256, size, type, uploader and time » — in the
    bucket, uploaded in parts, nothing left on the node's disk; downloaded through the
    application, which checks who asks (another organisation: 404) then streams it."""
    api.force_authenticate(applicant)
    answer = upload(api, dmn_application, "functional_documentation", LARGE_PDF)
    assert answer.status_code == 201, answer.content
    stored = StoredFile.objects.get(pk=answer.json()[0]["id"])
    key = f"files/{stored.path}"
    assert keys(s3_client, s3, "files/") == [key]
    assert content(s3_client, s3, key) == LARGE_PDF
    assert stored.sha256 == hashlib.sha256(LARGE_PDF).hexdigest()
    assert list(upload_temp_dir().iterdir()) == []
    url = f"/api/v1/applications/{dmn_application.pk}/files/{stored.pk}"
    response = api.get(url)
    assert response.status_code == 200 and response["Content-Length"] == str(len(LARGE_PDF))
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == stored.sha256
    api.force_authenticate(stranger)
    assert api.get(url).status_code == 404  # isolation: another organisation never reads it


def test_r_evd_2_an_object_changed_in_the_bucket_is_refused_and_found_by_verify_files(
    s3, s3_client, api, applicant, dmn_application, agency_admin
):
    """R-EVD-2: what was deposited is what is served; an object changed or missing in the
    bucket is refused (409 when its size changed) and reported by verify_files."""
    api.force_authenticate(applicant)
    data = upload(api, dmn_application, "functional_documentation", PDF).json()[0]
    stored = StoredFile.objects.get(pk=data["id"])
    report = verify_all_files()
    assert report.checked == 1 and report.failed == 0
    call_command("verify_files")  # the operators' command passes
    s3_client.put_object(Bucket=s3, Key=f"files/{stored.path}", Body=PDF[:-1])
    resized = api.get(f"/api/v1/applications/{dmn_application.pk}/files/{stored.pk}")
    assert resized.status_code == 409
    s3_client.delete_object(Bucket=s3, Key=f"files/{stored.path}")
    failed = verify_all_files()
    assert failed.failed == 1 and failed.failures[0][1].reason == "fichier absent du stockage"


def test_r_evd_3_a_sensitive_proof_is_ciphertext_in_the_bucket(
    s3, s3_client, api, applicant, stranger, tlc_admissible
):
    """R-EVD-3 (TLC guide §5.1: « Certaines preuves sensibles … se fait à travers le dépôt des
    preuves via un conteneur ZED. Cela permet de sécuriser les données fournies. »): encrypted
    in the process before it leaves it — the bucket holds only ciphertext — and read back in
    clear by the applicant only. (The `s3` fixture comes first: the admissible application's
    documents are in the bucket too, and verify_files finds them all.)"""
    api.force_authenticate(applicant)
    _, proofs = proofs_of(api, tlc_admissible)
    proof_id = next(p["id"] for _, p in proofs if p["sensitive"])
    secret = PDF + b"% rapport de test d'intrusion CONFIDENTIEL\n"
    data = upload_evidence(api, tlc_admissible, proof_id, secret, name="intrusion.pdf").json()[0]
    stored = StoredFile.objects.get(pk=data["id"])
    assert stored.encrypted
    in_bucket = content(s3_client, s3, f"files/{stored.path}")
    assert b"CONFIDENTIEL" not in in_bucket and b"%PDF" not in in_bucket
    url = f"/api/v1/applications/{tlc_admissible.pk}/files/{stored.pk}"
    assert b"".join(api.get(url).streaming_content) == secret
    api.force_authenticate(stranger)
    assert api.get(url).status_code == 404
    assert verify_all_files().failed == 0


def test_r_pub_1_generated_certificate_and_register_export_land_in_the_bucket(
    s3,
    s3_client,
    client,
    world,  # noqa: F811 (the fixture imported from register_world)
):
    """R-PUB-1 (« The register and its open-data export (CSV and JSON) list certified
    products »): the certificate's sealed PDF, made by its task, is an object of the bucket;
    the register's CSV is written there once while it streams, then served from there."""
    certificate = world.issue()
    certificate.refresh_from_db()
    assert certificate.pdf is not None
    pdf = content(s3_client, s3, f"files/{certificate.pdf.path}")
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == certificate.pdf.sha256
    first = client.get("/register.csv")
    body = b"".join(first.streaming_content)
    (export,) = keys(s3_client, s3, "files/exports/")
    assert first["ETag"].strip('"') in export and content(s3_client, s3, export) == body
    again = client.get("/register.csv")
    assert again["Content-Length"] == str(len(body)) and b"".join(again.streaming_content) == body
    assert register.export_storage() is files_storage()


def test_storage_import_preview_is_kept_in_the_bucket(s3, s3_client, agency_admin):
    """The referential import's uploaded spreadsheet waits for its confirmation in the storage
    (shared by every web node), not on one node's disk."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from guichet.referentials import services

    name = services.keep_pending_import(
        SimpleUploadedFile("exigences.xlsx", b"PK\x03\x04 pas un vrai classeur")
    )
    assert keys(s3_client, s3, "media/") == [f"media/{name}"]


def test_r_aud_1_a_checkpoint_is_locked_in_the_bucket_and_verify_journal_reads_it(
    s3, s3_client, agency_admin
):
    """R-AUD-1 (« an append-only, timestamped journal … that an auditor can export and
    verify »): the checkpoint and its signature are written under Object Lock (COMPLIANCE):
    the store refuses to delete the locked version or to write the name again; verify_journal
    reads them from the bucket — from their first version, whatever is put later."""
    record(action="test.entry", object_type="tests.thing", by=agency_admin)
    checkpoint = create_checkpoint(by="test")
    key = f"{checkpoints.BUCKET_PREFIX}{checkpoint.name}"
    assert keys(s3_client, s3, checkpoints.BUCKET_PREFIX) == [key, key + ".p7s"]
    head = s3_client.head_object(Bucket=s3, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"]
    with pytest.raises(ClientError) as refused:
        s3_client.delete_object(Bucket=s3, Key=key, VersionId=head["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as again:
        s3_client.put_object(Bucket=s3, Key=key, Body=b"{}", IfNoneMatch="*")
    assert again.value.response["Error"]["Code"] == "PreconditionFailed"
    result = verify_journal()
    assert result.is_intact, result.errors
    # A forged later version (written without the precondition) is not what is read.
    s3_client.put_object(Bucket=s3, Key=key, Body=b'{"forged": true}')
    s3_client.delete_object(Bucket=s3, Key=key)  # a delete marker only
    assert verify_journal().is_intact
    call_command("verify_journal", stdout=io.StringIO())
    (loaded,) = checkpoints.load_all()
    assert loaded.name == checkpoint.name and loaded.entry_count == checkpoint.entry_count


def test_r_aud_1_a_checkpoint_that_cannot_be_locked_is_refused_in_french(
    settings, s3, s3_client, agency_admin
):
    """A bucket without Object Lock cannot hold checkpoints: the write fails and says why."""
    from guichet.journal.checkpoints import CheckpointWriteError

    settings.GUICHET_JOURNAL_CHECKPOINT_BUCKET = "guichet-sans-verrou"
    s3_client.create_bucket(
        Bucket="guichet-sans-verrou",
        CreateBucketConfiguration={"LocationConstraint": settings.AWS_S3_REGION_NAME},
    )
    record(action="test.entry", object_type="tests.thing", by=agency_admin)
    with pytest.raises(CheckpointWriteError) as refused:
        create_checkpoint(by="test")
    assert "Object Lock" in refused.value.message
    assert keys(s3_client, "guichet-sans-verrou") == []
