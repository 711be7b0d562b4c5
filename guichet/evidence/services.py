"""Writing the evidence (R-EVD-1 … R-EVD-4): files per proof with history, sections submitted on
their own, the dossier complete when every proof is deposited and every section submitted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from guichet.applications import extensions
from guichet.applications.models import Application, ApplicationTransition, Status
from guichet.applications.notifications import notify_instructors
from guichet.applications.services import described_version, require_owner
from guichet.applications.workflow import WORKFLOW, transition
from guichet.common.errors import ApplicationError
from guichet.common.tasks import enqueue_on_commit
from guichet.common.text import ngettext
from guichet.deadlines import french_datetime
from guichet.evidence.models import EvidenceFile, EvidenceSection, SectionState
from guichet.evidence.selectors import (
    evidence_open,
    reopened_proofs,
    tree,
    waiting_for_convention,
)
from guichet.files.services import commit
from guichet.journal.services import record
from guichet.referentials.selectors import SectionData, applicable_proof, version_index


@dataclass(frozen=True)
class TargetProof:
    """An applicable expected proof as the deposit needs it, read from the version's index
    (no query): its id, position, sensitivity, scenario code and section."""

    pk: int
    position: int
    sensitive: bool
    scenario_code: str
    section: SectionData

    @property
    def label(self) -> str:
        return f"{self.scenario_code} / preuve {self.position}"


def _applicable_proof(application: Application, proof_id) -> TargetProof:
    version = application.referential_version
    proof = applicable_proof(
        version,
        application.profiles or [],
        application.claimed_pathologies,
        proof_id,
        since=application.evidence_since,
    )
    if proof is None:
        raise ApplicationError(
            "Preuve attendue introuvable pour cette candidature.", extra={"status": 404}
        )
    requirement = version_index(version).requirement_of_proof[proof.id]
    scenario = next(s for s in requirement.scenarios if proof in s.proofs)
    return TargetProof(
        pk=proof.id,
        position=proof.position,
        sensitive=proof.sensitive,
        scenario_code=scenario.code,
        section=requirement.section,
    )


def _require_open(application: Application, by):
    require_owner(by, application, "Seul le candidat dépose ses preuves.")
    if not evidence_open(application):
        if waiting_for_convention(application):
            raise ApplicationError(
                "Le dépôt des preuves s'ouvre une fois la convention signée (R-CONV-1).",
                extra={"status": 409},
            )
        if application.evidence_complete_at is not None:
            raise ApplicationError(
                "Le dossier est complet : ses preuves sont en lecture seule. Une preuve se dépose "
                "à nouveau quand une demande d'information ou de pièces manquantes la nomme.",
                extra={"status": 409},
            )
        raise ApplicationError(
            "Le dépôt des preuves n'est pas ouvert pour cette candidature.", extra={"status": 409}
        )


def _require_proof_open(application: Application, proof: TargetProof, *, lock: bool) -> None:
    """Before completion, the proof's section must not be submitted (R-EVD-1); after it, the
    proof must be named by an open information request or missing-items notice, which reopens
    it alone, its section staying submitted (issue 11 §3)."""
    if application.status == Status.ADMISSIBLE:
        _require_section_open(application, proof, lock=lock)
        return
    if proof.pk not in reopened_proofs(application):
        raise ApplicationError(
            f"La preuve {proof.position} du scénario {proof.scenario_code} n'est pas concernée "
            "par une demande en cours : elle reste en lecture seule. Déposez sur les preuves que "
            "la demande nomme (elles ont un formulaire de dépôt sur la page des preuves).",
            extra={"status": 409},
        )


def _require_section_open(application: Application, proof: TargetProof, *, lock: bool) -> None:
    section = proof.section
    states = EvidenceSection.objects.filter(application=application, section_id=section.pk)
    state = (states.select_for_update() if lock else states).first()
    if state and state.state == SectionState.SUBMITTED:
        raise ApplicationError(
            f"La section « {section.label} » a été soumise : elle est en lecture seule jusqu'à ce "
            "que l'instructeur vous la renvoie.",
            extra={"status": 409},
        )


def _file_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ApplicationError(
            f"Le fichier à remplacer est mal désigné (« {str(value)[:40]} » n'est pas un "
            "identifiant de fichier) : choisissez-le dans la liste des fichiers déposés.",
            field="replaces",
            extra={"status": 400},
        ) from None


def upload_target(*, by, application: Application, proof_id) -> TargetProof:
    """The proof `by` may deposit files for now, decided before the upload is read (issue 10
    §1): only the applicant, evidence open, the proof applicable, its section not submitted —
    or, once the dossier is complete, the proof named by an open request. add_evidence
    decides again under the row lock."""
    _require_open(application, by)
    proof = _applicable_proof(application, proof_id)
    _require_proof_open(application, proof, lock=False)
    return proof


@transaction.atomic
def add_evidence(
    *,
    by,
    application: Application,
    proof_id,
    upload,
    produced_on=None,
    replaces=None,
    names_version: str = "",
) -> EvidenceFile:
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_open(application, by)
    proof = _applicable_proof(application, proof_id)
    _require_proof_open(application, proof, lock=True)
    if upload.encrypted != proof.sensitive:
        raise ApplicationError("Preuve sensible : le fichier doit être chiffré au dépôt.")
    previous = None
    if replaces:
        replaces = _file_id(replaces)
        previous = (
            EvidenceFile.objects.select_for_update()
            .filter(
                application=application,
                proof_id=proof.pk,
                file_id=replaces,
                replaced_at__isnull=True,
            )
            .first()
        )
        if previous is None:
            raise ApplicationError(
                "Le fichier à remplacer est introuvable ou déjà remplacé.", extra={"status": 404}
            )
    stored = commit(upload, by=by, produced_on=produced_on, sensitive=proof.sensitive)
    evidence = EvidenceFile.objects.create(
        application=application,
        proof_id=proof.pk,
        file=stored,
        names_version=described_version(application, names_version, EvidenceFile),
    )
    if previous is not None:
        previous.replaced_at, previous.replaced_by = timezone.now(), evidence
        previous.save(update_fields=["replaced_at", "replaced_by"])
    record(
        action="evidence.add",
        obj=evidence,
        by=by,
        application_id=application.pk,
        after={
            "proof": proof.label,
            "file": str(stored.id),
            "name": stored.original_name,
            "sha256": stored.sha256,
            "size": stored.size,
            "type": stored.content_type,
            "encrypted": stored.encrypted,
            "produced_on": produced_on.isoformat() if produced_on else None,
            "replaces": str(replaces) if replaces else None,
        },
    )
    return evidence


def add_evidence_files(
    *,
    by,
    application: Application,
    proof_id,
    uploads,
    produced_on=None,
    replaces=None,
    names_version: str = "",
) -> list[EvidenceFile]:
    """Every upload of one request attached, or none; with `replaces`, the first file replaces
    that one (kept in the history) and the others are added."""
    from guichet.files.services import attach_all

    pending = [replaces or None]
    return attach_all(
        uploads,
        lambda upload: add_evidence(
            by=by,
            application=application,
            proof_id=proof_id,
            upload=upload,
            produced_on=produced_on,
            names_version=names_version,
            replaces=pending.pop() if pending else None,
        ),
    )


@transaction.atomic
def submit_section(*, by, application: Application, section_code: str) -> EvidenceSection:
    """A complete section is submitted on its own (R-EVD-1); when it is the last, the dossier
    becomes complete (R-EVD-4)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_open(application, by)
    sections = tree(application)
    node = next((s for s in sections if s.section.code == section_code), None)
    if node is None:
        raise ApplicationError("Section introuvable pour cette candidature.", extra={"status": 404})
    if node.submitted:
        raise ApplicationError("Cette section est déjà soumise.")
    missing = [
        f"{r['requirement'].code} — {sc['scenario'].code} — preuve {p['proof'].position}"
        for r in node.requirements
        for sc in r["scenarios"]
        for p in sc["proofs"]
        if not p["current"]
    ]
    if missing:
        raise ApplicationError(
            ngettext(
                "La section « %(section)s » n'est pas complète : %(n)d preuve à déposer.",
                "La section « %(section)s » n'est pas complète : %(n)d preuves à déposer.",
                len(missing),
            )
            % {"section": node.section.label, "n": len(missing)},
            extra={"status": 400, "missing": missing},
        )
    state, _ = EvidenceSection.objects.select_for_update().get_or_create(
        application=application, section_id=node.section.pk
    )
    state.state, state.submitted_at, state.submitted_by = SectionState.SUBMITTED, timezone.now(), by
    state.save()
    record(
        action="evidence.section.submit",
        obj=state,
        by=by,
        application_id=application.pk,
        after={"section": node.section.code, "proofs": node.proofs_total},
    )
    node.state = SectionState.SUBMITTED
    if application.status == Status.ADMISSIBLE:
        complete_if_ready(application, by=by, sections=sections)  # R-EVD-4, R-CRT-4
    elif not sections_to_submit(application, sections) and completed_partially(application):
        # R-CRT-4: a dossier completed on the exceptional certificate's sections alone gets
        # its other sections while its instruction goes on; the last one starts the clock.
        transition(application, "complete_every_section", by=by)
    return state


