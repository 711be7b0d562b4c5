"""Admissibility documents: streamed uploads, type and size checks, history, verified downloads
(R-APP-5, R-EVD-2)."""

import io
import os

import pytest
from django.conf import settings

from guichet.applications.models import AdmissibilityDocument
from guichet.files.models import StoredFile
from guichet.journal.models import JournalEntry

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(api, application, item, content, name="doc.pdf", **extra):
    handle = io.BytesIO(content)
    handle.name = name
    return api.post(
        f"/api/v1/applications/{application.pk}/documents/{item}/files",
        {"file": handle, **extra},
        format="multipart",
    )


def leftovers():
    tmp = settings.GUICHET_FILES_ROOT / "tmp"
    return os.listdir(tmp) if tmp.exists() else []


def test_r_evd_2_upload_keeps_hash_size_type_uploader_and_serves_it_verified(
    api, applicant, dmn_application
):
    api.force_authenticate(applicant)
    response = upload(
        api, dmn_application, "functional_documentation", PDF, produced_on="2026-10-01"
    )
    assert response.status_code == 201, response.content
    data = response.json()[0]
    import hashlib

    assert data["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert data["size"] == len(PDF) and data["content_type"] == "application/pdf"
    assert data["uploaded_by"] == applicant.email and data["produced_on"] == "2026-10-01"
    download = api.get(f"/api/v1/applications/{dmn_application.pk}/files/{data['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert JournalEntry.objects.filter(action="application.document.add").count() == 1
    assert leftovers() == []


def test_r_evd_2_type_is_checked_on_the_content_not_the_name(api, applicant, dmn_application):
    api.force_authenticate(applicant)
    response = upload(
        api,
        dmn_application,
        "functional_documentation",
        b"MZ\x90\x00binary\x00\x01",
        name="rapport.pdf",
    )
    assert response.status_code == 415
    assert (
        "« rapport.pdf » porte l'extension .pdf mais son contenu est d'un type non accepté "
        "(application/x-msdownload)" in response.json()["detail"]
    )
    assert not StoredFile.objects.exists() and leftovers() == []


def test_r_evd_2_a_zip_renamed_pdf_is_refused_with_the_reason(api, applicant, dmn_application):
    from tests.files.test_types import archive

    api.force_authenticate(applicant)
    evil = archive([("payload.exe", b"MZ" + os.urandom(64))])
    response = upload(api, dmn_application, "functional_documentation", evil, name="evil.pdf")
    assert response.status_code == 415
    assert response.json()["detail"].startswith(
        "Le fichier « evil.pdf » porte l'extension .pdf mais son contenu est une archive ZIP"
    )
    assert not StoredFile.objects.exists() and leftovers() == []


def test_r_evd_2_file_over_the_limit_is_refused_and_leaves_nothing(
    api, applicant, dmn_application, settings
):
    settings.GUICHET_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    api.force_authenticate(applicant)
    response = upload(
        api, dmn_application, "functional_documentation", PDF + b"0" * (3 * 1024 * 1024)
    )
    assert response.status_code == 413
    assert "taille maximale" in response.json()["detail"]
    assert not StoredFile.objects.exists() and leftovers() == []


def test_r_evd_2_interrupted_upload_leaves_nothing_and_changes_nothing(
    client, applicant, dmn_application
):
    client.force_login(applicant)
    body = (
        b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + PDF + b"0" * 5000
    )  # no closing boundary: the connection dropped
    response = client.generic(
        "POST",
        f"/api/v1/applications/{dmn_application.pk}/documents/functional_documentation/files",
        body,
        content_type="multipart/form-data; boundary=XYZ",
    )
    assert response.status_code == 400
    assert not StoredFile.objects.exists() and not AdmissibilityDocument.objects.exists()
    assert leftovers() == []
    assert not JournalEntry.objects.filter(action="application.document.add").exists()


def test_r_evd_2_withdrawn_file_stays_in_the_history(api, applicant, dmn_application):
    api.force_authenticate(applicant)
    data = upload(api, dmn_application, "gdpr_declaration", PDF).json()[0]
    assert (
        api.delete(
            f"/api/v1/applications/{dmn_application.pk}/documents/files/{data['id']}"
        ).status_code
        == 204
    )
    listed = {
        d["item"]: d
        for d in api.get(f"/api/v1/applications/{dmn_application.pk}/documents/").json()
    }
    assert listed["gdpr_declaration"]["files"][0]["withdrawn_at"] is not None
    assert StoredFile.objects.filter(pk=data["id"]).exists()


def test_r_app_5_conditional_documents_follow_the_form(api, applicant, dmn_application):
    from guichet.applications.services import save_draft

    api.force_authenticate(applicant)
    listed = {
        d["item"]: d["required"]
        for d in api.get(f"/api/v1/applications/{dmn_application.pk}/documents/").json()
    }
    assert listed["functional_documentation"] and not listed["mandates"]
    save_draft(
        by=applicant,
        application=dmn_application,
        data={"form": {"device_class": "I", "host_is_applicant": False}},
    )
    listed = {
        d["item"]: d["required"]
        for d in api.get(f"/api/v1/applications/{dmn_application.pk}/documents/").json()
    }
    assert listed["notified_body_certificate"] is False and listed["hds_host_certificate"] is True
    save_draft(
        by=applicant,
        application=dmn_application,
        data={"form": {"device_class": "IIb"}, "is_group": True},
    )
    listed = {
        d["item"]: d["required"]
        for d in api.get(f"/api/v1/applications/{dmn_application.pk}/documents/").json()
    }
    assert listed["notified_body_certificate"] is True and listed["mandates"] is True


def test_r_act_1_other_organisation_cannot_upload_or_download(
    api, applicant, stranger, dmn_application
):
    api.force_authenticate(applicant)
    data = upload(api, dmn_application, "functional_documentation", PDF).json()[0]
    api.force_authenticate(stranger)
    assert upload(api, dmn_application, "functional_documentation", PDF).status_code == 404
    assert (
        api.get(f"/api/v1/applications/{dmn_application.pk}/files/{data['id']}").status_code == 404
    )
    assert StoredFile.objects.count() == 1 and leftovers() == []
