"""A small world for the collège's tests: small referential versions (DMN-like and TLC-like,
with the shipped catalogue's collège settings), dossiers walked to the end of their instruction
through the services and the workflow, and sessions made by the services."""

from __future__ import annotations

import datetime as dt

from guichet.applications.workflow import transition
from guichet.committee import services
from guichet.conventions.services import sign_convention
from guichet.instruction.verdicts import set_proof_verdicts
from guichet.referentials.selectors import get_version
from tests.conftest import PASSWORD, committed
from tests.instruction.instruction_world import in_instruction, proof_ids, small_version

__all__ = ["finished", "small_dmn", "small_tlc", "session_on", "decide"]


def _shipped(code: str, number: str) -> dict:
    """The collège's settings of the shipped version: outcomes, partners, appeal routes."""
    process = get_version(code, number).process_settings.as_data()
    keys = ("decision_outcomes", "committee_partners", "appeal_routes_in_letter")
    return {key: process[key] for key in keys}


def small_dmn():
    return small_version("DMN", process=_shipped("DMN", "1.2.2"))


def small_tlc():
    return small_version("TLC", process=_shipped("TLC", "1.4.2"))


def finished(
    version,
    *,
    applicant,
    instructor,
    non_conforme: int = 0,
    sign: bool = True,
):
    """A dossier whose instruction is finished: every proof judged (the last `non_conforme`
    of them « non conforme »), the convention — sent once every proof is conforme (R-CONV-2) —
    signed by the Responsable habilité when `sign`."""
    application = in_instruction(version, applicant=applicant, instructor=instructor)
    proofs = proof_ids(application)
    opinions = {pk: ("conforme", "") for pk in proofs}
    for pk in proofs[len(proofs) - non_conforme :]:
        opinions[pk] = ("non_conforme", "Le rapport ne couvre pas l'exigence.")
    with committed():  # the task worker prepares the convention
        set_proof_verdicts(application, by=instructor, opinions=opinions)
    if sign and not non_conforme:
        with committed():  # and seals it once signed
            sign_convention(by=applicant, application=application, password=PASSWORD)
    transition(application, "finish_instruction", by=instructor)
    application.refresh_from_db()
    return application


def session_on(day: dt.date, *, by, members=()):
    return services.create_session(by=by, date=day, members=members)


def decide(session, application, *, by, outcome="granted", sign_off=True, **values):
    """Records the collège's decision (two votes for, the members marked present) and, by
    default, signs it off, its letter produced as after a real commit."""
    values = {"votes_for": 2, **values}
    with committed():
        decision = services.record_decision(
            by=by, session=session, application=application, outcome=outcome, **values
        )
        if sign_off:
            decision = services.sign_off(decision, by=by)
    decision.refresh_from_db()
    application.refresh_from_db()
    return decision
