"""The decision letter (R-DEC-3): produced by the task worker after the sign-off, sealed with the
agency's key (pdfsig says the signature is valid), stating the decision, its date, the dossier,
the reasons, the reservations and — TLC (CSP R. 1470-4) — the routes and deadlines of appeal;
emailed to the contact référent with the letter attached; on the application page and in the
API for the applicant."""

import datetime as dt
import subprocess

import pytest
from django.core import mail
from django.urls import reverse

from guichet.applications import notifications
from guichet.committee.models import Decision
from guichet.files.services import verified_chunks
from tests.committee.committee_world import decide, finished, session_on, small_dmn, small_tlc
from tests.instruction.instruction_world import on

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(monkeypatch):
    """What the platform tells people, as the notifier receives it (the messaging app turns
    each into templated emails, else a plain email goes): recorded, then delivered as ever."""
    seen = []
    deliver = notifications._deliver

    def recorded(notice, fallback):
        seen.append(notice)
        deliver(notice, fallback)

    monkeypatch.setattr(notifications, "_deliver", recorded)
    return seen


def pdf_text(path) -> str:
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


def pdfsig(path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


@pytest.fixture
def seated(committee_member):
    return [{"user": committee_member.pk}, {"name": "Mme Martin", "body": "sesam_vitale"}]


def test_r_dec_3_the_tlc_letter_is_sealed_states_its_reasons_and_the_routes_of_appeal(
    catalogue, applicant, instructor, committee_member, seated, tmp_path, notices
):
    version = small_tlc()
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = finished(version, applicant=applicant, instructor=instructor)
    mail.outbox.clear()
    with on(dt.date(2027, 3, 4)):
        decision = decide(
            session,
            application,
            by=committee_member,
            outcome="granted_with_reservations",
            reasons="Le système est conforme sous deux réserves.",
            reservations=["Publier la politique de sauvegarde.", "Corriger le flux DMP."],
        )
    assert decision.letter is not None
    path = tmp_path / "lettre.pdf"
    path.write_bytes(b"".join(verified_chunks(decision.letter)))
    report = pdfsig(path)
    assert "Signature is Valid." in report and "ETSI.CAdES.detached" in report
    text = pdf_text(path)
    for expected in (
        "Décision du collège technique",
        "Attribution de la certification sous réserve",
        "4 mars 2027",
        application.reference,
        f"{application.product.name} — version 1.0",
        "Web 1.0",
        version.label,
        "Général",
        "Le système est conforme sous deux réserves.",
        "Publier la politique de sauvegarde.",
        "Corriger le flux DMP.",
        "Voies et délais de recours",
        "recours gracieux adressé à l'Agence du numérique en santé, dans un délai de deux mois",
        "L. 411-2 du code des relations entre le public et l'administration",
        "recours contentieux devant le tribunal administratif compétent, dans un délai de deux "
        "mois",
        "R. 421-1 du code de justice administrative",
    ):
        assert expected in text, expected
    # One byte of the signed content changed: the seal no longer holds.
    signed = path.read_bytes()
    tampered = bytearray(signed)
    tampered[signed.index(b"/Title") + 10] ^= 0x01
    (tmp_path / "altere.pdf").write_bytes(bytes(tampered))
    assert "Signature is Valid." not in pdfsig(tmp_path / "altere.pdf")
    # The contact référent is told, the letter attached, as a legal notice.
    (notice,) = [n for n in notices if n.kind == "decision" and n.audience == "applicant"]
    assert notice.legal and notice.attachments == (decision.letter_id,)
    assert "voies et délais de recours" in notice.body
    (email,) = [
        m
        for m in mail.outbox
        if "camille@telesante.fr" in m.to and "décision du collège technique" in m.subject
    ]
    assert email.attachments


def test_r_dec_3_a_dmn_letter_states_the_refusal_reasons_without_appeal_routes(
    catalogue, applicant, instructor, committee_member, seated, tmp_path
):
    version = small_dmn()
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = finished(version, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 3, 4)):
        decision = decide(
            session,
            application,
            by=committee_member,
            outcome="refused",
            reasons="Le produit audité n'est pas la version déposée.",
        )
    path = tmp_path / "lettre.pdf"
    path.write_bytes(b"".join(verified_chunks(decision.letter)))
    text = pdf_text(path)
    assert "Non-attribution de la certification" in text
    assert "Le produit audité n'est pas la version déposée." in text
    assert "Voies et délais de recours" not in text  # the version's setting says none


def test_r_dec_3_the_letter_names_the_referential_once(
    catalogue, applicant, instructor, committee_member, seated, tmp_path
):
    """« Certification de conformité au référentiel d'interopérabilité… »: the referential's
    name already starts with the word, which the sentence does not repeat."""
    version = small_tlc()
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = finished(version, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 3, 4)):
        decision = decide(session, application, by=committee_member)
    path = tmp_path / "lettre.pdf"
    path.write_bytes(b"".join(verified_chunks(decision.letter)))
    text = pdf_text(path)
    assert version.referential.name.startswith("Référentiel d'interopérabilité")
    assert (
        "Certification de conformité au référentiel d'interopérabilité, de sécurité et "
        "d'éthique des systèmes d'information de téléconsultation — Agence du numérique en "
        "santé, le 4 mars 2027." in text
    )
    assert "référentiel Référentiel" not in text


def test_r_dec_3_the_applicant_reads_its_decision_and_letter_and_others_find_nothing(
    catalogue,
    api,
    client,
    applicant,
    member,
    stranger,
    instructor,
    committee_member,
    seated,
    django_capture_on_commit_callbacks,
):
    version = small_tlc()
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = finished(version, applicant=applicant, instructor=instructor)
    decision_url = f"/api/v1/applications/{application.pk}/decision"
    api.force_authenticate(applicant)
    assert api.get(decision_url).status_code == 404  # none signed off yet
    with on(dt.date(2027, 3, 4)):
        recorded = decide(session, application, by=committee_member, sign_off=False)
        assert api.get(decision_url).status_code == 404  # recorded is not decided
        # Signed off, the letter not yet produced: 409 « en préparation ».
        with django_capture_on_commit_callbacks(execute=False) as waiting:
            from guichet.committee.services import sign_off

            sign_off(recorded, by=committee_member)
        letter = api.get(decision_url + ".pdf")
        assert letter.status_code == 409
        assert letter.json()["detail"].startswith("La lettre de décision est en préparation")
        for callback in waiting:
            callback()
    decision = Decision.objects.get()
    assert decision.letter_id is not None
    body = api.get(decision_url).json()
    assert body["outcome"] == "granted" and body["decided_on"] == "2027-03-04"
    assert body["letter"] is True and body["appeal_routes"] is True
    assert body["votes_for"] is None and body["members_present"] is None  # the agency's
    pdf = api.get(decision_url + ".pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    api.force_authenticate(committee_member)
    agency_view = api.get(decision_url).json()
    assert agency_view["votes_for"] == 2 and len(agency_view["members_present"]) == 2
    # Another organisation finds nothing.
    api.force_authenticate(stranger)
    assert api.get(decision_url).status_code == 404
    assert api.get(decision_url + ".pdf").status_code == 404
    # The application page: the decision and its letter, served as a file of the application.
    client.force_login(member)
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    letter_url = reverse("applications:file", args=[application.pk, decision.letter_id])
    assert "Attribution de la certification" in page and letter_url in page
    assert "tribunal administratif" in page
    served = client.get(letter_url)
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"%PDF")
    client.force_login(stranger)
    assert client.get(letter_url).status_code == 404
