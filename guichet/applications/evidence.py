"""Evidence (R-EVD-1 … R-EVD-4): applicable sections → requirements → scenarios → expected
proofs; files per proof with history; sections submitted on their own; the dossier complete
when every proof is deposited and every section submitted, with a dated acknowledgment."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from guichet.accounts.models import User
from guichet.applications.conventions import evidence_open
from guichet.applications.models import (
    Application,
    EvidenceFile,
    EvidenceSection,
    SectionState,
    Status,
)
from guichet.applications.notifications import notify_instructors, recipients
from guichet.applications.services import described_version, require_owner
from guichet.common.errors import ApplicationError
from guichet.common.tasks import enqueue_on_commit
from guichet.files.services import commit, keep_generated, verified_chunks
from guichet.journal.services import record
from guichet.referentials.models import ExpectedProof
from guichet.referentials.selectors import SectionData, applicable_proof, applicable_requirements
from guichet.signing.pdf import sealed_upload


@dataclass
class SectionTree:
    section: SectionData
    state: str = SectionState.OPEN
    submitted_at: object = None
    return_comment: str = ""
    requirements: list = field(default_factory=list)
    proofs_total: int = 0
    proofs_done: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.proofs_done / self.proofs_total) if self.proofs_total else 100

    @property
    def submitted(self) -> bool:
        return self.state == SectionState.SUBMITTED


def tree(application: Application) -> list[SectionTree]:
    """The applicable evidence (R-REF-3, R-REF-7), with files and progress, in a constant
    number of queries."""
    requirements = applicable_requirements(
        application.referential_version, application.profiles or [], application.pathology
    )
    files: dict[int, list[EvidenceFile]] = {}
    for evidence in application.evidence_files.select_related("file", "file__uploaded_by").order_by(
        "created_at", "id"
    ):
        files.setdefault(evidence.proof_id, []).append(evidence)
    states = {s.section_id: s for s in application.evidence_sections.all()}
    sections: dict[int, SectionTree] = {}
    for requirement in requirements:
        node = sections.get(requirement.section_id)
        if node is None:
            state = states.get(requirement.section_id)
            node = sections[requirement.section_id] = SectionTree(
                section=requirement.section,
                state=state.state if state else SectionState.OPEN,
                submitted_at=state.submitted_at if state else None,
                return_comment=state.return_comment if state else "",
            )
        scenarios = []
        for scenario in requirement.scenarios:
            proofs = []
            for proof in scenario.proofs:
                history = files.get(proof.pk, [])
                current = [f for f in history if f.replaced_at is None]
                proofs.append({"proof": proof, "current": current, "history": history})
                node.proofs_total += 1
                node.proofs_done += bool(current)
            scenarios.append({"scenario": scenario, "proofs": proofs})
        node.requirements.append({"requirement": requirement, "scenarios": scenarios})
    return sorted(sections.values(), key=lambda node: (node.section.position, node.section.code))


def progress(sections: list[SectionTree]) -> dict:
    total = sum(s.proofs_total for s in sections)
    done = sum(s.proofs_done for s in sections)
    return {
        "proofs_total": total,
        "proofs_done": done,
        "percent": round(100 * done / total) if total else 100,
        "sections_total": len(sections),
        "sections_submitted": sum(1 for s in sections if s.submitted),
    }


def _applicable_proof(application: Application, proof_id) -> ExpectedProof:
    applicable = applicable_proof(
        application.referential_version,
        application.profiles or [],
        application.pathology,
        proof_id,
    )
    proof = None
    if applicable is not None:
        proof = (
            ExpectedProof.objects.select_related("scenario__requirement__section")
            .filter(pk=applicable.pk)
            .first()
        )
    if proof is None:
        raise ApplicationError(
            "Preuve attendue introuvable pour cette candidature.", extra={"status": 404}
        )
    return proof


def _require_open(application: Application, by):
    require_owner(by, application, "Seul le candidat dépose ses preuves.")
    if not evidence_open(application):
        if (
            application.referential_version.referential.code == "DMN"
            and application.status == Status.ADMISSIBLE
        ):
            raise ApplicationError(
                "Le dépôt des preuves s'ouvre une fois la convention signée (R-CONV-1).",
                extra={"status": 409},
            )
        raise ApplicationError(
            "Le dépôt des preuves n'est pas ouvert pour cette candidature.", extra={"status": 409}
        )


def _require_section_open(application: Application, proof: ExpectedProof, *, lock: bool) -> None:
    section = proof.scenario.requirement.section
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


def upload_target(*, by, application: Application, proof_id) -> ExpectedProof:
    """The proof `by` may deposit files for now, decided before the upload is read (issue 10
    §1): only the applicant, evidence open, the proof applicable, its section not submitted.
    add_evidence decides again under the row lock."""
    _require_open(application, by)
    proof = _applicable_proof(application, proof_id)
    _require_section_open(application, proof, lock=False)
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
    _require_section_open(application, proof, lock=True)
    if upload.encrypted != proof.sensitive:
        raise ApplicationError("Preuve sensible : le fichier doit être chiffré au dépôt.")
    previous = None
    if replaces:
        replaces = _file_id(replaces)
        previous = (
            EvidenceFile.objects.select_for_update()
            .filter(
                application=application, proof=proof, file_id=replaces, replaced_at__isnull=True
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
        proof=proof,
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
            "proof": f"{proof.scenario.code} / preuve {proof.position}",
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
            f"La section « {node.section.label} » n'est pas complète : {len(missing)} preuve(s) à déposer.",
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
    if all(s.submitted for s in sections):
        _complete(application, by=by, sections=sections)
    return state


@transaction.atomic
def return_section(
    *, by, application: Application, section_code: str, comment: str
) -> EvidenceSection:
    """The instructor sends a submitted section back to the applicant (it opens again)."""
    from guichet.applications.review import can_review

    if not can_review(by):
        raise ApplicationError(
            "Seuls les instructeurs renvoient une section.", extra={"status": 403}
        )
    if not (comment or "").strip():
        raise ApplicationError(
            "Indiquez au candidat ce qu'il doit reprendre.", field="comment", extra={"status": 400}
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


def _complete(application: Application, *, by, sections) -> None:
    """R-EVD-4, R-CLK-1: the dossier is complete and enters the review queue with that date;
    the task worker then issues the dated, sealed acknowledgment and emails it."""
    from guichet.applications import tasks

    now = timezone.now()
    before = application.status
    application.status = Status.COMPLETE
    application.evidence_complete_at = now
    application.save(update_fields=["status", "evidence_complete_at", "updated_at"])
    record(
        action="evidence.complete",
        obj=application,
        by=by,
        application_id=application.pk,
        before={"status": before},
        after={"status": Status.COMPLETE.value, "complete_at": now.isoformat()},
    )
    enqueue_on_commit(tasks.issue_acknowledgment, application.pk, by.pk)
    notify_instructors(
        application,
        "dossier complet",
        f"Le dossier de preuves est complet depuis le {timezone.localtime(now):%d/%m/%Y à %H:%M} : "
        "il entre dans la file d'instruction à cette date.",
    )


def issue_acknowledgment(application_id: int, *, by_id: int):
    """The task worker's part (R-EVD-4): the acknowledgment of receipt, dated with the moment
    the dossier became complete, sealed by the agency and emailed; filed on behalf of the
    person whose submission completed the dossier (`by_id`). Idempotent."""
    application = Application.objects.select_related(
        "organisation", "product", "referential_version__referential"
    ).get(pk=application_id)
    if application.acknowledgment_id or application.evidence_complete_at is None:
        return application.acknowledgment
    when = timezone.localtime(application.evidence_complete_at)
    pdf = acknowledgment_pdf(application, when, tree(application))
    upload = sealed_upload(
        pdf,
        f"accuse-de-reception-{application.reference}.pdf",
        name="Agence du numérique en santé",
        reason=f"Accusé de réception {application.reference}",
    )
    by = User.objects.get(pk=by_id)
    with transaction.atomic():
        locked, stored = keep_generated(
            Application, application_id, "acknowledgment", upload, by=by
        )
        if stored is None:
            return locked.acknowledgment
        record(
            action="evidence.acknowledgment",
            obj=locked,
            by=by,
            application_id=locked.pk,
            after={"complete_at": when.isoformat(), "sha256": stored.sha256},
        )
        to = recipients(application)
        transaction.on_commit(lambda: _send_acknowledgment(application, stored, to))
    return stored


def _send_acknowledgment(application, stored, to) -> None:
    message = EmailMessage(
        f"Guichet — {application.reference} — accusé de réception du dossier complet",
        f"Bonjour,\n\nLe dossier de preuves de la candidature {application.reference} "
        f"({application.product.name} {application.product_version}) est complet depuis le "
        f"{timezone.localtime(application.evidence_complete_at):%d/%m/%Y à %H:%M}. "
        "L'accusé de réception est joint ; l'instruction commence à cette date.\n\n"
        "Guichet — Agence du numérique en santé\n",
        None,
        to,
    )
    message.attach(stored.original_name, b"".join(verified_chunks(stored)), "application/pdf")
    message.send()


def acknowledgment_pdf(application: Application, when, sections) -> io.BytesIO:
    styles = getSampleStyleSheet()
    total = sum(s.proofs_total for s in sections)
    deadline = (
        "La décision intervient dans un délai de 60 jours calendaires à compter de cet accusé de réception."
        if application.referential_version.referential.code == "DMN"
        else "La décision intervient dans un délai de 6 mois à compter du dossier complet."
    )
    lines = [
        Paragraph("Accusé de réception — dossier complet", styles["Title"]),
        Paragraph(
            escape(f"Candidature {application.reference} — {application.organisation.name}"),
            styles["BodyText"],
        ),
        Paragraph(
            escape(
                f"Produit : {application.product.name}, version {application.product_version}. "
                f"Référentiel : {application.referential_version.referential.name} {application.referential_version.label}."
            ),
            styles["BodyText"],
        ),
        Spacer(1, 10),
        Paragraph(
            escape(
                f"L'Agence du numérique en santé accuse réception du dossier de preuves complet le "
                f"{when:%d/%m/%Y à %H:%M} (heure de Paris) : {len(sections)} section(s) soumise(s), "
                f"{total} preuve(s) attendue(s) déposée(s). {deadline}"
            ),
            styles["BodyText"],
        ),
        Spacer(1, 10),
        Paragraph(escape(f"Document scellé par l'agence — {settings.SITE_URL}"), styles["Italic"]),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, title="Accusé de réception"
    ).build(lines)
    buffer.seek(0)
    return buffer


def can_read_file(user, application: Application, stored) -> bool:
    """R-EVD-3: a sensitive proof is readable by the applicant and the application's
    instructors only (not by the committee, support or other instructors)."""
    if not stored.encrypted:
        return True
    if not user.is_agency:
        return user.organisation_id == application.organisation_id
    return application.instructors.filter(pk=user.pk).exists()
