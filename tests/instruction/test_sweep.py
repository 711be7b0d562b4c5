"""The daily sweep (issue 11 §4): reminders (R-CLK-4), abandonment (R-CLK-5), inactivity
(R-CLK-6), TLC silent acceptance (R-CLK-7); idempotent, and two sweeps at once give the result
of one. The sweep takes its day; the transition log is dated now, so days count from today."""

import datetime as dt
import threading

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.applications.models import Status
from guichet.applications.workflow import WORKFLOW
from guichet.common import periodic
from guichet.deadlines import french_date
from guichet.instruction.clockstate import sweep
from guichet.instruction.models import ClockState, Reminder
from guichet.journal.models import JournalEntry
from tests.instruction.clock_steps import (
    assign,
    days,
    request_information,
    request_missing_items,
    today,
)
from tests.instruction.instruction_world import small_shipped
from tests.workflow import ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dmn(catalogue):
    """A small DMN version with the shipped process settings (instruction_world.small_shipped):
    these tests read the clock and the states, not the catalogue's content."""
    return small_shipped("DMN")


@pytest.fixture
def tlc(catalogue):
    return small_shipped("TLC")


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """A sweep on `day`, its emails sent as after a real commit; returns its report."""

    def sweep_on(day: dt.date, **kwargs):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            return sweep(today=day, **kwargs)

    return sweep_on


def make(referential, applicant, instructor, *, assigned=True):
    application = ApplicationFactory(
        referential=referential, state="complete", applicant=applicant, instructor=instructor
    )
    return assign(application, instructor) if assigned else application


def subjects() -> list[tuple[str, list[str]]]:
    return [(message.subject.split(" — ")[-1], sorted(message.to)) for message in mail.outbox]


def flags(application) -> str:
    return ClockState.objects.get(application=application).flags


def test_r_clk_4_reminders_at_10_and_20_days_are_sent_once_each(run, applicant, instructor, dmn):
    application = make(dmn, applicant, instructor)
    request = request_information(application, instructor)
    applicant_side = sorted([applicant.email, "camille@telesante.fr"])  # Responsable, contact

    assert run(days(9)).reminders == 0 and mail.outbox == []
    report = run(days(10))
    assert report.reminders == 1
    assert subjects() == [
        ("relance : demande d'information sans réponse depuis 10 jours", applicant_side)
    ]
    assert "n'est plus garantie" in mail.outbox[0].body
    assert "Sans réponse 30 jours après la demande, l'agence peut archiver" in mail.outbox[0].body
    assert flags(application) == ",no_answer_10,"
    again = run(days(10))  # the same day: nothing changes, nothing is sent
    assert (again.reminders, again.updated, mail.outbox) == (0, 0, [])
    assert run(days(15)).reminders == 0 and mail.outbox == []

    assert run(days(20)).reminders == 1
    assert subjects() == [
        ("relance : demande d'information sans réponse depuis 20 jours", applicant_side)
    ]
    assert "délai supplémentaire" in mail.outbox[0].body
    assert run(days(20)).reminders == 0 and mail.outbox == []

    # 30 days: the instructors learn that they may archive; the sweep does not archive.
    report = run(days(30))
    assert (report.reminders, report.archivable) == (0, 1)
    assert subjects() == [("archivage possible (demande sans réponse)", [instructor.email])]
    assert run(days(31)).archivable == 0 and mail.outbox == []
    assert sorted(Reminder.objects.filter(request=request).values_list("kind", flat=True)) == [
        "archivable",
        "no_answer_10",
        "no_answer_20",
    ]
    application.refresh_from_db()
    assert application.status == Status.INFORMATION_REQUESTED
    assert flags(application) == ",no_answer_10,no_answer_20,no_answer_30,"
    assert JournalEntry.objects.filter(action="instruction.reminder").count() == 2


def test_r_clk_4_a_late_first_sweep_sends_the_highest_reminder_only(
    run, applicant, instructor, dmn
):
    application = make(dmn, applicant, instructor)
    request = request_information(application, instructor)
    assert run(days(25)).reminders == 1
    assert [s for s, _ in subjects()] == [
        "relance : demande d'information sans réponse depuis 20 jours"
    ]
    assert list(Reminder.objects.filter(request=request).values_list("kind", flat=True)) == [
        "no_answer_20"
    ]


