"""The objects the API's schema checks reach (tests/test_api_schema.py in-process, and
tests/test_api_probe.py through a live server with the schemathesis CLI): a draft with a
document, an admissible application with a proof file, a message, a member, a certificate;
and the path parameters that point each operation at them, since generated ids would only
ever find nothing."""

import io

import pytest

from guichet.accounts.models import Role
from tests.conftest import PASSWORD, make_staff, totp_code
from tests.factories import UserFactory
from tests.fixtures import (
    PDF,
    TLC_PROFILES,
    admit,
    complete_tlc_form,
    deposit_required_documents,
)


@pytest.fixture
def world(applicant, product, dmn_application, tlc):
    from guichet.applications.services import create_application
    from guichet.evidence import services as evidence
    from guichet.evidence.selectors import tree as evidence_tree
    from guichet.files.uploads import upload_from_stream
    from guichet.messaging.services import post_message
    from tests.certificates.world import certified, small_dmn

    instructor = make_staff("instructeur@agence.test", Role.INSTRUCTOR)
    deposit_required_documents(dmn_application, applicant)
    tlc_application = create_application(
        by=applicant,
        product=product,
        product_version="3.2",
        referential_version=tlc,
        pathway_code="teleconsultation",
    )
    admit(
        tlc_application,
        applicant=applicant,
        instructor=instructor,
        form=complete_tlc_form(),
        profiles=TLC_PROFILES,
    )
    section, proof = next(
        (node.section.code, p["proof"])
        for node in evidence_tree(tlc_application)
        for r in node.requirements
        for sc in r["scenarios"]
        for p in sc["proofs"]
    )
    created = evidence.add_evidence_files(
        by=applicant,
        application=tlc_application,
        proof_id=proof.pk,
        uploads=[upload_from_stream(io.BytesIO(PDF), "preuve.pdf")],
    )
    message = post_message(by=applicant, application=dmn_application, body="Une question.")
    # A member the Responsable habilité may remove (removing oneself is refused).
    member = UserFactory(
        email="membre@telesante.fr", organisation=applicant.organisation, member=True
    )
    # A certificate, issued through the collège, for the public verification endpoints.
    certificate = certified(
        small_dmn(),
        applicant=applicant,
        instructor=instructor,
        committee_member=make_staff("college@agence.test", Role.COMMITTEE),
    )
    return {
        "certificate": certificate,
        "applicant": applicant,
        "instructor": instructor,
        "member": member,
        "message": message,
        "product": product,
        "draft": dmn_application,
        "document_file": dmn_application.documents.first().file_id,
        "admissible": tlc_application,
        "evidence_file": created[0].file_id,
        "proof": proof,
        "section": section,
    }


def path_parameters(path: str, names: set[str], world) -> dict:
    """The values of an operation's path parameters (`names`) that point it at the world."""
    on_draft = "/documents/" in path or not any(
        part in path for part in ("/evidence", "/sections/", "/files/")
    )
    values = {}
    if "id" in names and path.startswith("/api/v1/organisation/members/"):
        values["id"] = world["member"].pk
    elif "id" in names and path.startswith("/api/v1/products/"):
        values["id"] = world["product"].pk
    elif "id" in names and path.startswith("/api/v1/applications/"):
        values["id"] = (world["draft"] if on_draft else world["admissible"]).pk
    if "file_id" in names:
        values["file_id"] = str(
            world["document_file"] if "/documents/" in path else world["evidence_file"]
        )
    if "proof" in names:
        values["proof"] = world["proof"].pk
    if "mid" in names:
        values["mid"] = world["message"].pk
    if "section" in names:
        values["section"] = world["section"]
    if "number" in names:
        values["number"] = world["certificate"].number
    if "code" in names:
        values["code"], values["version"] = "TLC", "1.4.2"
    return values


def api_token(api, user) -> str:
    """A token obtained the way clients do, TOTP code included for agency staff (R-ACC-3)."""
    payload = {"email": user.email, "password": PASSWORD}
    if user.is_agency:
        payload["otp"] = totp_code()
    response = api.post("/api/v1/auth/token", payload, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]
