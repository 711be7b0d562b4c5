"""Reads on referentials, shared by pages and API."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.referentials import rules as rules_engine
from guichet.referentials.models import (
    ExpectedProof,
    Pathology,
    Profile,
    ProfileRule,
    Referential,
    ReferentialVersion,
    Requirement,
    RuleAudience,
    Scenario,
    Section,
)
from guichet.referentials.spreadsheet import EXAMPLE_MARKER, normalize


def published_versions() -> QuerySet[ReferentialVersion]:
    return ReferentialVersion.objects.public().select_related("referential")


def referentials_with_versions(user=None) -> QuerySet[Referential]:
    versions = (
        ReferentialVersion.objects.visible_to(user)
        if user is not None
        else ReferentialVersion.objects.public()
    )
    return Referential.objects.prefetch_related(
        Prefetch("versions", queryset=versions.order_by("-imported_at"))
    )


def get_version(code: str, number: str, user=None) -> ReferentialVersion:
    from guichet.referentials.services import normalize_version_number

    queryset = (
        ReferentialVersion.objects.visible_to(user)
        if user is not None
        else ReferentialVersion.objects.public()
    )
    try:
        return queryset.select_related("referential").get(
            referential__code__iexact=code, number=normalize_version_number(number)
        )
    except ReferentialVersion.DoesNotExist:
        raise Http404(f"Version {number} du référentiel {code} introuvable.") from None


def resolve_profiles(
    version: ReferentialVersion, values: Iterable[str], profiles: list[Profile] | None = None
) -> list[str]:
    """Profile codes from codes or French labels; ApplicationError naming any unknown one."""
    profiles = list(version.profiles.all()) if profiles is None else profiles
    by_key: dict[str, str] = {}
    for profile in profiles:
        by_key[profile.code.lower()] = profile.code
        by_key[normalize(profile.label)] = profile.code
    codes, unknown = [], []
    for value in values:
        value = str(value).strip()
        if not value:
            continue
        code = by_key.get(value.lower()) or by_key.get(normalize(value))
        if code is None:
            unknown.append(value)
        elif code not in codes:
            codes.append(code)
    if unknown:
        known = ", ".join(f"« {p.label} »" for p in profiles)
        raise ApplicationError(
            ngettext(
                "Profil inconnu : %(unknown)s.", "Profils inconnus : %(unknown)s.", len(unknown)
            )
            % {"unknown": ", ".join(unknown)}
            + f" Profils de la version : {known}.",
            field="profiles",
            extra={"status": 400},
        )
    return codes


def is_agency_reader(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_agency)


def readable_warnings(warnings: Iterable[Mapping], user) -> list[Mapping]:
    """The rule warnings `user` reads: a note for the agency (R-REF-5: the guide's ambiguities,
    `audience: agency`) only by the agency's staff; the others by everyone."""
    agency = is_agency_reader(user)
    return [w for w in warnings if agency or w.get("audience") != RuleAudience.AGENCY]


def readable_rules(user) -> QuerySet:
    """The profile rules `user` reads (the version's public description): the same test."""
    rules = ProfileRule.objects.all()
    return rules if is_agency_reader(user) else rules.exclude(audience=RuleAudience.AGENCY)


def evaluate_profiles(
    version: ReferentialVersion,
    *,
    answers: Mapping | None = None,
    profiles: Iterable[str] | None = None,
) -> rules_engine.Evaluation:
    """Evaluate the version's profile rules; ApplicationError (400) on unknown input."""
    questions = [q.as_data() for q in version.questions.all()]
    if answers:
        errors = rules_engine.validate_answers(questions, answers)
        if errors:
            raise ApplicationError(
                " ".join(errors.values()),
                field="answers",
                extra={"status": 400, "errors": {"answers": errors}},
            )
    all_profiles = list(version.profiles.all())
    selected = resolve_profiles(version, profiles, all_profiles) if profiles is not None else None
    return rules_engine.evaluate(
        [r.as_data() for r in version.profile_rules.all()],
        order=[p.code for p in all_profiles],
        answers=answers,
        selected=selected,
        labels={p.code: p.label for p in all_profiles},
    )