def sections_to_submit(application: Application, sections=None, *, scope=None) -> list[str]:
    """The codes of the sections not submitted yet (R-EVD-4): of every section, or of those in
    `scope` (the exceptional certificate's, R-CRT-4)."""
    return [
        node.section.code
        for node in (tree(application) if sections is None else sections)
        if not node.submitted and (scope is None or node.section.code in scope)
    ]


def completed_partially(application: Application) -> bool:
    """The dossier went to instruction on the exceptional certificate's sections (R-CRT-4) and
    its other sections are not all in yet: the legal clock has not started."""
    names = set(
        ApplicationTransition.objects.filter(
            application=application, name__in=("complete_partially", "complete_every_section")
        ).values_list("name", flat=True)
    )
    return names == {"complete_partially"}


def complete_if_ready(application: Application, *, by, sections=None) -> bool:
    """Completes an admissible dossier whose sections are all submitted, or, on the exceptional
    path within its window, those of the exceptional certificate (R-CRT-4: its commitment
    given after them); True when it did."""
    if application.status != Status.ADMISSIBLE:
        return False
    sections = tree(application) if sections is None else sections
    if not sections_to_submit(application, sections):
        transition(application, "complete", by=by)
        return True
    scope = extensions.scope_of(application)
    if scope is not None and not sections_to_submit(application, sections, scope=scope):
        transition(application, "complete_partially", by=by)
        return True
    return False


