# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""The certificate's term (R-CRT-2): valid for the convention's term, 5 years, renewed tacitly
by the daily sweep unless its renewal was stopped; missed days are caught up with the events'
own dates; a second sweep the same day changes nothing."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guichet.certificates.lifecycle import act
from guichet.certificates.models import RevisionKind, Status
from guichet.certificates.sweep import sweep
from guichet.common.errors import ApplicationError
from guichet.journal.models import JournalEntry
from tests.certificates.life_world import issued, life_dmn, notices, told  # noqa: F401
from tests.certificates.world import on

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(catalogue, people):
    return issued(life_dmn(), signed=dt.date(2027, 1, 10), day=dt.date(2027, 3, 4), **people)


def test_r_crt_2_valid_for_the_convention_term_then_renewed_tacitly(certificate, notices):
    assert (certificate.issued_on, certificate.term_start, certificate.valid_until) == (
        dt.date(2027, 3, 4),
        dt.date(2027, 1, 10),
        dt.date(2032, 1, 9),
    )
    report = sweep(today=dt.date(2032, 1, 9))
    certificate.refresh_from_db()
    assert report.renewed == 0 and certificate.valid_until == dt.date(2032, 1, 9)

    report = sweep(today=dt.date(2032, 1, 10))
    certificate.refresh_from_db()
    assert report.renewed == 1
    assert certificate.status == Status.VALID
    assert (certificate.term_start, certificate.valid_until, certificate.renewals) == (
        dt.date(2032, 1, 10),
        dt.date(2037, 1, 9),
        1,
    )
    revision = certificate.revisions.get(number=2)
    assert (revision.kind, revision.effective_on) == (RevisionKind.RENEWED, dt.date(2032, 1, 10))
    assert revision.snapshot["valid_until"] == "2037-01-09"
    (notice,) = told(notices, certificate, "reconduction tacite")
    assert "valable du 10 janvier 2032 au 9 janvier 2037" in notice.body
    assert JournalEntry.objects.filter(action="certificate.renew").count() == 1

    # The same day again: nothing more.
    again = sweep(today=dt.date(2032, 1, 10))
    certificate.refresh_from_db()
    assert again.renewed == 0 and certificate.renewals == 1 and certificate.revision == 2


def test_r_crt_2_a_sweep_that_missed_years_catches_up_with_the_terms_own_dates(certificate):
    call_command("sweep_certificates", today=dt.date(2037, 2, 1))
    certificate.refresh_from_db()
    assert (certificate.valid_until, certificate.renewals) == (dt.date(2042, 1, 9), 2)
    renewals = certificate.revisions.filter(kind=RevisionKind.RENEWED).order_by("number")
    assert [r.effective_on for r in renewals] == [dt.date(2032, 1, 10), dt.date(2037, 1, 10)]


def test_r_crt_2_stopped_renewal_expires_at_the_end_of_the_term(certificate, applicant, notices):
    with on(dt.date(2031, 6, 1)):
        act(certificate, "stop_renewal", by=applicant, reason="Fin de commercialisation.")
        with pytest.raises(ApplicationError, match="déjà notifiée"):
            act(certificate, "stop_renewal", by=applicant, reason="Deux fois.")
    certificate.refresh_from_db()
    assert certificate.renewal_stopped_on == dt.date(2031, 6, 1)
    assert certificate.revisions.get(number=2).kind == RevisionKind.RENEWAL_STOPPED
    (notice,) = told(notices, certificate, "non-reconduction")
    assert "expirera à la fin de sa période de validité, le 9 janvier 2032" in notice.body

    sweep(today=dt.date(2032, 1, 9))
    certificate.refresh_from_db()
    assert certificate.status == Status.VALID
    report = sweep(today=dt.date(2032, 1, 12))
    certificate.refresh_from_db()
    assert report.expired == 1 and report.renewed == 0
    assert certificate.status == Status.EXPIRED
    assert certificate.status_changed_on == dt.date(2032, 1, 10)
    assert "non-reconduction a été notifiée le 1er juin 2031" in certificate.status_reason
    expired = certificate.revisions.get(kind=RevisionKind.EXPIRED)
    assert expired.effective_on == dt.date(2032, 1, 10) and expired.status == Status.EXPIRED


def test_r_crt_2_an_outsider_may_not_stop_the_renewal(certificate, stranger):
    with pytest.raises(
        ApplicationError,
        match="réservée à l'organisation titulaire, par son Responsable habilité, ou à l'agence",
    ) as refused:
        act(certificate, "stop_renewal", by=stranger, reason="Malveillance.")
    assert refused.value.extra["status"] == 403
    certificate.refresh_from_db()
    assert certificate.renewal_stopped_on is None


