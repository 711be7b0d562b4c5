"""Evidence (R-EVD-1 … R-EVD-4, R-CONV-1, R-CLK-1): per section, several files per proof,
history, sensitive proofs encrypted, complete dossier acknowledged."""

import io
import subprocess

import pytest
from django.conf import settings
from django.core import mail

from guichet.applications.models import Status
from guichet.conventions.services import sign_convention
from guichet.evidence import services as evidence
from guichet.evidence.models import EvidenceFile
from guichet.evidence.selectors import tree as evidence_tree
from guichet.files.models import StoredFile
from guichet.files.uploads import upload_from_stream
from guichet.journal.models import JournalEntry
from guichet.referentials.models import ExpectedProof
from tests.conftest import PASSWORD, make_staff
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db


def upload(api, application, proof_id, content=PDF, name="preuve.pdf", **extra):
    handle = io.BytesIO(content)
    handle.name = name
    return api.post(
        f"/api/v1/applications/{application.pk}/evidence/{proof_id}/files",
        {"file": handle, **extra},
        format="multipart",
    )


def proofs_of(api, application):
    body = api.get(f"/api/v1/applications/{application.pk}/evidence/").json()
    return body, [
        (section["code"], proof)
        for section in body["sections"]
        for r in section["requirements"]
        for sc in r["scenarios"]
        for proof in sc["proofs"]
    ]


def test_r_conv_1_no_evidence_before_the_dmn_convention_is_signed(
    api, client, applicant, dmn_admissible
):
    api.force_authenticate(applicant)
    body, proofs = proofs_of(api, dmn_admissible)
    assert body["open"] is False and proofs
    refused = upload(api, dmn_admissible, proofs[0][1]["id"])
    assert refused.status_code == 409 and "convention signée" in refused.json()["detail"]
    assert not StoredFile.objects.filter(original_name="preuve.pdf").exists()
    # The page says so too.
    from django.urls import reverse

    client.force_login(applicant)
    page = client.get(reverse("evidence:page", args=[dmn_admissible.pk])).content.decode()
    assert "une fois la convention signée" in page
    sign_convention(by=applicant, application=dmn_admissible, password=PASSWORD)
    assert upload(api, dmn_admissible, proofs[0][1]["id"]).status_code == 201


def test_r_evd_2_several_files_per_proof_and_replaced_files_stay_in_history(
    api, applicant, tlc_admissible
):
    api.force_authenticate(applicant)
    _, proofs = proofs_of(api, tlc_admissible)
    proof_id = next(p["id"] for _, p in proofs if not p["sensitive"])
    first = upload(api, tlc_admissible, proof_id, name="v1.pdf").json()[0]
    upload(api, tlc_admissible, proof_id, name="annexe.pdf")
    replaced = upload(
        api,
        tlc_admissible,
        proof_id,
        PDF + b"%v2\n",
        name="v2.pdf",
        replaces=first["id"],
        produced_on="2026-11-02",
    )
    assert replaced.status_code == 201
    files = {
        f["name"]: f
        for _, p in proofs_of(api, tlc_admissible)[1]
        if p["id"] == proof_id
        for f in p["files"]
    }
    assert files["v1.pdf"]["replaced_at"] is not None
    assert (
        files["annexe.pdf"]["replaced_at"] is None
        and files["v2.pdf"]["produced_on"] == "2026-11-02"
    )
    assert EvidenceFile.objects.filter(proof_id=proof_id).count() == 3


