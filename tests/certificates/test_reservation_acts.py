"""R-DEC-2 (TLC guide §5.4): « attribution de la certification de conformité sous réserve » —
the decision lists the non-conformities as reservations, each with its deadline; « the
certificate and the register say « sous réserve » with the reservations; lifting or failing
them are journaled acts » (issue 21). Each reservation is lifted, or found not lifted after its
deadline, by an act of the agency on the certificate, journaled with its reason, told to the
holder; a failed reservation leads to the formal notice and the withdrawal, the agency's own
acts. The states are reached through the collège's decision service."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from django.core import mail
from django.urls import reverse

from guichet.certificates import lifecycle, pdf
from guichet.certificates.models import Certificate, CertificateRevision, Status
from guichet.committee.models import Reservation
from guichet.common.errors import ApplicationError
from guichet.conventions.services import sign_convention
from guichet.journal.models import JournalEntry
from tests.certificates.issue_world import pdf_text
from tests.committee.committee_world import decide, finished, session_on, small_tlc
from tests.conftest import PASSWORD, committed
from tests.instruction.instruction_world import on, proof_ids

pytestmark = pytest.mark.django_db

RESERVATIONS = ["Fournir le rapport complet.", "Corriger la procédure.", "Publier la politique."]


@pytest.fixture
def reserved(catalogue, applicant, instructor, committee_member) -> Certificate:
    """A TLC certificate « sous réserve » of three reservations, due on 30 June, 4 September
    and 31 December 2027, decided by the collège on 4 March 2027."""
    version = small_tlc()
    seated = [{"user": committee_member.pk}, {"name": "Dr Claire Dupont", "body": "cnda"}]
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        with committed():
            application = finished(
                version, applicant=applicant, instructor=instructor, non_conforme=2
            )
        with committed():
            sign_convention(by=applicant, application=application, password=PASSWORD)
    proofs = proof_ids(application)[-2:]
    with on(dt.date(2027, 3, 4)):
        decision = decide(
            session,
            application,
            by=committee_member,
            outcome="granted_with_reservations",
            reservations=[
                {"text": RESERVATIONS[0], "deadline": "2027-06-30", "proof": proofs[0]},
                {"text": RESERVATIONS[1], "deadline": "2027-09-04", "proof": proofs[1]},
                {"text": RESERVATIONS[2], "deadline": "2027-12-31"},
            ],
        )
    return decision.certificate


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.content.decode())).split())


def _act(client, certificate, name, **data):
    url = reverse("certificates:agency-act", args=[certificate.number, name])
    return client.post(url, {"confirm": "on", **data}, follow=True)


def _statuses(certificate) -> list[str]:
    return list(
        Reservation.objects.filter(decision_id=certificate.decision_id)
        .order_by("position")
        .values_list("lifted_on", "failed_on")
    )


def test_r_dec_2_the_agency_lifts_one_reservation_then_finds_another_not_lifted_on_its_page(
    client, reserved, agency_admin
):
    """TLC guide §5.4: the attribution « sous réserve » of a system « pas conforme à toutes les
    exigences obligatoires ». Each reservation is lifted by its own act, journaled with what
    lifted it; after its deadline, the agency may find it not lifted: the page then points to
    the formal notice and the withdrawal, which stay the agency's decision."""
    page_url = reverse("certificates:agency-detail", args=[reserved.number])
    with on(dt.date(2027, 5, 2)):
        client.force_login(agency_admin)
        response = client.get(page_url)
        assert response.status_code == 200, response
        page = _text(response)
        assert "Attribué sous réserve" in page
        assert f"{RESERVATIONS[0]} — à lever au plus tard le 30 juin 2027 : à lever" in page
        # Nothing has passed its deadline: the finding is offered disabled, with why.
        assert "Aucune réserve n'a passé son échéance : la réserve n° 1" in page
        unconfirmed = client.post(
            reverse("certificates:agency-act", args=[reserved.number, "lift_reservation"]),
            {"reservation": "1", "reason": "Rapport reçu."},
            follow=True,
        )
        assert "cochez la case pour confirmer" in _text(unconfirmed)
        assert _statuses(reserved)[0] == (None, None)
        with committed():
            done = _act(
                client, reserved, "lift_reservation", reservation="1", reason="Rapport reçu."
            )
        assert "« Lever une réserve » : fait." in _text(done)
        again = _act(client, reserved, "lift_reservation", reservation="1", reason="Encore.")
        assert "La réserve n° 1 est déjà levée (le 2 mai 2027)." in _text(again)
        unknown = _act(client, reserved, "lift_reservation", reservation="7", reason="?")
        assert "Réserve inconnue : le certificat" in _text(unknown)
        assert "ses réserves sont numérotées de 1 à 3" in _text(unknown)
    reserved.refresh_from_db()
    assert _statuses(reserved)[0] == (dt.date(2027, 5, 2), None)
    assert reserved.reservations == RESERVATIONS[1:]  # what still bears on the certificate
    revision = reserved.revisions.order_by("-number").first()
    assert (revision.kind, revision.reason) == (
        "reservation_lifted",
        "Réserve n° 1 levée : Rapport reçu.",
    )
    entry = JournalEntry.objects.filter(action="certificate.lift_reservation").get()
    assert entry.after["reason"] == "Rapport reçu." and entry.after["reservation"] == 1
    told = [m for m in mail.outbox if "réserve levée" in m.subject]
    assert len(told) == 1 and f"« {RESERVATIONS[0]} », est levée le 2 mai 2027" in told[0].body
    assert "2 réserves le grèvent encore" in told[0].body

    with on(dt.date(2027, 9, 10)):
        client.force_login(agency_admin)
        with committed():
            found = _act(client, reserved, "fail_reservation", reservation="2", reason="Rien reçu.")
        assert "Suite possible : « Mettre en demeure »" in _text(found)
        early = _act(client, reserved, "fail_reservation", reservation="3", reason="Trop tôt.")
        assert (
            "Aucune réserve n'a passé son échéance : la réserve n° 3 est à lever au plus tard "
            "le 31 décembre 2027" in _text(early)
        )
        twice = _act(client, reserved, "lift_reservation", reservation="2", reason="Tard.")
        assert "La réserve n° 2 est déjà constatée non levée (le 10 septembre 2027)" in _text(twice)
        page = client.get(page_url).content.decode()
    assert 'href="#acte-give_formal_notice"' in page and 'href="#acte-withdraw"' in page
    assert "non levée à l&#x27;échéance</strong> (constat du 10 septembre 2027)" in page
    reserved.refresh_from_db()
    assert reserved.status == Status.VALID  # nothing automatic follows the finding
    assert not reserved.formal_notices.exists()
    assert _statuses(reserved)[1] == (None, dt.date(2027, 9, 10))
    assert JournalEntry.objects.filter(action="certificate.fail_reservation").get().after[
        "reason"
    ] == ("Rien reçu.")
    (failed,) = [m for m in mail.outbox if "réserve non levée" in m.subject]
    assert "n'est pas levée. Constat : Rien reçu." in failed.body
    assert "L'agence peut vous mettre en demeure d'y remédier" in failed.body


