"""The applications API (ARCHITECTURE.md): products, applications, draft PATCH, submit, journal."""

import json

import pytest

from tests.fixtures import (
    DMN_ANSWERS,
    DMN_PROFILES,
    complete_dmn_form,
    deposit_required_documents,
)

pytestmark = pytest.mark.django_db


def test_r_app_1_create_product_and_application_through_the_api(api, applicant, catalogue):
    api.force_authenticate(applicant)
    product = api.post(
        "/api/v1/products/",
        {"name": "TéléSuivi", "modules": [{"name": "Web", "version": "2.0"}]},
        format="json",
    )
    assert product.status_code == 201, product.content
    created = api.post(
        "/api/v1/applications/",
        {
            "product": product.json()["id"],
            "product_version": "2.0",
            "referential": "DMN",
            "version": "1.2.2",
            "pathway": "nom_de_marque",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["referential"] == {"code": "DMN", "version": "1.2.2"}
    assert api.get("/api/v1/applications/").json()["count"] == 1


def test_r_app_2_api_refuses_a_closed_pathway_with_problem_json(api, applicant, product, catalogue):
    api.force_authenticate(applicant)
    response = api.post(
        "/api/v1/applications/",
        {
            "product": product.pk,
            "product_version": "1",
            "referential": "DMN",
            "version": "1.2.2",
            "pathway": "pect",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "pathway" in response.json()["errors"]


def test_r_app_7_patch_then_submit_lists_every_missing_item(api, applicant, dmn_application):
    api.force_authenticate(applicant)
    url = f"/api/v1/applications/{dmn_application.pk}/"
    saved = api.patch(url, {"form": {"contact_name": "Camille"}}, format="json")
    assert saved.status_code == 200 and saved.json()["form"]["contact_name"] == "Camille"
    bad = api.patch(url, {"form": {"contact_phone": "123"}}, format="json")
    assert bad.status_code == 400 and "form.contact_phone" in bad.json()["errors"]
    refused = api.post(f"/api/v1/applications/{dmn_application.pk}/submit")
    assert refused.status_code == 400
    missing = {m["item"] for m in refused.json()["missing"]}
    assert "legal_rep_name" in missing and "contact_name" not in missing
    api.patch(
        url,
        {"form": complete_dmn_form(), "answers": DMN_ANSWERS, "profiles": DMN_PROFILES},
        format="json",
    )
    deposit_required_documents(dmn_application, applicant)
    submitted = api.post(f"/api/v1/applications/{dmn_application.pk}/submit")
    assert submitted.status_code == 200 and submitted.json()["profiles_final"] is True
    again = api.patch(url, {"profiles": ["general", "acces_usager"]}, format="json")
    assert again.status_code == 409


def test_r_ref_4_api_answers_alone_give_the_profiles_the_page_gives(
    api, client, applicant, dmn_application, dmn
):
    """R-REF-4: with `answers` alone (no `extra_profiles`), the PATCH computes the profiles from
    the answers as the form page does: « Général », « Accès Professionnel » and « Accès Usager »
    for a product with professional and patient access (DMN guide §3); the submission then
    does not ask to choose them."""
    api.force_authenticate(applicant)
    url = f"/api/v1/applications/{dmn_application.pk}/"
    answers = {"professional_access": True, "patient_access": True, "creates_identities": False}
    form = complete_dmn_form(patient_access=True)  # one fact with the answers (R-REF-8)
    saved = api.patch(url, {"form": form, "answers": answers}, format="json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["profiles"] == ["general", "acces_professionnel", "acces_usager"]

    # An optional profile ticked stays when the answers are sent again without the ticks.
    ticked = api.patch(
        url,
        {"answers": answers, "extra_profiles": ["stockage_titres_identite"]},
        format="json",
    )
    assert "stockage_titres_identite" in ticked.json()["profiles"]
    again = api.patch(url, {"answers": answers}, format="json")
    assert again.json()["profiles"] == [
        "general",
        "acces_professionnel",
        "acces_usager",
        "stockage_titres_identite",
    ]
    # No longer mandatory once the answers change: a mandatory profile follows its answers.
    fewer = api.patch(url, {"answers": answers | {"patient_access": False}}, format="json")
    assert fewer.json()["profiles"] == [
        "general",
        "acces_professionnel",
        "stockage_titres_identite",
    ]

    deposit_required_documents(dmn_application, applicant)
    submitted = api.post(f"/api/v1/applications/{dmn_application.pk}/submit")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["profiles"] == [
        "general",
        "acces_professionnel",
        "stockage_titres_identite",
    ]


def test_r_aud_1_application_journal_for_applicant_and_agency(
    api, applicant, dmn_application, instructor, stranger
):
    api.force_authenticate(applicant)
    rows = json.loads(
        b"".join(api.get(f"/api/v1/applications/{dmn_application.pk}/journal").streaming_content)
    )
    assert [row["action"] for row in rows] == ["application.create"]
    api.force_authenticate(instructor)
    assert api.get(f"/api/v1/applications/{dmn_application.pk}/journal").status_code == 200
    api.force_authenticate(stranger)
    assert api.get(f"/api/v1/applications/{dmn_application.pk}/journal").status_code == 404


def test_r_act_1_agency_sees_every_application_but_does_not_fill_the_form(
    api, dmn_application, instructor
):
    api.force_authenticate(instructor)
    assert api.get("/api/v1/applications/").json()["count"] == 1
    response = api.patch(
        f"/api/v1/applications/{dmn_application.pk}/",
        {"form": {"contact_name": "X"}},
        format="json",
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "reference",
    [
        {"referential": "DMN", "version": "1.2.2"},
        {"referential_version": "DMN/1.2.2"},
        {"referential": "DMN", "referential_version": "1.2.2"},
        "pk",
    ],
)
def test_r_app_1_the_referential_version_can_be_named_several_ways(
    api, applicant, product, dmn, reference
):
    api.force_authenticate(applicant)
    if reference == "pk":
        reference = {"referential_version": dmn.pk}
    response = api.post(
        "/api/v1/applications/",
        {"product": product.pk, "product_version": "9.9", "pathway": "nom_de_marque", **reference},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["referential"] == {"code": "DMN", "version": "1.2.2"}


def test_r_app_1_missing_referential_is_a_french_400(api, applicant, product, catalogue):
    api.force_authenticate(applicant)
    response = api.post(
        "/api/v1/applications/",
        {"product": product.pk, "product_version": "1", "pathway": "nom_de_marque"},
        format="json",
    )
    assert response.status_code == 400 and "référentiel" in response.json()["detail"]


def test_the_applications_list_filters_by_state_referential_and_text(
    api, client, applicant, dmn, tlc
):
    """`?status=` (one or several states), `referential` and `q` filter for real, on the API
    and on the page; an unknown state is a French 400, not an ignored parameter."""
    from django.urls import reverse

    from tests.workflow import ApplicationFactory

    draft = ApplicationFactory(referential=dmn, applicant=applicant)
    submitted = ApplicationFactory(referential=tlc, state="submitted", applicant=applicant)
    api.force_authenticate(applicant)

    def references(query):
        response = api.get("/api/v1/applications/" + query)
        assert response.status_code == 200, response.content
        return sorted(row["reference"] for row in response.json()["results"])

    assert references("?status=submitted") == [submitted.reference]
    assert references("?status=draft,submitted") == sorted([draft.reference, submitted.reference])
    assert references("?referential=DMN") == [draft.reference]
    assert references(f"?q={submitted.product.name}") == [submitted.reference]
    refused = api.get("/api/v1/applications/?status=complet")
    assert refused.status_code == 400
    assert refused.json()["errors"]["status"][0].startswith("État inconnu : complet.")
    client.force_login(applicant)
    page = client.get(reverse("applications:list"), {"status": "draft"}).content.decode()
    assert draft.reference in page and submitted.reference not in page
    assert "1 candidature (filtrées)" in page
