# ruff: noqa: F811 (fixtures imported from the worlds)
"""States that agree everywhere (issue 22 §1; R-CRT-5, R-CRT-6, R-PUB-1): a withdrawal or an
expiry ends the formal notices still open; a withdrawal notified for a later day reads « retrait
notifié, effectif le … » on every page and file, and the agency may cancel it before that day; a
date of effect gone by is refused; a suspension that goes with a formal notice is published with
its legal category, not the facts the notice names."""

import datetime as dt

import pytest
from django.urls import reverse

from guichet.certificates import lifecycle
from guichet.certificates.models import (
    FormalNotice,
    MinisterNotice,
    NoticeKind,
    RevisionKind,
    Status,
)
from guichet.certificates.sweep import sweep
from guichet.common.errors import ApplicationError
from guichet.journal.models import JournalEntry
from guichet.referentials.selectors import get_version
from tests.certificates.life_world import life_dmn, notices, told  # noqa: F401
from tests.certificates.register_world import on, world  # noqa: F401
from tests.certificates.test_ended import outputs
from tests.conftest import committed

pytestmark = pytest.mark.django_db

FAULT = "fault_not_conforme"


def give_notice(world, certificate, *, day, deadline, kind=NoticeKind.NON_CONFORMITY, **more):
    with on(day), committed():
        lifecycle.act(
            certificate,
            "give_formal_notice",
            by=world.instructor,
            reason="Le flux INS n'est plus conforme.",
            kind=kind,
            deadline=deadline,
            **more,
        )
    return FormalNotice.objects.filter(certificate=certificate).latest("id")


def test_r_crt_5_a_withdrawal_closes_the_open_formal_notices(client, world, mailoutbox):
    """CSP R. 1470-9: « à défaut [de correction] … l'organisme peut retirer le certificat »: once
    withdrawn, the formal notice has had its outcome; no page, filter or sweep asks for it."""
    certificate = world.issue()
    notice = give_notice(world, certificate, day=dt.date(2027, 6, 1), deadline=dt.date(2027, 8, 1))
    with on(dt.date(2027, 8, 2)), committed():
        lifecycle.act(
            certificate,
            "withdraw",
            by=world.agency_admin,
            reason="Non-conformités non corrigées.",
            ground="non_conformity",
        )
    notice.refresh_from_db()
    assert notice.closed_on == dt.date(2027, 8, 2) and notice.fixed is False
    assert notice.outcome == "Certificat retiré le 2 août 2027."
    entry = JournalEntry.objects.filter(action="certificate.formal_notice_close").get()
    assert entry.after["notice"] == notice.pk and entry.after["reason"] == notice.outcome

    client.force_login(world.instructor)
    listed = client.get(reverse("certificates:agency-list") + "?mises_en_demeure=1")
    assert certificate.number not in listed.content.decode()
    page = client.get(reverse("certificates:agency-detail", args=[certificate.number]))
    assert "En cours" not in page.content.decode()
    mailoutbox.clear()
    report = sweep(today=dt.date(2027, 8, 10))
    assert report.notices_overdue == 0
    assert not [m for m in mailoutbox if "mise en demeure" in m.body.lower()]


def test_r_crt_5_an_expiry_closes_the_open_formal_notices(world):
    certificate = world.issue()
    with on(dt.date(2031, 12, 1)), committed():
        lifecycle.act(certificate, "stop_renewal", by=world.agency_admin, reason="Fin.")
    end = certificate.valid_until + dt.timedelta(days=1)
    notice = give_notice(world, certificate, day=dt.date(2032, 1, 10), deadline=dt.date(2032, 5, 1))
    with committed():
        assert sweep(today=end).expired == 1
    notice.refresh_from_db()
    assert notice.closed_on == end and notice.fixed is False
    assert notice.outcome.startswith("Certificat expiré le")
    assert sweep(today=dt.date(2032, 5, 2)).notices_overdue == 0


