"""Demo of the collège technique (issue 12 §4): a session held one or two weeks ago (Thursdays) that granted a DMN
dossier, granted a TLC dossier with reservations and refused a DMN dossier (their letters
written by the task worker); the next session, planned, with a finished dossier and a TLC
dossier accepted by silence on its agenda (R-CLK-7).

Each step goes through the services and the workflow on the day it would have happened, as in
`guichet.demo.instruction`. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from guichet.accounts.models import User
from guichet.applications.models import Product
from guichet.applications.services import file_again
from guichet.applications.workflow import transition
from guichet.certificates import lifecycle
from guichet.certificates.models import Certificate
from guichet.committee import services as committee
from guichet.conventions.models import Convention
from guichet.conventions.services import prepare_convention, seal_convention, sign_convention
from guichet.deadlines import french_date
from guichet.demo.accounts import demo_password
from guichet.demo.instruction import (
    _assign,
    _complete,
    _ins_test_day,
    days_ago,
    new_application,
)
from guichet.instruction import verdicts
from guichet.instruction.clockstate import sweep
from guichet.instruction.proofs import applicable_proofs
from guichet.referentials.selectors import get_version

THURSDAY = 3  # the collège meets on Thursdays in the demo


def _members(college, instructor, *, has: bool) -> list[dict]:
    partners = [
        {"name": "Claire Morel", "body": "cnam"},
        {"name": "Hugo Lambert", "body": "cnda"},
        {"name": "Nadia Benali", "body": "sesam_vitale"},
    ]
    if has:
        partners.append({"name": "Pierre Vidal", "body": "has"})
    return [{"user": college}, {"user": instructor}, *partners]


def _finished(
    application, responsible, instructor, *, code: str, on: int, refused: int = 0, sign=False
):
    """Complete 40 days before `on`, the INS test day held 10 days later, every proof judged (the first `refused` non conformes),
    the convention signed where it comes before the collège, the instruction finished `on`
    days ago: the dossier goes on the next planned session's agenda."""
    _complete(application, responsible, instructor, code=code, on=on + 40)
    _assign(application, instructor, on=on + 38)
    _ins_test_day(application, responsible, instructor, on=on + 30)
    proofs = list(applicable_proofs(application))
    opinions = {pk: ("conforme", "") for pk in proofs}
    for pk in proofs[:refused]:
        opinions[pk] = (
            "non_conforme",
            "Le rapport d'audit ne couvre pas l'exigence : le périmètre testé exclut "
            "l'application mobile.",
        )
    with days_ago(on + 2):
        verdicts.set_proof_verdicts(application, by=instructor, opinions=opinions)
        application.refresh_from_db()
        convention = getattr(application, "convention", None)
        if not refused and convention is not None and convention.signed_id is None:
            prepare_convention(convention.pk, by_id=instructor.pk)
            sign_convention(by=responsible, application=application, password=demo_password())
            seal_convention(convention.pk)
    with days_ago(on):
        transition(application, "finish_instruction", by=instructor)
        # With non-conformities, a TLC convention is sent as the instruction finishes, so
        # that an attribution « sous réserve » is possible (R-DEC-2): signed with `sign`.
        convention = Convention.objects.filter(application=application).first()
        if sign and refused and convention is not None and convention.signed_id is None:
            prepare_convention(convention.pk, by_id=instructor.pk)
            sign_convention(by=responsible, application=application, password=demo_password())
            seal_convention(convention.pk)
    application.refresh_from_db()
    return application


def _decide(session, application, college, **values):
    with days_ago((timezone.localdate() - session.date).days):
        decision = committee.record_decision(
            by=college, session=session, application=application, votes_for=4, **values
        )
        committee.sign_off(decision, by=college)


