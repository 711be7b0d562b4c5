# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""R-CRT-3, a new referential version (TLC): the holder's new application asks only for what the
new version requires beyond its certificate, as CSP R. 1470-11 provides, with the agency's choice
recorded."""

import datetime as dt
import io

import pytest

from guichet.applications.services import create_application
from guichet.certificates.new_version import set_evidence_scope
from guichet.common.errors import ApplicationError
from guichet.evidence import services as evidence
from guichet.evidence.selectors import tree
from guichet.files.uploads import upload_from_stream
from guichet.journal.models import JournalEntry
from guichet.referentials.models import ExpectedProof, Referential
from guichet.referentials.services import write_version
from guichet.referentials.spreadsheet import ScenarioRow
from tests.certificates.life_world import issued, life_tlc, notices  # noqa: F401
from tests.certificates.world import on
from tests.fixtures import PDF
from tests.instruction.instruction_world import requirement_row
from tests.workflow import walk

pytestmark = pytest.mark.django_db


def new_tlc(number: str, *, evidence: str):
    """A later TLC version: S1 1 as before (small_version's), S2 1 with another proof, S3 1
    new."""
    return write_version(
        referential=Referential.objects.get(code="TLC"),
        number=number,
        state="published",
        entry_into_force=dt.date(2028, 2, 1),
        source="",
        profiles=[{"code": "general", "label": "Général"}],
        sections=[
            {"code": "S1", "label": "Première"},
            {"code": "S2", "label": "Seconde"},
            {"code": "S3", "label": "Nouvelle"},
        ],
        requirements=[
            requirement_row(
                "S1 1",
                "S1",
                [
                    ScenarioRow(
                        code="S1 1.1", text="Scénario", proofs=["Capture", "Procédure"], row=0
                    )
                ],
            ),
            requirement_row(
                "S2 1",
                "S2",
                [ScenarioRow(code="S2 1.1", text="Scénario", proofs=["Rapport signé"], row=0)],
            ),
            requirement_row(
                "S3 1",
                "S3",
                [ScenarioRow(code="S3 1.1", text="Scénario", proofs=["Trace"], row=0)],
            ),
        ],
        rules=[],
        questions=[],
        specifications=[],
        process={
            "deadline_policy": "TLC",
            "convention": "before_committee",
            "admissibility_form": "TLC",
            "ins_section": "",
            "new_version_evidence": evidence,
        },
    )


@pytest.fixture
def holder(catalogue, people):
    """A TLC certificate on an earlier version, and the holder's new application on the new
    version, admissible."""
    certificate = issued(life_tlc(), signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 4), **people)
    with on(dt.date(2028, 2, 2)):
        version = new_tlc("8.1", evidence="changes")
        application = create_application(
            by=people["applicant"],
            product=certificate.application.product,
            product_version=certificate.application.product_version,
            referential_version=version,
            pathway_code="teleconsultation",
        )
        application = walk(
            application,
            "admissible",
            applicant=people["applicant"],
            instructor=people["instructor"],
        )
    return certificate, application


def sections(application) -> dict[str, set[str]]:
    return {
        node.section.code: {r["requirement"].code for r in node.requirements}
        for node in tree(application)
    }


def test_r_crt_3_only_the_new_or_changed_requirements_are_asked(holder, instructor, notices):
    """CSP R. 1470-11 (TLC guide §5.4): the arrêté approving the new version sets « les éléments
    requis pour établir leur conformité au nouveau référentiel ». The agency chooses it for the
    holder's application: S1 1, unchanged since the certificate, is not asked again; S2 1
    (another proof) and S3 1 (new) are."""
    certificate, application = holder
    assert set(sections(application)) == {"S1", "S2", "S3"}  # the whole dossier by default

    set_evidence_scope(
        by=instructor,
        application=application,
        changes_only=True,
        reason="Arrêté du 1er février 2028, article 2.",
    )
    application.refresh_from_db()
    assert sections(application) == {"S2": {"S2 1"}, "S3": {"S3 1"}}
    unchanged = ExpectedProof.objects.get(
        scenario__version=application.referential_version, scenario__code="S1 1.1", position=1
    )
    with pytest.raises(ApplicationError):
        evidence.add_evidence(
            by=application.created_by,
            application=application,
            proof_id=unchanged.pk,
            upload=upload_from_stream(io.BytesIO(PDF), "preuve.pdf"),
        )

    entry = JournalEntry.objects.filter(action="application.evidence_scope").get()
    assert entry.after["scope"] == "changes"
    assert entry.after["certificate"] == certificate.number
    assert entry.after["reason"] == "Arrêté du 1er février 2028, article 2."
    assert entry.actor == instructor
    (told,) = [n for n in notices if n.subject == "preuves demandées sur la nouvelle version"]
    assert "nouvelles ou modifiées" in told.body and certificate.number in told.body

    # The agency may ask for the whole dossier again, recorded likewise.
    set_evidence_scope(
        by=instructor, application=application, changes_only=False, reason="Refonte du produit."
    )
    application.refresh_from_db()
    assert set(sections(application)) == {"S1", "S2", "S3"}
    assert JournalEntry.objects.filter(action="application.evidence_scope").count() == 2


def test_r_crt_3_the_choice_is_the_agencys_and_needs_a_certificate_and_a_reason(
    holder, applicant, instructor, people, catalogue
):
    certificate, application = holder
    with pytest.raises(ApplicationError) as refused:
        set_evidence_scope(by=applicant, application=application, changes_only=True, reason="x")
    assert refused.value.extra["status"] == 403
    with pytest.raises(ApplicationError) as refused:
        set_evidence_scope(by=instructor, application=application, changes_only=True, reason=" ")
    assert refused.value.extra["status"] == 400

    # A version whose arrêté asks the whole dossier: no reduced one.
    with on(dt.date(2028, 3, 2)):
        full = new_tlc("8.2", evidence="all")
        other = create_application(
            by=applicant,
            product=certificate.application.product,
            product_version="9.9",
            referential_version=full,
            pathway_code="teleconsultation",
        )
    with pytest.raises(ApplicationError) as refused:
        set_evidence_scope(by=instructor, application=other, changes_only=True, reason="Arrêté.")
    assert "ne prévoit pas" in refused.value.message

    # A product without a certificate on an earlier version: nothing to build on.
    from guichet.applications.services import save_product

    fresh = create_application(
        by=applicant,
        product=save_product(by=applicant, name="Neuf", modules=[]),
        product_version="1",
        referential_version=application.referential_version,
        pathway_code="teleconsultation",
    )
    with pytest.raises(ApplicationError) as refused:
        set_evidence_scope(by=instructor, application=fresh, changes_only=True, reason="Arrêté.")
    assert "pas de certificat en cours" in refused.value.message
    application.refresh_from_db()
    assert application.evidence_basis is None


def test_r_crt_3_the_agency_records_its_choice_on_the_new_version_page(
    client, holder, instructor, applicant
):
    """The new version's page lists the holder's new application; the agency's choice is made
    there with its reason, confirmed by a message; the applicant's evidence page says it."""
    from django.urls import reverse

    certificate, application = holder
    version = application.referential_version
    client.force_login(instructor)
    page = client.get(reverse("certificates:new-version", args=[version.pk])).content.decode()
    assert application.reference in page and "Dossier complet" in page
    url = reverse("certificates:new-version-scope", args=[version.pk])
    refused = client.post(
        url, {"application": application.pk, "scope": "changes", "reason": ""}, follow=True
    )
    assert "Indiquez le motif" in refused.content.decode()
    done = client.post(
        url,
        {"application": application.pk, "scope": "changes", "reason": "Arrêté, article 2."},
        follow=True,
    )
    assert "seules les exigences nouvelles ou modifiées sont demandées" in done.content.decode()
    assert "Exigences nouvelles ou modifiées seulement" in done.content.decode()

    client.force_login(applicant)
    outsider = client.post(url, {"application": application.pk, "scope": "all", "reason": "x"})
    assert outsider.status_code == 404  # the agency's area: the applicant finds nothing
    application.refresh_from_db()
    assert application.evidence_basis is not None  # the applicant cannot change it
    evidence_page = client.get(reverse("evidence:page", args=[application.pk])).content.decode()
    assert "ne demande que les preuves des exigences nouvelles ou modifiées" in evidence_page
    assert certificate.referential_version.label in evidence_page


def test_r_crt_3_api_records_the_choice(api, holder, instructor, applicant, stranger):
    certificate, application = holder
    url = f"/api/v1/applications/{application.pk}/evidence-scope"
    body = {"scope": "changes", "reason": "Arrêté, article 2."}
    api.force_authenticate(stranger)
    assert api.post(url, body, format="json").status_code == 404
    api.force_authenticate(applicant)
    assert api.post(url, body, format="json").status_code == 403
    api.force_authenticate(instructor)
    assert api.post(url, {"scope": "tout"}, format="json").status_code == 400
    answer = api.post(url, body, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "scope": "changes",
        "certified_version": certificate.referential_version.label,
    }
    application.refresh_from_db()
    assert application.evidence_basis_id == certificate.application_id