def test_r_dec_2_lifting_every_reservation_at_once_dates_each_one_and_keeps_a_failed_one(
    reserved, agency_admin
):
    """The former act « Lever les réserves » lifts every reservation still to lift, each with
    its date; one found not lifted still bears on the certificate."""
    with on(dt.date(2027, 7, 1)), committed():
        lifecycle.act(reserved, "fail_reservation", by=agency_admin, reason="Rien.", reservation=1)
        lifecycle.act(reserved, "lift_reservations", by=agency_admin, reason="Tout corrigé.")
    reserved.refresh_from_db()
    assert _statuses(reserved) == [
        (None, dt.date(2027, 7, 1)),
        (dt.date(2027, 7, 1), None),
        (dt.date(2027, 7, 1), None),
    ]
    assert reserved.reservations == RESERVATIONS[:1]
    with on(dt.date(2027, 7, 2)), pytest.raises(ApplicationError) as refused:
        lifecycle.act(reserved, "lift_reservation", by=agency_admin, reason="?", reservation=1)
    assert "Aucune réserve n'est à lever" in refused.value.message


def test_r_dec_2_the_api_lifts_and_finds_a_reservation_by_its_rank(
    api, reserved, agency_admin, applicant
):
    """The API's action beside the others, with the key `reservation`; refusals in French."""
    url = f"/api/v1/certificates/{reserved.number}/transitions/"
    api.force_authenticate(applicant)
    refused = api.post(url + "lift_reservation", {"reservation": 1, "reason": "x"}, format="json")
    assert refused.status_code == 403
    api.force_authenticate(agency_admin)
    with on(dt.date(2027, 5, 2)):
        actions = api.get(f"/api/v1/certificates/{reserved.number}/actions").json()
        names = {a["name"]: a for a in actions}
        assert names["lift_reservation"]["possible"]
        assert not names["fail_reservation"]["possible"]
        missing = api.post(url + "lift_reservation", {"reason": "x"}, format="json")
        assert missing.status_code == 400
        assert "Indiquez la réserve à lever" in missing.json()["detail"]
        with committed():
            lifted = api.post(
                url + "lift_reservation", {"reservation": 1, "reason": "Reçu."}, format="json"
            )
        assert lifted.status_code == 200
        items = lifted.json()["reservation_items"]
        assert [(i["position"], i["status"], i["lifted_on"]) for i in items] == [
            (1, "lifted", "2027-05-02"),
            (2, "pending", None),
            (3, "pending", None),
        ]
        assert items[0]["settled_reason"] == "Reçu."
        again = api.post(url + "lift_reservation", {"reservation": 1, "reason": "x"}, format="json")
        assert again.status_code == 409 and "déjà levée" in again.json()["detail"]
        unknown = api.post(
            url + "lift_reservation", {"reservation": 9, "reason": "x"}, format="json"
        )
        assert unknown.status_code == 400 and "Réserve inconnue" in unknown.json()["detail"]
        early = api.post(url + "fail_reservation", {"reservation": 2, "reason": "x"}, format="json")
        assert early.status_code == 409
        assert "Aucune réserve n'a passé son échéance" in early.json()["detail"]
    with on(dt.date(2027, 9, 5)), committed():
        failed = api.post(
            url + "fail_reservation", {"reservation": 2, "reason": "Rien."}, format="json"
        )
    assert failed.status_code == 200
    assert failed.json()["reservation_items"][1]["failed_on"] == "2027-09-05"


