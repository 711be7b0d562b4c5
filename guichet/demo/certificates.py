"""Demo certificates (issue 13 §4), beside the two the collège's demo issued (a valid DMN one,
a TLC one with reservations): a DMN certificate suspended under a formal notice, a DMN
certificate withdrawn for fault, and a TLC dossier of 2024 that got the exceptional certificate
(R-CRT-4) — expired on 31 December 2024 whatever happened — then its standard certificate.

Each step goes through the services and the workflows on the day it would have happened, as in
`guichet.demo.instruction`; the certificates' sweep then brings them to today. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from guichet.accounts.models import User
from guichet.applications.workflow import transition as application_transition
from guichet.certificates import exceptional, lifecycle
from guichet.certificates.models import Certificate, Kind
from guichet.certificates.sweep import sweep as sweep_certificates
from guichet.committee import services as committee
from guichet.conventions.services import prepare_convention, seal_convention, sign_convention
from guichet.demo.accounts import demo_password
from guichet.demo.applications import _deposit
from guichet.demo.committee import _finished, _members
from guichet.demo.instruction import (
    _assign,
    _complete,
    _ins_test_day,
    days_ago,
    new_application,
)
from guichet.evidence.acknowledgment import issue_acknowledgment
from guichet.instruction import verdicts
from guichet.instruction.proofs import applicable_proofs
from guichet.referentials.selectors import get_version

EXCEPTIONAL_DAY = dt.date(2024, 7, 18)  # within the period 2024-07-01 … 2024-12-31


def _ago(day: dt.date) -> int:
    return (timezone.localdate() - day).days


def _session(college, instructor, *, on: int):
    """A session of the collège `on` days ago, created ahead of the dossiers it will decide
    (a dossier finished goes to the next planned session's agenda)."""
    with days_ago(on + 40):
        return committee.create_session(
            by=college,
            date=timezone.localdate() + dt.timedelta(days=40),
            members=_members(college, instructor, has=True),
        )


def _granted(session, application, college, **values):
    """The collège grants the dossier on its session's day (the exceptional certificate when
    its outcome is `exceptional`)."""
    with days_ago(_ago(session.date)):
        decision = committee.record_decision(
            by=college, session=session, application=application, votes_for=4, **values
        )
        committee.sign_off(decision, by=college)
    kind = Kind.EXCEPTIONAL if values.get("outcome") == "exceptional" else Kind.STANDARD
    return Certificate.objects.get(application=application, kind=kind)


def _exceptional_then_standard(other, instructor, college):
    """TLC, 2024 (R-CRT-4): the commitment once admissible, only the five domains deposited;
    judged conforme, the collège grants the exceptional certificate on 18 July 2024. The other
    sections deposited in September start the legal clock; all conforme, the convention signed,
    the collège grants the standard certificate in January 2025, which replaces the exceptional
    one (expired on 31 December 2024 meanwhile)."""
    tlc = get_version("TLC", "1.4.2")
    application = new_application(
        other, "VisioCabinet", "3.0", tlc, "teleconsultation", days=_ago(EXCEPTIONAL_DAY) + 60
    )
    first = _session(college, instructor, on=_ago(EXCEPTIONAL_DAY))
    _complete(
        application, other, instructor, code="TLC", on=_ago(EXCEPTIONAL_DAY) + 20, exceptional=True
    )
    _assign(application, instructor, on=_ago(EXCEPTIONAL_DAY) + 18)
    _ins_test_day(application, other, instructor, on=_ago(EXCEPTIONAL_DAY) + 10)
    _, _, sections = exceptional.period(application)
    proofs = applicable_proofs(application)
    domains = {pk for pk, proof in proofs.items() if proof.section.code in sections}
    with days_ago(_ago(EXCEPTIONAL_DAY) + 3):
        verdicts.set_proof_verdicts(
            application, by=instructor, opinions={pk: ("conforme", "") for pk in domains}
        )
        application_transition(application, "finish_instruction", by=instructor)
    _granted(first, application, college, outcome="exceptional")
    with days_ago(_ago(dt.date(2024, 9, 16))):
        _deposit(application, other, codes=tuple({p.section.code for p in proofs.values()}))
        issue_acknowledgment(application.pk, by_id=other.pk)
        application.refresh_from_db()
    session = _session(college, instructor, on=_ago(dt.date(2025, 1, 9)))
    finished_on = dt.date(2024, 12, 12)
    with days_ago(_ago(finished_on)):
        verdicts.set_proof_verdicts(
            application,
            by=instructor,
            opinions={pk: ("conforme", "") for pk in proofs if pk not in domains},
        )
        application.refresh_from_db()
        convention = application.convention
        prepare_convention(convention.pk, by_id=instructor.pk)
        sign_convention(by=other, application=application, password=demo_password())
        seal_convention(convention.pk)
        application_transition(application, "finish_instruction", by=instructor)
    # The exceptional certificate expires on 31 December 2024 whatever happens: the sweep of
    # 1 January 2025 ends it, before the collège grants the standard one.
    with days_ago(_ago(dt.date(2025, 1, 1))):
        sweep_certificates()
    return _granted(session, application, college, outcome="granted")


WINDOW_VERSION = "1.4.2-demo"


def _window_version():
    """A demo-only copy of TLC 1.4.2 whose exceptional window (R-CRT-4) is open around the day
    the demo is loaded: 45 days before it to 120 days after. The shipped catalogue keeps the
    legal dates of the arrêté du 9 février 2024 (2024-07-01 … 2024-12-31), long gone; the window
    being data of the version, a later arrêté with new dates needs no code, and this copy shows
    it. Its source says it is a demonstration."""
    from guichet.referentials.models import Referential, ReferentialVersion
    from guichet.referentials.services import (
        CATALOGUE_DIR,
        _catalogue_requirements,
        _load_yaml,
        write_version,
    )

    referential = Referential.objects.get(code="TLC")
    existing = ReferentialVersion.objects.filter(
        referential=referential, number=WINDOW_VERSION
    ).first()
    if existing is not None:
        return existing
    data = _load_yaml(CATALOGUE_DIR / "tlc-1.4.2.yaml")
    today = timezone.localdate()
    process = dict(data["process"])
    process["exceptional_certificate"] = {
        **process["exceptional_certificate"],
        "from": (today - dt.timedelta(days=45)).isoformat(),
        "until": (today + dt.timedelta(days=120)).isoformat(),
    }
    return write_version(
        referential=referential,
        number=WINDOW_VERSION,
        state="published",
        entry_into_force=today - dt.timedelta(days=60),
        source="Démonstration : copie de la version 1.4.2 dont la période du certificat "
        "exceptionnel entoure la date de chargement de la démonstration (les dates de la "
        "version 1.4.2 restent celles de l'arrêté du 9 février 2024).",
        profiles=data["profiles"],
        sections=data["sections"],
        requirements=_catalogue_requirements(_load_yaml(CATALOGUE_DIR / data["requirements_file"])),
        rules=data.get("rules", []),
        questions=data.get("questionnaire", []),
        specifications=data.get("technical_specifications", []),
        process=process,
    )


def _exceptional_on_partial_evidence(responsible, instructor, college):
    """TLC, window open today (R-CRT-4, « sans obtention de toutes les preuves »): the applicant
    commits and deposits only the five domains; the dossier goes to instruction on them,
    without the legal clock; the five domains judged conforme, the collège grants the
    exceptional certificate; the other sections are still to be deposited."""
    version = _window_version()
    application = new_application(
        responsible, "TéléConsult Express", "1.0", version, "teleconsultation", days=40
    )
    session = _session(college, instructor, on=8)
    _complete(application, responsible, instructor, code="TLC", on=25, exceptional=True)
    _assign(application, instructor, on=20)
    _ins_test_day(application, responsible, instructor, on=14)
    _, _, sections = exceptional.period(application)
    proofs = applicable_proofs(application)
    with days_ago(10):
        verdicts.set_proof_verdicts(
            application,
            by=instructor,
            opinions={
                pk: ("conforme", "") for pk, p in proofs.items() if p.section.code in sections
            },
        )
        application_transition(application, "finish_instruction", by=instructor)
    return _granted(session, application, college, outcome="exceptional")


@transaction.atomic
def ensure_demo_certificates() -> list[str]:
    if Certificate.objects.filter(product_name="PulmoTrack").exists():
        return []
    responsible = User.objects.get(email="responsable@telesante-demo.fr")
    other = User.objects.get(email="responsable@sante-connectee-demo.fr")
    instructor = User.objects.get(email="instructeur@guichet.local")
    college = User.objects.get(email="college@guichet.local")
    admin = User.objects.get(email="admin@guichet.local")
    dmn = get_version("DMN", "1.2.2")

    # In the order of their issuance, for the numbers to follow the dates.
    standard = _exceptional_then_standard(other, instructor, college)

    # Withdrawn: granted nine months ago, withdrawn for fault (art. 16) two months ago.
    session = _session(college, instructor, on=275)
    withdrawn_app = new_application(
        responsible, "OrthoSuivi", "1.0", dmn, "nom_de_marque", days=380
    )
    _finished(withdrawn_app, responsible, instructor, code="DMN", on=285)
    withdrawn = _granted(session, withdrawn_app, college, outcome="granted")
    with days_ago(60):
        lifecycle.act(
            withdrawn,
            "withdraw",
            by=admin,
            reason="Le dispositif n'assure plus de service régulier aux établissements "
            "utilisateurs depuis l'arrêt de son hébergement.",
            ground="fault_no_service",
        )

    # Suspended: granted five months ago; a control found a non-conformity; formal notice with
    # a 3-month deadline and suspension until it is fixed (R-CRT-5).
    session = _session(college, instructor, on=150)
    suspended_app = new_application(
        responsible, "PulmoTrack", "2.3", dmn, "nom_de_marque", days=260
    )
    _finished(suspended_app, responsible, instructor, code="DMN", on=160)
    suspended = _granted(session, suspended_app, college, outcome="granted")
    with days_ago(20):
        lifecycle.act(
            suspended,
            "give_formal_notice",
            by=instructor,
            reason="Le contrôle du 2 novembre a montré que l'authentification des "
            "professionnels par Pro Santé Connect n'est plus proposée depuis la version 2.3.1.",
            kind="non_conformity",
            deadline=timezone.localdate() + dt.timedelta(days=70),
            suspend=True,
        )

    partial = _exceptional_on_partial_evidence(responsible, instructor, college)

    sweep_certificates()  # today's renewals and expiries
    return [
        f"{suspended.number} PulmoTrack 2.3 : suspendu (mise en demeure en cours)",
        f"{withdrawn.number} OrthoSuivi 1.0 : retiré pour faute",
        f"{standard.number} VisioCabinet 3.0 : certificat exceptionnel de 2024 expiré, "
        "remplacé par le certificat de conformité",
        f"{partial.number} TéléConsult Express 1.0 : certificat exceptionnel attribué par le "
        "collège sur les seules sections requises (version de démonstration dont la période est "
        "ouverte)",
    ]