def test_r_clk_5_missing_items_past_their_date_make_the_dmn_application_abandoned(
    run, applicant, instructor, dmn
):
    application = make(dmn, applicant, instructor)
    request_missing_items(application, instructor, due=days(10))
    assert run(days(10)).abandoned == 0  # the due day itself is still in time
    application.refresh_from_db()
    assert application.status == Status.MISSING_ITEMS

    report = run(days(11))
    assert report.abandoned == 1
    application.refresh_from_db()
    assert application.status == Status.ABANDONED
    assert sorted(subjects()) == sorted(
        [
            ("candidature réputée abandonnée", sorted([applicant.email, "camille@telesante.fr"])),
            ("candidature réputée abandonnée", [instructor.email]),
        ]
    )
    to_applicant = next(m for m in mail.outbox if instructor.email not in m.to)
    assert f"au plus tard le {french_date(days(10))}" in to_applicant.body
    assert "déposez une nouvelle candidature" in to_applicant.body
    log = application.transitions.get(name="deem_abandoned")
    assert log.by is None and log.source == Status.MISSING_ITEMS
    entry = JournalEntry.objects.get(action="instruction.abandoned")
    assert entry.after["missing_items_due"] == days(10).isoformat()
    # The clock stops the day the platform recorded it (the log is dated now in tests).
    state = ClockState.objects.get(application=application)
    assert not state.running and state.paused_reason == (
        f"Délai arrêté le {french_date(today())} : candidature « Réputée abandonnée »."
    )
    assert run(days(11)).abandoned == 0 and mail.outbox == []  # it left the open dossiers


def test_r_clk_6_an_inactive_dossier_is_flagged_and_its_instructors_told_once(
    run, applicant, instructor, dmn
):
    application = make(dmn, applicant, instructor)
    six_months = today() + relativedelta(months=6)
    assert run(six_months).inactive == 0
    report = run(six_months + dt.timedelta(days=1))
    assert report.inactive == 1
    assert subjects() == [("candidature sans évolution depuis 6 mois", [instructor.email])]
    assert "inactive" in flags(application)
    application.refresh_from_db()
    assert application.status == Status.IN_INSTRUCTION  # nothing automatic: the agency decides
    assert run(six_months + dt.timedelta(days=2)).inactive == 0 and mail.outbox == []


def test_r_clk_7_tlc_silence_past_six_months_is_acceptance_and_requests_send_no_reminder(
    run, applicant, instructor, tlc
):
    waiting = make(tlc, applicant, instructor)
    request_information(waiting, instructor)  # TLC: an exchange, no stop, no reminder
    unassigned = make(tlc, applicant, instructor, assigned=False)
    deadline = today() + relativedelta(months=6)
    assert run(days(20)).reminders == 0 and mail.outbox == []
    report = run(deadline)
    assert report.silently_accepted == 0  # the last day is still in time

    report = run(deadline + dt.timedelta(days=1))
    assert report.silently_accepted == 2
    for application in (waiting, unassigned):
        application.refresh_from_db()
        assert application.status == Status.SILENTLY_ACCEPTED
    assert {subject for subject, _ in subjects()} == {"acceptation tacite"}
    assert any("le silence vaut acceptation" in m.body for m in mail.outbox)
    assert run(deadline + dt.timedelta(days=1)).silently_accepted == 0 and mail.outbox == []


def test_r_clk_5_tlc_missing_items_not_received_in_60_days_make_it_abandoned(
    run, applicant, instructor, tlc
):
    application = make(tlc, applicant, instructor)
    request_missing_items(application, instructor, due=days(60))
    assert run(days(60)).abandoned == 0
    assert run(days(61)).abandoned == 1
    application.refresh_from_db()
    assert application.status == Status.ABANDONED


def test_the_sweep_reads_a_constant_number_of_queries_per_batch(run, applicant, instructor, dmn):
    """One dossier or three in a batch: the same queries (the locked read, the transition log,
    the journal's activity, the clock states, the batch's writes)."""

    def queries(day):
        with CaptureQueriesContext(connection) as captured:
            run(day)
        return len(captured)

    make(dmn, applicant, instructor)
    one = queries(days(61)), queries(days(61)), queries(days(62))  # new flag, same day, next
    for _ in range(2):
        make(dmn, applicant, instructor)
    three = queries(days(61)), queries(days(61)), queries(days(62))
    assert three == one


