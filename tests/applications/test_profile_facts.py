"""R-REF-8: the profiles match the product. A fact that the admissibility form and the profiles'
questionnaire both hold is one answer; at admissibility the profiles are an item like any other,
and a correction asked on them reopens the choice."""

import pytest
from django.urls import reverse

from guichet.applications import admissibility, review
from guichet.applications.models import Status
from guichet.applications.services import create_application, save_draft, submit
from guichet.common.errors import ApplicationError
from tests.fixtures import (
    DMN_ANSWERS,
    complete_dmn_form,
    complete_tlc_form,
    deposit_required_documents,
)
from tests.workflow import walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def tlc_application(applicant, product, tlc):
    return create_application(
        by=applicant,
        product=product,
        product_version="3.2",
        referential_version=tlc,
        pathway_code="teleconsultation",
    )


def test_r_ref_8_patient_access_on_the_form_makes_acces_usager_mandatory(
    applicant, dmn_application
):
    """DMN guide §3: « Le profil « Accès Usager » est à sélectionner obligatoirement dès lors
    que la solution possède un accès patient. » The form's « accès patient » = oui is that fact:
    the questionnaire is answered by it and the submission asks for « Accès Usager »."""
    save_draft(
        by=applicant,
        application=dmn_application,
        data={"form": complete_dmn_form(patient_access=True), "profiles": ["general"]},
    )
    deposit_required_documents(dmn_application, applicant)
    dmn_application.refresh_from_db()
    assert dmn_application.answers == {"patient_access": True}  # the questionnaire prefilled

    with pytest.raises(ApplicationError) as refused:
        submit(by=applicant, application=dmn_application)
    missing = [v["profile"] for v in refused.value.extra["violations"] if "profile" in v]
    assert missing == ["acces_usager"]
    dmn_application.refresh_from_db()
    assert dmn_application.status == Status.DRAFT

    save_draft(
        by=applicant, application=dmn_application, data={"profiles": ["general", "acces_usager"]}
    )
    assert submit(by=applicant, application=dmn_application).status == Status.SUBMITTED


def test_r_ref_8_form_and_questionnaire_cannot_disagree(applicant, dmn_application):
    """One fact is asked once and feeds both: given differently on both sides at once it is
    refused and nothing changes; given on one side, the other follows."""
    with pytest.raises(ApplicationError) as refused:
        save_draft(
            by=applicant,
            application=dmn_application,
            data={"form": {"patient_access": True}, "answers": DMN_ANSWERS},
        )
    assert (
        "un même fait ne peut avoir deux réponses"
        in refused.value.extra["errors"]["form.patient_access"]
    )
    dmn_application.refresh_from_db()
    assert dmn_application.answers == {} and "patient_access" not in dmn_application.form

    # The questionnaire says no: the form follows.
    save_draft(by=applicant, application=dmn_application, data={"answers": DMN_ANSWERS})
    dmn_application.refresh_from_db()
    assert dmn_application.form["patient_access"] is False
    # The form says yes later: the questionnaire follows (and the profiles are then checked).
    save_draft(by=applicant, application=dmn_application, data={"form": {"patient_access": True}})
    dmn_application.refresh_from_db()
    assert dmn_application.answers["patient_access"] is True
    assert admissibility.fact_conflicts(dmn_application) == []


def test_r_ref_8_tlc_teleconsultation_company_is_the_deployment_answer(applicant, tlc_application):
    """TLC guide §4.2 asks « Le logiciel est-il déployé en société de téléconsultation (médecins
    salariés) ? » and the §3 use-case table sets the profiles by deployment: the two answers
    are one fact."""
    with pytest.raises(ApplicationError) as refused:
        save_draft(
            by=applicant,
            application=tlc_application,
            data={
                "form": {"teleconsultation_company": True},
                "answers": {"deployment": "etablissement_sante", "hds_host": "tiers_certifie"},
            },
        )
    assert (
        "En établissement de santé"
        in refused.value.extra["errors"]["form.teleconsultation_company"]
    )

    # « Oui » on the form answers the deployment question: the société row of the table.
    save_draft(
        by=applicant,
        application=tlc_application,
        data={
            "form": complete_tlc_form(teleconsultation_company=True),
            "profiles": ["general", "esclave_identite", "ri_insi_cv", "hds_tiers"],
        },
    )
    deposit_required_documents(tlc_application, applicant)
    tlc_application.refresh_from_db()
    assert tlc_application.answers == {"deployment": "societe_teleconsultation"}
    with pytest.raises(ApplicationError) as refused:
        submit(by=applicant, application=tlc_application)
    missing = [v["profile"] for v in refused.value.extra["violations"] if "profile" in v]
    assert missing == ["referentiel_identite"]

    # « Non » leaves the deployment to choose between the two others.
    save_draft(
        by=applicant,
        application=tlc_application,
        data={"form": {"teleconsultation_company": False}},
    )
    tlc_application.refresh_from_db()
    assert "deployment" not in tlc_application.answers
    save_draft(
        by=applicant,
        application=tlc_application,
        data={"answers": {"deployment": "medecine_ville", "hds_host": "tiers_certifie"}},
    )
    tlc_application.refresh_from_db()
    assert tlc_application.form["teleconsultation_company"] is False


