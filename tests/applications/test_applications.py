"""Products and applications: pathways, drafts, submission (R-APP-1 … R-APP-7, R-REF-6, R-REF-7)."""

import pytest

from guichet.applications.models import Application, Status
from guichet.applications.services import create_application, save_draft, save_product, submit
from guichet.common.errors import ApplicationError
from guichet.journal.models import JournalEntry
from tests.fixtures import (
    DMN_ANSWERS,
    DMN_PROFILES,
    complete_dmn_form,
    deposit_required_documents,
)

pytestmark = pytest.mark.django_db


def test_r_app_4_product_declares_modules_with_their_versions(product):
    assert [(m.name, m.version) for m in product.modules.all()] == [
        ("Portail web", "3.2"),
        ("App iOS", "3.2.1"),
    ]


def test_r_app_4_module_without_version_is_refused(applicant):
    with pytest.raises(ApplicationError) as refused:
        save_product(by=applicant, name="X", modules=[{"name": "Portail", "version": ""}])
    assert "version" in refused.value.extra["errors"]["modules.0"]


def test_r_app_1_one_application_per_product_version_and_referential_version(
    applicant, product, dmn, dmn_application
):
    assert dmn_application.reference.startswith("DMN-")
    with pytest.raises(ApplicationError) as refused:
        create_application(
            by=applicant,
            product=product,
            product_version="3.2",
            referential_version=dmn,
            pathway_code="nom_de_marque",
        )
    assert "existe déjà" in refused.value.extra["errors"]["product_version"]
    # Another version of the same product is another application.
    other = create_application(
        by=applicant,
        product=product,
        product_version="4.0",
        referential_version=dmn,
        pathway_code="nom_de_marque",
    )
    assert other.pk != dmn_application.pk


def test_r_app_2_closed_pathway_is_refused(applicant, product, dmn):
    with pytest.raises(ApplicationError) as refused:
        create_application(
            by=applicant,
            product=product,
            product_version="1",
            referential_version=dmn,
            pathway_code="pecan",
        )
    assert "n'est pas ouverte" in refused.value.extra["errors"]["pathway"]


def test_r_ref_7_generic_line_needs_an_available_pathology(applicant, product, dmn):
    common = {
        "by": applicant,
        "product": product,
        "product_version": "1",
        "referential_version": dmn,
        "pathway_code": "ligne_generique",
    }
    with pytest.raises(ApplicationError) as missing:
        create_application(**common)
    assert "pathologie" in missing.value.extra["errors"]["pathology"]
    with pytest.raises(ApplicationError) as coming:
        create_application(**common, pathology_code="protheses_cardiaques")
    assert "HAS5" in coming.value.extra["errors"]["pathology"]
    application = create_application(**common, pathology_code="diabete")
    assert application.pathology.specification_code == "HAS1"


def test_r_app_7_draft_saves_incomplete_and_checks_each_given_value(applicant, dmn_application):
    save_draft(
        by=applicant, application=dmn_application, data={"form": {"contact_name": "Camille"}}
    )
    dmn_application.refresh_from_db()
    assert dmn_application.form["contact_name"] == "Camille"
    with pytest.raises(ApplicationError) as refused:
        save_draft(
            by=applicant,
            application=dmn_application,
            data={
                "form": {
                    "contact_email": "pas-une-adresse",
                    "entity_id": "123",
                    "contact_name": "Autre",
                }
            },
        )
    errors = refused.value.extra["errors"]
    assert set(errors) == {"form.contact_email", "form.entity_id"}
    dmn_application.refresh_from_db()
    assert dmn_application.form["contact_name"] == "Camille"  # nothing changed


def test_r_app_7_submission_lists_every_missing_item_at_once(applicant, dmn_application):
    with pytest.raises(ApplicationError) as refused:
        submit(by=applicant, application=dmn_application)
    items = {m["item"] for m in refused.value.extra["missing"]}
    # The contact and the entity are prefilled; the rest is to give.
    assert {"legal_rep_name", "device_class", "profiles"} <= items
    assert not {"contact_email", "entity_name", "entity_id"} & items
    assert "cnda_nie" not in items  # only with an identity-referential profile
    assert Application.objects.get(pk=dmn_application.pk).status == Status.DRAFT


