"""Dossiers for the dashboard's tests, each step taken through the services and the workflow
on the day it happens (tests/instruction/instruction_world.py: small referential versions, so
that a dossier is complete in a fraction of a second)."""

from __future__ import annotations

import datetime as dt

from guichet.applications.workflow import transition
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


def decide(application, by, day: dt.date, name: str = "grant"):
    """The collège's decision, as the workflow fires it (grant, refuse …)."""
    reason = "Exigences non satisfaites." if name == "refuse" else ""
    with on(day):
        transition(application, name, by=by, reason=reason)
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