def test_r_crt_5_a_notified_withdrawal_reads_the_same_everywhere_and_the_agency_may_cancel_it(
    client, world, notices
):
    """CSP R. 1470-9: the withdrawal may take effect up to six months after its notice. Until
    then every output says « retrait notifié, effectif le … »; the agency may cancel it before
    that day, with a reason, journaled and announced."""
    shipped = get_version("DMN", "1.2.2").process_settings.end_notice_recipients
    # CSS R. 165-5-3: the ministers are told of its end.
    certificate = world.issue(version=life_dmn(end_notice_recipients=list(shipped)))
    with on(dt.date(2027, 6, 1)), committed():
        lifecycle.act(
            certificate,
            "withdraw",
            by=world.agency_admin,
            reason="Le produit n'est plus conforme.",
            ground=FAULT,
            effective_on=dt.date(2027, 9, 1),
        )
    state = "Retrait notifié, effectif le 1er septembre 2027 (notifié le 1er juin 2027)"
    (email,) = told(notices, certificate, "retrait notifié")
    assert "Voies et délais de recours" in email.body and "tribunal administratif" in email.body

    with on(dt.date(2027, 6, 2)):
        client.force_login(world.instructor)
        agency = client.get(reverse("certificates:agency-detail", args=[certificate.number]))
        client.force_login(world.a)
        holder = client.get(reverse("certificates:manage", args=[certificate.number]))
    assert "Annuler le retrait notifié" in agency.content.decode()
    for page in (agency.content.decode(), holder.content.decode()):
        assert "Retrait notifié" in page and state in page
        assert "Valide depuis" not in page
    found = outputs(client, certificate)
    for row in (found["csv"], found["json"], found["api"]):
        assert row["state"] == "withdrawal_notified" and row["status_summary"].startswith(state)

    # Cancelled before its day: valid again everywhere, the holder and the ministers told.
    with on(dt.date(2027, 7, 1)), committed():
        with pytest.raises(ApplicationError, match="indiquez le motif"):
            lifecycle.act(certificate, "cancel_withdrawal", by=world.instructor)
        with pytest.raises(ApplicationError, match="ne permet|réservé"):
            lifecycle.act(certificate, "cancel_withdrawal", by=world.a, reason="Non.")
        lifecycle.act(
            certificate,
            "cancel_withdrawal",
            by=world.instructor,
            reason="Les observations du titulaire montrent le produit conforme.",
        )
    certificate.refresh_from_db()
    assert certificate.withdrawal_effective_on is None and certificate.status == Status.VALID
    assert certificate.revisions.latest("number").kind == RevisionKind.WITHDRAWAL_CANCELLED
    assert JournalEntry.objects.filter(action="certificate.cancel_withdrawal").count() == 1
    (cancelled,) = told(notices, certificate, "retrait annulé")
    assert "devait prendre effet le 1er septembre 2027" in cancelled.body
    ministers = MinisterNotice.objects.get(
        certificate=certificate, event=MinisterNotice.Event.WITHDRAWAL_CANCELLED
    )
    assert ministers.ended_on == dt.date(2027, 9, 1) and "ne sera pas retiré" in ministers.text
    found = outputs(client, certificate)
    for row in (found["csv"], found["json"], found["api"]):
        assert (
            row["state"] == "valid"
            and row["withdrawal_effective_on"] is None
            or (row["withdrawal_effective_on"] == "")
        )
    assert f"Annulation du retrait notifié — {certificate.number}" in found["feed"]
    with committed():
        assert sweep(today=dt.date(2027, 9, 2)).withdrawn == 0
    certificate.refresh_from_db()
    assert certificate.status == Status.VALID
    with on(dt.date(2027, 9, 3)), pytest.raises(ApplicationError, match="Aucun retrait"):
        lifecycle.act(certificate, "cancel_withdrawal", by=world.instructor, reason="Encore.")

    # Notified again: the ministers are told of the new date; on its day it no longer cancels.
    with on(dt.date(2027, 9, 3)), committed():
        lifecycle.act(
            certificate,
            "withdraw",
            by=world.agency_admin,
            reason="Nouveau constat.",
            ground=FAULT,
            effective_on=dt.date(2027, 10, 1),
        )
    assert MinisterNotice.objects.filter(
        certificate=certificate, event=MinisterNotice.Event.WITHDRAWN, ended_on=dt.date(2027, 10, 1)
    ).exists()
    with on(dt.date(2027, 10, 1)), pytest.raises(ApplicationError, match="ne s'annule plus"):
        lifecycle.act(certificate, "cancel_withdrawal", by=world.instructor, reason="Trop tard.")


def test_r_crt_5_a_date_of_effect_in_the_past_is_refused_by_the_server(client, world):
    certificate = world.issue()
    with on(dt.date(2027, 6, 1)):
        with pytest.raises(ApplicationError, match="ne peut pas être passée") as refused:
            lifecycle.act(
                certificate,
                "withdraw",
                by=world.agency_admin,
                reason="Faute.",
                ground=FAULT,
                effective_on=dt.date(2027, 5, 31),
            )
        assert refused.value.extra["status"] == 400
        client.force_login(world.agency_admin)
        answer = client.post(
            f"/api/v1/certificates/{certificate.number}/transitions/withdraw",
            {"reason": "Faute.", "ground": FAULT, "effective_on": "2027-05-01"},
            content_type="application/json",
        )
    assert answer.status_code == 400
    assert "ne peut pas être passée" in answer.json()["detail"]
    certificate.refresh_from_db()
    assert certificate.status == Status.VALID and certificate.withdrawal_effective_on is None


def test_r_pub_1_a_suspension_under_a_fraud_notice_is_published_with_its_legal_category(
    client, world
):
    """The presumption of innocence: the register says « Suspendu » and the legal ground of the
    suspension, never the facts the notice asks the holder to answer."""
    certificate = world.issue()
    facts = "Soupçon d'usage du certificat pour un autre produit."
    with on(dt.date(2027, 6, 1)), committed():
        lifecycle.act(
            certificate,
            "give_formal_notice",
            by=world.instructor,
            reason=facts,
            kind=NoticeKind.FRAUD,
            deadline=dt.date(2027, 7, 1),
            suspend=True,
        )
    certificate.refresh_from_db()
    assert certificate.status == Status.SUSPENDED
    found = outputs(client, certificate)
    for name, value in found.items():
        shown = str(value)
        assert "Soupçon" not in shown, name
    assert found["csv"]["status_label"] == "Suspendu"
    assert "observations du titulaire" in found["csv"]["status_reason"]
    assert "article 15 de la convention" in found["csv"]["status_reason"]
    assert "État actuel : valide" not in found["feed"]
    # The holder and the agency read the facts in the notice itself.
    assert FormalNotice.objects.get(certificate=certificate).text == facts