@transaction.atomic
def return_section(
    *, by, application: Application, section_code: str, comment: str
) -> EvidenceSection:
    """The instructor sends a submitted section back to the applicant. Before the dossier is
    complete, the section opens again. Once it is complete, it goes back as an information
    request on the section's proofs (R-CLK-3, issue 11 §3): those proofs reopen for upload
    until the applicant answers, the section staying submitted, and the dossier returns to
    instruction with the answer."""
    from guichet.applications.review import can_review

    if not can_review(by):
        raise ApplicationError(
            "Seuls les instructeurs renvoient une section.", extra={"status": 403}
        )
    if not (comment or "").strip():
        raise ApplicationError(
            "Indiquez au candidat ce qu'il doit reprendre.", field="comment", extra={"status": 400}
        )
    if application.status != Status.ADMISSIBLE:
        return _return_section_in_instruction(
            by=by, application=application, section_code=section_code, comment=comment.strip()
        )
    state = (
        EvidenceSection.objects.select_for_update()
        .filter(application=application, section__code=section_code, state=SectionState.SUBMITTED)
        .first()
    )
    if state is None:
        raise ApplicationError("Cette section n'est pas soumise.", extra={"status": 409})
    state.state, state.returned_at, state.return_comment = (
        SectionState.OPEN,
        timezone.now(),
        comment.strip(),
    )
    state.save()
    record(
        action="evidence.section.return",
        obj=state,
        by=by,
        application_id=application.pk,
        after={"section": section_code, "comment": state.return_comment},
    )
    return state