@transaction.atomic
def ensure_demo_committee() -> list[str]:
    if Product.objects.filter(name="CardioTrack").exists():
        return []
    responsible = User.objects.get(email="responsable@telesante-demo.fr")
    other = User.objects.get(email="responsable@sante-connectee-demo.fr")
    instructor = User.objects.get(email="instructeur@guichet.local")
    college = User.objects.get(email="college@guichet.local")
    dmn, tlc = get_version("DMN", "1.2.2"), get_version("TLC", "1.4.2")
    today = timezone.localdate()
    held_on = today - dt.timedelta(days=(today.weekday() - THURSDAY) % 7 + 7)
    ago = (today - held_on).days  # 7 to 13 days

    with days_ago(ago + 30):
        held = committee.create_session(
            by=college,
            date=held_on,
            members=_members(college, instructor, has=True),
            notes="Séance ordinaire du collège technique.",
        )
    granted = new_application(responsible, "CardioTrack", "4.2", dmn, "nom_de_marque", days=120)
    _finished(granted, responsible, instructor, code="DMN", on=ago + 6)
    reserved = new_application(other, "MédiConsult", "1.8", tlc, "teleconsultation", days=120)
    _finished(reserved, other, instructor, code="TLC", on=ago + 5, refused=2, sign=True)
    refused = new_application(responsible, "GlycoWatch", "2.0", dmn, "nom_de_marque", days=120)
    _finished(refused, responsible, instructor, code="DMN", on=ago + 4, refused=2)
    _decide(held, granted, college, outcome="granted")
    non_conforme = list(applicable_proofs(reserved))[:2]  # as `_finished` judged them
    _decide(
        held,
        reserved,
        college,
        outcome="granted_with_reservations",
        # R-DEC-2: the two non-conforme proofs as reservations, each with its deadline.
        reservations=[
            {
                "text": "Fournir le rapport d'audit couvrant l'application mobile.",
                "deadline": held_on + dt.timedelta(days=30),
                "proof": non_conforme[0],
            },
            {
                "text": "Transmettre le rapport du prochain test d'intrusion dès sa remise.",
                "deadline": held_on + dt.timedelta(days=180),
                "proof": non_conforme[1],
            },
        ],
    )
    # The first reservation lifted by the agency on the report received; the other open.
    with days_ago(2):
        lifecycle.act(
            Certificate.objects.get(application=reserved),
            "lift_reservation",
            by=User.objects.get(email="admin@guichet.local"),
            reason="Rapport d'audit reçu : il couvre l'application mobile.",
            reservation=1,
        )
    _decide(
        held,
        refused,
        college,
        outcome="refused",
        reasons="Deux exigences de sécurité ne sont pas satisfaites : le rapport d'audit ne "
        "couvre pas l'application mobile. Un nouveau dépôt est possible après l'audit complet.",
    )
    # R-APP-9: after the refusal, the applicant files the same version again from it (the form
    # and a copy of its documents), to complete once the audit covers the mobile application.
    with days_ago(max(ago - 3, 1)):
        filed_again = file_again(by=responsible, previous=refused)

    with days_ago(3):
        upcoming = committee.create_session(
            by=college,
            date=committee.week_dates(weekday=THURSDAY, weeks=1, today=today)[0],
            members=_members(college, instructor, has=True),
        )
    waiting = new_application(responsible, "DermaScan", "1.1", dmn, "nom_de_marque", days=90)
    _finished(waiting, responsible, instructor, code="DMN", on=2)
    # A TLC dossier complete seven months ago that nobody decided: the sweep records the
    # acceptance by silence and puts it on the next session's agenda (R-CLK-7).
    silent = new_application(other, "TéléSuivi Pro", "5.0", tlc, "teleconsultation", days=260)
    _complete(silent, other, instructor, code="TLC", on=215)
    _assign(silent, instructor, on=213)
    sweep(every=True)
    silent.refresh_from_db()
    return [
        f"{granted.reference} CardioTrack 4.2 : attribuée en séance du collège",
        f"{reserved.reference} MédiConsult 1.8 : attribuée sous réserve (une réserve levée, "
        "une ouverte)",
        f"{refused.reference} GlycoWatch 2.0 : refusée (motifs dans la lettre de décision)",
        f"{filed_again.reference} GlycoWatch 2.0 : nouvelle candidature déposée après le refus "
        f"de {refused.reference}",
        f"{waiting.reference} DermaScan 1.1 : à l'ordre du jour du {french_date(upcoming.date)}",
        f"{silent.reference} TéléSuivi Pro 5.0 : {silent.get_status_display().lower()}",
    ]
