"""The DMN generic line (R-REF-7): the chosen pathology's HAS technical specification adds its
requirements to the applicable evidence, through the real flow of an application."""

import io

import pytest
from django.urls import reverse

from guichet.applications import review
from guichet.applications.services import create_application, save_draft, save_product, submit
from guichet.conventions.services import sign_convention
from guichet.evidence import services as evidence
from guichet.referentials.models import ExpectedProof
from tests.conftest import PASSWORD, committed
from tests.fixtures import (
    DMN_ANSWERS,
    DMN_PROFILES,
    PDF,
    complete_dmn_form,
    deposit_required_documents,
)

pytestmark = pytest.mark.django_db


def open_evidence(application, applicant, instructor):
    """Form, submission, every item conforme, recevable, convention signed: proofs open."""
    save_draft(
        by=applicant,
        application=application,
        data={"form": complete_dmn_form(), "answers": DMN_ANSWERS, "profiles": DMN_PROFILES},
    )
    deposit_required_documents(application, applicant)
    submit(by=applicant, application=application)
    review.set_verdicts(
        by=instructor,
        application=application,
        opinions={e["item"]: ("conforme", "") for e in review.reviewable_items(application)},
    )
    with committed():  # the task worker prepares the convention, then seals it once signed
        review.decide(by=instructor, application=application, decision="admissible")
    with committed():
        sign_convention(by=applicant, application=application, password=PASSWORD)
    application.refresh_from_db()
    return application


@pytest.fixture
def diabetes_application(applicant, dmn, instructor):
    product = save_product(
        by=applicant, name="GlycoSuivi", modules=[{"name": "App", "version": "2"}]
    )
    application = create_application(
        by=applicant,
        product=product,
        product_version="2",
        referential_version=dmn,
        pathway_code="ligne_generique",
        pathology_code="diabete",
    )
    return open_evidence(application, applicant, instructor)


def section_codes(api, application) -> dict[str, set[str]]:
    payload = api.get(f"/api/v1/applications/{application.pk}/evidence/").json()
    return {s["code"]: {r["code"] for r in s["requirements"]} for s in payload["sections"]}


def proof_of(requirement_code: str, dmn) -> ExpectedProof:
    return ExpectedProof.objects.filter(
        scenario__version=dmn, scenario__requirement__code=requirement_code
    ).first()


def upload(api, application, proof):
    handle = io.BytesIO(PDF)
    handle.name = "preuve.pdf"
    return api.post(
        f"/api/v1/applications/{application.pk}/evidence/{proof.pk}/files",
        {"file": handle},
        format="multipart",
    )


def test_r_ref_7_generic_line_application_sees_its_pathology_specification(
    api, applicant, dmn, diabetes_application
):
    api.force_authenticate(applicant)
    sections = section_codes(api, diabetes_application)
    assert sections["HAS1"] == {"HAS1 1", "HAS1 2"}
    assert not {"HAS2", "HAS3", "HAS4"} & set(sections)
    assert "INS" in sections  # the profiles' requirements stay
    # The specification's proofs are deposited like any other; another pathology's are not.
    assert upload(api, diabetes_application, proof_of("HAS1 1", dmn)).status_code == 201
    refused = upload(api, diabetes_application, proof_of("HAS2 1", dmn))
    assert refused.status_code == 404
    assert "introuvable" in refused.json()["detail"]


def test_r_ref_7_evidence_page_shows_the_specification_section(
    client, applicant, diabetes_application
):
    client.force_login(applicant)
    page = client.get(reverse("evidence:page", args=[diabetes_application.pk]))
    content = page.content.decode()
    assert "Spécifications techniques HAS — Diabète (HAS1)" in content
    assert "HAS2" not in content


def test_r_ref_7_brand_name_application_sees_no_specification(
    api, applicant, instructor, dmn, dmn_application
):
    application = open_evidence(dmn_application, applicant, instructor)
    api.force_authenticate(applicant)
    sections = section_codes(api, application)
    assert not {"HAS1", "HAS2", "HAS3", "HAS4"} & set(sections)
    assert upload(api, application, proof_of("HAS1 1", dmn)).status_code == 404


def test_r_ref_7_submitting_the_specification_section_needs_its_proofs(
    applicant, diabetes_application
):
    from guichet.common.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        evidence.submit_section(by=applicant, application=diabetes_application, section_code="HAS1")
    assert "HAS1 1 — HAS1 1.1 — preuve 1" in refused.value.extra["missing"]
