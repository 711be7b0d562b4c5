"""Dossiers for the dashboard's tests, each step taken through the services and the workflow
on the day it happens (tests/instruction/instruction_world.py: small referential versions, so
that a dossier is complete in a fraction of a second)."""

from __future__ import annotations

import datetime as dt

from guichet.applications.models import DECIDED_STATES
from guichet.applications.workflow import transition
from guichet.committee import services as committee
from guichet.committee.models import CommitteeSession
from guichet.instruction import requests, verdicts
from tests.conftest import PASSWORD, committed
from tests.instruction.instruction_world import complete_dossier, on, proof_ids


def complete(version, cast, day: dt.date, *, assign: bool = False):
    with on(day):
        application = complete_dossier(version, **cast)
        if assign:
            transition(application, "assign", by=cast["instructor"], lead=cast["instructor"])
    application.refresh_from_db()
    return application


def request_information(application, cast, day: dt.date):
    with on(day):
        return requests.request_information(
            by=cast["instructor"], application=application, text="Précisez la sauvegarde."
        )


def answer_information(application, cast, request, day: dt.date):
    with on(day):
        requests.answer_information(
            by=cast["applicant"], application=application, request_id=request.pk, text="Voici."
        )


def finish(application, cast, day: dt.date):
    """Every proof conforme (the convention then sent for signature, before the committee),
    the convention signed, the instruction finished."""
    instructor = cast["instructor"]
    with on(day):
        with committed():  # the task worker prepares the convention
            verdicts.set_proof_verdicts(
                application,
                by=instructor,
                opinions={pk: ("conforme", "") for pk in proof_ids(application)},
            )
        from guichet.conventions.services import sign_convention

        sign_convention(by=cast["applicant"], application=application, password=PASSWORD)
        transition(application, "finish_instruction", by=instructor)
    application.refresh_from_db()
    return application


OUTCOMES = {"grant": "granted", "grant_with_reservations": "granted_with_reservations"}


def decide(application, by, day: dt.date, name: str = "grant"):
    """The collège's decision on `day`, through its services: the session of that day (created
    if need be, the dossier on its agenda), the decision recorded then signed off, which fires
    the workflow's transition (grant, refuse …); on a decided dossier, a decision on appeal."""
    outcome = OUTCOMES.get(name, "refused")
    reasons = "Exigences non satisfaites." if outcome == "refused" else ""
    with on(day):
        if application.status in DECIDED_STATES:
            decision = committee.record_appeal_decision(
                by=by,
                application=application,
                outcome=outcome,
                reasons=reasons or "Recours gracieux accueilli.",
                decided_on=day,
            )
        else:
            session = CommitteeSession.objects.filter(date=day).first()
            if session is None:
                session = committee.create_session(by=by, date=day, members=[{"user": by}])
            if not session.agenda.filter(application=application).exists():
                committee.fill_agenda(by=by, session=session, today=day)
            decision = committee.record_decision(
                by=by,
                session=session,
                application=application,
                outcome=outcome,
                reasons=reasons,
                votes_for=1,
            )
        committee.sign_off(decision, by=by)
    application.refresh_from_db()
    return application


def decided(version, cast, *, complete_on, decided_on, name="grant", committee, stop=None):
    """A dossier complete on `complete_on`, instructed (an information request answered within
    `stop` = (asked, answered) days), decided on `decided_on`."""
    application = complete(version, cast, complete_on, assign=True)
    if stop:
        request = request_information(application, cast, stop[0])
        answer_information(application, cast, request, stop[1])
    finish(application, cast, decided_on)
    return decide(application, committee, decided_on, name)
