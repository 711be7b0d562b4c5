# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""The notice of non-renewal (R-CRT-2, R-ACT-1, issue 22 §2): the Responsable habilité's act —
a plain member is refused and told who acts —, with a confirmation; the Responsable (or the
agency) may withdraw it until the term, journaled, the agency informed; after the term neither
is possible."""

import datetime as dt
import html

import pytest
from django.urls import reverse

from guichet.certificates.lifecycle import act
from guichet.certificates.models import RevisionKind, Status
from guichet.certificates.sweep import sweep
from guichet.common.errors import ApplicationError
from guichet.journal.models import JournalEntry
from tests.certificates.life_world import issued, life_dmn, notices, told  # noqa: F401
from tests.certificates.world import on

pytestmark = pytest.mark.django_db

RESERVED = "réservée à l'organisation titulaire, par son Responsable habilité, ou à l'agence"


@pytest.fixture
def certificate(catalogue, people):
    return issued(life_dmn(), signed=dt.date(2027, 1, 10), day=dt.date(2027, 3, 4), **people)


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_r_crt_2_non_renewal_is_the_responsables_act_a_member_is_refused(
    certificate, client, api, applicant, member
):
    """DMN guide §6: « valable durant toute la durée de la convention soit 5 ans, renouvelable
    à chaque échéance par tacite reconduction » — not renewing the convention commits the
    organisation: its Responsable habilité notifies it, after confirming; a member may not."""
    manage = reverse("certificates:manage", args=[certificate.number])
    url = reverse("certificates:holder-act", args=[certificate.number, "stop_renewal"])
    fire = f"/api/v1/certificates/{certificate.number}/transitions/stop_renewal"
    with on(dt.date(2031, 6, 1)):
        with pytest.raises(ApplicationError, match=RESERVED) as refused:
            act(certificate, "stop_renewal", by=member, reason="Fin.")
        assert refused.value.extra["status"] == 403
        client.force_login(member)
        page = text(client.get(manage))
        assert 'id="acte-stop_renewal"' not in page
        assert (
            "Réservé au Responsable habilité de votre organisation, qui engage la convention : "
            "« Notifier la non-reconduction »." in page
        )
        assert client.post(url, {"reason": "Fin.", "confirm": "on"}).status_code == 403
        api.force_authenticate(member)
        answer = api.post(fire, {"reason": "Fin."}, format="json")
        assert answer.status_code == 403 and RESERVED in answer.json()["detail"]
        certificate.refresh_from_db()
        assert certificate.renewal_stopped_on is None

        client.force_login(applicant)
        page = text(client.get(manage))
        assert 'id="acte-stop_renewal"' in page and "Réservé au Responsable" not in page
        unconfirmed = client.post(url, {"reason": "Fin de commercialisation."})
        assert unconfirmed.status_code == 400 and "cochez la case pour confirmer" in text(
            unconfirmed
        )
        done = client.post(url, {"reason": "Fin de commercialisation.", "confirm": "on"})
    assert done.status_code == 302
    certificate.refresh_from_db()
    assert certificate.renewal_stopped_on == dt.date(2031, 6, 1)


def test_r_crt_2_the_responsable_withdraws_the_non_renewal_before_the_term(
    certificate, client, applicant, member, notices
):
    """Until the term, the Responsable habilité may withdraw the notice of non-renewal: the
    certificate is renewed tacitly again; the act is journaled, a revision recorded, the
    holder and the agency told."""
    manage = reverse("certificates:manage", args=[certificate.number])
    url = reverse("certificates:holder-act", args=[certificate.number, "cancel_stop_renewal"])
    with on(dt.date(2031, 6, 1)):
        act(certificate, "stop_renewal", by=applicant, reason="Fin de commercialisation.")
    with on(dt.date(2031, 9, 1)):
        with pytest.raises(ApplicationError, match=RESERVED):
            act(certificate, "cancel_stop_renewal", by=member, reason="Reprise.")
        client.force_login(applicant)
        page = text(client.get(manage))
        assert 'id="acte-cancel_stop_renewal"' in page and 'id="acte-stop_renewal"' not in page
        assert "non-reconduction notifiée le 1er juin 2031" in page
        client.post(url, {"reason": "Le service reprend.", "confirm": "on"})
    certificate.refresh_from_db()
    assert certificate.renewal_stopped_on is None
    revision = certificate.revisions.order_by("-number").first()
    assert (revision.kind, revision.effective_on) == (
        RevisionKind.RENEWAL_RESTORED,
        dt.date(2031, 9, 1),
    )
    entry = JournalEntry.objects.get(action="certificate.cancel_stop_renewal")
    assert entry.after["was_stopped_on"] == "2031-06-01"
    (holder,) = told(notices, certificate, "non-reconduction annulée")
    assert "reconduit tacitement à la fin de sa période de validité, le 9 janvier 2032" in (
        holder.body
    )
    agency = [n for n in notices if n.audience == "instructors" and "annulée" in n.subject]
    assert len(agency) == 1 and "Le service reprend." in agency[0].body

    with on(dt.date(2031, 9, 2)):
        page = text(client.get(manage))
        assert 'id="acte-stop_renewal"' in page and 'id="acte-cancel_stop_renewal"' not in page
        with pytest.raises(ApplicationError, match="Aucune non-reconduction n'est notifiée"):
            act(certificate, "cancel_stop_renewal", by=applicant, reason="Deux fois.")
    sweep(today=dt.date(2032, 1, 10))
    certificate.refresh_from_db()
    assert certificate.status == Status.VALID and certificate.renewals == 1


def test_r_crt_2_after_the_term_neither_notice_nor_withdrawal(certificate, api, applicant):
    """After the last day of the term the certificate is renewed or ends: the notice, or its
    withdrawal, comes too late — even before the sweep has run."""
    fire = f"/api/v1/certificates/{certificate.number}/transitions/"
    api.force_authenticate(applicant)
    with on(dt.date(2032, 1, 10)):
        late = api.post(fire + "stop_renewal", {"reason": "Fin."}, format="json")
        assert late.status_code == 409 and "a pris fin le 9 janvier 2032" in late.json()["detail"]
    with on(dt.date(2032, 1, 9)):
        assert api.post(fire + "stop_renewal", {"reason": "Fin."}, format="json").status_code == 200
    with on(dt.date(2032, 1, 10)):
        late = api.post(fire + "cancel_stop_renewal", {"reason": "Reprise."}, format="json")
        assert late.status_code == 409
        assert "a pris fin le 9 janvier 2032" in late.json()["detail"]
        assert late["Content-Type"] == "application/problem+json"
    certificate.refresh_from_db()
    assert certificate.renewal_stopped_on == dt.date(2032, 1, 9)
