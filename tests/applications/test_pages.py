"""The applicant's pages: products, new application, admissibility form with autosave, submission."""

import re

import pytest
from django.urls import reverse

from guichet.applications.models import Application, Product, Status
from tests.fixtures import complete_dmn_form, deposit_required_documents
from tests.workflow import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_r_app_4_declare_a_product_with_modules_on_the_page(client, applicant):
    client.force_login(applicant)
    response = client.post(
        reverse("applications:product-create"),
        {
            "name": "TéléSuivi",
            "module_0_name": "Portail",
            "module_0_version": "1.0",
            "module_1_name": "App",
        },
    )
    assert response.status_code == 400
    assert "Module 2" in response.content.decode()
    assert not Product.objects.exists()
    response = client.post(
        reverse("applications:product-create"),
        {"name": "TéléSuivi", "module_0_name": "Portail", "module_0_version": "1.0"},
    )
    assert response.status_code == 302
    assert Product.objects.get().modules.count() == 1


def test_r_app_2_new_application_page_shows_pathways_and_refuses_bad_choices(
    client, applicant, product, dmn
):
    client.force_login(applicant)
    page = client.get(reverse("applications:create")).content.decode()
    assert "HAS5" in page and "à venir" in page and "démarche fermée" in page
    assert "trois candidatures" in client.get(reverse("applications:list")).content.decode()
    refused = client.post(
        reverse("applications:create"),
        {
            "product": product.pk,
            "product_version": "",
            "referential_version": dmn.pk,
            "pathway": "ligne_generique:protheses_cardiaques",
        },
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Indiquez la version" in body and "à venir" in body
    created = client.post(
        reverse("applications:create"),
        {
            "product": product.pk,
            "product_version": "3.2",
            "referential_version": dmn.pk,
            "pathway": "ligne_generique:diabete",
        },
    )
    application = Application.objects.get()
    assert created["Location"] == reverse("applications:form", args=[application.pk])
    assert application.pathology.specification_code == "HAS1"


def post_form(client, application, values, **headers):
    data = {
        key: ("true" if v is True else "false" if v is False else v) for key, v in values.items()
    }
    return client.post(reverse("applications:form", args=[application.pk]), data, **headers)


def test_r_app_7_autosave_keeps_the_draft_and_reports_wrong_values(
    client, applicant, dmn_application
):
    client.force_login(applicant)
    saved = post_form(client, dmn_application, {"contact_name": "Camille"}, HTTP_X_AUTOSAVE="1")
    assert saved.json()["saved"] is True
    # The time the page shows, in French: « 14 h 05 », not « 14:05 ».
    assert re.fullmatch(r"\d{1,2} h \d{2}", saved.json()["at"])
    dmn_application.refresh_from_db()
    assert dmn_application.form["contact_name"] == "Camille"
    refused = post_form(
        client,
        dmn_application,
        {"contact_name": "Autre", "contact_email": "faux"},
        HTTP_X_AUTOSAVE="1",
    )
    # Each error is keyed by its field's name, for the page to show it at the field.
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["contact_email"]
    dmn_application.refresh_from_db()
    # The valid value is kept, the wrong one is not stored (and stays in the page).
    assert dmn_application.form["contact_name"] == "Autre"
    assert "contact_email" not in dmn_application.form
    page = post_form(client, dmn_application, {"contact_email": "faux"})
    assert page.status_code == 400 and "adresse électronique valide" in page.content.decode()


def test_r_app_7_autosave_says_which_documents_the_answers_now_require(
    client, applicant, dmn_application
):
    """The « requis » badges follow the answers without a reload: the host's HDS certificate
    is required once the applicant says it does not host the data itself."""
    client.force_login(applicant)
    page = client.get(reverse("applications:form", args=[dmn_application.pk])).content.decode()
    assert 'data-required-badge="hds_host_certificate"' in page
    hosted = post_form(client, dmn_application, {"host_is_applicant": True}, HTTP_X_AUTOSAVE="1")
    assert hosted.json()["documents"]["hds_host_certificate"] is False
    elsewhere = post_form(
        client, dmn_application, {"host_is_applicant": False}, HTTP_X_AUTOSAVE="1"
    )
    assert elsewhere.json()["documents"]["hds_host_certificate"] is True
    assert elsewhere.json()["documents"]["functional_documentation"] is True


def test_r_ref_6_in_correction_mode_the_profiles_are_shown_read_only_with_their_answers(
    client, applicant, dmn
):
    """Profiles are final at submission: in correction mode the questionnaire is no longer a
    set of clickable questions but what was answered and the profiles retained."""
    application = ApplicationFactory(referential=dmn, state="to_fix", applicant=applicant)
    client.force_login(applicant)
    page = client.get(reverse("applications:form", args=[application.pk])).content.decode()
    assert "Les profils sont définitifs depuis la soumission" in page
    assert 'name="q-' not in page  # no question to click
    labels = dict(dmn.profiles.values_list("code", "label"))
    for code in application.profiles:
        assert labels[code] in page
    # The field the instructor flagged stays editable; the others are read-only.
    assert "À corriger : Ce numéro ne répond pas." in page


def test_r_app_7_detail_lists_missing_items_with_links_then_submits(
    client, applicant, dmn_application
):
    client.force_login(applicant)
    detail = client.get(reverse("applications:detail", args=[dmn_application.pk])).content.decode()
    assert "#field-legal_rep_name" in detail and "élément" in detail
    values = complete_dmn_form(software_name="TéléSuivi", software_version="3.2")
    values.update(
        {
            "q-professional_access": "false",
            "q-patient_access": "false",
            "q-creates_identities": "false",
        }
    )
    response = post_form(client, dmn_application, values)
    assert response.status_code == 302
    dmn_application.refresh_from_db()
    assert dmn_application.profiles == ["general"]
    deposit_required_documents(dmn_application, applicant)
    client.post(reverse("applications:submit", args=[dmn_application.pk]))
    dmn_application.refresh_from_db()
    assert dmn_application.status == Status.SUBMITTED
    # Read-only afterwards.
    page = client.get(reverse("applications:form", args=[dmn_application.pk])).content.decode()
    assert "lecture seule" in page
    assert (
        post_form(client, dmn_application, {"contact_name": "X"}, HTTP_X_AUTOSAVE="1").status_code
        == 409
    )


def test_r_act_1_other_organisation_gets_404_on_the_pages(client, stranger, dmn_application):
    client.force_login(stranger)
    for name in ("detail", "form"):
        assert (
            client.get(reverse(f"applications:{name}", args=[dmn_application.pk])).status_code
            == 404
        )
    assert client.post(reverse("applications:submit", args=[dmn_application.pk])).status_code == 404


def test_r_evd_2_document_upload_on_the_page_with_and_without_javascript(
    client, applicant, dmn_application
):
    import io

    from guichet.applications.models import AdmissibilityDocument
    from tests.fixtures import PDF

    client.force_login(applicant)
    url = reverse("applications:document-upload", args=[dmn_application.pk, "gdpr_declaration"])
    handle = io.BytesIO(PDF)
    handle.name = "rgpd.pdf"
    response = client.post(url, {"file": handle, "produced_on": "2026-09-30"})
    assert response.status_code == 302 and response["Location"].endswith(
        "#field-documents.gdpr_declaration"
    )
    document = AdmissibilityDocument.objects.get()
    assert document.file.produced_on.isoformat() == "2026-09-30"
    bad = io.BytesIO(b"\x00\x01\x02 pas un document")
    bad.name = "rgpd.pdf"
    refused = client.post(url, {"file": bad}, HTTP_X_REQUESTED_WITH="fetch")
    assert refused.status_code == 415
    assert (
        "porte l'extension .pdf mais son contenu est d'un type non reconnu"
        in (refused.json()["detail"])
    )
    page = client.get(reverse("applications:form", args=[dmn_application.pk])).content.decode()
    assert "rgpd.pdf" in page and "data-upload" in page
    download = client.get(reverse("applications:file", args=[dmn_application.pk, document.file_id]))
    assert b"".join(download.streaming_content) == PDF
    client.post(
        reverse("applications:document-withdraw", args=[dmn_application.pk, document.file_id])
    )
    document.refresh_from_db()
    assert document.withdrawn_at is not None


@pytest.mark.parametrize("page", ["applications:detail", "applications:form", "evidence:page"])
def test_application_pages_have_a_plain_title_and_one_main_heading(
    client, applicant, dmn_application, page
):
    import re

    client.force_login(applicant)
    html = client.get(reverse(page, args=[dmn_application.pk])).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and dmn_application.reference in title
    outside_dialogs = re.sub(
        r"<dialog.*?</dialog>", "", html, flags=re.S
    )  # DSFR modals have their own h1
    assert outside_dialogs.count("<h1") == 1


def test_r_app_7_profile_warnings_are_shown_not_blocking(client, applicant, dmn_application):
    """DMN guide §3: the two-factor authentication of patients is a warning the applicant
    reads (its audience is everyone), not a refusal."""
    from guichet.applications.services import save_draft, submission_problems

    save_draft(
        by=applicant,
        application=dmn_application,
        data={
            "answers": {
                "professional_access": False,
                "patient_access": True,
                "creates_identities": False,
            },
            "profiles": ["general", "acces_usager"],
        },
    )
    client.force_login(applicant)
    page = client.get(reverse("applications:detail", args=[dmn_application.pk])).content.decode()
    assert "Point d&#x27;attention" in page or "Point d'attention" in page
    assert "deux facteurs" in page
    assert not submission_problems(dmn_application).violations


def test_the_step_indicator_follows_the_state_and_issued_documents_are_listed(
    client, applicant, dmn
):
    """Once complete: step 4 of 5 « Instruction », still « Recevable depuis … », and the signed
    convention and the acknowledgment listed together on the application page (issue 14 §2)."""
    application = ApplicationFactory(referential=dmn, state="complete", applicant=applicant)
    client.force_login(applicant)
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert 'Instruction<span class="fr-stepper__state">Étape 4 sur 5' in page
    assert 'data-fr-current-step="4"' in page
    assert "Recevable depuis le" in page
    documents = page[page.index("Documents délivrés") :]
    assert "Convention CONV-" in documents and "Accusé de réception du dossier complet" in documents
    draft = ApplicationFactory(referential=dmn, applicant=applicant)
    page = client.get(reverse("applications:detail", args=[draft.pk])).content.decode()
    assert "Étape 1 sur 5" in page and "Documents délivrés" not in page


def test_r_evd_2_a_refused_document_is_a_dsfr_error_of_its_file_input(
    client, applicant, dmn_application
):
    """Issue 19: a file of a refused type is the error of the input it was chosen in (its
    upload group in error, the message tied to the input), not an alert of the whole page;
    once shown, it is gone."""
    import io
    import re

    client.force_login(applicant)
    url = reverse("applications:document-upload", args=[dmn_application.pk, "gdpr_declaration"])
    bad = io.BytesIO(b"\x00\x01\x02 pas un document")
    bad.name = "rgpd.pdf"
    refused = client.post(url, {"file": bad})
    assert refused.status_code == 302
    assert refused["Location"].endswith("#field-documents.gdpr_declaration")
    page = client.get(refused["Location"]).content.decode()
    group = re.search(
        r'<div class="fr-upload-group fr-upload-group--error"[^>]*>(.*?)</div>', page, re.S
    )
    assert group is not None and 'for="file-gdpr_declaration"' in group.group(1)
    assert 'aria-describedby="file-gdpr_declaration-error"' in group.group(1)
    message = re.search(
        r'<p class="fr-error-text" id="file-gdpr_declaration-error">([^<]*)</p>', group.group(1)
    )
    assert "type non reconnu" in message.group(1)
    assert page.count("type non reconnu") == 1  # not in an alert of the page as well
    assert page.count("fr-upload-group--error") == 1  # the other documents are untouched
    again = client.get(reverse("applications:form", args=[dmn_application.pk])).content.decode()
    assert "fr-upload-group--error" not in again and "type non reconnu" not in again
    bad.seek(0)
    fetched = client.post(url, {"file": bad}, HTTP_X_REQUESTED_WITH="fetch")
    assert fetched.status_code == 415 and fetched.json()["field"] == "file-gdpr_declaration"


def test_r_app_8_the_note_a_redeposer_sits_under_its_own_document(
    client, applicant, instructor, dmn_application
):
    """Issue 19: the instructor's comment on a document to deposit again is read under that
    document's heading, before the next document."""
    from guichet.applications import review
    from tests.workflow import walk

    submitted = walk(dmn_application, "submitted", applicant=applicant, instructor=instructor)
    review.set_verdicts(
        by=instructor,
        application=submitted,
        opinions={"documents.gdpr_declaration": ("to_fix", "Déclaration non signée.")},
    )
    review.decide(by=instructor, application=submitted, decision="request_fixes")
    for user in (applicant, instructor):
        client.force_login(user)
        page = client.get(reverse("applications:form", args=[submitted.pk])).content.decode()
        own = page.index('id="title-documents.gdpr_declaration"')
        note = page.index("À redéposer : Déclaration non signée.")
        following = page.index('id="field-documents.hds_declaration"')
        previous = page.index('id="title-documents.functional_documentation"')
        assert previous < own < note < following
        assert page.count("À redéposer : Déclaration non signée.") == 1


def test_r_conv_2_once_admissible_the_page_names_the_evidence_and_who_deposits_it(
    client, applicant, instructor, dmn_admissible, tlc_admissible
):
    """The step after admissibility names the convention only where it comes before the
    evidence (DMN, R-CONV-1); TLC's comes before the collège (R-CONV-2). The agency reads that
    the applicant acts next."""
    client.force_login(instructor)
    tlc = client.get(reverse("applications:detail", args=[tlc_admissible.pk])).content.decode()
    assert "Dépôt des preuves<span" in tlc and "Convention et dépôt des preuves" not in tlc
    assert "Au candidat d'agir : il dépose ses preuves section par section" in tlc
    dmn = client.get(reverse("applications:detail", args=[dmn_admissible.pk])).content.decode()
    assert "Convention et dépôt des preuves" in dmn
    assert "une fois la convention signée, il dépose ses preuves" in dmn
    client.force_login(applicant)
    own = client.get(reverse("applications:detail", args=[tlc_admissible.pk])).content.decode()
    assert "Déposez vos preuves section par section et soumettez chacune" in own