def resolve_pathology(version: ReferentialVersion, value: str) -> Pathology:
    """A pathology of the generic line by its code (« diabete ») or its technical
    specification's (« HAS1 »); ApplicationError (400) naming the choices otherwise."""
    pathologies = list(
        Pathology.objects.filter(pathway__referential_id=version.referential_id).order_by(
            "pathway__position", "position"
        )
    )
    key = normalize(value)
    pathology = next(
        (p for p in pathologies if key in {normalize(p.code), normalize(p.specification_code)}),
        None,
    )
    if pathology is None:
        known = ", ".join(f"{p.specification_code} ({p.code})" for p in pathologies) or "aucune"
        raise ApplicationError(
            f"Pathologie inconnue « {value} ». Pathologies de la ligne générique : {known}.",
            field="pathology",
            extra={"status": 400},
        )
    if not pathology.is_available:
        raise ApplicationError(
            f"La spécification technique {pathology.specification_code} ({pathology.label}) est "
            "à venir : elle n'a pas encore d'exigences.",
            field="pathology",
            extra={"status": 400},
        )
    return pathology


# R-REF-7: one pathology, or the several a product claims on the generic line.
Pathologies = Pathology | Iterable[Pathology] | None


def _specification_codes(pathology: Pathologies) -> frozenset[str]:
    """The technical specifications of the claimed pathologies (one or more generic lines)."""
    if pathology is None:
        return frozenset()
    if isinstance(pathology, Pathology):
        return frozenset({pathology.specification_code})
    return frozenset(p.specification_code for p in pathology)


def _applicable_filter(
    version: ReferentialVersion, profiles: Iterable[str], specifications: frozenset[str]
):
    """R-REF-3 and R-REF-7 in SQL, the rule of RequirementData.applies_to."""
    by_profile = Q(
        specification__isnull=True,
        pk__in=Requirement.profiles.through.objects.filter(
            requirement__version=version,
            profile__version=version,
            profile__code__in=list(profiles),
        ).values("requirement_id"),
    )
    if not specifications:
        return by_profile
    return by_profile | Q(
        specification__version=version, specification__code__in=sorted(specifications)
    )


def requirements_queryset(
    version: ReferentialVersion,
    *,
    profiles: Iterable[str] | None = None,
    pathology: Pathologies = None,
    nature: str | None = None,
    section: str | None = None,
    search: str | None = None,
) -> QuerySet[Requirement]:
    """Requirements of a version, with everything a page shows prefetched. With profiles or a
    pathology, only the applicable ones: those whose profiles intersect the selection (R-REF-3)
    and those of the pathology's technical specification (R-REF-7)."""
    queryset = Requirement.objects.filter(version=version)
    if profiles is not None or pathology is not None:
        queryset = queryset.filter(
            _applicable_filter(version, profiles or [], _specification_codes(pathology))
        )
    if nature:
        queryset = queryset.filter(nature=nature)
    if section:
        queryset = queryset.filter(section__code=section)
    if search:
        queryset = queryset.filter(
            Q(code__icontains=search)
            | Q(statement__icontains=search)
            | Q(bloc__icontains=search)
            | Q(function__icontains=search)
            | Q(scenarios__text__icontains=search)
            | Q(scenarios__code__icontains=search)
        ).distinct()
    return (
        queryset.select_related("section", "specification")
        .prefetch_related(
            Prefetch("profiles", queryset=Profile.objects.order_by("position")),
            Prefetch(
                "scenarios",
                queryset=Scenario.objects.order_by("position").prefetch_related(
                    Prefetch("proofs", queryset=ExpectedProof.objects.order_by("position"))
                ),
            ),
        )
        .order_by("position")
    )


# --- applicability, precomputed per version ------------------------------------------------


