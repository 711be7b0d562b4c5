"""Inactivity before the complete dossier (R-CLK-6): the sweep reads every open state the rule
names, and the agency sees them in the queue filtered on « inactive »."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.urls import reverse

from guichet.applications.models import Status
from guichet.applications.services import submit
from guichet.instruction.clockstate import sweep
from guichet.instruction.models import ClockState
from guichet.instruction.queue import instruction_queue
from tests.instruction.clock_steps import today
from tests.instruction.instruction_world import small_shipped
from tests.workflow import ApplicationFactory, fill

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def sweep_on(day: dt.date):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            return sweep(today=day)

    return sweep_on


def flags(application) -> str:
    found = ClockState.objects.filter(application=application).first()
    return found.flags if found else ""


def queued(user, **filters) -> list[int]:
    return [a.pk for a in instruction_queue(user, **filters)]


def test_r_clk_6_a_dmn_draft_and_a_tlc_incomplete_dossier_idle_6_months_are_flagged(
    run, client, applicant, instructor, catalogue
):
    """DMN guide §5.2: « Une candidature déposée depuis plus de 6 mois mais qui n'a pas évolué
    pourra être considérée comme abandonnée, et cela, quel que soit l'état de la candidature. »
    TLC guide §5.2: « Une candidature non complète déposée depuis plus de 6 mois mais qui n'a pas
    évolué pourra être considérée comme abandonnée »."""
    dmn, tlc = small_shipped("DMN"), small_shipped("TLC")
    draft = ApplicationFactory(referential=dmn, applicant=applicant, instructor=instructor)
    tlc_admissible = ApplicationFactory(
        referential=tlc, state="admissible", applicant=applicant, instructor=instructor
    )
    tlc_complete = ApplicationFactory(
        referential=tlc, state="complete", applicant=applicant, instructor=instructor
    )
    assert draft.status == Status.DRAFT and tlc_admissible.status == Status.ADMISSIBLE
    six_months = today() + relativedelta(months=6)

    assert run(six_months).inactive == 0
    assert queued(instructor, flag="inactive") == []
    report = run(six_months + dt.timedelta(days=1))
    assert report.inactive == 2
    assert "inactive" in flags(draft) and "inactive" in flags(tlc_admissible)
    # TLC: a complete dossier is not « non complète » (its 6 months bind the agency instead).
    assert "inactive" not in flags(tlc_complete)
    told = [m for m in mail.outbox if m.subject.endswith("sans évolution depuis 6 mois")]
    assert len(told) == 2
    # The agency sees them: the queue filtered on « inactive », page and API.
    assert set(queued(instructor, flag="inactive")) == {draft.pk, tlc_admissible.pk}
    assert draft.pk not in queued(instructor)  # the plain queue keeps complete dossiers
    client.force_login(instructor)
    page = client.get(reverse("instruction:queue"), {"flag": "inactive"}).content.decode()
    assert draft.reference in page and tlc_admissible.reference in page
    assert "Pas encore complet" in page
    rows = client.get("/api/v1/instruction/queue", {"flag": "inactive"}).json()["results"]
    assert {(row["reference"], row["complete_at"]) for row in rows} == {
        (draft.reference, None),
        (tlc_admissible.reference, None),
    }
    # Nothing automatic, and a second sweep tells nobody again.
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert run(six_months + dt.timedelta(days=2)).inactive == 0 and mail.outbox == []


def test_r_clk_6_a_draft_that_moves_is_no_longer_inactive(run, applicant, instructor, catalogue):
    """« qui n'a pas évolué »: a dossier that moves again leaves the flag; the applicant's
    submission after the flag clears it at once."""
    dmn = small_shipped("DMN")
    draft = ApplicationFactory(referential=dmn, applicant=applicant, instructor=instructor)
    later = today() + relativedelta(months=7)
    run(later)
    assert "inactive" in flags(draft)
    # The submission (dated today, as the transition log is in tests) is a move.
    fill(draft, applicant)
    submit(by=applicant, application=draft)
    assert "inactive" not in flags(draft)
    assert draft.pk not in queued(instructor, flag="inactive")
