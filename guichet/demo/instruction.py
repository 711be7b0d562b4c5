"""Demo dossiers under instruction (issue 11 §6): a running clock with a proof deposited again
in answer to a request (to judge again, R-EVD-2) and its INS test day still to propose, a clock
stopped by an unanswered request (flagged after 10 days), a TLC dossier waiting for missing
items, an overdue one, and a TLC dossier whose sections are all conforme with its convention to
sign.

Each step is taken through the services and the workflow on the day it would have happened
(the platform's clock is set back while it runs), so that the transition log, the journal and
the legal clocks read as they would after weeks of real use. Idempotent."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock

from django.db import transaction
from django.utils import timezone

from guichet.accounts.models import User
from guichet.applications import review
from guichet.applications.models import Product
from guichet.applications.services import submit
from guichet.applications.workflow import transition
from guichet.conventions.services import prepare_convention, seal_convention, sign_convention
from guichet.demo.accounts import demo_password
from guichet.demo.applications import (
    DMN_ANSWERS,
    TLC_PROFILES,
    _deposit,
    _documents,
    _form,
    _pdf,
)
from guichet.evidence import services as evidence
from guichet.evidence.acknowledgment import issue_acknowledgment
from guichet.files.uploads import upload_from_stream
from guichet.instruction import ins, requests, verdicts
from guichet.instruction.clockstate import sweep
from guichet.instruction.proofs import applicable_proofs
from guichet.referentials.selectors import get_version


@contextmanager
def days_ago(n: int):
    """The platform lives `n` days ago inside the block (its clock only)."""
    real = timezone.now
    moment = real() - dt.timedelta(days=n)
    with mock.patch("django.utils.timezone.now", lambda: moment):
        yield


def _complete(
    application, responsible, instructor, *, code: str, on: int, exceptional: bool = False
):
    """From the form to the complete dossier, `on` days ago, the task worker's part done.
    `exceptional`: the Responsable habilité commits to full conformity once admissible and
    deposits only the exceptional certificate's sections (TLC, R-CRT-4)."""
    from guichet.applications.services import save_draft

    with days_ago(on + 20):
        save_draft(
            by=responsible,
            application=application,
            data={
                "form": _form(
                    code,
                    responsible.organisation,
                    application.product,
                    application.product_version,
                ),
                "answers": DMN_ANSWERS if code == "DMN" else {},
                "profiles": ["general"] if code == "DMN" else TLC_PROFILES,
            },
        )
        application.refresh_from_db()
        _documents(application, responsible)
        submit(by=responsible, application=application)
    with days_ago(on + 15):
        for entry in review.reviewable_items(application):
            review.set_verdict(
                by=instructor, application=application, item=entry["item"], verdict="conforme"
            )
        review.decide(by=instructor, application=application, decision="admissible")
        application.refresh_from_db()
        if application.referential_version.process_settings.convention_before_evidence:
            prepare_convention(application.convention.pk, by_id=instructor.pk)
            sign_convention(by=responsible, application=application, password=demo_password())
            seal_convention(application.convention.pk)
    if exceptional:
        from guichet.certificates import exceptional as path

        with days_ago(on + 14):
            path.record_commitment(application, by=responsible)
        with days_ago(on):
            _deposit(application, responsible, codes=path.period(application)[2])
            application.refresh_from_db()
        return application
    with days_ago(on):
        _deposit(application, responsible)
        issue_acknowledgment(application.pk, by_id=responsible.pk)
        application.refresh_from_db()
    return application


def _assign(application, instructor, *, on: int):
    with days_ago(on):
        transition(application, "assign", by=instructor, lead=instructor)
    application.refresh_from_db()
    return application


def _verdicts(application, instructor, *, on: int, count: int | None = None, opinion="conforme"):
    proofs = list(applicable_proofs(application))
    with days_ago(on):
        verdicts.set_proof_verdicts(
            application,
            by=instructor,
            opinions={pk: (opinion, "") for pk in proofs[:count]},
        )


def _ins_test_day(application, responsible, instructor, *, on: int, failed=()):
    """The INS test day held `on` days ago (R-CLK-8): proposed for that day by the applicant,
    confirmed by the agency, its attendees and environment and each applicable scenario's
    outcome (its INS proofs' verdict) recorded by the instructor on the day."""
    scenarios = ins.ins_scenarios(application)
    if not scenarios:
        return
    with days_ago(on):
        ins.propose_test_day(
            by=responsible,
            application=application,
            day=timezone.localdate(),
            note="Visioconférence de 9 h 30 à 12 h ; environnement de recette du candidat.",
        )
        ins.confirm_test_day(by=instructor, application=application)
        ins.record_attendance(
            by=instructor,
            application=application,
            attendees=[
                {
                    "side": "agency",
                    "name": instructor.get_full_name() or instructor.email,
                    "role": "Instructeur, représentant de l'agence",
                },
                {
                    "side": "expert",
                    "name": "Sophie Garnier",
                    "role": "Experte en identitovigilance (GRADeS)",
                },
                {
                    "side": "applicant",
                    "name": responsible.get_full_name() or responsible.email,
                    "role": "Responsable du produit",
                },
            ],
            environment="Environnement de recette usine du candidat, version candidate, "
            "compte de test fourni à l'agence.",
        )
        for scenario in scenarios:
            passed = scenario.code not in failed
            ins.record_scenario_result(
                by=instructor,
                application=application,
                scenario=scenario.id,
                outcome="passed" if passed else "failed",
                comment="" if passed else "Le matricule INS affiché est tronqué.",
            )