@dataclass(frozen=True, slots=True)
class SectionData:
    id: int
    code: str
    label: str
    position: int

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class ProofData:
    id: int
    position: int
    description: str
    sensitive: bool

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class ScenarioData:
    id: int
    code: str
    text: str
    proofs: tuple[ProofData, ...]

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class RequirementData:
    """A requirement as the evaluation reads it; shared between requests, hence immutable."""

    id: int
    code: str
    statement: str
    nature: str
    bloc: str
    function: str
    is_example: bool
    section: SectionData
    profiles: frozenset[str]  # profile codes
    specification: str  # technical specification code (R-REF-7), else ""
    scenarios: tuple[ScenarioData, ...]

    @property
    def pk(self) -> int:
        return self.id

    @property
    def section_id(self) -> int:
        return self.section.id

    def applies_to(self, profiles: frozenset[str], specifications: frozenset[str]) -> bool:
        """R-REF-3: its profiles intersect the selection; R-REF-7: a requirement of a technical
        specification applies only through a claimed pathology that names that specification."""
        if self.specification:
            return self.specification in specifications
        return not self.profiles.isdisjoint(profiles)


@dataclass(frozen=True, slots=True)
class VersionIndex:
    revision: uuid.UUID
    requirements: tuple[RequirementData, ...]  # in the version's order
    requirement_of_proof: Mapping[int, RequirementData]


_indexes: dict[int, VersionIndex] = {}
_indexes_lock = threading.Lock()


def version_index(version: ReferentialVersion) -> VersionIndex:
    """What the evaluation of applicable requirements needs, read once per version and kept in
    the process, keyed by the version's content revision (every write to the content changes
    it, services.mark_content_changed): no query when the version object is loaded and the
    index current, five when it is built."""
    index = _indexes.get(version.pk)
    if index is None or index.revision != version.content_revision:
        index = _build_index(version)
        with _indexes_lock:
            _indexes[version.pk] = index
    return index


def clear_version_indexes() -> None:
    """Forget every cached index (the bench times a rebuild with it)."""
    with _indexes_lock:
        _indexes.clear()


def _build_index(version: ReferentialVersion) -> VersionIndex:
    # The content read here is at least as recent as the revision the caller loaded: an entry
    # is never older than its key.
    sections = {
        pk: SectionData(pk, code, label, position)
        for pk, code, label, position in Section.objects.filter(version=version).values_list(
            "id", "code", "label", "position"
        )
    }
    profiles: dict[int, set[str]] = {}
    for requirement_id, code in Requirement.profiles.through.objects.filter(
        requirement__version=version
    ).values_list("requirement_id", "profile__code"):
        profiles.setdefault(requirement_id, set()).add(code)
    proofs: dict[int, list[ProofData]] = {}
    for pk, scenario_id, position, description, sensitive in (
        ExpectedProof.objects.filter(scenario__version=version)
        .order_by("scenario_id", "position")
        .values_list("id", "scenario_id", "position", "description", "sensitive")
    ):
        proofs.setdefault(scenario_id, []).append(ProofData(pk, position, description, sensitive))
    scenarios: dict[int, list[ScenarioData]] = {}
    for pk, requirement_id, code, text in (
        Scenario.objects.filter(version=version)
        .order_by("requirement_id", "position", "id")
        .values_list("id", "requirement_id", "code", "text")
    ):
        scenarios.setdefault(requirement_id, []).append(
            ScenarioData(pk, code, text, tuple(proofs.get(pk, ())))
        )
    requirements = tuple(
        RequirementData(
            id=pk,
            code=code,
            statement=statement,
            nature=nature,
            bloc=bloc,
            function=function,
            is_example=is_example,
            section=sections[section_id],
            profiles=frozenset(profiles.get(pk, ())),
            specification=specification or "",
            scenarios=tuple(scenarios.get(pk, ())),
        )
        for (
            pk,
            code,
            statement,
            nature,
            bloc,
            function,
            is_example,
            section_id,
            specification,
        ) in Requirement.objects.filter(version=version)
        .order_by("position", "id")
        .values_list(
            "id",
            "code",
            "statement",
            "nature",
            "bloc",
            "function",
            "is_example",
            "section_id",
            "specification__code",
        )
    )
    return VersionIndex(
        revision=version.content_revision,
        requirements=requirements,
        requirement_of_proof={
            proof.id: requirement
            for requirement in requirements
            for scenario in requirement.scenarios
            for proof in scenario.proofs
        },
    )