def test_r_dec_2_the_register_its_open_data_and_the_pdf_say_sous_reserve(
    client, api, reserved, agency_admin, tmp_path
):
    """« The certificate and the register say « sous réserve » with the reservations »: each
    with its text, its deadline and its state, in the register's page, its CSV and JSON, its
    API, and the certificate's PDF of the revision."""
    with on(dt.date(2027, 9, 10)), committed():
        lifecycle.act(reserved, "lift_reservation", by=agency_admin, reason="Ok.", reservation=1)
        lifecycle.act(reserved, "fail_reservation", by=agency_admin, reason="Non.", reservation=2)
    page = _text(client.get("/registre/"))
    assert "Sous réserve" in page
    assert f"{RESERVATIONS[0]} — à lever au plus tard le 30 juin 2027 : levée le 10 " in page
    assert (
        f"{RESERVATIONS[1]} — à lever au plus tard le 4 septembre 2027 : non levée à l'échéance "
        "(constat du 10 septembre 2027)" in page
    )
    (row,) = json.loads(b"".join(client.get("/register.json").streaming_content))
    assert row["under_reservation"] is True
    assert [(r["text"], r["deadline"], r["status"]) for r in row["reservations"]] == [
        (RESERVATIONS[0], "2027-06-30", "lifted"),
        (RESERVATIONS[1], "2027-09-04", "failed"),
        (RESERVATIONS[2], "2027-12-31", "pending"),
    ]
    assert row["status_summary"]  # the keys of 1.1.0 stay
    (listed,) = api.get("/api/v1/register/").json()["results"]
    assert listed["reservations"] == row["reservations"] and listed["under_reservation"]
    csv_text = b"".join(client.get("/register.csv").streaming_content).decode()
    assert f"{RESERVATIONS[2]} — à lever au plus tard le 2027-12-31 — à lever" in csv_text
    assert ",true," in csv_text
    revision = CertificateRevision.objects.select_related(
        "certificate__referential_version__referential"
    ).get(certificate=reserved, number=reserved.revisions.count())
    path = tmp_path / "certificat.pdf"
    path.write_bytes(pdf.render_certificate(pdf.sheet_of(revision)).read())
    text = pdf_text(path)
    assert "sous les réserves mentionnées" in text
    assert "Réserves (attribution sous réserve)" in text
    assert f"{RESERVATIONS[0]} — à lever au plus tard le 30 juin 2027 : levée le" in text
    assert "non levée à l'échéance (constat du 10 septembre 2027)" in text