def test_r_evd_3_sensitive_proofs_are_encrypted_at_rest_and_readable_by_few(
    api, applicant, tlc_admissible, instructor
):
    api.force_authenticate(applicant)
    _, proofs = proofs_of(api, tlc_admissible)
    proof_id = next(p["id"] for _, p in proofs if p["sensitive"])
    secret = PDF + b"% rapport de test d'intrusion CONFIDENTIEL\n"
    data = upload(api, tlc_admissible, proof_id, secret, name="intrusion.pdf").json()[0]
    assert data["encrypted"] is True
    stored = StoredFile.objects.get(pk=data["id"])
    on_disk = (settings.GUICHET_FILES_ROOT / stored.path).read_bytes()
    assert b"CONFIDENTIEL" not in on_disk and b"%PDF" not in on_disk
    url = f"/api/v1/applications/{tlc_admissible.pk}/files/{data['id']}"
    assert b"".join(api.get(url).streaming_content) == secret
    # Committee members and instructors not on the application may not read it.
    for user in (make_staff("college@agence.test", "committee"), instructor):
        api.force_authenticate(user)
        assert api.get(url).status_code == 403
    tlc_admissible.instructors.add(instructor)
    api.force_authenticate(instructor)
    assert b"".join(api.get(url).streaming_content) == secret


def test_r_evd_1_submitted_section_is_read_only_until_sent_back(
    api, applicant, tlc_admissible, instructor
):
    api.force_authenticate(applicant)
    _, proofs = proofs_of(api, tlc_admissible)
    section = proofs[0][0]
    in_section = [p for code, p in proofs if code == section]
    early = api.post(f"/api/v1/applications/{tlc_admissible.pk}/sections/{section}/submit")
    assert early.status_code == 400 and len(early.json()["missing"]) == len(in_section)
    for proof in in_section:
        assert upload(api, tlc_admissible, proof["id"]).status_code == 201
    assert (
        api.post(f"/api/v1/applications/{tlc_admissible.pk}/sections/{section}/submit").status_code
        == 200
    )
    locked = upload(api, tlc_admissible, in_section[0]["id"])
    assert locked.status_code == 409 and "lecture seule" in locked.json()["detail"]
    evidence.return_section(
        by=instructor, application=tlc_admissible, section_code=section, comment="Preuve illisible."
    )
    assert upload(api, tlc_admissible, in_section[0]["id"]).status_code == 201


def test_r_evd_4_complete_dossier_gets_a_dated_sealed_acknowledgment(
    api, applicant, dmn_admissible, instructor, django_capture_on_commit_callbacks, tmp_path
):
    sign_convention(by=applicant, application=dmn_admissible, password=PASSWORD)
    api.force_authenticate(applicant)
    body, proofs = proofs_of(api, dmn_admissible)
    with django_capture_on_commit_callbacks(execute=True):
        for _, proof in proofs:
            with_file = upload_from_stream(io.BytesIO(PDF), f"{proof['id']}.pdf")
            evidence.add_evidence(
                by=applicant, application=dmn_admissible, proof_id=proof["id"], upload=with_file
            )
        sections = [s["code"] for s in body["sections"]]
        for code in sections:
            response = api.post(f"/api/v1/applications/{dmn_admissible.pk}/sections/{code}/submit")
            assert response.status_code == 200, response.content
    dmn_admissible.refresh_from_db()
    assert (
        dmn_admissible.status == Status.COMPLETE and dmn_admissible.evidence_complete_at is not None
    )
    assert JournalEntry.objects.filter(  # issued by the task worker, after the request
        action="evidence.acknowledgment", application_id=str(dmn_admissible.pk)
    ).exists()
    message = next(m for m in mail.outbox if "accusé de réception" in m.subject)
    assert message.attachments and applicant.email in message.to
    assert any(
        "dossier complet" in m.subject and "instructeur@agence.test" in m.to for m in mail.outbox
    )
    path = tmp_path / "ar.pdf"
    path.write_bytes(message.attachments[0][1])
    assert (
        "Signature is Valid."
        in subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    )
    assert JournalEntry.objects.filter(
        action="evidence.complete", application_id=str(dmn_admissible.pk)
    ).exists()
    assert api.get("/api/v1/applications/").json()["results"][0]["status"] == Status.COMPLETE


def test_r_act_1_other_organisation_cannot_touch_evidence(api, stranger, tlc_admissible):
    api.force_authenticate(stranger)
    proof = ExpectedProof.objects.filter(
        scenario__version=tlc_admissible.referential_version
    ).first()
    assert upload(api, tlc_admissible, proof.pk).status_code == 404
    assert api.get(f"/api/v1/applications/{tlc_admissible.pk}/evidence/").status_code == 404