def test_r_ref_8_the_page_asks_the_fact_once(client, applicant, dmn_application):
    """The form page asks « accès patient » in the questionnaire only, and says so."""
    client.force_login(applicant)
    page = client.get(reverse("applications:form", args=[dmn_application.pk])).content.decode()
    assert 'name="patient_access"' not in page
    assert 'name="q-patient_access"' in page
    assert "un même fait ne se déclare qu" in page

    response = client.post(
        reverse("applications:form", args=[dmn_application.pk]),
        {
            "q-professional_access": "false",
            "q-patient_access": "true",
            "q-creates_identities": "false",
        },
    )
    assert response.status_code == 302
    dmn_application.refresh_from_db()
    assert dmn_application.form["patient_access"] is True
    assert "acces_usager" in dmn_application.profiles


def test_r_ref_8_profiles_reviewed_like_any_item_and_a_correction_reopens_the_choice(
    client, applicant, instructor, dmn_application
):
    """Both guides §5.1: « L'ANS se réserve le droit de contrôler que les profils choisis par le
    candidat sont cohérents avec la description fonctionnelle ». The instructor judges the
    profiles as an item; a correction asked on them reopens the choice until the next
    submission, and only then (R-REF-6)."""
    application = walk(dmn_application, "submitted", applicant=applicant, instructor=instructor)
    items = {entry["item"]: entry for entry in review.reviewable_items(application)}
    assert "profiles" in items and "patient_access" not in items  # judged with the profiles
    assert "Général" in items["profiles"]["display"]
    assert (
        "Le produit offre-t-il un accès aux patients (usagers) ? — Non"
        in items["profiles"]["display"]
    )
    # Not admissible while the profiles await an opinion.
    review.set_verdicts(
        by=instructor,
        application=application,
        opinions={k: ("conforme", "") for k in items if k != "profiles"},
    )
    with pytest.raises(ApplicationError):
        review.decide(by=instructor, application=application, decision="admissible")
    # A correction asked on another item leaves the choice final.
    with pytest.raises(ApplicationError):
        review.set_verdict(
            by=instructor, application=application, item="profiles", verdict="to_fix"
        )  # a correction says what to correct
    review.set_verdict(
        by=instructor,
        application=application,
        item="profiles",
        verdict="to_fix",
        comment="La documentation décrit un portail patient : « Accès Usager » manque.",
    )
    review.decide(by=instructor, application=application, decision="request_fixes")
    application.refresh_from_db()
    assert application.status == Status.TO_FIX
    assert application.profiles_reopened and not application.profiles_final

    client.force_login(applicant)
    page = client.get(reverse("applications:form", args=[application.pk])).content.decode()
    assert "Le choix des profils est rouvert" in page
    assert (
        'name="q-patient_access"' in page
        and "disabled" not in page.split('name="q-patient_access"')[1].split(">")[0]
    )

    # Only the flagged item changes: the profiles and the facts they rest on.
    with pytest.raises(ApplicationError):
        save_draft(by=applicant, application=application, data={"form": {"contact_name": "Autre"}})
    save_draft(
        by=applicant,
        application=application,
        data={"answers": DMN_ANSWERS | {"patient_access": True}},
    )
    application.refresh_from_db()
    assert application.profiles == ["general", "acces_usager"]
    assert application.form["patient_access"] is True
    submit(by=applicant, application=application)
    application.refresh_from_db()
    assert application.profiles_final and not application.profiles_reopened
    with pytest.raises(ApplicationError):
        save_draft(by=applicant, application=application, data={"profiles": ["general"]})


def test_r_ref_8_profiles_stay_final_when_another_item_is_to_fix(
    applicant, instructor, dmn_application
):
    """R-REF-6: a correction asked on another item does not reopen the choice."""
    application = walk(dmn_application, "to_fix", applicant=applicant, instructor=instructor)
    assert application.profiles_final and not application.profiles_reopened
    with pytest.raises(ApplicationError) as refused:
        save_draft(
            by=applicant,
            application=application,
            data={"answers": DMN_ANSWERS | {"patient_access": True}},
        )
    assert "définitif" in refused.value.extra["errors"]["answers"]
    with pytest.raises(ApplicationError):
        save_draft(by=applicant, application=application, data={"form": {"patient_access": True}})


