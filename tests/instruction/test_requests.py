"""Information requests (R-CLK-3), missing items (R-CLK-5) and a section sent back once the
dossier is complete (issue 11 §3): the clock read from the real transition log at exact dates
(the wall clock is moved with time-machine, so that each act is notified on its own day), the
proofs that reopen for upload and those that do not, both sides' pages and API, who may and
who may not."""

import datetime as dt
import io
import zoneinfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from guichet.applications.clock import clock_of
from guichet.applications.models import ApplicationTransition, Status
from guichet.applications.workflow import transition
from guichet.common.errors import ApplicationError
from guichet.evidence import services as evidence
from guichet.evidence.models import EvidenceFile, EvidenceSection, SectionState
from guichet.files.models import StoredFile
from guichet.files.uploads import upload_from_stream
from guichet.instruction import requests
from guichet.instruction.models import ExchangeFile, InformationRequest, MissingItemsNotice
from tests.conftest import make_staff
from tests.fixtures import PDF
from tests.instruction.instruction_world import small_shipped
from tests.workflow import ApplicationFactory

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def on(day: dt.date, time_machine) -> None:
    """The wall clock on `day`, 10:00 in Paris (it keeps ticking)."""
    time_machine.move_to(dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS))


def in_instruction(referential, applicant, instructor):
    """Complete (sections submitted, acknowledgment), then assigned to `instructor`."""
    application = ApplicationFactory(
        referential=referential, state="complete", applicant=applicant, instructor=instructor
    )
    transition(application, "assign", by=instructor, lead=instructor)
    # The assignment's effect (its own part of issue 11) makes the lead one of the
    # application's instructors; until it is merged, so does this (idempotent after).
    application.instructors.add(instructor)
    application.refresh_from_db()
    return application


def proof_ids(application) -> list[int]:
    return list(requests.applicable_proofs(application))


def upload(api, application, proof_id, name="nouvelle.pdf", **extra):
    handle = io.BytesIO(PDF)
    handle.name = name
    return api.post(
        f"/api/v1/applications/{application.pk}/evidence/{proof_id}/files",
        {"file": handle, **extra},
        format="multipart",
    )


def deposit(application, applicant, proof_id, name="nouvelle.pdf"):
    return evidence.add_evidence(
        by=applicant,
        application=application,
        proof_id=proof_id,
        upload=upload_from_stream(io.BytesIO(PDF), name),
    )


@pytest.fixture
def dmn(catalogue):
    """A small DMN version (three proofs) with the shipped version's process settings: these
    tests read the clock, the requests and the proofs they reopen, not the catalogue's
    content; a dossier is complete in a fraction of the time."""
    return small_shipped("DMN")


@pytest.fixture
def tlc(catalogue):
    return small_shipped("TLC")


COMPLETE = dt.date(2027, 1, 11)  # DMN: + 60 days → 2027-03-12; TLC: + 6 months → 2027-07-11


# --- R-CLK-3: the clock during an information request ----------------------------------------


def test_r_clk_3_dmn_request_stops_the_clock_from_its_notification_until_the_answer(
    dmn, applicant, instructor, time_machine, django_capture_on_commit_callbacks
):
    on(COMPLETE, time_machine)
    application = in_instruction(dmn, applicant, instructor)
    assert clock_of(application, today=COMPLETE).deadline == dt.date(2027, 3, 12)

    on(dt.date(2027, 1, 21), time_machine)
    with django_capture_on_commit_callbacks(execute=True):
        asked = requests.request_information(
            by=instructor,
            application=application,
            text="Précisez la version du module web.",
            proofs=proof_ids(application)[:1],
        )
    application.refresh_from_db()
    assert application.status == Status.INFORMATION_REQUESTED and asked.number == 1
    # Stopped: each day of the stop moves the deadline, the days left stay frozen.
    clock = clock_of(application, today=dt.date(2027, 1, 25))
    assert clock.running is False
    assert clock.deadline == dt.date(2027, 3, 16) and clock.days_left == 50
    assert "21 janvier 2027" in clock.paused_reason
    # The contact référent is notified (a legal notice): the text and the link.
    notice = next(m for m in mail.outbox if "demande d'information n° 1" in m.subject)
    assert "camille@telesante.fr" in notice.to
    assert "Précisez la version du module web." in notice.body
    assert f"/candidatures/{application.pk}/" in notice.body
    assert "Délai suspendu depuis le 21 janvier 2027" in notice.body

    on(dt.date(2027, 1, 28), time_machine)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        requests.answer_information(
            by=applicant, application=application, request_id=asked.pk, text="Version 1.0."
        )
    application.refresh_from_db()
    assert application.status == Status.IN_INSTRUCTION
    clock = clock_of(application, today=dt.date(2027, 1, 28))
    # 7 days stopped (21 → 28 January): the deadline moves by exactly those.
    assert clock.running is True and clock.deadline == dt.date(2027, 3, 19)
    assert clock.days_left == 50
    answer = next(m for m in mail.outbox if "réponse à la demande" in m.subject)
    assert answer.to == [instructor.email] and "Version 1.0." in answer.body
    assert "19 mars 2027" in answer.body