def test_r_evd_2_proof_outside_the_profiles_is_refused(api, applicant, tlc_admissible):
    api.force_authenticate(applicant)
    _, proofs = proofs_of(api, tlc_admissible)
    applicable = {p["id"] for _, p in proofs}
    other = (
        ExpectedProof.objects.filter(scenario__version=tlc_admissible.referential_version)
        .exclude(pk__in=applicable)
        .first()
    )
    if other is None:
        other = ExpectedProof.objects.exclude(
            scenario__version=tlc_admissible.referential_version
        ).first()
    assert upload(api, tlc_admissible, other.pk).status_code == 404


def test_r_evd_1_evidence_page_uploads_encrypts_and_submits_a_section(
    client, applicant, tlc_admissible
):
    from django.urls import reverse

    client.force_login(applicant)
    page = client.get(reverse("evidence:page", args=[tlc_admissible.pk])).content.decode()
    assert "sensible — chiffrée" in page and "data-upload" in page
    tree = evidence_tree(tlc_admissible)
    node = next(
        n
        for n in tree
        if any(
            p["proof"].sensitive
            for r in n.requirements
            for sc in r["scenarios"]
            for p in sc["proofs"]
        )
    )
    for r in node.requirements:
        for sc in r["scenarios"]:
            for p in sc["proofs"]:
                handle = io.BytesIO(PDF)
                handle.name = f"p{p['proof'].pk}.pdf"
                response = client.post(
                    reverse("evidence:upload", args=[tlc_admissible.pk, p["proof"].pk]),
                    {"file": handle, "produced_on": "2026-10-15"},
                    HTTP_X_REQUESTED_WITH="fetch",
                )
                assert response.status_code == 201, response.content
    encrypted = StoredFile.objects.filter(encrypted=True)
    assert encrypted.exists() and all(f.produced_on.isoformat() == "2026-10-15" for f in encrypted)
    client.post(reverse("evidence:section-submit", args=[tlc_admissible.pk, node.section.code]))
    page = client.get(reverse("evidence:page", args=[tlc_admissible.pk])).content.decode()
    assert "en lecture seule" in page


def test_r_evd_2_replacing_a_file_named_by_a_malformed_id_is_a_400_and_stores_nothing(
    api, client, applicant, tlc_admissible
):
    import os

    api.force_authenticate(applicant)
    _, proofs = proofs_of(api, tlc_admissible)
    proof_id = next(p["id"] for _, p in proofs if not p["sensitive"])
    before = StoredFile.objects.count()
    response = upload(api, tlc_admissible, proof_id, replaces="abc")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert "fichier à remplacer" in body["detail"] and "replaces" in body["errors"]
    # The page says so in French, and keeps nothing either.
    from django.urls import reverse

    client.force_login(applicant)
    handle = io.BytesIO(PDF)
    handle.name = "v2.pdf"
    page = client.post(
        reverse("evidence:upload", args=[tlc_admissible.pk, proof_id]),
        {"file": handle, "replaces": "abc"},
        follow=True,
    )
    assert "fichier à remplacer" in page.content.decode()
    assert StoredFile.objects.count() == before and not EvidenceFile.objects.exists()
    tmp = settings.GUICHET_FILES_ROOT / "tmp"
    assert not tmp.exists() or os.listdir(tmp) == []