def test_r_app_5_nie_and_nil_required_with_an_identity_profile(applicant, dmn_application):
    save_draft(
        by=applicant,
        application=dmn_application,
        data={
            "form": complete_dmn_form(),
            "profiles": ["general", "referentiel_identite", "ri_etablissement_sante"],
        },
    )
    with pytest.raises(ApplicationError) as refused:
        submit(by=applicant, application=dmn_application)
    items = {m["item"] for m in refused.value.extra["missing"]}
    assert {"cnda_nie", "cnda_nil"} <= items


def test_r_app_7_profile_rule_violations_block_submission(applicant, dmn_application):
    save_draft(
        by=applicant,
        application=dmn_application,
        data={
            "form": complete_dmn_form(),
            "answers": {**DMN_ANSWERS, "professional_access": True},
            "profiles": ["general"],
        },
    )
    with pytest.raises(ApplicationError) as refused:
        submit(by=applicant, application=dmn_application)
    assert refused.value.extra["violations"]


def test_r_ref_6_profiles_are_final_after_submission(applicant, dmn_application):
    save_draft(
        by=applicant,
        application=dmn_application,
        data={"form": complete_dmn_form(), "answers": DMN_ANSWERS, "profiles": DMN_PROFILES},
    )
    with pytest.raises(ApplicationError) as refused:
        submit(by=applicant, application=dmn_application)
    assert {m["item"] for m in refused.value.extra["missing"]} == {
        "documents.functional_documentation",
        "documents.gdpr_declaration",
        "documents.hds_declaration",
        "documents.hds_host_certificate",
        "documents.ce_declaration",
        "documents.notified_body_certificate",
    }
    deposit_required_documents(dmn_application, applicant)
    submit(by=applicant, application=dmn_application)
    dmn_application.refresh_from_db()
    assert dmn_application.status == Status.SUBMITTED and dmn_application.profiles_final
    with pytest.raises(ApplicationError, match="soumise"):
        save_draft(
            by=applicant,
            application=dmn_application,
            data={"profiles": ["general", "acces_usager"]},
        )
    dmn_application.refresh_from_db()
    assert dmn_application.profiles == DMN_PROFILES
    assert JournalEntry.objects.filter(
        action="application.submit", application_id=str(dmn_application.pk)
    ).exists()


def test_r_app_4_form_naming_another_version_is_shown(applicant, dmn_application):
    save_draft(
        by=applicant,
        application=dmn_application,
        data={
            "form": complete_dmn_form(software_version="3.1"),
            "answers": DMN_ANSWERS,
            "profiles": DMN_PROFILES,
        },
    )
    with pytest.raises(ApplicationError) as refused:
        submit(by=applicant, application=dmn_application)
    assert "3.1" in refused.value.extra["version_mismatches"][0]


def test_r_app_3_group_names_its_members_and_carries_a_mandate_for_each(applicant, dmn_application):
    import io

    from guichet.applications.services import add_document
    from guichet.files.uploads import upload_from_stream
    from tests.fixtures import PDF

    with pytest.raises(ApplicationError) as refused:
        save_draft(
            by=applicant,
            application=dmn_application,
            data={"is_group": True, "group_members": [{"name": "Membre A", "company_id": "123"}]},
        )
    assert "Membre 1" in refused.value.extra["errors"]["group_members"]
    save_draft(
        by=applicant,
        application=dmn_application,
        data={
            "form": complete_dmn_form(),
            "answers": DMN_ANSWERS,
            "profiles": DMN_PROFILES,
            "is_group": True,
            "group_members": [
                {"name": "Membre A", "company_id": "552 100 554"},
                {"name": "Membre B", "company_id": "FR40303265045"},
            ],
        },
    )
    deposit_required_documents(dmn_application, applicant)  # one mandate file
    with pytest.raises(ApplicationError) as missing:
        submit(by=applicant, application=dmn_application)
    assert any("un mandat par membre" in m["detail"] for m in missing.value.extra["missing"])
    add_document(
        by=applicant,
        application=dmn_application,
        item="mandates",
        upload=upload_from_stream(io.BytesIO(PDF), "mandat-b.pdf"),
    )
    submit(by=applicant, application=dmn_application)


