# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""The reminder before the term (R-CRT-2, issue 22 §2): the daily sweep tells the holder, at
the delay its referential version sets (`term_reminder_days`), what happens at the end of the
term — tacit renewal, or expiry after a notice of non-renewal —, once per term, dated by the
sweep's day."""

import datetime as dt

import pytest

from guichet.certificates.lifecycle import act
from guichet.certificates.sweep import sweep
from guichet.journal.models import JournalEntry
from guichet.referentials.process import check_process
from guichet.referentials.selectors import get_version
from tests.certificates.life_world import issued, life_dmn, notices, told  # noqa: F401
from tests.certificates.world import on

pytestmark = pytest.mark.django_db

SUBJECT = "fin de la période de validité"


@pytest.fixture
def certificate(catalogue, people):
    return issued(life_dmn(), signed=dt.date(2027, 1, 10), day=dt.date(2027, 3, 4), **people)


def test_r_crt_2_the_holder_is_reminded_before_the_tacit_renewal_once_per_term(
    certificate, notices
):
    """DMN guide §6: « valable durant toute la durée de la convention soit 5 ans, renouvelable
    à chaque échéance par tacite reconduction » — 90 days before the term (the shipped
    setting), the holder learns it, and that a non-renewal may still be notified."""
    assert certificate.valid_until == dt.date(2032, 1, 9)
    assert sweep(today=dt.date(2031, 10, 10)).term_reminders == 0
    report = sweep(today=dt.date(2031, 10, 11))
    assert report.term_reminders == 1 and report.as_dict()["term_reminders"] == 1
    (notice,) = told(notices, certificate, SUBJECT)
    assert "le 9 janvier 2032" in notice.subject
    assert "Au 11 octobre 2031" in notice.body and "dans 90 jours." in notice.body
    assert "reconduits tacitement à compter du 10 janvier 2032" in notice.body
    assert "notifier la non-reconduction, sur la page du certificat, jusqu'au 9 janvier 2032" in (
        notice.body
    )
    entry = JournalEntry.objects.get(action="certificate.term_reminder")
    assert entry.after["on"] == "2031-10-11" and entry.after["valid_until"] == "2032-01-09"
    # Once: the next days' sweeps, or a second run the same day, send nothing more.
    assert sweep(today=dt.date(2031, 10, 11)).term_reminders == 0
    assert sweep(today=dt.date(2031, 12, 1)).term_reminders == 0
    assert len(told(notices, certificate, SUBJECT)) == 1
    # Renewed: the next term has its own reminder.
    sweep(today=dt.date(2032, 1, 10))
    certificate.refresh_from_db()
    assert certificate.valid_until == dt.date(2037, 1, 9)
    assert sweep(today=dt.date(2036, 10, 11)).term_reminders == 1
    assert len(told(notices, certificate, SUBJECT)) == 2


def test_r_crt_2_after_a_non_renewal_the_reminder_announces_the_expiry(
    certificate, applicant, notices
):
    """After a notice of non-renewal, the reminder says the certificate expires, and that the
    Responsable habilité may still withdraw the notice until the term. A sweep that runs late
    within the window reminds on its own day."""
    with on(dt.date(2031, 6, 1)):
        act(certificate, "stop_renewal", by=applicant, reason="Fin de commercialisation.")
    assert sweep(today=dt.date(2031, 12, 20)).term_reminders == 1
    (notice,) = told(notices, certificate, SUBJECT)
    assert "Au 20 décembre 2031" in notice.body and "dans 20 jours." in notice.body
    assert "La non-reconduction a été notifiée le 1er juin 2031" in notice.body
    assert "expirera le 10 janvier 2032 et ne sera plus valable après le 9 janvier 2032" in (
        notice.body
    )
    assert "peut encore l'annuler, sur la page du certificat, jusqu'au 9 janvier 2032" in (
        notice.body
    )


def test_r_crt_2_the_reminder_delay_is_the_versions_setting(catalogue, people, notices):
    """What differs between referentials is data: each version's `term_reminder_days`
    (none: no reminder), checked by check_process, shipped for DMN and TLC."""
    assert get_version("DMN", "1.2.2").process_settings.term_reminder_days == 90
    assert get_version("TLC", "1.4.2").process_settings.term_reminder_days == 90
    assert check_process({"term_reminder_days": 0}) == [
        "« term_reminder_days » est un nombre entier positif, ou null."
    ]
    assert check_process({"term_reminder_days": "90"})
    assert "au plus 365 jours" in check_process({"term_reminder_days": 400})[0]
    assert check_process({"term_reminder_days": None}) == []

    silent = issued(
        life_dmn(term_reminder_days=None),
        signed=dt.date(2027, 1, 10),
        day=dt.date(2027, 3, 4),
        **people,
    )
    short = issued(
        life_dmn(term_reminder_days=30),
        signed=dt.date(2027, 1, 10),
        day=dt.date(2027, 3, 11),
        **people,
    )
    assert sweep(today=dt.date(2031, 11, 1)).term_reminders == 0
    assert sweep(today=dt.date(2031, 12, 10)).term_reminders == 1
    assert told(notices, short, SUBJECT) and not told(notices, silent, SUBJECT)
