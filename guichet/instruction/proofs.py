"""The applicable proofs of an application, as instruction names them (verdicts, requests)."""

from __future__ import annotations

from dataclasses import dataclass

from guichet.applications.models import Application
from guichet.referentials.selectors import (
    ProofData,
    RequirementData,
    ScenarioData,
    SectionData,
    applicable_requirements,
)


@dataclass(frozen=True)
class ApplicableProof:
    section: SectionData
    requirement: RequirementData
    scenario: ScenarioData
    proof: ProofData

    @property
    def label(self) -> str:
        return f"{self.scenario.code} — preuve {self.proof.position}"

    @property
    def full_label(self) -> str:
        return f"{self.requirement.code} — scénario {self.scenario.code} — preuve {self.proof.position}"

    @property
    def id(self) -> int:
        return self.proof.id

    @property
    def description(self) -> str:
        return self.proof.description

    @property
    def sensitive(self) -> bool:
        return self.proof.sensitive


def applicable_proofs(application: Application) -> dict[int, ApplicableProof]:
    """Every applicable proof (R-REF-3, R-REF-7), in the version's order."""
    return {
        proof.id: ApplicableProof(requirement.section, requirement, scenario, proof)
        for requirement in applicable_requirements(
            application.referential_version,
            application.profiles or [],
            application.claimed_pathologies,
            since=application.evidence_since,
        )
        for scenario in requirement.scenarios
        for proof in scenario.proofs
    }
