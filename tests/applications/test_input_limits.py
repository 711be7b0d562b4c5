"""Every text of a product or an application is held to its column's length before the database
sees it (issue 10 §1 « Length limits »): PostgreSQL refuses a longer value with an error, SQLite
keeps it whole. The API, the pages and the services refuse it with a French message, never cut
it, and change nothing. Wrong JSON types are refused too, never silently dropped."""

import re

import pytest
from django.urls import reverse

from guichet.applications.models import Application, Product, ProductModule
from guichet.applications.services import (
    create_application,
    save_draft,
    save_product,
    update_product_version,
)
from guichet.common.errors import ApplicationError
from tests.fixtures import complete_dmn_form

pytestmark = pytest.mark.django_db

NAME = Product._meta.get_field("name").max_length
MODULE_NAME = ProductModule._meta.get_field("name").max_length
MODULE_VERSION = ProductModule._meta.get_field("version").max_length
VERSION = Application._meta.get_field("product_version").max_length


def refused(call, **kwargs) -> dict:
    with pytest.raises(ApplicationError) as raised:
        call(**kwargs)
    assert raised.value.extra["status"] == 400
    return raised.value.extra["errors"]


# --- Products --------------------------------------------------------------------------------


def test_api_refuses_a_product_name_longer_than_its_column(api, applicant):
    api.force_authenticate(applicant)
    response = api.post("/api/v1/products/", {"name": "x" * (NAME + 1)}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["name"] == [f"Saisissez au plus {NAME} caractères."]
    assert not Product.objects.exists()
    exact = api.post("/api/v1/products/", {"name": "x" * NAME}, format="json")
    assert exact.status_code == 201 and exact.json()["name"] == "x" * NAME


def test_api_refuses_a_module_version_longer_than_its_column(api, applicant, product):
    api.force_authenticate(applicant)
    response = api.patch(
        f"/api/v1/products/{product.pk}/",
        {"modules": [{"name": "Web", "version": "1" * (MODULE_VERSION + 1)}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["modules"]["0"]["version"] == [
        f"Saisissez au plus {MODULE_VERSION} caractères."
    ]
    assert [m.version for m in product.modules.all()] == ["3.2", "3.2.1"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "X", "description": {"texte": "objet"}}, "description"),
        ({"name": "X", "description": 12}, "description"),
        ({"name": ["X"]}, "name"),
        ({"name": "X", "modules": [{"name": None, "version": None}]}, "modules"),
        ({"name": "X", "modules": [{"name": "Web"}]}, "modules"),
        ({"name": "X", "modules": [{"name": 3, "version": 2.0}]}, "modules"),
        ({"name": "X", "modules": {"name": "Web", "version": "1"}}, "modules"),
    ],
)
def test_api_refuses_wrong_types_instead_of_dropping_them(api, applicant, payload, field):
    api.force_authenticate(applicant)
    response = api.post("/api/v1/products/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Product.objects.exists() and not ProductModule.objects.exists()


def test_service_refuses_long_names_and_versions_instead_of_cutting_them(applicant):
    errors = refused(save_product, by=applicant, name="x" * (NAME + 1))
    assert errors == {"name": f"Saisissez au plus {NAME} caractères (reçu : {NAME + 1})."}
    errors = refused(
        save_product,
        by=applicant,
        name="TéléSuivi",
        modules=[
            {"name": "n" * (MODULE_NAME + 1), "version": "1"},
            {"name": "Web", "version": "v" * (MODULE_VERSION + 1)},
            "pas un module",
        ],
    )
    assert errors == {
        "modules.0": f"Module 1, nom : Saisissez au plus {MODULE_NAME} caractères (reçu : "
        f"{MODULE_NAME + 1}).",
        "modules.1": f"Module 2, version : Saisissez au plus {MODULE_VERSION} caractères (reçu : "
        f"{MODULE_VERSION + 1}).",
        "modules.2": "Module 3 : indiquez son nom et sa version.",
    }
    assert not Product.objects.exists()


def test_product_page_refuses_long_texts_and_keeps_what_was_typed(client, applicant):
    client.force_login(applicant)
    response = client.post(
        reverse("applications:product-create"),
        {"name": "TéléSuivi", "module_0_name": "Web", "module_0_version": "9" * 65},
    )
    assert response.status_code == 400
    assert f"Saisissez au plus {MODULE_VERSION} caractères." in response.content.decode()
    assert "9" * 65 in response.content.decode()  # nothing typed is lost
    assert f'name="name" value="TéléSuivi" maxlength="{NAME}"' in response.content.decode()
    assert not Product.objects.exists()


# --- Applications ----------------------------------------------------------------------------


def test_api_refuses_a_product_version_longer_than_its_column(api, applicant, product, dmn):
    api.force_authenticate(applicant)
    response = api.post(
        "/api/v1/applications/",
        {
            "product": product.pk,
            "product_version": "1" * (VERSION + 1),
            "referential": "DMN",
            "version": "1.2.2",
            "pathway": "nom_de_marque",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "product_version" in response.json()["errors"]
    assert not Application.objects.exists()


def test_api_refuses_an_unknown_product_or_version_as_a_bad_request(api, applicant, product, dmn):
    api.force_authenticate(applicant)
    payload = {"product_version": "1", "pathway": "nom_de_marque", "referential": "DMN"}
    unknown = api.post("/api/v1/applications/", {**payload, "product": 999, "version": "1.2.2"})
    assert unknown.status_code == 400 and "product" in unknown.json()["errors"]
    version = api.post("/api/v1/applications/", {**payload, "product": product.pk, "version": "9"})
    assert version.status_code == 400 and "referential" in version.json()["errors"]


def test_services_refuse_a_long_product_version_instead_of_cutting_it(
    applicant, product, dmn, dmn_application
):
    long_version = "1" * (VERSION + 1)
    message = f"Saisissez au plus {VERSION} caractères (reçu : {VERSION + 1})."
    errors = refused(
        create_application,
        by=applicant,
        product=product,
        product_version=long_version,
        referential_version=dmn,
        pathway_code="nom_de_marque",
    )
    assert errors == {"product_version": message}
    errors = refused(
        save_draft,
        by=applicant,
        application=dmn_application,
        data={"product_version": long_version},
    )
    assert errors == {"product_version": message}
    errors = refused(
        update_product_version,
        by=applicant,
        application=dmn_application,
        product_version=long_version,
    )
    assert errors == {"product_version": message}
    dmn_application.refresh_from_db()
    assert dmn_application.product_version == "3.2"


def test_api_refuses_a_long_version_update(api, applicant, dmn_application):
    api.force_authenticate(applicant)
    response = api.post(
        f"/api/v1/applications/{dmn_application.pk}/version",
        {"product_version": "2" * (VERSION + 1)},
        format="json",
    )
    assert response.status_code == 400
    dmn_application.refresh_from_db()
    assert dmn_application.product_version == "3.2"


def test_r_app_7_admissibility_texts_have_limits_and_the_draft_keeps_the_rest(
    applicant, dmn_application
):
    errors = refused(
        save_draft,
        by=applicant,
        application=dmn_application,
        data={
            "form": {
                "contact_name": "C" * 256,
                "connected_objects": "o" * 5001,
                "cnda_nie": "N" * 65,
                "software_version": "3" * (VERSION + 1),
                "components": [{"name": "Visio", "version": "v" * 65, "description": "d"}],
            },
            "group_members": [{"name": "M" * 256, "company_id": "732829320"}],
        },
    )
    assert errors == {
        "form.contact_name": "Saisissez au plus 255 caractères (reçu : 256).",
        "form.connected_objects": "Saisissez au plus 5000 caractères (reçu : 5001).",
        "form.cnda_nie": "Saisissez au plus 64 caractères (reçu : 65).",
        "form.software_version": f"Saisissez au plus {VERSION} caractères (reçu : {VERSION + 1}).",
        "form.components": "Composant 1, version : saisissez au plus 64 caractères (reçu : 65).",
        "group_members": "Membre 1, raison sociale : Saisissez au plus 255 caractères (reçu : 256).",
    }
    # The page's autosave keeps the valid values and reports the others (R-APP-7).
    saved = save_draft(
        by=applicant,
        application=dmn_application,
        data={"form": {"contact_name": "C" * 256, "entity_name": "Télésanté SAS"}},
        keep_valid=True,
    )
    assert saved.draft_errors == {
        "form.contact_name": "Saisissez au plus 255 caractères (reçu : 256)."
    }
    dmn_application.refresh_from_db()
    assert dmn_application.form["entity_name"] == "Télésanté SAS"
    # The refused value is not stored: the contact stays the one prefilled at creation.
    assert dmn_application.form["contact_name"] == applicant.get_full_name()


def test_admissibility_page_tells_the_browser_each_limit(client, applicant, dmn_application):
    client.force_login(applicant)
    page = client.get(reverse("applications:form", args=[dmn_application.pk])).content.decode()
    assert re.search(r'name="contact_name" value="[^"]*" maxlength="255"', page)
    assert 'name="software_version" value="3.2" maxlength="64"' in page
    assert 'maxlength="5000"' in page  # connected objects


def test_a_complete_form_within_the_limits_is_saved(applicant, dmn_application):
    save_draft(by=applicant, application=dmn_application, data={"form": complete_dmn_form()})
    dmn_application.refresh_from_db()
    assert dmn_application.form["contact_name"] == "Camille Martin"


# --- Uploads ---------------------------------------------------------------------------------


def test_the_version_a_document_or_proof_describes_is_refused_when_longer_than_its_column(
    api, applicant, dmn_application, tlc_admissible
):
    import io

    from guichet.applications.models import AdmissibilityDocument
    from guichet.evidence.models import EvidenceFile
    from guichet.evidence.selectors import tree as evidence_tree
    from guichet.files.models import StoredFile
    from tests.fixtures import PDF

    def pdf():
        handle = io.BytesIO(PDF)
        handle.name = "doc.pdf"
        return handle

    limit = AdmissibilityDocument._meta.get_field("names_version").max_length
    before = (
        EvidenceFile.objects.count(),
        AdmissibilityDocument.objects.count(),
        StoredFile.objects.count(),
    )
    api.force_authenticate(applicant)
    response = api.post(
        f"/api/v1/applications/{dmn_application.pk}/documents/functional_documentation/files",
        {"file": pdf(), "names_version": "9" * (limit + 1)},
        format="multipart",
    )
    assert response.status_code == 400
    assert f"au plus {limit} caractères" in response.json()["detail"]
    proof = evidence_tree(tlc_admissible)[0].requirements[0]["scenarios"][0]["proofs"][0]["proof"]
    response = api.post(
        f"/api/v1/applications/{tlc_admissible.pk}/evidence/{proof.pk}/files",
        {"file": pdf(), "names_version": "9" * (limit + 1)},
        format="multipart",
    )
    assert response.status_code == 400 and "Version décrite" in response.json()["detail"]
    assert before == (  # nothing kept
        EvidenceFile.objects.count(),
        AdmissibilityDocument.objects.count(),
        StoredFile.objects.count(),
    )