def test_r_clk_3_tlc_request_does_not_stop_the_clock(tlc, applicant, instructor, time_machine):
    on(COMPLETE, time_machine)
    application = in_instruction(tlc, applicant, instructor)
    on(dt.date(2027, 1, 21), time_machine)
    asked = requests.request_information(
        by=instructor, application=application, text="Décrivez l'hébergement."
    )
    application.refresh_from_db()
    assert application.status == Status.INFORMATION_REQUESTED
    clock = clock_of(application, today=dt.date(2027, 2, 25))
    assert clock.running is True and clock.paused_reason is None
    assert clock.deadline == dt.date(2027, 7, 11)
    assert not clock.flags  # no « no answer » flag: the DMN guide's only
    on(dt.date(2027, 2, 25), time_machine)
    requests.answer_information(
        by=applicant, application=application, request_id=asked.pk, text="Hébergeur HDS."
    )
    clock = clock_of(application, today=dt.date(2027, 2, 25))
    assert clock.running is True and clock.deadline == dt.date(2027, 7, 11)


def test_r_clk_3_overlapping_requests_back_to_instruction_only_when_both_are_answered(
    dmn, applicant, instructor, time_machine
):
    on(COMPLETE, time_machine)
    application = in_instruction(dmn, applicant, instructor)
    on(dt.date(2027, 1, 21), time_machine)
    first = requests.request_information(by=instructor, application=application, text="Un.")
    on(dt.date(2027, 1, 24), time_machine)
    second = requests.request_information(by=instructor, application=application, text="Deux.")
    assert (first.number, second.number) == (1, 2)

    on(dt.date(2027, 1, 26), time_machine)
    requests.answer_information(
        by=applicant, application=application, request_id=second.pk, text="Réponse deux."
    )
    application.refresh_from_db()
    assert application.status == Status.INFORMATION_REQUESTED  # the first still waits
    assert clock_of(application, today=dt.date(2027, 1, 27)).running is False

    on(dt.date(2027, 1, 30), time_machine)
    requests.answer_information(
        by=applicant, application=application, request_id=first.pk, text="Réponse un."
    )
    application.refresh_from_db()
    assert application.status == Status.IN_INSTRUCTION
    clock = clock_of(application, today=dt.date(2027, 1, 30))
    # Stopped from 21 to 30 January, each day once: 9 days.
    assert clock.running is True and clock.deadline == dt.date(2027, 3, 21)
    assert list(
        ApplicationTransition.objects.filter(application=application).values_list("name", "target")
    )[-4:] == [
        ("request_information", Status.INFORMATION_REQUESTED),
        ("request_information", Status.INFORMATION_REQUESTED),
        ("answer_information", Status.INFORMATION_REQUESTED),
        ("answer_information", Status.IN_INSTRUCTION),
    ]


def test_r_clk_3_an_answered_request_is_not_answered_twice(dmn, applicant, instructor):
    application = in_instruction(dmn, applicant, instructor)
    asked = requests.request_information(by=instructor, application=application, text="Un.")
    other = requests.request_information(by=instructor, application=application, text="Deux.")
    requests.answer_information(
        by=applicant, application=application, request_id=asked.pk, text="Réponse."
    )
    with pytest.raises(ApplicationError, match="déjà reçu sa réponse"):
        requests.answer_information(
            by=applicant, application=application, request_id=asked.pk, text="Encore."
        )
    with pytest.raises(ApplicationError, match="Écrivez votre réponse"):
        requests.answer_information(
            by=applicant, application=application, request_id=other.pk, text="   "
        )
    other.refresh_from_db()
    assert other.is_open


