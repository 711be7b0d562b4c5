"""Reads of the evidence (R-EVD-1 … R-EVD-4), shared by pages and API: applicable sections →
requirements → scenarios → proofs, with files and progress; who may read a file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from guichet.applications import extensions
from guichet.applications.models import Application, Status
from guichet.conventions.models import Convention
from guichet.evidence.models import EvidenceFile, SectionState
from guichet.referentials.selectors import SectionData, applicable_requirements


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
        application.referential_version,
        application.profiles or [],
        application.claimed_pathologies,
        since=application.evidence_since,
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


def can_read_file(user, application: Application, stored) -> bool:
    """R-EVD-3: a sensitive proof is readable by the applicant and the application's
    instructors only (not by the committee, support or other instructors)."""
    if not stored.encrypted:
        return True
    if not user.is_agency:
        return user.organisation_id == application.organisation_id
    return application.instructors.filter(pk=user.pk).exists()


@extensions.read_rule
def sensitive_proof_refusal(user, application: Application, stored) -> str | None:
    if can_read_file(user, application, stored):
        return None
    return "Preuve sensible : réservée au candidat et aux instructeurs de la candidature."


@extensions.file_source
def evidence_file(application: Application, file_id):
    evidence = application.evidence_files.filter(file_id=file_id).select_related("file").first()
    return evidence.file if evidence is not None else None


# (application) -> ids of the proofs open again for upload once the dossier is complete: those
# an open information request or missing-items notice names (issue 11 §3). The instruction
# registers it, so that evidence does not import the stage that comes after it.
REOPENINGS: list[Callable] = []


def reopening(function):
    REOPENINGS.append(function)
    return function


def reopened_proofs(application: Application) -> frozenset[int]:
    """The proofs the applicant may deposit on again while the dossier is under instruction,
    the rest of the evidence staying read-only."""
    if application.status == Status.ADMISSIBLE:
        return frozenset()
    return frozenset().union(*(reopened(application) for reopened in REOPENINGS))


def evidence_open(application: Application) -> bool:
    """R-CONV-1: no evidence before the convention is signed where the version sends it at
    admissibility (DMN); otherwise evidence opens with admissibility (TLC). Once the dossier
    is complete, only the proofs an open request names reopen (reopened_proofs)."""
    if application.status != Status.ADMISSIBLE:
        return bool(reopened_proofs(application))
    if waiting_for_convention(application):
        return False
    return True


def waiting_for_convention(application: Application) -> bool:
    """Admissible, but the convention must be signed before any evidence (DMN, R-CONV-1)."""
    return (
        application.status == Status.ADMISSIBLE
        and application.referential_version.process_settings.convention_before_evidence
        and not Convention.objects.filter(application=application, signed_at__isnull=False).exists()
    )