# R-CRT-3: (version, profiles, pathologies) of a certified application whose unchanged
# requirements a holder's new application is not asked again (CSP R. 1470-11).
Basis = tuple[ReferentialVersion, Iterable[str], Pathologies]


def _content(requirement: RequirementData) -> tuple:
    """What a requirement asks: its statement, nature, scenarios and expected proofs."""
    return (
        requirement.statement.strip(),
        requirement.nature,
        tuple(
            (s.code, s.text.strip(), tuple(p.description.strip() for p in s.proofs))
            for s in requirement.scenarios
        ),
    )


def unchanged_since(version: ReferentialVersion, basis: Basis | None) -> frozenset[str]:
    """R-CRT-3: the codes of `version`'s requirements that the certified application of
    `basis` already met as they are now worded — same code, same statement, scenarios and
    proofs, applicable to it then. The others are « les éléments requis pour établir leur
    conformité au nouveau référentiel » (CSP R. 1470-11)."""
    if basis is None:
        return frozenset()
    basis_version, basis_profiles, basis_pathologies = basis
    met = {
        requirement.code: _content(requirement)
        for requirement in applicable_requirements(basis_version, basis_profiles, basis_pathologies)
    }
    return frozenset(
        requirement.code
        for requirement in version_index(version).requirements
        if met.get(requirement.code) == _content(requirement)
    )


def applicable_requirements(
    version: ReferentialVersion,
    profiles: Iterable[str],
    pathology: Pathologies = None,
    since: Basis | None = None,
) -> list[RequirementData]:
    """The requirements an application must meet, in the version's order, with their
    scenarios and proofs: those whose profiles intersect the selected ones (R-REF-3), and
    those of the technical specification of each pathology it claims on the generic line
    (R-REF-7); with `since`, without those the certified application already met (R-CRT-3)."""
    selected, specifications = frozenset(profiles), _specification_codes(pathology)
    met = unchanged_since(version, since)
    return [
        requirement
        for requirement in version_index(version).requirements
        if requirement.applies_to(selected, specifications) and requirement.code not in met
    ]


def applicable_proof(
    version: ReferentialVersion,
    profiles: Iterable[str],
    pathology: Pathologies,
    proof_id,
    since: Basis | None = None,
) -> ProofData | None:
    """The expected proof, when it belongs to an applicable requirement."""
    try:
        proof_id = int(proof_id)
    except (TypeError, ValueError):
        return None
    requirement = version_index(version).requirement_of_proof.get(proof_id)
    if requirement is None or not requirement.applies_to(
        frozenset(profiles), _specification_codes(pathology)
    ):
        return None
    if requirement.code in unchanged_since(version, since):  # R-CRT-3
        return None
    return next(p for s in requirement.scenarios for p in s.proofs if p.id == proof_id)


def export_rows(
    version: ReferentialVersion,
    profiles: Iterable[str] | None = None,
    pathology: Pathology | None = None,
):
    """Rows of the official layout (one per scenario), streamed from the database. A
    requirement of a technical specification names it in the « Profil » column (R-REF-7)."""
    requirements = requirements_queryset(version, profiles=profiles, pathology=pathology)
    for requirement in requirements.iterator(chunk_size=500):
        if requirement.specification_id:
            profile_labels = requirement.specification.code
        else:
            profile_labels = "\n".join(p.label for p in requirement.profiles.all())
        statement = requirement.statement
        if requirement.is_example:
            statement = f"{EXAMPLE_MARKER} {statement}"
        for scenario in requirement.scenarios.all():
            proofs = [p.description for p in scenario.proofs.all()]
            proofs += [None] * (3 - len(proofs))
            yield [
                profile_labels,
                requirement.section.label,
                requirement.bloc,
                requirement.function,
                requirement.nature,
                requirement.code,
                statement,
                scenario.code,
                scenario.text,
                *proofs[:3],
            ]