# --- the proofs concerned reopen, alone ------------------------------------------------------


def test_r_clk_3_uploads_reopen_on_the_proofs_concerned_only_while_the_request_is_open(
    api, dmn, applicant, member, instructor
):
    application = in_instruction(dmn, applicant, instructor)
    concerned, other = proof_ids(application)[:2]
    api.force_authenticate(member)
    closed = upload(api, application, concerned)
    assert closed.status_code == 409 and "lecture seule" in closed.json()["detail"]

    requests.request_information(
        by=instructor, application=application, text="Redéposez.", proofs=[concerned]
    )
    body = api.get(f"/api/v1/applications/{application.pk}/evidence/").json()
    assert body["reopened"] == [concerned] and body["open"] is True
    current = EvidenceFile.objects.get(application=application, proof_id=concerned)
    replaced = upload(api, application, concerned, replaces=str(current.file_id))
    assert replaced.status_code == 201, replaced.content
    added = upload(api, application, concerned, name="en-plus.pdf")
    assert added.status_code == 201
    refused = upload(api, application, other)
    assert refused.status_code == 409
    assert "n'est pas concernée par une demande en cours" in refused.json()["detail"]
    current.refresh_from_db()
    assert current.replaced_at is not None  # kept in the history (R-EVD-2)
    # Every section stays submitted: nothing else reopens.
    assert set(
        EvidenceSection.objects.filter(application=application).values_list("state", flat=True)
    ) == {SectionState.SUBMITTED}
    # The agency does not deposit evidence.
    api.force_authenticate(instructor)
    assert upload(api, application, concerned).status_code == 403

    api.force_authenticate(member)
    asked = InformationRequest.objects.get(application=application)
    answered = api.post(
        f"/api/v1/applications/{application.pk}/information-requests/{asked.pk}/answer",
        {"text": "Fichier remplacé."},
        format="json",
    )
    assert answered.status_code == 200 and answered.json()["open"] is False
    after = upload(api, application, concerned)
    assert after.status_code == 409 and "lecture seule" in after.json()["detail"]
    assert EvidenceFile.objects.filter(application=application, proof_id=concerned).count() == 3


def test_r_clk_3_evidence_page_offers_upload_on_the_proofs_concerned_only(
    client, dmn, applicant, instructor
):
    application = in_instruction(dmn, applicant, instructor)
    concerned, other = proof_ids(application)[:2]
    requests.request_information(
        by=instructor, application=application, text="Redéposez.", proofs=[concerned]
    )
    client.force_login(applicant)
    page = client.get(reverse("evidence:page", args=[application.pk])).content.decode()
    assert reverse("evidence:upload", args=[application.pk, concerned]) in page
    assert reverse("evidence:upload", args=[application.pk, other]) not in page
    assert "à compléter" in page and "#echanges" in page


# --- a section sent back after completion (issue 11 §3) --------------------------------------