def _return_section_in_instruction(
    *, by, application: Application, section_code: str, comment: str
) -> EvidenceSection:
    if application.status == Status.COMPLETE:
        raise ApplicationError(
            "Le dossier est complet mais son instruction n'est pas encore attribuée : "
            "attribuez-la, puis renvoyez la section (une demande d'information sur ses preuves).",
            extra={"status": 409},
        )
    state = EvidenceSection.objects.filter(
        application=application, section__code=section_code, state=SectionState.SUBMITTED
    ).first()
    if state is None:
        raise ApplicationError("Cette section n'est pas soumise.", extra={"status": 409})
    # The instruction keeps the request (its effect): the transition is the contract.
    transition(application, "request_information", by=by, text=comment, section=section_code)
    state.returned_at, state.return_comment = timezone.now(), comment
    state.save(update_fields=["returned_at", "return_comment"])
    return state


def _not_submitted(waiting: list[str]) -> str:
    return ngettext(
        "Le dossier n'est pas complet : section non soumise : %(sections)s.",
        "Le dossier n'est pas complet : sections non soumises : %(sections)s.",
        len(waiting),
    ) % {"sections": ", ".join(waiting)}


@WORKFLOW.guard("complete")
@WORKFLOW.guard("complete_every_section")
def _every_section_submitted(application: Application) -> str | None:
    """R-EVD-4: complete when every applicable proof is deposited and every section submitted."""
    waiting = sections_to_submit(application)
    return _not_submitted(waiting) if waiting else None


@WORKFLOW.guard("complete_partially")
def _exceptional_sections_submitted(application: Application) -> str | None:
    """R-CRT-4: on the exceptional path within its window, the listed sections suffice to go
    to instruction."""
    scope = extensions.scope_of(application)
    if scope is None:
        return (
            "Sans l'engagement du certificat exceptionnel pendant sa période, le dossier est "
            "complet quand chaque section est soumise."
        )
    sections = tree(application)
    if not sections_to_submit(application, sections):
        return "Chaque section est soumise : le dossier est complet en entier."
    waiting = sections_to_submit(application, sections, scope=scope)
    return _not_submitted(waiting) if waiting else None


@WORKFLOW.guard("complete_every_section")
def _after_a_partial_completion(application: Application) -> str | None:
    if not completed_partially(application):
        return "Le dossier n'a pas été complété sur les sections du certificat exceptionnel."
    return None


@WORKFLOW.effect("complete")
@WORKFLOW.effect("complete_every_section")
def _completed(application: Application, *, by, **_) -> dict:
    """R-EVD-4, R-CLK-1: the dossier enters the review queue with this date; the task worker
    then issues the dated, sealed acknowledgment and emails it: the legal delay runs from it
    (R-CRT-4: from the last section of a dossier completed partially)."""
    from guichet.evidence import tasks

    now = timezone.now()
    application.evidence_complete_at = now
    application.save(update_fields=["evidence_complete_at", "updated_at"])
    enqueue_on_commit(tasks.issue_acknowledgment, application.pk, by.pk)
    if application.status == Status.COMPLETE and not application.instructors.exists():
        text = "il entre dans la file d'instruction à cette date."
    else:
        text = "chaque section est déposée ; le délai légal de décision court à cette date."
    notify_instructors(
        application,
        "dossier complet",
        f"Le dossier de preuves est complet depuis le {french_datetime(now)} : {text}",
    )
    return {"complete_at": now.isoformat()}


@WORKFLOW.effect("complete_partially")
def _completed_partially(application: Application, *, by, **_) -> dict:
    """R-CRT-4: the dossier enters the review queue on the exceptional certificate's sections;
    no acknowledgment yet: the dossier is not complete in the sense of the law (TLC guide
    §5.2), and the legal delay has not started."""
    now = timezone.now()
    application.evidence_complete_at = now
    application.save(update_fields=["evidence_complete_at", "updated_at"])
    notify_instructors(
        application,
        "dossier complet sur les sections du certificat exceptionnel",
        f"Les sections du certificat exceptionnel sont soumises depuis le {french_datetime(now)} : "
        "le dossier entre dans la file d'instruction à cette date. Le délai légal de décision "
        "courra quand le candidat aura déposé toutes les autres sections.",
    )
    return {"complete_at": now.isoformat()}