def test_r_ref_8_api_lists_the_profiles_item_and_takes_its_verdict(
    api, applicant, instructor, dmn_application
):
    """The profiles item in the review's API, with its verdict."""
    application = walk(dmn_application, "submitted", applicant=applicant, instructor=instructor)
    api.force_authenticate(instructor)
    base = f"/api/v1/applications/{application.pk}/admissibility/"
    listed = api.get(base).json()
    assert "profiles" in [item["item"] for item in listed["items"]]
    answer = api.post(
        f"{base}profiles/verdict",
        {"verdict": "à préciser", "comment": "Profils incohérents."},
        format="json",
    )
    assert answer.status_code in (200, 201), answer.content
    assert review.items_to_fix(application) == {"profiles": "Profils incohérents."}


def _tlc_component(**overrides):
    return {"name": "Module agenda", "version": "2.0", "description": "Prise de rendez-vous."} | (
        overrides
    )


def test_r_app_6_component_nie_required_when_an_ri_profile_is_chosen(applicant, tlc_application):
    """TLC guide §4.2, « Si composant additionnel du SI de téléconsultation candidat » : the
    « Numéro d'identification éditeur (NIE) de l'Editeur délivré par le CNDA, nécessaire en
    fonction du profil choisi (profil RI) »."""
    save_draft(
        by=applicant,
        application=tlc_application,
        data={
            "form": complete_tlc_form(teleconsultation_company=True)
            | {"components": [_tlc_component()]},
            "answers": {"deployment": "societe_teleconsultation", "hds_host": "tiers_certifie"},
        },
    )
    deposit_required_documents(tlc_application, applicant)
    tlc_application.refresh_from_db()
    assert "referentiel_identite" in tlc_application.profiles
    with pytest.raises(ApplicationError) as refused:
        submit(by=applicant, application=tlc_application)
    missing = {item["item"]: item["label"] for item in refused.value.extra["missing"]}
    assert missing == {"components.0.nie": "Composant 1 — NIE"}

    save_draft(
        by=applicant,
        application=tlc_application,
        data={"form": {"components": [_tlc_component(nie="NIE-0002")]}},
    )
    assert submit(by=applicant, application=tlc_application).status == Status.SUBMITTED


def test_r_app_6_component_nie_not_asked_without_an_ri_profile(applicant, tlc_application):
    """Without a profile « RI » (Référentiel d'identité, RI récupération INSi par CV), the
    component's NIE is not required."""
    save_draft(
        by=applicant,
        application=tlc_application,
        data={
            "form": complete_tlc_form() | {"components": [_tlc_component()]},
            "profiles": ["general", "esclave_identite", "hds_tiers"],
        },
    )
    tlc_application.refresh_from_db()
    items = [item["item"] for item in admissibility.missing_items(tlc_application)]
    assert "components.0.nie" not in items and "components.0.name" not in items
    save_draft(
        by=applicant,
        application=tlc_application,
        data={"profiles": ["general", "esclave_identite", "ri_insi_cv", "hds_tiers"]},
    )
    tlc_application.refresh_from_db()
    assert "components.0.nie" in [i["item"] for i in admissibility.missing_items(tlc_application)]


def test_r_app_6_dmn_components_have_no_nie(applicant, dmn_application):
    """R-APP-5: a DMN component has a name, a version, a NIL if any and a description; the NIE
    is TLC's only, so an identity profile does not ask for it."""
    save_draft(
        by=applicant,
        application=dmn_application,
        data={
            "form": {"components": [_tlc_component(nie="NIE-0002")]},
            "profiles": ["general", "referentiel_identite", "ri_etablissement_sante"],
        },
    )
    dmn_application.refresh_from_db()
    assert dmn_application.form["components"] == [
        {
            "name": "Module agenda",
            "version": "2.0",
            "nil": "",
            "description": "Prise de rendez-vous.",
        }
    ]
    assert not any(
        i["item"].startswith("components.") for i in admissibility.missing_items(dmn_application)
    )


def test_r_ref_8_a_missing_fact_points_to_the_questionnaire(client, applicant, tlc_application):
    """Until the questionnaire says where the system is deployed, the submission lists the
    form's « société de téléconsultation » as to answer there, and the link lands on it."""
    missing = {m["item"]: m for m in admissibility.missing_items(tlc_application)}
    assert missing["teleconsultation_company"]["detail"] == (
        "à renseigner dans le questionnaire des profils"
    )
    assert missing["contact_phone"]["detail"] == "à renseigner"
    client.force_login(applicant)
    page = client.get(reverse("applications:form", args=[tlc_application.pk])).content.decode()
    assert 'id="field-teleconsultation_company"' in page
    assert 'name="teleconsultation_company"' not in page and 'name="q-deployment"' in page