def test_r_evd_1_section_sent_back_after_completion_is_answered_and_instruction_resumes(
    client, dmn, applicant, instructor, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(
        referential=dmn, state="complete", applicant=applicant, instructor=instructor
    )
    section = EvidenceSection.objects.filter(application=application).first()
    code = section.section.code
    with pytest.raises(ApplicationError, match="attribuez-la"):
        evidence.return_section(
            by=instructor, application=application, section_code=code, comment="Illisible."
        )
    transition(application, "assign", by=instructor, lead=instructor)
    application.instructors.add(instructor)

    with django_capture_on_commit_callbacks(execute=True):
        evidence.return_section(
            by=instructor, application=application, section_code=code, comment="Illisible."
        )
    application.refresh_from_db()
    assert application.status == Status.INFORMATION_REQUESTED
    asked = InformationRequest.objects.get(application=application)
    in_section = [
        p for p, ref in requests.applicable_proofs(application).items() if ref.section.code == code
    ]
    assert asked.section_id == section.section_id and asked.text == "Illisible."
    assert sorted(asked.proofs.values_list("pk", flat=True)) == sorted(in_section)
    assert any("la section" in m.body and "Illisible." in m.body for m in mail.outbox)

    # The applicant replaces a file of the section through the evidence page…
    client.force_login(applicant)
    old = EvidenceFile.objects.get(application=application, proof_id=in_section[0])
    handle = io.BytesIO(PDF)
    handle.name = "lisible.pdf"
    response = client.post(
        reverse("evidence:upload", args=[application.pk, in_section[0]]),
        {"file": handle, "replaces": str(old.file_id)},
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.replaced_at is not None
    # …and answers from the answer page, with a confirmation.
    url = reverse("instruction:information-answer", args=[application.pk, asked.pk])
    page = client.get(url).content.decode()
    assert "lisible.pdf" in page  # deposited since the request
    unconfirmed = client.post(url, {"text": "Remplacé par une version lisible."})
    assert unconfirmed.status_code == 400
    assert "Remplacé par une version lisible." in unconfirmed.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url, {"text": "Remplacé par une version lisible.", "confirm": "on"}, follow=True
        )
    assert "Réponse envoyée" in done.content.decode()
    application.refresh_from_db()
    assert application.status == Status.IN_INSTRUCTION
    section.refresh_from_db()
    assert section.state == SectionState.SUBMITTED  # read-only again
    again = io.BytesIO(PDF)
    again.name = "encore.pdf"
    refused = client.post(
        reverse("evidence:upload", args=[application.pk, in_section[0]]),
        {"file": again},
        follow=True,
    )
    assert "lecture seule" in refused.content.decode()


# --- R-CLK-5: missing items ------------------------------------------------------------------


def test_r_clk_5_dmn_due_date_sooner_than_10_days_is_refused(
    api, dmn, applicant, instructor, time_machine
):
    on(COMPLETE, time_machine)
    application = in_instruction(dmn, applicant, instructor)
    on(dt.date(2027, 1, 21), time_machine)
    api.force_authenticate(instructor)
    url = f"/api/v1/applications/{application.pk}/missing-items/"
    short = api.post(url, {"items": ["Rapport de test"], "due": "2027-01-30"}, format="json")
    assert short.status_code == 400
    detail = short.json()["detail"]
    assert "au moins 10 jours" in detail and "CSS R. 165-5-2" in detail
    assert "31 janvier 2027" in detail
    assert not MissingItemsNotice.objects.exists()
    application.refresh_from_db()
    assert application.status == Status.IN_INSTRUCTION
    assert api.post(url, {"items": ["Rapport"]}, format="json").status_code == 400  # no date

    created = api.post(
        url,
        {"items": ["Rapport de test", "Attestation HDS"], "due": "2027-01-31"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["due"] == "2027-01-31" and created.json()["days_left"] == 10
    application.refresh_from_db()
    assert application.status == Status.MISSING_ITEMS
    logged = ApplicationTransition.objects.filter(application=application).last()
    assert (logged.name, logged.due) == ("request_missing_items", dt.date(2027, 1, 31))
    clock = clock_of(application, today=dt.date(2027, 1, 25))
    assert clock.running is False and "31 janvier 2027" in clock.paused_reason


def test_r_clk_5_tlc_due_date_is_60_days_set_by_the_platform(
    api, tlc, applicant, instructor, time_machine, django_capture_on_commit_callbacks
):
    on(COMPLETE, time_machine)
    application = in_instruction(tlc, applicant, instructor)
    on(dt.date(2027, 1, 21), time_machine)
    api.force_authenticate(instructor)
    url = f"/api/v1/applications/{application.pk}/missing-items/"
    other_date = api.post(url, {"items": ["Contrat"], "due": "2027-04-30"}, format="json")
    assert other_date.status_code == 400
    assert "fixé à 60 jours" in other_date.json()["detail"]
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(url, {"items": ["Contrat d'hébergement"]}, format="json")
    assert created.status_code == 201 and created.json()["due"] == "2027-03-22"
    logged = ApplicationTransition.objects.filter(application=application).last()
    assert logged.due == dt.date(2027, 3, 22)
    # The 6 months wait for the items: no deadline meanwhile.
    clock = clock_of(application, today=dt.date(2027, 2, 1))
    assert clock.running is False and clock.deadline is None
    notice = next(m for m in mail.outbox if "pièces manquantes" in m.subject)
    assert "22 mars 2027" in notice.body and "Contrat d'hébergement" in notice.body
    assert "réputée abandonnée" in notice.body


def test_r_clk_5_tlc_items_received_restart_the_six_months(
    tlc, applicant, instructor, time_machine
):
    on(COMPLETE, time_machine)
    application = in_instruction(tlc, applicant, instructor)
    on(dt.date(2027, 1, 21), time_machine)
    notice = requests.request_missing_items(
        by=instructor, application=application, items="Contrat\nAttestation"
    )
    assert notice.items == ["Contrat", "Attestation"]
    on(dt.date(2027, 2, 10), time_machine)
    requests.provide_missing_items(
        by=applicant, application=application, notice_id=notice.pk, text="Les deux, ci-joints."
    )
    application.refresh_from_db()
    assert application.status == Status.IN_INSTRUCTION
    clock = clock_of(application, today=dt.date(2027, 2, 10))
    assert clock.running is True and clock.deadline == dt.date(2027, 8, 10)


def test_r_clk_5_dmn_received_items_move_the_deadline_by_the_days_waited(
    dmn, applicant, instructor, time_machine
):
    on(COMPLETE, time_machine)
    application = in_instruction(dmn, applicant, instructor)
    on(dt.date(2027, 1, 21), time_machine)
    notice = requests.request_missing_items(
        by=instructor, application=application, items=["Rapport"], due=dt.date(2027, 2, 5)
    )
    on(dt.date(2027, 2, 1), time_machine)
    requests.provide_missing_items(
        by=applicant, application=application, notice_id=notice.pk, text="Rapport déposé."
    )
    clock = clock_of(application, today=dt.date(2027, 2, 1))
    assert clock.running is True and clock.deadline == dt.date(2027, 3, 23)  # + 11 days


def test_r_clk_5_request_and_missing_items_open_together(dmn, applicant, instructor):
    application = in_instruction(dmn, applicant, instructor)
    concerned, noticed = proof_ids(application)[:2]
    asked = requests.request_information(
        by=instructor, application=application, text="Un.", proofs=[concerned]
    )
    notice = requests.request_missing_items(
        by=instructor,
        application=application,
        items=["Rapport"],
        proofs=[noticed],
        due=timezone.localdate() + dt.timedelta(days=15),
    )
    application.refresh_from_db()
    assert application.status == Status.MISSING_ITEMS
    # Both sets of proofs are open.
    deposit(application, applicant, concerned)
    deposit(application, applicant, noticed)
    requests.answer_information(
        by=applicant, application=application, request_id=asked.pk, text="Réponse."
    )
    application.refresh_from_db()
    assert application.status == Status.MISSING_ITEMS  # the items are still awaited
    with pytest.raises(ApplicationError, match="n'est pas concernée"):
        deposit(application, applicant, concerned)
    requests.provide_missing_items(
        by=applicant, application=application, notice_id=notice.pk, text="Rapport déposé."
    )
    application.refresh_from_db()
    assert application.status == Status.IN_INSTRUCTION


# --- who may ---------------------------------------------------------------------------------


def test_r_act_1_committee_member_and_other_instructors_may_not_ask(
    api, client, dmn, applicant, instructor
):
    application = in_instruction(dmn, applicant, instructor)
    committee = make_staff("college@agence.test", "committee")
    another = make_staff("autre-instructeur@agence.test", "instructor")
    for user in (committee, another):
        api.force_authenticate(user)
        asked = api.post(
            f"/api/v1/applications/{application.pk}/information-requests/",
            {"text": "Une question."},
            format="json",
        )
        assert asked.status_code == 403
        assert "instructeur de la candidature" in asked.json()["detail"]
        notice = api.post(
            f"/api/v1/applications/{application.pk}/missing-items/",
            {"items": ["Rapport"], "due": "2099-01-01"},
            format="json",
        )
        assert notice.status_code == 403
        client.force_login(user)
        page = client.get(reverse("instruction:information-request-new", args=[application.pk]))
        assert page.status_code == 403
    # The applicant does not ask either.
    api.force_authenticate(applicant)
    assert (
        api.post(
            f"/api/v1/applications/{application.pk}/information-requests/",
            {"text": "Une question."},
            format="json",
        ).status_code
        == 403
    )
    assert not InformationRequest.objects.exists() and not MissingItemsNotice.objects.exists()
    # A committee member may read the exchanges.
    api.force_authenticate(committee)
    listed = api.get(f"/api/v1/applications/{application.pk}/information-requests/")
    assert listed.status_code == 200 and listed.json()["count"] == 0


def test_r_act_1_other_organisation_gets_404_and_changes_nothing(
    api, client, dmn, applicant, instructor, stranger
):
    application = in_instruction(dmn, applicant, instructor)
    asked = requests.request_information(
        by=instructor, application=application, text="Un.", proofs=proof_ids(application)[:1]
    )
    base = f"/api/v1/applications/{application.pk}"
    api.force_authenticate(stranger)
    handle = io.BytesIO(PDF)
    handle.name = "x.pdf"
    calls = [
        api.get(f"{base}/information-requests/"),
        api.post(f"{base}/information-requests/", {"text": "x"}, format="json"),
        api.post(f"{base}/information-requests/{asked.pk}/answer", {"text": "x"}, format="json"),
        api.post(
            f"{base}/information-requests/{asked.pk}/files", {"file": handle}, format="multipart"
        ),
        api.get(f"{base}/missing-items/"),
        upload(api, application, proof_ids(application)[0]),
    ]
    assert [call.status_code for call in calls] == [404] * len(calls)
    client.force_login(stranger)
    for name, args in (
        ("instruction:information-answer", [application.pk, asked.pk]),
        ("instruction:information-request-new", [application.pk]),
        ("instruction:missing-items-new", [application.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404
        assert client.post(reverse(name, args=args), {"text": "x"}).status_code == 404
    asked.refresh_from_db()
    assert asked.is_open and not ExchangeFile.objects.exists()


# --- API -------------------------------------------------------------------------------------


def test_r_clk_3_api_request_with_files_and_answer(
    api, dmn, applicant, instructor, django_capture_on_commit_callbacks
):
    application = in_instruction(dmn, applicant, instructor)
    base = f"/api/v1/applications/{application.pk}/information-requests/"
    api.force_authenticate(instructor)
    empty = api.post(base, {"text": "  "}, format="json")
    assert empty.status_code == 400 and empty.json()["errors"] == {
        "text": ["Écrivez la demande : ce que le candidat doit préciser."]
    }
    unknown = api.post(base, {"text": "Question", "proofs": [999999]}, format="json")
    assert unknown.status_code == 400 and "999999" in unknown.json()["detail"]
    assert not InformationRequest.objects.exists()

    concerned = proof_ids(application)[0]
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(base, {"text": "Question", "proofs": [concerned]}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == 1 and body["open"] is True
    assert [p["id"] for p in body["proofs"]] == [concerned]
    handle = io.BytesIO(PDF)
    handle.name = "consigne.pdf"
    files = api.post(f"{base}{body['id']}/files", {"file": handle}, format="multipart")
    assert files.status_code == 201 and files.json()[0]["side"] == "agency"
    bad = io.BytesIO(b"MZ\x90\x00 not a document")
    bad.name = "outil.exe"
    refused = api.post(f"{base}{body['id']}/files", {"file": bad}, format="multipart")
    assert refused.status_code in (400, 415) and ExchangeFile.objects.count() == 1

    api.force_authenticate(applicant)
    handle = io.BytesIO(PDF)
    handle.name = "reponse.pdf"
    mine = api.post(f"{base}{body['id']}/files", {"file": handle}, format="multipart")
    assert mine.status_code == 201 and mine.json()[0]["side"] == "applicant"
    answered = api.post(f"{base}{body['id']}/answer", {"text": "Voici."}, format="json")
    assert answered.status_code == 200
    assert answered.json()["answer"] == "Voici." and len(answered.json()["files"]) == 2
    again = api.post(f"{base}{body['id']}/answer", {"text": "Encore."}, format="json")
    assert again.status_code == 409
    # Files of an answered request: no more.
    late = io.BytesIO(PDF)
    late.name = "tard.pdf"
    assert (
        api.post(f"{base}{body['id']}/files", {"file": late}, format="multipart").status_code == 409
    )
    listed = api.get(base).json()
    assert listed["count"] == 1 and listed["results"][0]["answered_by"] == applicant.email
    # The exchanged files are downloadable from the application.
    file_id = answered.json()["files"][0]["id"]
    download = api.get(f"/api/v1/applications/{application.pk}/files/{file_id}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_r_clk_5_api_missing_items_answer(api, dmn, applicant, instructor):
    application = in_instruction(dmn, applicant, instructor)
    base = f"/api/v1/applications/{application.pk}/missing-items/"
    due = (timezone.localdate() + dt.timedelta(days=12)).isoformat()
    api.force_authenticate(instructor)
    assert api.post(base, {"items": [], "due": due}, format="json").status_code == 400
    created = api.post(base, {"items": ["Rapport"], "due": due}, format="json").json()
    api.force_authenticate(applicant)
    assert api.post(f"{base}{created['id']}/answer", {"text": ""}, format="json").status_code == 400
    answered = api.post(f"{base}{created['id']}/answer", {"text": "Envoyé."}, format="json")
    assert answered.status_code == 200 and answered.json()["open"] is False
    application.refresh_from_db()
    assert application.status == Status.IN_INSTRUCTION


# --- pages -----------------------------------------------------------------------------------


def test_r_clk_3_agency_form_keeps_the_text_on_error_and_sends_with_attachments(
    client, dmn, applicant, instructor, django_capture_on_commit_callbacks
):
    application = in_instruction(dmn, applicant, instructor)
    url = reverse("instruction:information-request-new", args=[application.pk])
    client.force_login(instructor)
    detail = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert url in detail  # the action links to its form
    form = client.get(url)
    assert form.status_code == 200 and 'name="proofs"' in form.content.decode()

    concerned = proof_ids(application)[0]
    bad = io.BytesIO(b"MZ\x90\x00 not a document")
    bad.name = "outil.exe"
    refused = client.post(
        url,
        {"text": "Le texte saisi.", "proofs": [concerned], "confirm": "on", "file": bad},
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Le texte saisi." in page and f'value="{concerned}" checked' in page
    assert not InformationRequest.objects.exists()
    assert not StoredFile.objects.filter(original_name="outil.exe").exists()

    handle = io.BytesIO(PDF)
    handle.name = "consigne.pdf"
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            url,
            {"text": "Le texte saisi.", "proofs": [concerned], "confirm": "on", "file": handle},
            follow=True,
        )
    assert "information n° 1 envoyée" in sent.content.decode()
    asked = InformationRequest.objects.get(application=application)
    assert asked.files.get().file.original_name == "consigne.pdf"


def test_r_clk_5_pages_show_the_due_date_in_french_with_days_left(
    client, dmn, applicant, instructor, time_machine
):
    on(COMPLETE, time_machine)
    application = in_instruction(dmn, applicant, instructor)
    on(dt.date(2027, 1, 21), time_machine)
    client.force_login(instructor)
    url = reverse("instruction:missing-items-new", args=[application.pk])
    form = client.get(url).content.decode()
    assert "31 janvier 2027" in form and 'min="2027-01-31"' in form
    short = client.post(url, {"items": "Rapport", "due": "2027-01-25", "confirm": "on"})
    assert short.status_code == 400 and "CSS R. 165-5-2" in short.content.decode()
    sent = client.post(
        url, {"items": "Rapport\nAttestation", "due": "2027-02-05", "confirm": "on"}, follow=True
    )
    assert "5 février 2027" in sent.content.decode()

    client.force_login(applicant)
    detail = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "5 février 2027" in detail and "dans 15 jours" in detail
    notice = MissingItemsNotice.objects.get(application=application)
    answer_url = reverse("instruction:missing-items-answer", args=[application.pk, notice.pk])
    assert answer_url in detail
    done = client.post(answer_url, {"text": "Envoyés.", "confirm": "on"}, follow=True)
    assert "Pièces manquantes envoyées" in done.content.decode()


def test_r_clk_3_application_page_queries_do_not_grow_with_the_exchanges(
    client, dmn, applicant, instructor
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    application = in_instruction(dmn, applicant, instructor)
    proofs = proof_ids(application)
    requests.request_information(
        by=instructor, application=application, text="Un.", proofs=proofs[:1]
    )
    url = reverse("applications:detail", args=[application.pk])
    api_url = f"/api/v1/applications/{application.pk}/information-requests/"

    def counts():
        sizes = []
        for user in (instructor, applicant):
            client.force_login(user)
            client.get(url)  # sessions, caches
            with CaptureQueriesContext(connection) as page:
                assert client.get(url).status_code == 200
            with CaptureQueriesContext(connection) as listed:
                assert client.get(api_url).status_code == 200
            sizes += [len(page), len(listed)]
        return sizes

    few = counts()
    for n in range(4):
        asked = requests.request_information(
            by=instructor, application=application, text=f"Q{n}", proofs=proofs[: n + 2]
        )
        handle = upload_from_stream(io.BytesIO(PDF), f"piece-{n}.pdf")
        requests.add_exchange_files(
            by=instructor, application=application, uploads=[handle], request_id=asked.pk
        )
    assert counts() == few
