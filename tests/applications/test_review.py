"""The admissibility review (R-APP-8): opinions per item, fixes limited to what is flagged,
recevable only when every item is conforme, non recevable with reasons, emails each step."""

import html
import io

import pytest
from django.core import mail

from guichet.accounts.models import Role
from guichet.applications.models import Status
from guichet.applications.services import save_draft, submit
from guichet.common.errors import ApplicationError
from tests.conftest import make_staff
from tests.fixtures import (
    DMN_ANSWERS,
    DMN_PROFILES,
    PDF,
    complete_dmn_form,
    deposit_required_documents,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(applicant, dmn_application, django_capture_on_commit_callbacks):
    save_draft(
        by=applicant,
        application=dmn_application,
        data={"form": complete_dmn_form(), "answers": DMN_ANSWERS, "profiles": DMN_PROFILES},
    )
    deposit_required_documents(dmn_application, applicant)
    with django_capture_on_commit_callbacks(execute=True):
        submit(by=applicant, application=dmn_application)
    dmn_application.refresh_from_db()
    return dmn_application


def items(api, application):
    return api.get(f"/api/v1/applications/{application.pk}/admissibility/").json()["items"]


def verdict(api, application, item, value, comment=""):
    return api.post(
        f"/api/v1/applications/{application.pk}/admissibility/{item}/verdict",
        {"verdict": value, "comment": comment},
        format="json",
    )


def decide(api, application, decision, reasons=""):
    return api.post(
        f"/api/v1/applications/{application.pk}/admissibility/decision",
        {"decision": decision, "reasons": reasons},
        format="json",
    )


def test_r_app_8_submission_emails_the_applicant_and_the_instructors(instructor, submitted):
    subjects = {message.subject: message.to for message in mail.outbox}
    applicant_mail = next(
        to for subject, to in subjects.items() if "candidature soumise" in subject
    )
    assert "resp@telesante.fr" in applicant_mail
    agency_mail = next(
        to for subject, to in subjects.items() if "recevabilité à examiner" in subject
    )
    assert instructor.email in agency_mail


def test_r_app_8_recevable_only_when_every_item_is_conforme(
    api, instructor, submitted, django_capture_on_commit_callbacks
):
    api.force_authenticate(instructor)
    listed = items(api, submitted)
    assert {"legal_rep_name", "documents.functional_documentation"} <= {i["item"] for i in listed}
    refused = decide(api, submitted, "admissible")
    assert refused.status_code == 409 and refused.json()["unreviewed"]
    for entry in listed:
        assert verdict(api, submitted, entry["item"], "conforme").status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(api, submitted, "admissible")
    assert response.status_code == 200 and response.json()["status"] == Status.ADMISSIBLE
    notice = next(m for m in mail.outbox if "recevable" in m.subject)
    assert "convention" in notice.body


def test_r_app_8_flagged_items_only_are_fixed_then_resubmitted(
    api, instructor, applicant, submitted, django_capture_on_commit_callbacks
):
    api.force_authenticate(instructor)
    assert (
        verdict(api, submitted, "contact_phone", "to_fix").status_code == 400
    )  # a comment is required
    verdict(
        api, submitted, "contact_phone", "to_fix", "Numéro injoignable : donnez une ligne directe."
    )
    verdict(api, submitted, "documents.gdpr_declaration", "to_fix", "Déclaration non signée.")
    with django_capture_on_commit_callbacks(execute=True):
        assert decide(api, submitted, "request_fixes").status_code == 200
    assert (
        "Numéro injoignable" in mail.outbox[-1].body
        and "Déclaration non signée" in mail.outbox[-1].body
    )
    # The applicant sees only the flagged items.
    api.force_authenticate(applicant)
    assert {i["item"] for i in items(api, submitted)} == {
        "contact_phone",
        "documents.gdpr_declaration",
    }
    url = f"/api/v1/applications/{submitted.pk}/"
    other = api.patch(url, {"form": {"contact_name": "Quelqu'un d'autre"}}, format="json")
    assert (
        other.status_code == 400
        and "n'est pas à corriger" in other.json()["errors"]["form.contact_name"]
    )
    profiles = api.patch(url, {"profiles": ["general", "acces_usager"]}, format="json")
    assert profiles.status_code == 400 and "définitif" in profiles.json()["errors"]["profiles"]
    assert (
        api.patch(url, {"form": {"contact_phone": "01 99 88 77 66"}}, format="json").status_code
        == 200
    )
    not_flagged = io.BytesIO(PDF)
    not_flagged.name = "doc.pdf"
    refused = api.post(
        f"/api/v1/applications/{submitted.pk}/documents/ce_declaration/files",
        {"file": not_flagged},
        format="multipart",
    )
    assert refused.status_code == 409
    # The flagged document must be deposited again before resubmitting.
    early = api.post(f"/api/v1/applications/{submitted.pk}/submit")
    assert early.status_code == 400 and "documents.gdpr_declaration" in {
        m["item"] for m in early.json()["missing"]
    }
    fixed = io.BytesIO(PDF + b"% signed\n")
    fixed.name = "rgpd-signee.pdf"
    assert (
        api.post(
            f"/api/v1/applications/{submitted.pk}/documents/gdpr_declaration/files",
            {"file": fixed},
            format="multipart",
        ).status_code
        == 201
    )
    resubmitted = api.post(f"/api/v1/applications/{submitted.pk}/submit")
    assert resubmitted.status_code == 200 and resubmitted.json()["status"] == Status.SUBMITTED


def test_r_app_8_not_admissible_needs_reasons(
    api, instructor, submitted, django_capture_on_commit_callbacks
):
    api.force_authenticate(instructor)
    assert decide(api, submitted, "not_admissible").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(
            api, submitted, "not_admissible", "Le produit n'est pas un dispositif médical."
        )
    assert response.json()["status"] == Status.NOT_ADMISSIBLE
    assert "n'est pas un dispositif médical" in mail.outbox[-1].body


@pytest.mark.parametrize("role", [Role.COMMITTEE, Role.SUPPORT])
def test_r_act_1_committee_and_support_cannot_instruct(api, submitted, role):
    api.force_authenticate(make_staff(f"{role}@agence.test", role))
    assert verdict(api, submitted, "contact_name", "conforme").status_code == 403
    assert decide(api, submitted, "not_admissible", "x").status_code == 403


def test_r_app_8_applicant_cannot_judge_their_own_application(api, applicant, submitted):
    api.force_authenticate(applicant)
    assert verdict(api, submitted, "contact_name", "conforme").status_code == 403


def test_r_app_8_review_page_saves_opinions_and_decides(client, instructor, applicant, submitted):
    from django.urls import reverse

    client.force_login(instructor)
    page = client.get(reverse("applications:review", args=[submitted.pk])).content.decode()
    assert "Avis par élément" in page and "functional_documentation.pdf" in page
    # A "to fix" without comment refuses the whole batch.
    refused = client.post(
        reverse("applications:review", args=[submitted.pk]),
        {"verdict-contact_name": "conforme", "verdict-contact_phone": "to_fix"},
        follow=True,
    )
    assert "Aucun avis n&#x27;a été enregistré" in refused.content.decode()
    assert not submitted.verdicts.exists()
    client.post(
        reverse("applications:review", args=[submitted.pk]),
        {
            "verdict-contact_name": "conforme",
            "verdict-contact_phone": "to_fix",
            "comment-contact_phone": "Ligne directe ?",
        },
    )
    assert submitted.verdicts.count() == 2
    client.post(
        reverse("applications:decision", args=[submitted.pk]), {"decision": "request_fixes"}
    )
    submitted.refresh_from_db()
    assert submitted.status == Status.TO_FIX
    # The applicant's form: only the flagged field is open.
    client.force_login(applicant)
    form = client.get(reverse("applications:form", args=[submitted.pk])).content.decode()
    assert "Ligne directe ?" in form
    import re

    name_input = re.search(r'<input[^>]*name="contact_name"[^>]*>', form).group(0)
    phone_input = re.search(r'<input[^>]*name="contact_phone"[^>]*>', form).group(0)
    assert "disabled" in name_input and "disabled" not in phone_input
    detail = client.get(reverse("applications:detail", args=[submitted.pk])).content.decode()
    assert "À corriger" in detail and "Ligne directe ?" in detail


def test_r_app_8_verdicts_accept_the_guides_words(api, instructor, submitted):
    api.force_authenticate(instructor)
    response = verdict(api, submitted, "contact_phone", "non_conforme", "Numéro à vérifier.")
    assert response.status_code == 201 and response.json()["verdict"] == "to_fix"
    assert verdict(api, submitted, "contact_name", "peut-être").status_code == 400


def test_r_aud_1_agency_actions_are_journaled_under_the_applicant_organisation(
    api, instructor, submitted
):
    from guichet.journal.models import JournalEntry

    api.force_authenticate(instructor)
    verdict(api, submitted, "contact_name", "conforme")
    entry = JournalEntry.objects.get(action="admissibility.verdict")
    assert entry.organisation == str(submitted.organisation_id)
    assert entry.actor_email == instructor.email and entry.application_id == str(submitted.pk)


def test_the_review_page_shows_dates_and_choices_as_people_read_them(client, instructor, submitted):
    """« 1er mars 2027 », not 2027-03-01; « Oui » / « Non »; a choice's label (issue 14 §2)."""
    from django.urls import reverse

    client.force_login(instructor)
    page = client.get(reverse("applications:review", args=[submitted.pk])).content.decode()
    assert "1er mars 2027" in page and "2027-03-01" not in page


def test_the_instructor_declares_the_remaining_items_conforme_at_once_after_confirming(
    client, instructor, submitted
):
    """23 items one click each is too many: « tout conforme » for those without a verdict of
    this round, the ones chosen in the form kept as they are; nothing without the confirmation
    (issue 14 §2)."""
    from django.urls import reverse

    from guichet.applications.review import latest_verdicts, reviewable_items

    client.force_login(instructor)
    url = reverse("applications:review", args=[submitted.pk])
    refused = client.post(url, {"all_conforme": "1"}, follow=True)
    assert "Cochez la case de confirmation" in refused.content.decode()
    assert latest_verdicts(submitted) == {}
    client.post(
        url,
        {
            "all_conforme": "1",
            "confirm_all": "on",
            "verdict-contact_phone": "to_fix",
            "comment-contact_phone": "Ce numéro ne répond pas.",
        },
    )
    verdicts = latest_verdicts(submitted)
    items = [entry["item"] for entry in reviewable_items(submitted)]
    assert set(verdicts) == set(items)
    assert verdicts["contact_phone"].verdict == "to_fix"
    assert {v.verdict for item, v in verdicts.items() if item != "contact_phone"} == {"conforme"}


def test_r_app_8_round_two_counts_agree_on_the_review_page_and_in_the_decision(
    client, instructor, applicant, submitted
):
    """Round 2 (issue 19): the items found conforme in round 1 stay examined; the item the
    applicant corrected awaits a new opinion. The page's count, its « tout conforme » and the
    decision's refusal say the same, from one selector (review.review_progress)."""
    import re

    from django.urls import reverse

    from guichet.applications.review import decide, review_progress, set_verdicts

    set_verdicts(
        by=instructor,
        application=submitted,
        opinions=review_with_one_to_fix(submitted),
    )
    decide(by=instructor, application=submitted, decision="request_fixes")
    save_draft(
        by=applicant, application=submitted, data={"form": {"contact_phone": "01 99 88 77 66"}}
    )
    submit(by=applicant, application=submitted)
    submitted.refresh_from_db()
    assert submitted.review_round == 2

    progress = review_progress(submitted)
    total = progress.total
    assert progress.unjudged == ["contact_phone"] and progress.to_fix == {}
    assert progress.examined == progress.conforme == total - 1

    client.force_login(instructor)
    url = reverse("applications:review", args=[submitted.pk])
    page = html.unescape(client.get(url).content.decode())
    assert f"tour d'examen n° 2 — {total - 1} / {total} éléments examinés" in page
    assert "l'élément sans avis de ce tour est conforme" in page
    assert "Déclarer conforme l'élément restant" in page
    assert "Tour 1 : à redéposer / à préciser (Ce numéro ne répond pas.)" in page
    # The corrected item's former opinion is not offered again as this round's.
    phone = re.search(r'<input[^>]*name="verdict-contact_phone"[^>]*value="to_fix"[^>]*>', page)
    assert "checked" not in phone.group(0)
    with pytest.raises(ApplicationError) as refused:
        decide(by=instructor, application=submitted, decision="admissible")
    assert "1 élément sans avis, 0 à corriger" in refused.value.message
    assert refused.value.extra["unreviewed"] == ["contact_phone"]
    # Saving the page as it is records nothing new: the settled opinions are not repeated.
    client.post(url, {"verdict-legal_rep_name": "conforme"})
    assert review_progress(submitted).unjudged == ["contact_phone"]

    client.post(url, {"all_conforme": "1", "confirm_all": "on"})
    assert review_progress(submitted).unjudged == []
    decide(by=instructor, application=submitted, decision="admissible")
    submitted.refresh_from_db()
    assert submitted.status == Status.ADMISSIBLE


def test_r_app_8_an_item_flagged_again_in_round_two_is_to_fix_not_unjudged(
    instructor, applicant, submitted
):
    from guichet.applications.review import decide, review_progress, set_verdicts

    set_verdicts(by=instructor, application=submitted, opinions=review_with_one_to_fix(submitted))
    decide(by=instructor, application=submitted, decision="request_fixes")
    save_draft(by=applicant, application=submitted, data={"form": {"contact_phone": "0199887766"}})
    submit(by=applicant, application=submitted)
    submitted.refresh_from_db()
    # The same words as in round 1: an opinion of this round all the same.
    set_verdicts(
        by=instructor,
        application=submitted,
        opinions={"contact_phone": ("to_fix", "Ce numéro ne répond pas.")},
    )
    progress = review_progress(submitted)
    assert progress.unjudged == [] and progress.to_fix == {
        "contact_phone": "Ce numéro ne répond pas."
    }
    with pytest.raises(ApplicationError) as refused:
        decide(by=instructor, application=submitted, decision="admissible")
    assert "0 élément sans avis, 1 à corriger" in refused.value.message


def review_with_one_to_fix(application):
    from guichet.applications.review import reviewable_items

    opinions = {entry["item"]: ("conforme", "") for entry in reviewable_items(application)}
    opinions["contact_phone"] = ("to_fix", "Ce numéro ne répond pas.")
    return opinions
