# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""Pages and API of the certificate's life (issue 13 §3): the agency's list reads a constant
number of queries; every act asks for a confirmation and a reason; the holder acts on its own
certificate and an outsider finds nothing (404); the API says what may be fired and answers a
refusal with 409, bad data with a French 400 problem."""

import datetime as dt
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.certificates import lifecycle
from guichet.certificates.models import Control, Status
from tests.certificates.life_world import issued, life_dmn, life_tlc, notices  # noqa: F401
from tests.certificates.world import on
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(catalogue, people):
    return issued(life_tlc(), signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 4), **people)


def text(response) -> str:
    return html.unescape(response.content.decode())


def queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_agency_list_reads_a_constant_number_of_queries(catalogue, people, client, instructor):
    version = life_dmn()
    issued(version, signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 4), **people)
    url = reverse("certificates:agency-list")
    with on(dt.date(2027, 6, 1)):
        client.force_login(instructor)
        one = queries(client, url)
    for day in (dt.date(2027, 3, 11), dt.date(2027, 3, 18)):
        issued(version, signed=dt.date(2027, 2, 1), day=day, **people)
    with on(dt.date(2027, 6, 1)):
        client.force_login(instructor)
        three = queries(client, url)
        page = text(client.get(url + "?etat=valid&referentiel=DMN&mises_en_demeure=0"))
        soon = text(client.get(url + "?echeance=90"))
    assert one == three
    assert "3 certificats" in page and "CC-DMN-2027-0003" in page
    assert "0 certificat" in soon


def test_an_act_on_the_agency_page_asks_for_a_confirmation(
    certificate, client, instructor, notices
):
    page = reverse("certificates:agency-detail", args=[certificate.number])
    url = reverse("certificates:agency-act", args=[certificate.number, "suspend"])
    with on(dt.date(2027, 6, 1)):
        client.force_login(instructor)
        body = text(client.get(page))
        assert "Suspendre le certificat" in body and "Je confirme" in body
        assert "Demander la radiation" not in body  # a DMN act, not offered on a TLC
        refused = client.post(url, {"reason": "Flux INS défaillant."}, follow=True)
        assert "cochez la case pour confirmer" in text(refused)
        certificate.refresh_from_db()
        assert certificate.status == Status.VALID
        done = client.post(url, {"reason": "Flux INS défaillant.", "confirm": "on"}, follow=True)
    assert "est « suspendu »" in text(done)
    certificate.refresh_from_db()
    assert certificate.status == Status.SUSPENDED


def test_the_agency_records_a_control_with_its_report_from_the_page(
    certificate, client, instructor
):
    url = reverse("certificates:agency-control", args=[certificate.number])
    data = {
        "held_on": "2027-05-31",
        "conclusion": "Conforme.",
        "conforme": "true",
        "confirm": "on",
    }
    with on(dt.date(2027, 6, 1)):
        client.force_login(instructor)
        missing = client.post(url, data, follow=True)
        assert "Joignez un fichier" in text(missing) and not Control.objects.exists()
        client.post(
            url,
            {
                **data,
                "report": SimpleUploadedFile("rapport.pdf", PDF, content_type="application/pdf"),
            },
            follow=True,
        )
    control = Control.objects.get()
    assert control.held_on == dt.date(2027, 5, 31) and control.report is not None


def test_the_holder_acts_on_its_certificate_and_an_outsider_finds_nothing(
    certificate, client, applicant, member, stranger
):
    manage = reverse("certificates:manage", args=[certificate.number])
    act = reverse("certificates:holder-act", args=[certificate.number, "stop_renewal"])
    client.force_login(stranger)
    assert client.get(manage).status_code == 404
    assert client.post(act, {"reason": "x", "confirm": "on"}).status_code == 404
    with on(dt.date(2027, 6, 1)):
        client.force_login(member)
        page = text(client.get(manage))
        assert "Déposer une nouvelle candidature" in page
        assert "Déclarer le dépôt de la demande d'agrément" in page
        assert "Suspendre" not in page
        # R-CRT-2, issue 22 §2: the Responsable habilité's act.
        assert "Réservé au Responsable habilité" in page
        assert client.post(act, {"reason": "x", "confirm": "on"}).status_code == 403
        client.force_login(applicant)
        assert "Notifier la non-reconduction" in text(client.get(manage))
        client.post(act, {"reason": "Fin de commercialisation.", "confirm": "on"})
    certificate.refresh_from_db()
    assert certificate.renewal_stopped_on == dt.date(2027, 6, 1)


def test_the_api_lists_the_callers_actions_and_fires_them(
    certificate, api, applicant, instructor, stranger
):
    actions = f"/api/v1/certificates/{certificate.number}/actions"
    fire = f"/api/v1/certificates/{certificate.number}/transitions/"
    api.force_authenticate(stranger)
    assert api.get(actions).status_code == 404
    assert api.post(fire + "stop_renewal", {"reason": "x"}, format="json").status_code == 404

    api.force_authenticate(applicant)
    names = {row["name"]: row for row in api.get(actions).json()}
    assert set(names) == {"stop_renewal", "record_approval_filing", "record_finess"}
    assert names["record_finess"]["possible"] is False
    assert "agrément" in names["record_finess"]["refusal"]
    with on(dt.date(2027, 6, 1)):
        suspended = api.post(fire + "suspend", {"reason": "x"}, format="json")
        assert suspended.status_code == 403
        done = api.post(fire + "stop_renewal", {"reason": "Fin."}, format="json")
        assert done.status_code == 200 and done.json()["renewal_stopped_on"] == "2027-06-01"
        again = api.post(fire + "stop_renewal", {"reason": "Fin."}, format="json")
        assert again.status_code == 409
        assert again["Content-Type"] == "application/problem+json"
        assert "déjà notifiée" in again.json()["detail"]

    api.force_authenticate(instructor)
    with on(dt.date(2027, 6, 1)):
        late = api.post(
            fire + "give_formal_notice",
            {"reason": "INS.", "kind": "non_conformity", "deadline": "2027-12-02"},
            format="json",
        )
        assert late.status_code == 400
        assert "six mois" in late.json()["detail"] and "deadline" in late.json()["errors"]
        typed = api.post(
            fire + "give_formal_notice",
            {
                "reason": "INS.",
                "kind": "non_conformity",
                "deadline": "2027-09-01",
                "suspend": "oui",
            },
            format="json",
        )
        assert typed.status_code == 400 and "suspend" in typed.json()["errors"]
        given = api.post(
            fire + "give_formal_notice",
            {"reason": "INS.", "kind": "non_conformity", "deadline": "2027-09-01", "suspend": True},
            format="json",
        )
        assert given.status_code == 200 and given.json()["status"] == "suspended"
        automatic = api.post(fire + "renew", {}, format="json")
        assert automatic.status_code == 409 and "la plateforme" in automatic.json()["detail"]
        control = api.post(
            f"/api/v1/certificates/{certificate.number}/controls",
            {
                "report": SimpleUploadedFile("rapport.pdf", PDF, content_type="application/pdf"),
                "held_on": "2027-05-31",
                "conclusion": "Non conforme.",
                "conforme": "false",
            },
            format="multipart",
        )
        assert control.status_code == 201, control.content
    assert Control.objects.get().conforme is False


def test_r_crt_8_the_agency_follows_each_tlc_system_to_its_finess_number(
    certificate, client, applicant, instructor
):
    from guichet.certificates.lifecycle import act

    url = reverse("certificates:approvals")
    with on(dt.date(2027, 4, 1)):
        client.force_login(instructor)
        assert "Certificat délivré le 4 mars 2027" in text(client.get(url))
        act(certificate, "record_approval_filing", by=applicant, filed_on=dt.date(2027, 3, 20))
        assert "Agrément déposé le 20 mars 2027" in text(client.get(url))
        act(certificate, "record_finess", by=applicant, finess="750000010")
        assert "FINESS obtenu : 750000010" in text(client.get(url))
        client.force_login(applicant)
        assert client.get(url).status_code == 404


def test_r_crt_8_the_agency_corrects_a_finess_number_from_its_page_and_the_api(
    certificate, client, api, applicant, instructor
):
    """TLC guide §6 (« Procédure d'obtention du numéro FINESS »): a declared number is
    corrected on the certificate's agency page (with its reason and a confirmation) and by
    `POST certificates/{number}/transitions/correct_finess`; the holder's API does not offer
    it (the agency's act)."""
    from guichet.certificates.lifecycle import act

    page = reverse("certificates:agency-detail", args=[certificate.number])
    url = reverse("certificates:agency-act", args=[certificate.number, "correct_finess"])
    with on(dt.date(2027, 4, 1)):
        act(certificate, "record_approval_filing", by=applicant, filed_on=dt.date(2027, 3, 20))
        act(certificate, "record_finess", by=applicant, finess="750000010")
        client.force_login(instructor)
        body = text(client.get(page))
        assert "Corriger le numéro FINESS" in body and "déclaré aujourd'hui : 750000010" in body
        assert "Motif de la correction" in body
        refused = text(
            client.post(
                url, {"finess": "750000003", "reason": "Erreur.", "confirm": "on"}, follow=True
            )
        )
        assert "clé de contrôle" in refused
        done = text(
            client.post(
                url, {"finess": "750 000 002", "reason": "Erreur.", "confirm": "on"}, follow=True
            )
        )
        assert "« Corriger le numéro FINESS » : fait." in done
        certificate.refresh_from_db()
        assert certificate.finess == "750000002"

        fire = f"/api/v1/certificates/{certificate.number}/transitions/correct_finess"
        api.force_authenticate(applicant)
        assert (
            api.post(fire, {"finess": "750000010", "reason": "x"}, format="json").status_code == 403
        )
        api.force_authenticate(instructor)
        no_reason = api.post(fire, {"finess": "750000010"}, format="json")
        assert no_reason.status_code == 400 and "motif" in no_reason.json()["detail"]
        answer = api.post(fire, {"finess": "750000010", "reason": "Retour."}, format="json")
        assert answer.status_code == 200 and answer.json()["finess"] == "750000010"


def test_the_agency_page_offers_the_withdrawal_with_its_date_of_effect(
    certificate, client, instructor
):
    with on(dt.date(2027, 6, 1)):
        client.force_login(instructor)
        body = text(client.get(reverse("certificates:agency-detail", args=[certificate.number])))
        done = client.post(
            reverse("certificates:agency-act", args=[certificate.number, "withdraw"]),
            {
                "ground": "fault_no_service",
                "effective_on": "2027-08-01",
                "reason": "Plus de service régulier.",
                "confirm": "on",
            },
            follow=True,
        )
    assert "Date d'effet" in body and "Notifier un retrait à effet différé" not in body
    assert "Retirer le certificat" in text(done)
    certificate.refresh_from_db()
    assert certificate.status == Status.VALID
    assert certificate.withdrawal_effective_on == dt.date(2027, 8, 1)


def _page(client, user, certificate) -> str:
    client.force_login(user)
    return text(client.get(reverse("certificates:agency-detail", args=[certificate.number])))


def test_r_crt_5_the_certificate_page_offers_an_act_only_when_its_guard_passes_and_says_why_not(
    certificate, client, committee_member, instructor, agency_admin
):
    close = reverse("certificates:agency-act", args=[certificate.number, "close_formal_notice"])
    with on(dt.date(2027, 6, 1)):
        # The collège decides; it does not manage certificates: the reason is the role.
        body = _page(client, committee_member, certificate)
        assert (
            "Votre rôle (membre du collège technique) ne permet aucune action sur ce certificat "
            ": le collège technique décide de l'attribution de la certification, il ne gère pas "
            "les certificats. Dans l'état « valide », ses actions sont réservées à "
            "l'administrateur de l'agence ou un instructeur." in body
        )
        assert "Aucune action possible" not in body and "Clore la mise en demeure" not in body
        # No formal notice open: closing one is shown disabled, with the guard's reason.
        for manager in (instructor, agency_admin):
            body = _page(client, manager, certificate)
            assert close not in body and "Votre rôle" not in body
            assert (
                '<button class="fr-btn fr-btn--secondary fr-btn--sm" type="button" disabled '
                'aria-describedby="why-close_formal_notice">Clore la mise en demeure</button>'
                in body
            )
            assert (
                '<p class="fr-hint-text fr-mt-1v" id="why-close_formal_notice">Aucune mise en '
                "demeure n'est en cours sur ce certificat.</p>" in body
            )
            assert 'aria-controls="form-close_formal_notice"' not in body
            # A formal notice may suspend a valid certificate.
            assert "Suspendre le certificat jusqu'à correction" in body
        lifecycle.act(
            certificate,
            "give_formal_notice",
            by=instructor,
            reason="Flux INS défaillant.",
            kind="non_conformity",
            deadline=dt.date(2027, 9, 1),
            suspend=True,
        )
        # A formal notice open (and the certificate suspended until fixed): closing it is offered.
        for manager in (instructor, agency_admin):
            body = _page(client, manager, certificate)
            assert close in body and 'aria-controls="form-close_formal_notice"' in body
            assert "Aucune mise en demeure n'est en cours" not in body
            assert "Suspendre le certificat jusqu'à correction" not in body
        assert "Votre rôle (membre du collège technique)" in _page(
            client, committee_member, certificate
        )


def test_r_crt_6_a_withdrawn_certificate_says_its_state_allows_no_act_whoever_reads_it(
    certificate, client, committee_member, instructor
):
    with on(dt.date(2027, 6, 1)):
        lifecycle.act(
            certificate,
            "withdraw",
            by=instructor,
            reason="Plus de service régulier.",
            ground="fault_no_service",
        )
        for user in (instructor, committee_member):
            body = _page(client, user, certificate)
            assert "Aucune action possible sur un certificat « retiré »." in body
            assert "Votre rôle" not in body and "Pas possible pour l'instant" not in body
