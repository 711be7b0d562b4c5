"""Assignment (R-CLK-1): a complete dossier gets its lead instructor (and others), which puts it
in instruction; a re-assignment is journaled with the team before and after; the assigned
instructors are those who read the sensitive proofs (R-EVD-3)."""

import pytest
from django.urls import reverse

from guichet.accounts.models import Role
from guichet.applications.models import ApplicationTransition
from guichet.applications.workflow import actions
from guichet.common.errors import ApplicationError
from guichet.evidence.models import EvidenceFile
from guichet.instruction.assignment import reassign
from guichet.journal.models import JournalEntry
from guichet.referentials.models import ExpectedProof
from guichet.referentials.services import set_sensitive_proofs
from tests.conftest import make_staff
from tests.fixtures import PDF
from tests.instruction.instruction_world import complete_dossier, small_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(db):
    return make_staff("collegue@agence.test", Role.INSTRUCTOR)


@pytest.fixture
def complete(applicant, instructor, catalogue):
    return complete_dossier(small_version("DMN"), applicant=applicant, instructor=instructor)


def assignment_url(application) -> str:
    return f"/api/v1/applications/{application.pk}/assignment"


def test_r_clk_1_assigning_a_complete_dossier_starts_its_instruction_and_tells_the_lead(
    api,
    agency_admin,
    instructor,
    colleague,
    complete,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    api.force_authenticate(agency_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            assignment_url(complete),
            {"lead": colleague.pk, "others": [instructor.pk]},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_instruction"
    assert response.json()["lead_instructor"]["email"] == colleague.email
    complete.refresh_from_db()
    assert complete.status == "in_instruction" and complete.lead_instructor == colleague
    assert set(complete.instructors.all()) == {colleague, instructor}
    log = ApplicationTransition.objects.filter(application=complete).last()
    assert (log.name, log.source, log.target, log.by) == (
        "assign",
        "complete",
        "in_instruction",
        agency_admin,
    )
    entry = JournalEntry.objects.filter(action="instruction.assign").get()
    assert entry.after["lead"] == colleague.email
    assert entry.after["instructors"] == sorted([colleague.email, instructor.email])
    (mail,) = [m for m in mailoutbox if "instruction attribuée" in m.subject]
    assert mail.to == [colleague.email]
    assert complete.reference in mail.body
    assert reverse("instruction:page", args=[complete.pk]) in mail.body


def test_r_clk_1_only_active_instructors_are_assigned(
    api, instructor, colleague, committee_member, applicant, complete
):
    colleague.is_active = False
    colleague.save()
    api.force_authenticate(instructor)
    for body in (
        {"lead": committee_member.pk},
        {"lead": applicant.pk},
        {"lead": instructor.pk, "others": [colleague.pk]},
        {"lead": 999999},
    ):
        response = api.post(assignment_url(complete), body, format="json")
        assert response.status_code == 400, body
        assert response.json()["detail"].startswith(
            "Seul un instructeur actif de l'agence peut être attribué à une candidature"
        )
    response = api.post(assignment_url(complete), {"lead": "moi"}, format="json")
    assert response.status_code == 400
    complete.refresh_from_db()
    assert complete.status == "complete" and complete.lead_instructor is None
    assert not complete.instructors.exists()
    assert not ApplicationTransition.objects.filter(application=complete, name="assign").exists()


def test_r_clk_1_an_instructor_takes_a_dossier_from_its_page(client, instructor, complete):
    client.force_login(instructor)
    page = client.get(reverse("instruction:page", args=[complete.pk])).content.decode()
    assert "Dossier non attribué" in page and "Attribuer l&#x27;instruction" in page
    (assign,) = [a for a in actions(complete, instructor) if a["transition"].name == "assign"]
    assert assign["url"] == reverse("instruction:page", args=[complete.pk]) + "#attribution"
    response = client.post(
        reverse("instruction:assign", args=[complete.pk]), {"lead": instructor.pk}, follow=True
    )
    assert "Instruction attribuée" in response.content.decode()
    complete.refresh_from_db()
    assert complete.status == "in_instruction" and complete.lead_instructor == instructor


def test_r_clk_1_reassignment_keeps_the_state_and_is_journaled_with_before_and_after(
    client,
    agency_admin,
    instructor,
    colleague,
    complete,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    reassign_url = reverse("instruction:assign", args=[complete.pk])
    client.force_login(agency_admin)
    client.post(reassign_url, {"lead": instructor.pk})
    complete.refresh_from_db()
    assert complete.status == "in_instruction"
    # Without a reason: refused, nothing changes.
    response = client.post(reassign_url, {"lead": colleague.pk}, follow=True)
    assert "Indiquez le motif de la réattribution." in response.content.decode()
    complete.refresh_from_db()
    assert complete.lead_instructor == instructor
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reassign_url,
            {"lead": colleague.pk, "others": [instructor.pk], "reason": "Congés de l'instructeur."},
            follow=True,
        )
    assert "Instruction réattribuée" in response.content.decode()
    complete.refresh_from_db()
    assert complete.status == "in_instruction" and complete.lead_instructor == colleague
    assert set(complete.instructors.all()) == {colleague, instructor}
    entry = JournalEntry.objects.get(action="instruction.reassign")
    assert entry.before == {"lead": instructor.email, "instructors": [instructor.email]}
    assert entry.after == {
        "lead": colleague.email,
        "instructors": sorted([colleague.email, instructor.email]),
        "reason": "Congés de l'instructeur.",
    }
    assert [m.to for m in mailoutbox if "instruction attribuée" in m.subject] == [[colleague.email]]
    assert ApplicationTransition.objects.filter(application=complete).last().name == "assign"
    with pytest.raises(ApplicationError, match="rien n'a changé"):
        reassign(complete, by=agency_admin, lead=colleague, others=[instructor], reason="Encore.")


def test_r_act_1_a_committee_member_cannot_assign_and_another_organisation_finds_nothing(
    client, api, committee_member, stranger, instructor, complete
):
    api.force_authenticate(committee_member)
    response = api.post(assignment_url(complete), {"lead": instructor.pk}, format="json")
    assert response.status_code == 403
    client.force_login(committee_member)
    assert (
        client.post(
            reverse("instruction:assign", args=[complete.pk]), {"lead": instructor.pk}
        ).status_code
        == 403
    )
    api.force_authenticate(stranger)
    response = api.post(assignment_url(complete), {"lead": instructor.pk}, format="json")
    assert response.status_code == 404
    client.force_login(stranger)
    for url in (
        reverse("instruction:page", args=[complete.pk]),
        reverse("instruction:assign", args=[complete.pk]),
    ):
        assert client.get(url).status_code in (404, 405)
        assert client.post(url, {"lead": instructor.pk}).status_code == 404
    complete.refresh_from_db()
    assert complete.status == "complete" and complete.lead_instructor is None


def test_r_evd_3_the_assigned_instructors_read_a_sensitive_proof_and_no_other(
    api, applicant, instructor, colleague, agency_admin, catalogue
):
    version = small_version("TLC")
    report = ExpectedProof.objects.get(scenario__version=version, scenario__code="S2 1.1")
    set_sensitive_proofs(version, sensitive_ids={report.pk}, by=agency_admin)
    version.refresh_from_db()
    application = complete_dossier(version, applicant=applicant, instructor=instructor)
    stored = EvidenceFile.objects.get(application=application, proof=report).file
    assert stored.encrypted
    url = f"/api/v1/applications/{application.pk}/files/{stored.pk}"
    api.force_authenticate(agency_admin)
    response = api.post(assignment_url(application), {"lead": instructor.pk}, format="json")
    assert response.status_code == 200
    api.force_authenticate(colleague)  # an instructor, not assigned to this dossier
    refused = api.get(url)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Preuve sensible : réservée au candidat et aux instructeurs de la candidature."
    )
    api.force_authenticate(instructor)
    assert b"".join(api.get(url).streaming_content) == PDF
    # Re-assigned: the new team reads it, the former lead no longer does.
    reassign(application, by=agency_admin, lead=colleague, reason="Changement d'équipe.")
    api.force_authenticate(colleague)
    assert b"".join(api.get(url).streaming_content) == PDF
    api.force_authenticate(instructor)
    assert api.get(url).status_code == 403
