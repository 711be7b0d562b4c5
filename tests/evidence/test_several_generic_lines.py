"""R-REF-7, several generic lines: a product may claim one or more pathologies; each claimed
pathology's technical specification applies."""

import subprocess

import pytest
from django.urls import reverse

from guichet.applications.models import Application
from guichet.applications.pathologies import claim_pathologies
from guichet.applications.services import create_application, save_product
from guichet.common.errors import ApplicationError
from guichet.journal.models import JournalEntry
from tests.evidence.test_generic_line import open_evidence, proof_of, section_codes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def glyco(applicant):
    return save_product(by=applicant, name="GlycoCardio", modules=[{"name": "App", "version": "2"}])


def generic_line(applicant, product, dmn, pathology="diabete"):
    return create_application(
        by=applicant,
        product=product,
        product_version="2",
        referential_version=dmn,
        pathway_code="ligne_generique",
        pathology_code=pathology,
    )


def test_r_ref_7_each_claimed_pathology_adds_its_specification(
    api, applicant, instructor, glyco, dmn
):
    """DMN guide §5.1: « Pour une candidature en ligne(s) générique(s), des spécifications
    techniques relatives à 5 pathologies sont exigées » — a product on two generic lines meets
    both specifications, and no other."""
    application = generic_line(applicant, glyco, dmn)
    claim_pathologies(by=applicant, application=application, codes=["diabete", "HAS2"])
    application = open_evidence(application, applicant, instructor)
    assert [p.specification_code for p in application.claimed_pathologies] == ["HAS1", "HAS2"]

    api.force_authenticate(applicant)
    sections = section_codes(api, application)
    assert sections["HAS1"] == {"HAS1 1", "HAS1 2"}
    assert "HAS2" in sections
    assert not {"HAS3", "HAS4"} & set(sections)
    assert upload(api, application, proof_of("HAS2 1", dmn)).status_code == 201
    assert upload(api, application, proof_of("HAS3 1", dmn)).status_code == 404
    entry = JournalEntry.objects.filter(action="application.pathologies").get()
    assert entry.after == {"pathologies": ["diabete", "insuffisance_cardiaque"]}

    # The convention names each claimed pathology.
    from guichet.conventions.services import render_pdf

    text = subprocess.run(
        ["pdftotext", "-", "-"],
        input=render_pdf(application, "CONV-TEST").getvalue(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "Diabète (HAS1), Insuffisance cardiaque chronique (HAS2)" in " ".join(text.split())


def test_r_ref_7_claims_refused_when_wrong(applicant, stranger, glyco, dmn, product):
    """An unknown pathology, one whose specification is « à venir » (HAS5), another pathway than
    the generic line, another organisation: refused, nothing changes."""
    application = generic_line(applicant, glyco, dmn)
    for codes, words in (
        (["diabete", "grippe"], "Pathologie inconnue « grippe »"),
        (["diabete", "protheses_cardiaques"], "HAS5"),
        ([], "au moins une pathologie"),
    ):
        with pytest.raises(ApplicationError) as refused:
            claim_pathologies(by=applicant, application=application, codes=codes)
        assert words in refused.value.extra["errors"]["pathologies"]
    with pytest.raises(ApplicationError) as refused:
        claim_pathologies(by=stranger, application=application, codes=["HAS2"])
    assert refused.value.extra["status"] == 403
    application.refresh_from_db()
    assert [p.code for p in application.claimed_pathologies] == ["diabete"]

    brand = create_application(
        by=applicant,
        product=product,
        product_version="1",
        referential_version=dmn,
        pathway_code="nom_de_marque",
    )
    with pytest.raises(ApplicationError) as refused:
        claim_pathologies(by=applicant, application=brand, codes=["HAS1"])
    assert "ne vise pas de pathologie" in refused.value.extra["errors"]["pathologies"]
    assert brand.claimed_pathologies == []


def test_r_ref_7_claims_are_final_once_submitted(applicant, instructor, glyco, dmn):
    """The applicable evidence depends on them: they change only in the draft."""
    application = open_evidence(generic_line(applicant, glyco, dmn), applicant, instructor)
    with pytest.raises(ApplicationError) as refused:
        claim_pathologies(by=applicant, application=application, codes=["HAS1", "HAS4"])
    assert refused.value.extra["status"] == 409
    assert [p.code for p in application.claimed_pathologies] == ["diabete"]


def test_r_ref_7_the_creation_page_claims_several_pathologies(client, applicant, glyco, dmn):
    """The page: the generic line's pathology, and the others it also claims."""
    client.force_login(applicant)
    url = reverse("applications:create")
    page = client.get(url).content.decode()
    assert 'name="other_pathologies" value="insuffisance_renale"' in page
    base = {
        "product": glyco.pk,
        "product_version": "2",
        "referential_version": dmn.pk,
        "pathway": "ligne_generique:diabete",
    }
    refused = client.post(url, base | {"other_pathologies": ["protheses_cardiaques"]})
    assert refused.status_code == 400
    assert "est à venir" in refused.content.decode()
    assert not Application.objects.exists()  # nothing half made

    response = client.post(url, base | {"other_pathologies": ["insuffisance_renale"]})
    assert response.status_code == 302
    application = Application.objects.get()
    assert [p.code for p in application.claimed_pathologies] == [
        "diabete",
        "insuffisance_renale",
    ]
    detail = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Diabète (HAS1), Insuffisance rénale (HAS3)" in detail


def test_r_ref_7_api_claims_and_lists_the_pathologies(api, applicant, stranger, glyco, dmn):
    application = generic_line(applicant, glyco, dmn)
    url = f"/api/v1/applications/{application.pk}/pathologies"
    api.force_authenticate(stranger)
    assert api.post(url, {"pathologies": ["HAS2"]}, format="json").status_code == 404
    api.force_authenticate(applicant)
    assert api.post(url, {"pathologies": ["HAS9"]}, format="json").status_code == 400
    answer = api.post(url, {"pathologies": ["HAS4", "diabete"]}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["pathology"]["code"] == "insuffisance_respiratoire"
    assert [p["specification"] for p in answer.json()["pathologies"]] == ["HAS4", "HAS1"]
    listed = api.get("/api/v1/applications/").json()["results"]
    assert [p["specification"] for p in listed[0]["pathologies"]] == ["HAS4", "HAS1"]
