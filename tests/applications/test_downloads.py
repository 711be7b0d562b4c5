"""Verified downloads read the file once (issue 10 §5, R-EVD-2): the SHA-256 is computed as
the bytes are sent; a content that differs from its deposit cuts the response before its end
and is journaled; a missing or resized file is refused before the response starts."""

import os
import sys

import pytest
from django.conf import settings

from guichet.files.models import StoredFile
from guichet.files.services import TamperedFile
from guichet.journal.models import JournalEntry
from tests.applications.test_documents import upload
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db

BIG_PDF = PDF + b"%" + os.urandom(2_500_000) + b"\n%%EOF\n"  # three read chunks


class _Opens:
    """Counts the files Python opens under a path, through the interpreter's audit events
    (PEP 578): no stand-in for the real file system."""

    watched: str | None = None
    count = 0

    @classmethod
    def hook(cls, event, args):
        if event == "open" and cls.watched and str(args[0]) == cls.watched:
            cls.count += 1


sys.addaudithook(_Opens.hook)


@pytest.fixture
def opens():
    def watch(path):
        _Opens.watched, _Opens.count = str(path), 0

    yield watch
    _Opens.watched = None


def deposit(api, applicant, application, content=BIG_PDF):
    api.force_authenticate(applicant)
    data = upload(api, application, "functional_documentation", content).json()[0]
    stored = StoredFile.objects.get(pk=data["id"])
    url = f"/api/v1/applications/{application.pk}/files/{data['id']}"
    return stored, settings.GUICHET_FILES_ROOT / stored.path, url


def received_until_cut(response) -> tuple[int, Exception | None]:
    received = 0
    try:
        for chunk in response.streaming_content:
            received += len(chunk)
    except TamperedFile as exc:
        return received, exc
    return received, None


def test_r_evd_2_a_verified_download_reads_the_file_once(api, applicant, dmn_application, opens):
    stored, path, url = deposit(api, applicant, dmn_application)
    opens(path)
    response = api.get(url)
    assert b"".join(response.streaming_content) == BIG_PDF
    assert _Opens.count == 1
    assert response["Content-Length"] == str(len(BIG_PDF)) == str(stored.size)


def test_r_evd_2_altered_content_cuts_the_response_and_is_journaled(
    api, applicant, dmn_application
):
    stored, path, url = deposit(api, applicant, dmn_application)
    raw = bytearray(path.read_bytes())
    raw[-10] ^= 0x01  # same size: only the digest can tell
    path.write_bytes(bytes(raw))
    response = api.get(url)
    assert response.status_code == 200 and response["Content-Length"] == str(stored.size)
    received, error = received_until_cut(response)
    assert error is not None and received < stored.size  # never a complete response
    entry = JournalEntry.objects.get(action="file.integrity_failure")
    assert entry.object_id == str(stored.pk)
    assert entry.application_id == str(dmn_application.pk)
    assert entry.after["expected_sha256"] == stored.sha256
    assert entry.after["found_sha256"] not in ("", stored.sha256)


def test_r_evd_2_altered_encrypted_content_cuts_the_response(api, applicant, tlc_admissible):
    from tests.evidence.test_evidence import proofs_of
    from tests.evidence.test_evidence import upload as upload_evidence

    api.force_authenticate(applicant)
    _, proofs = proofs_of(api, tlc_admissible)
    proof_id = next(p["id"] for _, p in proofs if p["sensitive"])
    data = upload_evidence(api, tlc_admissible, proof_id, BIG_PDF).json()[0]
    stored = StoredFile.objects.get(pk=data["id"])
    path = settings.GUICHET_FILES_ROOT / stored.path
    raw = bytearray(path.read_bytes())
    raw[-40] ^= 0x01
    path.write_bytes(bytes(raw))
    response = api.get(f"/api/v1/applications/{tlc_admissible.pk}/files/{data['id']}")
    received, error = received_until_cut(response)
    assert error is not None and received < stored.size
    assert JournalEntry.objects.filter(
        action="file.integrity_failure", object_id=str(stored.pk)
    ).exists()


def test_r_evd_2_missing_or_resized_file_is_refused_before_the_response(
    api, applicant, dmn_application
):
    stored, path, url = deposit(api, applicant, dmn_application, PDF)
    path.write_bytes(PDF[:-1])
    resized = api.get(url)
    assert resized.status_code == 409 and "ne correspond plus" in resized.json()["detail"]
    path.unlink()
    missing = api.get(url)
    assert missing.status_code == 409 and "absent" in missing.json()["detail"]
    reasons = list(
        JournalEntry.objects.filter(action="file.integrity_failure").values_list(
            "after__reason", flat=True
        )
    )
    assert len(reasons) == 2 and any("absent" in reason for reason in reasons)


def test_r_evd_2_the_page_download_is_verified_the_same_way(client, applicant, dmn_application):
    import io

    from django.db import transaction
    from django.urls import reverse

    from guichet.applications.services import add_document
    from guichet.files.uploads import upload_from_stream

    with transaction.atomic():
        document = add_document(
            by=applicant,
            application=dmn_application,
            item="functional_documentation",
            upload=upload_from_stream(io.BytesIO(BIG_PDF), "doc.pdf"),
        )
    path = settings.GUICHET_FILES_ROOT / document.file.path
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0x01
    path.write_bytes(bytes(raw))
    client.force_login(applicant)
    response = client.get(reverse("applications:file", args=[dmn_application.pk, document.file_id]))
    received, error = received_until_cut(response)
    assert error is not None and received < document.file.size
    entry = JournalEntry.objects.get(action="file.integrity_failure")
    assert entry.actor == applicant


def _open_descriptors(path) -> int:
    fds = "/proc/self/fd"
    return sum(1 for fd in os.listdir(fds) if _target(os.path.join(fds, fd)) == str(path))


def _target(link):
    try:
        return os.readlink(link)
    except OSError:
        return ""


def test_r_evd_2_a_download_never_sent_closes_its_file(api, applicant, dmn_application):
    stored, path, url = deposit(api, applicant, dmn_application)
    response = api.get(url)  # the client went away before the body was sent
    assert _open_descriptors(path) == 1
    response.close()
    assert _open_descriptors(path) == 0