@pytest.mark.parametrize("command", ["sweep_certificates", "sweep_deadlines"])
@pytest.mark.parametrize("day", ["2026-13-01", "2027-02-30", "11/03/2026"])
def test_r_crt_2_a_sweep_for_a_day_that_does_not_exist_is_refused_in_french_with_status_2(
    certificate, capsys, command, day
):
    """The certificate is « renouvelé par tacite reconduction » (R-CRT-2) by the daily sweep,
    which an operator may run for a given day (`--today`): a day that does not exist is
    refused as any bad option is (exit status 2), in French, without a Python traceback, and
    nothing is swept (issue 22 §4)."""
    from django.core.management import load_command_class

    app = {"sweep_certificates": "guichet.certificates", "sweep_deadlines": "guichet.instruction"}
    runner = load_command_class(app[command], command)
    with pytest.raises(SystemExit) as exited:
        runner.run_from_argv(["manage.py", command, "--today", day])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err == (
        f"Erreur : option --today : date « {day} » illisible : indiquez un jour qui existe, au "
        f"format AAAA-MM-JJ (ex. 2032-01-10). Aide : manage.py {command} --help\n"
    )
    # Called from code, the same refusal is a CommandError carrying status 2.
    with pytest.raises(CommandError) as refused:
        call_command(command, "--today", day)
    assert refused.value.returncode == 2 and f"date « {day} » illisible" in str(refused.value)
    certificate.refresh_from_db()
    assert certificate.revision == 1


def test_r_crt_2_acts_the_sweep_records_for_a_past_day_are_dated_by_that_day(
    catalogue, people, applicant, instructor, notices
):
    """A sweep run for a given day (`sweep(today=…)`, `--today`) records the renewal
    (« renouvelé par tacite reconduction », R-CRT-2), the expiry after a non-renewal and the
    lapse of a formal notice (R-CRT-5) as of that day: revisions, states, the journal's
    `after`, the ministers' notice and the emails never carry the day the sweep was run
    (issue 22 §4)."""
    from django.core import mail
    from django.utils import timezone

    from guichet.certificates.models import (
        CertificateRevision,
        CertificateTransition,
        FormalNotice,
        MinisterNotice,
        NoticeKind,
    )
    from guichet.referentials.selectors import get_version
    from tests.certificates.life_world import life_tlc
    from tests.conftest import committed

    ministers = get_version("DMN", "1.2.2").process_settings.end_notice_recipients
    dmn = life_dmn(end_notice_recipients=list(ministers))
    renewed = issued(dmn, signed=dt.date(2027, 1, 10), day=dt.date(2027, 3, 4), **people)
    ending = issued(dmn, signed=dt.date(2027, 1, 10), day=dt.date(2027, 3, 11), **people)
    noticed = issued(life_tlc(), signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 18), **people)
    with on(dt.date(2031, 6, 1)):
        act(ending, "stop_renewal", by=applicant, reason="Fin de commercialisation.")
    with on(dt.date(2031, 11, 2)):
        act(
            noticed,
            "give_formal_notice",
            by=instructor,
            reason="Le flux INS n'est plus conforme.",
            kind=NoticeKind.NON_CONFORMITY,
            deadline=dt.date(2031, 12, 1),
        )
    revisions = set(CertificateRevision.objects.values_list("pk", flat=True))
    entries = set(JournalEntry.objects.values_list("pk", flat=True))
    mail.outbox.clear()
    day = dt.date(2032, 1, 10)
    with on(dt.date(2032, 6, 1)), committed():  # the run, months later
        report = sweep(today=day)
    assert (report.renewed, report.expired, report.notices_overdue) == (1, 1, 1)

    for certificate in (renewed, ending, noticed):
        certificate.refresh_from_db()
    assert (renewed.term_start, renewed.valid_until) == (day, dt.date(2037, 1, 9))
    assert (ending.status, ending.status_changed_on) == (Status.EXPIRED, day)
    new = CertificateRevision.objects.exclude(pk__in=revisions)
    assert sorted(new.values_list("effective_on", flat=True)) == [day, day]
    assert FormalNotice.objects.get(certificate=noticed).overdue_on == day
    (minister,) = MinisterNotice.objects.filter(certificate=ending)
    assert (minister.ended_on, minister.sent_on) == (day, day)
    # The transition log (the agency's history of the certificate) too, at the day's start.
    logged = CertificateTransition.objects.filter(name__in=("renew", "expire"))
    assert sorted((t.name, timezone.localtime(t.at).isoformat()) for t in logged) == [
        ("expire", "2032-01-10T00:00:00+01:00"),
        ("renew", "2032-01-10T00:00:00+01:00"),
    ]

    run_day = ("2032-06-01", "1er juin 2032", "01/06/2032")
    for entry in JournalEntry.objects.exclude(pk__in=entries):
        shown = str(entry.after)
        assert not any(d in shown for d in run_day), (entry.action, shown)
    written = [n.body for n in notices] + [m.body for m in mail.outbox]
    assert written and not any(d in text for text in written for d in run_day)
    assert any("a expiré le 10 janvier 2032" in text for text in written)