def test_a_dossier_that_fails_is_reported_and_the_others_are_swept(run, applicant, instructor, dmn):
    broken = make(dmn, applicant, instructor)
    request_missing_items(broken, instructor, due=days(10))
    other = make(dmn, applicant, instructor)
    request_information(other, instructor)

    def refuse(application):  # another stage's guard refusing, as one could
        return "Refus de test : le dossier est bloqué." if application.pk == broken.pk else None

    WORKFLOW.guard("deem_abandoned")(refuse)
    try:
        report = run(days(11))
        with pytest.raises(CommandError) as failed:
            call_command("sweep_deadlines", "--today", days(11).isoformat())
    finally:
        WORKFLOW._guards["deem_abandoned"].remove(refuse)
    assert report.abandoned == 0 and report.reminders == 1
    assert report.problems == [f"{broken.reference} : Refus de test : le dossier est bloqué."]
    assert "1 dossier en erreur" in str(failed.value)
    broken.refresh_from_db()
    assert broken.status == Status.MISSING_ITEMS


def test_the_command_prints_a_french_summary(applicant, instructor, dmn, capsys):
    application = make(dmn, applicant, instructor)
    request_information(application, instructor)
    call_command("sweep_deadlines", "--today", days(10).isoformat())
    out = capsys.readouterr().out
    assert out.startswith(f"Balayage des délais du {days(10).day} ")
    assert "1 dossier examiné" in out and "1 relance envoyée" in out
    assert "0 dossier réputé abandonné" in out and " s." in out
    with pytest.raises(CommandError, match="AAAA-MM-JJ"):
        call_command("sweep_deadlines", "--today", "11/03/2026")


def test_the_sweep_is_a_daily_periodic_task(
    applicant, instructor, dmn, django_capture_on_commit_callbacks
):
    from guichet.instruction.tasks import sweep_deadlines

    entry = next(p for p in periodic.registered() if p.task is sweep_deadlines)
    assert entry.every == dt.timedelta(days=1) and "Balayage des délais" in entry.label
    make(dmn, applicant, instructor)
    ClockState.objects.all().delete()  # never computed yet: the sweep looks at it
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_deadlines.enqueue()
    assert result.return_value["swept"] == 1 and result.return_value["problems"] == []


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_give_the_result_of_one(
    journal_rows_removed, applicant, instructor, dmn
):
    """On PostgreSQL, two threads sweep at the same time (SKIP LOCKED shares the dossiers);
    on SQLite, which locks the whole file, one after the other: the same single result."""
    waiting = [make(dmn, applicant, instructor) for _ in range(2)]
    for application in waiting:
        request_information(application, instructor)
    late = make(dmn, applicant, instructor)
    request_missing_items(late, instructor, due=days(10))  # CSS R. 165-5-2: ten days at least
    mail.outbox.clear()

    reports = []

    def one_sweep():
        try:
            reports.append(sweep(today=days(11), batch_size=1))
        finally:
            connection.close()

    if connection.vendor == "postgresql":
        threads = [threading.Thread(target=one_sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        one_sweep()
        one_sweep()

    assert len(reports) == 2 and all(report.problems == [] for report in reports)
    assert sum(report.reminders for report in reports) == 2
    assert sum(report.abandoned for report in reports) == 1
    assert Reminder.objects.filter(kind="no_answer_10").count() == 2
    assert sorted(s for s, _ in subjects()) == [
        "candidature réputée abandonnée",
        "candidature réputée abandonnée",
        "relance : demande d'information sans réponse depuis 10 jours",
        "relance : demande d'information sans réponse depuis 10 jours",
    ]
    late.refresh_from_db()
    assert late.status == Status.ABANDONED
    assert ClockState.objects.count() == 3


def test_r_clk_2_the_sweep_looks_again_at_a_clock_on_the_day_it_may_change(
    run, applicant, instructor, dmn
):
    """A clock changes on its own only on known days (a threshold, the deadline passed): the
    daily sweep looks at those; `--all` at every open dossier."""
    made = [make(dmn, applicant, instructor) for _ in range(2)]
    states = ClockState.objects.filter(application__in=made)
    assert {state.next_check for state in states} == {days(61)}  # the day after the deadline
    assert run(days(1)).swept == 0
    assert run(days(1), every=True).swept == 2
    report = run(days(61))
    assert report.swept == 2 and {flags(a) for a in made} == {",overdue,"}
    assert run(days(61)).swept == 0  # looked at: nothing more can happen before a new event