def test_r_app_4_version_update_shows_every_document_naming_another_version(
    api, applicant, dmn_application
):
    import io

    from tests.fixtures import PDF

    api.force_authenticate(applicant)
    handle = io.BytesIO(PDF)
    handle.name = "doc-3.2.pdf"
    api.post(
        f"/api/v1/applications/{dmn_application.pk}/documents/functional_documentation/files",
        {"file": handle},
        format="multipart",
    )
    response = api.post(
        f"/api/v1/applications/{dmn_application.pk}/version",
        {"product_version": "3.3"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["product_version"] == "3.3"
    assert any("doc-3.2.pdf" in text and "3.2" in text for text in body["version_mismatches"])
    dmn_application.refresh_from_db()
    assert dmn_application.form["software_version"] == "3.3"
    assert JournalEntry.objects.filter(action="application.version").exists()


@pytest.fixture
def tlc_application(applicant, product, tlc):
    return create_application(
        by=applicant,
        product=product,
        product_version="3.2",
        referential_version=tlc,
        pathway_code="teleconsultation",
    )


def test_r_app_6_tlc_form_asks_a_siret_or_vat_not_a_siren(applicant, tlc_application):
    with pytest.raises(ApplicationError) as refused:
        save_draft(
            by=applicant, application=tlc_application, data={"form": {"entity_id": "732829320"}}
        )
    assert "SIRET" in refused.value.extra["errors"]["form.entity_id"]
    save_draft(
        by=applicant, application=tlc_application, data={"form": {"entity_id": "732 829 320 00017"}}
    )
    save_draft(
        by=applicant, application=tlc_application, data={"form": {"entity_id": "FR40303265045"}}
    )
    tlc_application.refresh_from_db()
    assert tlc_application.form["entity_id"] == "FR40303265045"


def open_commitment_window(version, until="2027-06-30"):
    """The version's exceptional certificate window (R-CRT-4) open until `until`, as a later
    arrêté would set it: the setting the TLC commitment of R-APP-6 follows."""
    version.process = {
        **version.process,
        "exceptional_certificate": {
            **version.process["exceptional_certificate"],
            "from": "2026-07-01",
            "until": until,
        },
    }
    version.save(update_fields=["process"])


def test_r_app_6_tlc_form_fields_and_conditional_documents(api, applicant, tlc, tlc_application):
    from guichet.applications.admissibility import missing_items
    from guichet.applications.services import present_documents

    open_commitment_window(tlc)
    items = {m["item"] for m in missing_items(tlc_application, present_documents(tlc_application))}
    assert {
        "teleconsultation_company",
        "all_proofs_available",
        "planned_complete_date",
        "publish_planned_date",
    } <= items
    assert "documents.functional_documentation" in items
    assert "documents.commitment" not in items and "device_class" not in items  # DMN only
    save_draft(
        by=applicant,
        application=tlc_application,
        data={
            "form": {
                "all_proofs_available": False,
                "components": [
                    {
                        "name": "Module visio",
                        "version": "1.0",
                        "nie": "NIE-1",
                        "nil": "",
                        "description": "Visio",
                    }
                ],
            },
            "profiles": ["general", "referentiel_identite", "hds_tiers"],
        },
    )
    tlc_application.refresh_from_db()
    assert tlc_application.form["components"][0]["nie"] == "NIE-1"
    api.force_authenticate(applicant)
    listed = {
        d["item"]: d["required"]
        for d in api.get(f"/api/v1/applications/{tlc_application.pk}/documents/").json()
    }
    assert listed["commitment"] is True  # cannot provide every proof: a commitment
    items = {m["item"] for m in missing_items(tlc_application, present_documents(tlc_application))}
    assert {"cnda_nie", "cnda_nil", "documents.commitment"} <= items  # identity profile chosen


def test_r_app_6_the_commitment_is_not_offered_once_its_window_has_closed(
    api, client, applicant, tlc_application
):
    """The shipped TLC version's window ended on 31 December 2024 (R-CRT-4), long before
    today: neither the question nor the commitment is offered, on the page or the API."""
    import io

    from django.urls import reverse

    from guichet.applications.admissibility import commitment_deadline, missing_items
    from guichet.applications.services import present_documents
    from tests.fixtures import PDF

    assert commitment_deadline(tlc_application) is None
    save_draft(by=applicant, application=tlc_application, data={"form": {"contact_name": "A"}})
    items = {m["item"] for m in missing_items(tlc_application, present_documents(tlc_application))}
    assert "all_proofs_available" not in items and "documents.commitment" not in items
    client.force_login(applicant)
    page = client.get(reverse("applications:form", args=[tlc_application.pk])).content.decode()
    assert "Engagement" not in page and "toutes les preuves attendues" not in page
    assert 'name="all_proofs_available"' not in page
    api.force_authenticate(applicant)
    listed = api.get(f"/api/v1/applications/{tlc_application.pk}/documents/").json()
    assert "commitment" not in {d["item"] for d in listed}
    handle = io.BytesIO(PDF)
    handle.name = "engagement.pdf"
    refused = api.post(
        f"/api/v1/applications/{tlc_application.pk}/documents/commitment/files",
        {"file": handle},
        format="multipart",
    )
    assert refused.status_code == 409 and "n'est plus demandé" in refused.json()["detail"]


def test_r_app_6_the_commitment_names_the_end_of_the_window_in_french(
    client, applicant, tlc, tlc_application
):
    """While the window is open, the commitment is offered to an applicant that cannot provide
    every proof, dated by the version's setting (not by the code)."""
    import datetime as dt

    from django.urls import reverse

    from guichet.applications.admissibility import documents_of
    from guichet.applications.clock import as_of

    with as_of(dt.date(2024, 9, 1)):  # the arrêté's window, as shipped
        (commitment,) = [d for d in documents_of(tlc_application) if d.key == "commitment"]
        assert commitment.label.endswith("au plus tard le 31 décembre 2024")
        assert commitment.is_offered(tlc_application)
    open_commitment_window(tlc, until="2027-06-30")  # a later arrêté's window
    tlc_application.refresh_from_db()
    save_draft(
        by=applicant, application=tlc_application, data={"form": {"all_proofs_available": False}}
    )
    client.force_login(applicant)
    page = client.get(reverse("applications:form", args=[tlc_application.pk])).content.decode()
    assert 'name="all_proofs_available"' in page
    assert "Engagement à obtenir le certificat complet au plus tard le 30 juin 2027" in page
    assert "31/12/2024" not in page and "31 décembre 2024" not in page
    detail = client.get(reverse("applications:detail", args=[tlc_application.pk])).content.decode()
    assert "Engagement à obtenir le certificat complet au plus tard le 30 juin 2027" in detail


def test_a_new_application_form_is_prefilled_with_what_registration_collected(
    api, support, catalogue, django_capture_on_commit_callbacks
):
    """The entity, its SIREN, its legal representative (from the approved account request)
    and the person filing as contact (issue 14 §2); a TLC form asks a SIRET: not prefilled."""
    from guichet.accounts.models import User
    from guichet.applications.services import create_application, save_product
    from guichet.referentials.selectors import get_version
    from tests.accounts.test_registration import GOOD as REQUEST
    from tests.accounts.test_registration import pending_id, submit

    submit(api)
    api.force_authenticate(support)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/v1/registrations/{pending_id()}/approve")
    responsible = User.objects.get(email=REQUEST["responsible_email"])
    product = save_product(by=responsible, name="TéléSuivi", modules=[])
    dmn = create_application(
        by=responsible,
        product=product,
        product_version="1.0",
        referential_version=get_version("DMN", "1.2.2"),
        pathway_code="nom_de_marque",
    )
    assert dmn.form["entity_name"] == responsible.organisation.name
    assert dmn.form["entity_id"] == responsible.organisation.siren
    assert dmn.form["legal_rep_email"] == REQUEST["legal_rep_email"]
    assert dmn.form["contact_email"] == responsible.email
    tlc = create_application(
        by=responsible,
        product=product,
        product_version="1.0",
        referential_version=get_version("TLC", "1.4.2"),
        pathway_code="teleconsultation",
    )
    assert "entity_id" not in tlc.form and tlc.form["entity_name"] == responsible.organisation.name
