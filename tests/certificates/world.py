"""Certificates for the tests, issued the way users get them: a small dossier walked to the end
of its instruction, put on a session of the collège, decided and signed off (which calls
`certificates.issue`), on the days given."""

from __future__ import annotations

import datetime as dt

from guichet.certificates.models import Certificate
from guichet.committee.models import CommitteeSession
from tests.committee.committee_world import decide, finished, session_on, small_dmn, small_tlc
from tests.instruction.instruction_world import on

__all__ = ["certified", "issued", "small_dmn", "small_tlc", "on"]


def issued(
    version,
    *,
    applicant,
    instructor,
    committee_member,
    signed: dt.date,
    day: dt.date,
    outcome: str = "granted",
    **values,
) -> Certificate:
    """A certificate issued on `day` by the collège (a session of the collège that day, one
    dossier per session: a session is held once its first decision is signed off), the dossier's
    instruction finished and its convention signed on `signed` (the term runs from the
    signature, R-CRT-2); the decision recorded and signed off, its letter and the certificate's
    PDF produced as after a real commit. `values`: reservations, reasons …"""
    with on(signed):
        session = CommitteeSession.objects.filter(date=day).first() or session_on(
            day,
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Mme Martin", "body": "cnam"}],
        )
        application = finished(version, applicant=applicant, instructor=instructor)
    with on(day):
        if outcome == "granted_with_reservations" and "reservations" not in values:
            values["reservations"] = ["Corriger l'affichage des mentions d'information."]
        decide(session, application, by=committee_member, outcome=outcome, **values)
    return Certificate.objects.get(application=application, kind="standard")


def certified(
    version,
    *,
    applicant,
    instructor,
    committee_member,
    day: dt.date = dt.date(2027, 3, 4),
    **values,
) -> Certificate:
    """A certificate issued on `day`, the dossier finished three days before."""
    return issued(
        version,
        applicant=applicant,
        instructor=instructor,
        committee_member=committee_member,
        signed=day - dt.timedelta(days=3),
        day=day,
        **values,
    )
