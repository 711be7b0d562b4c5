"""The TLC exceptional certificate (R-CRT-4; TLC guide §5.4, arrêté du 9 février 2024).

« Un certificat de conformité peut être fourni par l'ANS à compter du 1er juillet 2024 » when
the system is conforme on the domains INS, Pro Santé Connect, Annuaire santé, PGSSI-S and
administration, and its editor commits to full conformity by 2024-12-31; « ce certificat expire
en tout état de cause le 31 décembre 2024 ». The period and the sections are settings of the
referential version (`exceptional_certificate`), not code: a version without them has no
exceptional certificate.

The applicant's Responsable habilité gives the commitment on the admissibility form or on the
application page; the dossier then goes to instruction once the listed sections are submitted
(`complete_partially`), without the legal clock, which starts when every other section is in
(`complete_every_section`, TLC guide §5.2). Once those sections' proofs are judged, the
instruction finishes and the collège may grant the exceptional certificate (outcome
`exceptional`, transition `grant_exceptional`): the instruction then goes on for the other
sections and the standard certificate. The daily sweep expires it the day after its end date;
a standard certificate issued for the same application replaces it at once (`supersede`)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from guichet.applications import extensions
from guichet.applications.clock import legal_today
from guichet.applications.models import INSTRUCTION_STATES, Application, Status
from guichet.applications.notifications import notify_instructors
from guichet.certificates import services
from guichet.certificates.models import Certificate, ExceptionalCommitment, Kind
from guichet.certificates.workflow import LIVE, transition
from guichet.common.errors import ApplicationError
from guichet.deadlines import french_date
from guichet.evidence.models import EvidenceSection, SectionState
from guichet.evidence.selectors import reopening
from guichet.evidence.services import complete_if_ready
from guichet.instruction.proofs import applicable_proofs
from guichet.instruction.verdicts import proof_verdicts, verdict_summary
from guichet.journal.services import record
from guichet.referentials.process import exceptional_period


def period(application: Application) -> tuple[dt.date, dt.date, tuple[str, ...]] | None:
    return exceptional_period(application.referential_version.process_settings)


def open_period(application: Application) -> tuple[dt.date, dt.date, tuple[str, ...]] | None:
    """The version's exceptional period while its window has not closed (R-CRT-4: it « expire
    en tout état de cause » at its end), else None: once closed, nothing is offered, awaited
    or asked of anyone on the exceptional path."""
    found = period(application)
    if found is None or legal_today() > found[1]:
        return None
    return found


def commitment_of(application: Application) -> ExceptionalCommitment | None:
    return ExceptionalCommitment.objects.filter(application=application).first()


def certificate_of(application: Application) -> Certificate | None:
    return Certificate.objects.filter(application=application, kind=Kind.EXCEPTIONAL).first()


# TLC guide §4.2: the commitment is part of the candidacy « dans le cas où le candidat ne peut
# pas fournir l'ensemble des preuves »: it may be given while the evidence is deposited, so
# that the dossier is complete on the listed sections alone (R-CRT-4), or during instruction.
COMMITMENT_STATES = (Status.ADMISSIBLE, Status.COMPLETE, *INSTRUCTION_STATES)
# A dossier complete on the listed sections takes its other sections from then on.
OPEN_STATES = (Status.COMPLETE, *INSTRUCTION_STATES)


@extensions.dossier_scope
def exceptional_scope(application: Application) -> tuple[str, ...] | None:
    """R-CRT-4 (« sans obtention de toutes les preuves »): an application whose applicant gave
    the commitment needs only the listed sections' proofs, to be complete and to reach the
    collège, while the version's window has not ended and its exceptional certificate is not
    granted; None otherwise (every section needed)."""
    found = open_period(application)
    if found is None:
        return None
    if not committed(application) or certificate_of(application) is not None:
        return None
    return found[2]


@reopening
def sections_left(application: Application) -> frozenset[int]:
    """The proofs of the sections a dossier completed on the exceptional path has not
    submitted yet: the applicant deposits them while the dossier waits for its instruction or
    while it goes on (R-CRT-4), for the standard certificate (TLC guide §5.4: « toutes les
    preuves »)."""
    if period(application) is None or application.status not in OPEN_STATES:
        return frozenset()
    if application.evidence_complete_at is None or not committed(application):
        return frozenset()
    submitted = set(
        EvidenceSection.objects.filter(
            application=application, state=SectionState.SUBMITTED
        ).values_list("section__code", flat=True)
    )
    return frozenset(
        pk
        for pk, proof in applicable_proofs(application).items()
        if proof.section.code not in submitted
    )


def committed(application: Application) -> bool:
    """The applicant opted for the exceptional path: on the admissibility form (« Pouvez-vous
    fournir toutes les preuves attendues ? » no, with its commitment document, TLC guide §4.2,
    R-APP-6) or on the application page since (record_commitment)."""
    form = application.form or {}
    return form.get("all_proofs_available") is False or commitment_of(application) is not None


def commitment_text(application: Application, until: dt.date) -> str:
    return (
        f"{application.organisation.name} s'engage à mettre {application.product.name} "
        f"{application.product_version} en conformité avec l'ensemble des exigences du "
        f"référentiel {application.referential_version.label} au plus tard le "
        f"{french_date(until)}."
    )


def commitment_refusal(application: Application, user) -> str | None:
    """Why `user` may not give the commitment now (French), or None."""
    found = period(application)
    if found is None:
        return "Sans objet : ce référentiel ne prévoit pas de certificat exceptionnel."
    _, until, _ = found
    if not (
        user is not None
        and user.is_active
        and not user.is_agency
        and user.organisation_id == application.organisation_id
        and user.is_applicant_admin
    ):
        return "L'engagement revient au Responsable habilité de l'organisation candidate."
    if legal_today() > until:
        return f"La période du certificat exceptionnel a pris fin le {french_date(until)}."
    if application.status not in COMMITMENT_STATES:
        return (
            "L'engagement se prend une fois la candidature recevable, pendant le dépôt des "
            "preuves ou l'instruction."
        )
    if committed(application):
        return "L'engagement est déjà pris."
    return None


@transaction.atomic
def record_commitment(application: Application, *, by) -> ExceptionalCommitment:
    application = Application.objects.select_for_update().get(pk=application.pk)
    refusal = commitment_refusal(application, by)
    if refusal:
        raise ApplicationError(refusal, extra={"status": 409})
    _, until, _ = period(application)
    commitment = ExceptionalCommitment.objects.create(
        application=application, text=commitment_text(application, until), until=until, by=by
    )
    record(
        action="certificate.exceptional_commitment",
        obj=commitment,
        by=by,
        application_id=application.pk,
        after={"text": commitment.text, "until": until.isoformat()},
    )
    if complete_if_ready(application, by=by):
        application.refresh_from_db()
    notify_instructors(
        application,
        "engagement de mise en conformité",
        f"Le Responsable habilité s'engage à la conformité complète au plus tard le "
        f"{french_date(until)} : le certificat exceptionnel peut être délivré dès que les "
        "sections requises sont conformes.",
        kind="work",
    )
    return commitment


def sections_not_conforme(application: Application, sections) -> list[str]:
    """The required sections that are not conforme yet: a section with no applicable proof
    counts as not conforme (nothing shows its conformity)."""
    proofs = applicable_proofs(application)
    verdicts = proof_verdicts(application)  # read once for every section
    missing = []
    for code in sections:
        subset = {pk: p for pk, p in proofs.items() if p.section.code == code}
        summary = verdict_summary(
            application, proofs=subset, latest=verdicts.current, redeposited=verdicts.redeposited
        )
        if not summary.all_conforme:
            missing.append(code)
    return missing


def decision_refusal(application: Application) -> str | None:
    """Why the collège cannot grant the exceptional certificate now (French), or None: the
    version's window is open, the applicant committed, the listed sections are conforme, and
    the application has none yet (R-CRT-4)."""
    found = period(application)
    if found is None:
        return "Sans objet : ce référentiel ne prévoit pas de certificat exceptionnel."
    start, until, sections = found
    today = legal_today()
    if today < start:
        return f"Le certificat exceptionnel s'attribue à partir du {french_date(start)}."
    if today > until:
        return f"La période du certificat exceptionnel a pris fin le {french_date(until)}."
    if certificate_of(application) is not None:
        return "Le certificat exceptionnel de cette candidature est déjà attribué."
    if not committed(application):
        return (
            "Le Responsable habilité du candidat n'a pas encore pris l'engagement de "
            f"conformité complète au plus tard le {french_date(until)}."
        )
    missing = sections_not_conforme(application, sections)
    if missing:
        return (
            "Toutes les preuves de ces sections doivent être conformes : "
            + ", ".join(missing)
            + "."
        )
    return None


def issue_for_decision(decision) -> Certificate:
    """The exceptional certificate the collège granted (R-CRT-4), in the transaction of the
    decision's sign-off: valid until the end of the window whatever its convention's term."""
    application = decision.application
    _, until, _ = period(application)
    return services._create(
        application,
        decision=decision,
        kind=Kind.EXCEPTIONAL,
        issued_on=legal_today(),
        reservations=[],
        by=decision.signed_off_by,
        valid_until=until,
    )


def supersede(certificate: Certificate, *, by) -> None:
    """A standard certificate issued for an application ends its live exceptional one."""
    previous = Certificate.objects.filter(
        application_id=certificate.application_id, kind=Kind.EXCEPTIONAL, status__in=LIVE
    ).first()
    if previous is None:
        return
    transition(
        previous,
        "expire",
        by=by,
        reason=f"Remplacé par le certificat de conformité {certificate.number}.",
        on=certificate.issued_on,
    )
