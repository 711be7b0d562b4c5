"""End to end, in Debian's Chromium: a manufacturer finds which requirements apply."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_r_ref_3_manufacturer_answers_the_questionnaire_and_sees_applicable_requirements(
    live_server, page, catalogue
):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Quelles exigences s'appliquent à mon produit ?").click()
    page.get_by_role("link", name="DMN V1.2.2").click()
    # DSFR draws its own radios: a person clicks the label.
    for question, answer in [
        ("professional_access", "Non"),
        ("patient_access", "Oui"),
        ("creates_identities", "Oui"),
        ("identity_setting", "Hors établissement de santé"),
    ]:
        page.locator(f"#question-{question} label", has_text=answer).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Voir les exigences applicables").click()
    page.locator("#profils-retenus tbody tr").first.wait_for()

    chosen = page.locator("#profils-retenus tbody tr")
    assert sorted(chosen.evaluate_all("rows => rows.map(r => r.dataset.profile)")) == sorted(
        ["general", "acces_usager", "referentiel_identite", "ri_hors_etablissement_sante"]
    )
    assert page.get_by_role("heading", name="Exigences applicables").is_visible()
    # Add an optional profile and download the list.
    page.locator('label[for="extra-stockage_titres_identite"]').click()
    with page.expect_navigation():
        page.get_by_role("button", name="Voir les exigences applicables").click()
    page.locator('tr[data-profile="stockage_titres_identite"]').wait_for()
    assert page.locator('tr[data-profile="stockage_titres_identite"]').count() == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger (.xlsx)").click()
    assert download.value.suggested_filename == "exigences-DMN-V1.2.2-applicables.xlsx"
