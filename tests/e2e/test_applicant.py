"""End to end, in Debian's Chromium: an applicant signs in, declares a product, files an
application, sees the draft autosaved, and deposits a document with the progress bar."""

import pytest

from guichet.accounts.models import Organisation, Role, User
from guichet.applications.models import AdmissibilityDocument, Application
from tests.conftest import PASSWORD
from tests.e2e.signing_in import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_r_app_7_applicant_files_an_application_with_autosave_and_upload(
    live_server, page, catalogue, journal_rows_removed, settings, tmp_path
):
    organisation = Organisation.objects.create(name="Télésanté", siren="732829320")
    User.objects.create_user(
        email="resp@telesante.fr",
        password=PASSWORD,
        role=Role.APPLICANT_ADMIN,
        organisation=organisation,
    )
    sign_in(page, live_server.url, "resp@telesante.fr")

    page.goto(live_server.url + "/candidatures/produits/nouveau/")
    page.fill("#id_name", "TéléSuivi")
    page.fill("#id_module_0_name", "Portail web")
    page.fill("#id_module_0_version", "3.2")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()

    page.goto(live_server.url + "/candidatures/nouvelle/")
    page.select_option("#id_product", label="TéléSuivi")
    page.fill("#id_product_version", "3.2")
    page.select_option(
        "#id_referential_version",
        label="Référentiel d'interopérabilité et de sécurité des dispositifs médicaux numériques — DMN V1.2.2",
    )
    page.locator('label[for="pw-ligne_generique-diabete"]').click()
    with page.expect_navigation():
        page.get_by_role("button", name="Créer la candidature").click()
    assert "/formulaire/" in page.url

    # The draft saves as the person types, and says when a value is wrong.
    page.fill("#id_contact_name", "Camille Martin")
    page.locator("#id_contact_name").blur()
    status = page.locator("#autosave-status")
    status.filter(has_text="Brouillon enregistré").wait_for()
    application = Application.objects.get()
    assert application.form["contact_name"] == "Camille Martin"
    page.fill("#id_contact_email", "pas-une-adresse")
    page.locator("#id_contact_email").blur()
    # The error shows at its field, the status line counts it.
    page.locator(
        "#field-contact_email .fr-error-text", has_text="adresse électronique valide"
    ).wait_for()
    status.filter(has_text="1 champ à corriger, signalé en rouge").wait_for()
    # The documents' badges follow the answers without a reload.
    badge = page.locator("[data-required-badge='hds_host_certificate']")
    page.select_option("#id_host_is_applicant", "false")
    badge.filter(has_text="requis").filter(has_not_text="non requis").wait_for()
    page.select_option("#id_host_is_applicant", "true")
    badge.filter(has_text="non requis actuellement").wait_for()

    # A document goes up with a progress bar; the page reloads with it listed.
    pdf = tmp_path / "documentation.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"0" * 2_000_000)
    section = page.locator('[id="field-documents.functional_documentation"]')
    section.locator("input[type=file]").set_input_files(str(pdf))
    with page.expect_navigation():
        section.get_by_role("button", name="Déposer").click()
    page.locator("a", has_text="documentation.pdf").wait_for()
    assert AdmissibilityDocument.objects.filter(application=application).count() == 1