def test_r_evd_3_zed_container_is_accepted_for_sensitive_proofs_only(
    api, client, applicant, tlc_admissible
):
    from tests.files.test_types import compound_file

    api.force_authenticate(applicant)
    _, proofs = proofs_of(api, tlc_admissible)
    sensitive = next(p["id"] for _, p in proofs if p["sensitive"])
    ordinary = next(p["id"] for _, p in proofs if not p["sensitive"])
    zed = compound_file()
    refused = upload(api, tlc_admissible, ordinary, zed, name="intrusion.zed")
    assert refused.status_code == 415
    assert "réservé aux preuves sensibles" in refused.json()["detail"]
    kept = upload(api, tlc_admissible, sensitive, zed, name="intrusion.zed")
    assert kept.status_code == 201, kept.content
    data = kept.json()[0]
    assert data["content_type"] == "application/x-zed" and data["encrypted"] is True
    url = f"/api/v1/applications/{tlc_admissible.pk}/files/{data['id']}"
    assert b"".join(api.get(url).streaming_content) == zed
    # The form says how to deposit it, next to the sensitive proof only.
    from django.urls import reverse

    client.force_login(applicant)
    page = client.get(reverse("evidence:page", args=[tlc_admissible.pk])).content.decode()
    note = (
        "Déposez ce rapport dans un conteneur ZED chiffré (.zed) ; il est de plus chiffré au "
        "repos sur la plateforme et lisible du seul candidat et des instructeurs de la candidature"
    )
    assert page.count(note) == sum(1 for _, p in proofs if p["sensitive"])
    assert f'id="zed-{sensitive}"' in page and f'id="zed-{ordinary}"' not in page


def test_r_evd_4_the_evidence_page_says_the_state_the_workflow_names(
    client, applicant, instructor, tlc_admissible
):
    """Issue 19: once the last section is submitted the dossier is complete and waits for its
    instruction; the page says so in the workflow's words, never « l'instruction est en cours »
    before an instructor has it."""
    from django.urls import reverse

    from guichet.instruction.assignment import assign
    from tests.conftest import committed
    from tests.workflow import deposit_every_proof

    deposit_every_proof(tlc_admissible, applicant, submit_sections=False)
    sections = evidence_tree(tlc_admissible)
    for node in sections[:-1]:
        evidence.submit_section(
            by=applicant, application=tlc_admissible, section_code=node.section.code
        )
    client.force_login(applicant)
    page_url = reverse("evidence:page", args=[tlc_admissible.pk])
    last = sections[-1].section.code
    with committed():  # the acknowledgment, by the task worker
        done = client.post(
            reverse("evidence:section-submit", args=[tlc_admissible.pk, last]),
            {"confirm": "on"},
            follow=True,
        )
    tlc_admissible.refresh_from_db()
    assert tlc_admissible.status == Status.COMPLETE
    text = done.content.decode().replace("&#x27;", "'")
    waiting = tlc_admissible.get_status_display()  # « Dossier complet — en attente d'instruction »
    assert f"État de la candidature : {waiting}." in text
    assert "instruction est en cours" not in text and "l'instruction commence" not in text

    assign(tlc_admissible, by=instructor, lead=instructor)
    tlc_admissible.refresh_from_db()
    page = client.get(page_url).content.decode()
    assert f"État de la candidature : {tlc_admissible.get_status_display()}." in page
    assert tlc_admissible.get_status_display() == "En instruction"


def test_r_evd_2_a_refused_proof_file_is_a_dsfr_error_of_its_file_input(
    client, applicant, tlc_admissible
):
    """Issue 19: the refusal shows at the proof's file input, as DSFR forms show errors."""
    import re

    from django.urls import reverse

    proof = next(
        p["proof"]
        for node in evidence_tree(tlc_admissible)
        for r in node.requirements
        for sc in r["scenarios"]
        for p in sc["proofs"]
        if not p["proof"].sensitive
    )
    client.force_login(applicant)
    bad = io.BytesIO(b"\x00\x01\x02 pas un document")
    bad.name = "preuve.pdf"
    refused = client.post(
        reverse("evidence:upload", args=[tlc_admissible.pk, proof.pk]), {"file": bad}
    )
    assert refused.status_code == 302 and refused["Location"].endswith(f"#proof-{proof.pk}")
    page = client.get(refused["Location"]).content.decode()
    block = page[page.index(f'id="proof-{proof.pk}"') :]
    assert re.search(
        rf'<div class="fr-upload-group fr-upload-group--error" data-upload-group>'
        rf'<label class="fr-label" for="f-{proof.pk}">[^<]*</label>'
        rf'<input [^>]*aria-describedby="f-{proof.pk}-error"[^>]*>'
        rf'<p class="fr-error-text" id="f-{proof.pk}-error">[^<]*type non reconnu',
        block,
    )
    assert page.count("type non reconnu") == 1