def _redeposit(application, responsible, instructor, proof_id, *, asked: int, answered: int):
    """The instructor asks about a judged proof; the applicant deposits a new file on it and
    answers: the proof is to judge again (R-EVD-2)."""
    with days_ago(asked):
        request = requests.request_information(
            by=instructor,
            application=application,
            text="Le rapport ne couvre pas l'application mobile : déposez la version complète.",
            proofs=[proof_id],
        )
    with days_ago(answered):
        upload = upload_from_stream(
            _pdf("Rapport complet, application mobile comprise"), "rapport-complet.pdf"
        )
        evidence.add_evidence(
            by=responsible, application=application, proof_id=proof_id, upload=upload
        )
        requests.answer_information(
            by=responsible,
            application=application,
            request_id=request.pk,
            text="Le rapport complet, application mobile comprise, est déposé sur la preuve.",
        )
    application.refresh_from_db()


def new_application(by, name: str, version: str, referential, pathway: str, *, days: int):
    """A product and its application (a draft), created `days` ago."""
    from guichet.applications.services import create_application, save_product

    with days_ago(days):
        product = save_product(by=by, name=name, modules=[{"name": "Web", "version": version}])
        return create_application(
            by=by,
            product=product,
            product_version=version,
            referential_version=referential,
            pathway_code=pathway,
        )


@transaction.atomic
def ensure_demo_instruction() -> list[str]:
    responsible = User.objects.get(email="responsable@telesante-demo.fr")
    other = User.objects.get(email="responsable@sante-connectee-demo.fr")
    instructor = User.objects.get(email="instructeur@guichet.local")
    if Product.objects.filter(name="OxyDom").exists():
        return []
    dmn, tlc = get_version("DMN", "1.2.2"), get_version("TLC", "1.4.2")
    made = []

    def new(by, name, version, referential, pathway, *, days: int):
        application = new_application(by, name, version, referential, pathway, days=days)
        made.append(f"{application.reference} {name} {version}")
        return application

    # 7. DMN in instruction, its clock running (complete 20 days ago: J-40); a judged proof
    # deposited again in answer to a request, to judge again; its INS test day to propose.
    running = new(responsible, "OxyDom", "2.0", dmn, "nom_de_marque", days=45)
    _complete(running, responsible, instructor, code="DMN", on=20)
    _assign(running, instructor, on=18)
    _verdicts(running, instructor, on=10, count=5)
    first = next(iter(applicable_proofs(running)))
    _redeposit(running, responsible, instructor, first, asked=8, answered=6)

    # 8. DMN stopped by an information request left 12 days without answer (flag no_answer_10).
    waiting = new(responsible, "NeuroSuivi", "1.3", dmn, "nom_de_marque", days=60)
    _complete(waiting, responsible, instructor, code="DMN", on=30)
    _assign(waiting, instructor, on=28)
    proof = next(iter(applicable_proofs(waiting)))
    with days_ago(12):
        requests.request_information(
            by=instructor,
            application=waiting,
            text="Précisez la politique de sauvegarde des données de santé et joignez la "
            "procédure de restauration testée.",
            proofs=[proof],
        )

    # 9. TLC waiting for missing items notified 5 days ago (the 6 months will restart).
    missing = new(other, "TéléMédecin+", "3.1", tlc, "teleconsultation", days=70)
    _complete(missing, other, instructor, code="TLC", on=40)
    _assign(missing, instructor, on=38)
    with days_ago(5):
        requests.request_missing_items(
            by=instructor,
            application=missing,
            items=["Le rapport de test d'intrusion signé par le prestataire PASSI"],
        )

    # 10. DMN overdue: complete 65 days ago, the decision has not come within 60 days.
    late = new(responsible, "PneumoCare", "5.0", dmn, "nom_de_marque", days=90)
    _complete(late, responsible, instructor, code="DMN", on=65)
    _assign(late, instructor, on=60)

    # 11. TLC: every proof conforme, the convention sent for signature before the committee.
    conforme = new(other, "VisioSoins", "2.4", tlc, "teleconsultation", days=80)
    _complete(conforme, other, instructor, code="TLC", on=50)
    _assign(conforme, instructor, on=48)
    _verdicts(conforme, instructor, on=20)
    conforme.refresh_from_db()
    if hasattr(conforme, "convention"):
        prepare_convention(conforme.convention.pk, by_id=instructor.pk)

    sweep(every=True)  # today's clocks, flags and reminders
    return made
