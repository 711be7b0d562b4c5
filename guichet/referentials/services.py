"""Writes on referentials: loading the shipped catalogue, importing the agency's spreadsheet,
publishing a version. Every write is one transaction: it completes or changes nothing."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
import secrets
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import yaml
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.journal.services import record
from guichet.referentials import rules as rules_engine
from guichet.referentials.models import (
    ExpectedProof,
    Pathology,
    Pathway,
    Profile,
    ProfileRule,
    Question,
    Referential,
    ReferentialVersion,
    Requirement,
    RuleAudience,
    Scenario,
    Section,
    TechnicalSpecification,
    VersionState,
)
from guichet.referentials.process import ProcessSettings, check_process
from guichet.referentials.spreadsheet import (
    HEADERS,
    SHEET_NAME,
    ArchiveLimits,
    RequirementRow,
    ScenarioRow,
    SpreadsheetError,
    normalize,
    read_requirements,
)

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"


def normalize_version_number(number: str) -> str:
    number = str(number).strip()
    return number[1:] if number[:1] in {"V", "v"} else number


def section_code_from_requirement(code: str) -> str:
    match = re.match(r"\s*([A-Za-zÀ-ÿ_\-]+)", code)
    return (match.group(1) if match else code).upper()


@transaction.atomic
def write_version(
    *,
    referential: Referential,
    number: str,
    state: str,
    entry_into_force: dt.date | None,
    source: str,
    profiles: Sequence[dict],
    sections: Sequence[dict],
    requirements: Sequence[RequirementRow],
    rules: Sequence[dict],
    questions: Sequence[dict],
    specifications: Sequence[dict],
    process: dict | None = None,
) -> ReferentialVersion:
    """Create a whole version. ``requirements`` name sections and profiles by code;
    ``process`` holds what differs between referentials in the procedure (process.py)."""
    number = normalize_version_number(number)
    if ReferentialVersion.objects.filter(referential=referential, number=number).exists():
        raise ApplicationError(
            f"La version {number} du référentiel {referential.code} existe déjà.", field="version"
        )
    problems = rules_engine.check_rules(rules, [p["code"] for p in profiles])
    problems += _specification_problems(requirements, [s["code"] for s in specifications])
    problems += check_process(process)
    if problems:
        raise ApplicationError(" ".join(problems))
    version = ReferentialVersion.objects.create(
        referential=referential,
        number=number,
        state=state,
        entry_into_force=entry_into_force,
        source=source,
        process=ProcessSettings.from_data(process).as_data(),
    )
    profile_objects = Profile.objects.bulk_create(
        Profile(
            version=version,
            code=p["code"],
            label=p["label"],
            description=p.get("description", ""),
            position=i,
        )
        for i, p in enumerate(profiles)
    )
    profile_by_code = {p.code: p for p in profile_objects}
    section_objects = Section.objects.bulk_create(
        Section(version=version, code=s["code"], label=s["label"], position=i)
        for i, s in enumerate(sections)
    )
    section_by_code = {s.code: s for s in section_objects}
    specification_objects = TechnicalSpecification.objects.bulk_create(
        TechnicalSpecification(
            version=version,
            code=s["code"],
            title=s["title"],
            spec_version=s.get("version", "") or "",
            link=s.get("link", "") or "",
            position=i,
        )
        for i, s in enumerate(specifications)
    )
    specification_by_code = {s.code: s for s in specification_objects}
    requirement_objects = Requirement.objects.bulk_create(
        Requirement(
            version=version,
            section=section_by_code[row.section],
            specification=specification_by_code.get(row.specification),
            code=row.code,
            statement=row.statement,
            nature=row.nature,
            bloc=row.bloc,
            function=row.function,
            is_example=row.is_example,
            position=i,
        )
        for i, row in enumerate(requirements)
    )
    through = Requirement.profiles.through
    through.objects.bulk_create(
        through(requirement_id=requirement.pk, profile_id=profile_by_code[code].pk)
        for requirement, row in zip(requirement_objects, requirements, strict=True)
        for code in row.profiles
    )
    scenario_rows: list[ScenarioRow] = []
    scenarios = []
    for requirement, row in zip(requirement_objects, requirements, strict=True):
        for i, scenario in enumerate(row.scenarios):
            scenario_rows.append(scenario)
            scenarios.append(
                Scenario(
                    version=version,
                    requirement=requirement,
                    code=scenario.code,
                    text=scenario.text,
                    position=i,
                )
            )
    scenario_objects = Scenario.objects.bulk_create(scenarios)
    ExpectedProof.objects.bulk_create(
        ExpectedProof(
            scenario=scenario,
            position=i,
            description=text,
            sensitive=i in row.sensitive,
        )
        for scenario, row in zip(scenario_objects, scenario_rows, strict=True)
        for i, text in enumerate(row.proofs, start=1)
    )
    ProfileRule.objects.bulk_create(
        ProfileRule(
            version=version,
            code=r["code"],
            kind=r["kind"],
            condition=r.get("condition"),
            profiles=list(r.get("profiles") or []),
            message=r["message"],
            audience=r.get("audience") or RuleAudience.EVERYONE,
            position=i,
        )
        for i, r in enumerate(rules)
    )
    Question.objects.bulk_create(
        Question(
            version=version,
            key=q["key"],
            type=q["type"],
            label=q["label"],
            help_text=q.get("help_text", ""),
            choices=list(q.get("choices") or []),
            asked_when=q.get("asked_when"),
            position=i,
        )
        for i, q in enumerate(questions)
    )
    return version


def _specification_problems(
    requirements: Sequence[RequirementRow], specification_codes: Sequence[str]
) -> list[str]:
    """R-REF-7: a requirement of a technical specification applies only through the pathology
    that names it, so it names no profile; its specification is one of the version's."""
    problems = []
    for row in requirements:
        if not row.specification:
            continue
        if row.specification not in specification_codes:
            problems.append(
                f"L'exigence « {row.code} » relève de la spécification technique "
                f"« {row.specification} », absente de cette version du référentiel."
            )
        if row.profiles:
            problems.append(
                f"L'exigence « {row.code} » relève de la spécification technique "
                f"{row.specification} : elle ne s'applique qu'aux candidatures qui visent cette "
                "spécification et ne nomme donc aucun profil ; retirez ses profils."
            )
    return problems


# --- the shipped catalogue ------------------------------------------------------------------


def _load_yaml(path: Path) -> dict:
    """The shipped YAML, parsed once per file version (libyaml's C parser when present)."""
    stat = path.stat()
    return copy.deepcopy(_parse_yaml(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=32)
def _parse_yaml(path: str, mtime_ns: int, size: int) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 (a safe loader)


def _catalogue_requirements(data: dict) -> list[RequirementRow]:
    rows = []
    for item in data["requirements"]:
        rows.append(
            RequirementRow(
                code=item["id"],
                section=item["section"],
                bloc=item.get("bloc", ""),
                function=item.get("fonction", ""),
                nature=item["nature"],
                statement=item["statement"],
                # Not official text: visibly an example until the agency imports its file.
                is_example=True,
                profiles=list(item.get("profiles") or []),
                specification=item.get("specification") or "",
                scenarios=[_catalogue_scenario(s) for s in item["scenarios"]],
            )
        )
    return rows


def _catalogue_scenario(data: dict) -> ScenarioRow:
    """A proof is its text, or `{text, sensitive: true}` for a sensitive one (R-EVD-3)."""
    proofs = [p["text"] if isinstance(p, dict) else p for p in data["proofs"]]
    sensitive = frozenset(
        i
        for i, p in enumerate(data["proofs"], start=1)
        if isinstance(p, dict) and p.get("sensitive")
    )
    return ScenarioRow(
        code=data["id"], text=data["text"], proofs=proofs, row=0, sensitive=sensitive
    )


@transaction.atomic
def load_catalogue(directory: Path = CATALOGUE_DIR) -> list[ReferentialVersion]:
    """Load the referentials, pathways and versions shipped with Guichet; idempotent: what
    exists is left as the agency may have changed it (a pathway closed, a version retired)."""
    created = []
    for item in _load_yaml(directory / "referentials.yaml")["referentials"]:
        referential, _ = Referential.objects.get_or_create(
            code=item["code"],
            defaults={"name": item["name"], "description": item.get("description", "")},
        )
        for position, pathway_data in enumerate(item.get("pathways", ())):
            pathway, _ = Pathway.objects.get_or_create(
                referential=referential,
                code=pathway_data["code"],
                defaults={
                    "label": pathway_data["label"],
                    "description": pathway_data.get("description", ""),
                    "is_open": pathway_data.get("is_open", True),
                    "position": position,
                },
            )
            for i, pathology in enumerate(pathway_data.get("pathologies", ())):
                Pathology.objects.get_or_create(
                    pathway=pathway,
                    code=pathology["code"],
                    defaults={
                        "label": pathology["label"],
                        "specification_code": pathology["specification"],
                        "is_available": pathology.get("available", True),
                        "position": i,
                    },
                )
    for path in sorted(directory.glob("*-*.yaml")):
        if path.name.endswith("-exigences.yaml"):
            continue
        data = _load_yaml(path)
        referential = Referential.objects.get(code=data["referential"])
        number = normalize_version_number(data["version"])
        if ReferentialVersion.objects.filter(referential=referential, number=number).exists():
            continue
        requirements = _catalogue_requirements(_load_yaml(directory / data["requirements_file"]))
        created.append(
            write_version(
                referential=referential,
                number=number,
                state=VersionState.PUBLISHED,
                entry_into_force=data.get("entry_into_force"),
                source=data.get("source", ""),
                profiles=data["profiles"],
                sections=data["sections"],
                requirements=requirements,
                rules=data.get("rules", []),
                questions=data.get("questionnaire", []),
                specifications=data.get("technical_specifications", []),
                process=data.get("process"),
            )
        )
    return created


# --- import of the agency's spreadsheet (R-REF-2) --------------------------------------------

REFUSED = "Fichier refusé, rien n'a été modifié"
# Where a previewed file waits for its confirmation, in the default storage.
PENDING_IMPORTS = "imports"


def refusal_reasons(exc: SpreadsheetError | ApplicationError) -> list[str]:
    return exc.errors if isinstance(exc, SpreadsheetError) else [exc.message]


def refusal_text(exc: SpreadsheetError | ApplicationError) -> str:
    """« Fichier refusé, rien n'a été modifié : <raison> », the wording of every refusal."""
    reasons = refusal_reasons(exc)
    if len(reasons) == 1:
        return f"{REFUSED} : {reasons[0]}"
    return f"{REFUSED} :\n" + "\n".join(f"- {reason}" for reason in reasons)


def archive_limits() -> ArchiveLimits:
    return ArchiveLimits(
        max_bytes=settings.REFERENTIAL_IMPORT_MAX_BYTES,
        max_uncompressed_bytes=settings.REFERENTIAL_IMPORT_MAX_UNCOMPRESSED_BYTES,
        max_compression_ratio=settings.REFERENTIAL_IMPORT_MAX_COMPRESSION_RATIO,
        max_members=settings.REFERENTIAL_IMPORT_MAX_MEMBERS,
    )


def keep_pending_import(upload: File) -> str:
    """Keep a previewed file until its confirmation (the preview and the confirmation may be
    served by different web nodes); returns its name in the default storage."""
    return default_storage.save(f"{PENDING_IMPORTS}/{secrets.token_hex(16)}.xlsx", upload)


@contextmanager
def pending_import_file(name: str) -> Iterator[IO[bytes]]:
    """A pending file as a local temporary file, whatever the storage (an object storage has
    no path): copied chunk by chunk, deleted on exit. FileNotFoundError once purged."""
    with default_storage.open(name, "rb") as stored, tempfile.TemporaryFile() as local:
        copied = 0
        for chunk in stored.chunks():
            local.write(chunk)
            copied += len(chunk)
            if copied > settings.REFERENTIAL_IMPORT_MAX_BYTES:
                break  # already too big: the reader refuses it on its size
        local.seek(0)
        yield local


def discard_pending_import(name: str) -> None:
    try:
        default_storage.delete(name)
    except FileNotFoundError:
        pass  # purged meanwhile


def purge_pending_imports(*, older_than: dt.timedelta | None = None) -> int:
    """Delete the files of previews never confirmed, older than the preview lifetime; returns
    how many. Idempotent, and safe when two run at once (one of them finds a file gone)."""
    if older_than is None:
        older_than = dt.timedelta(seconds=settings.REFERENTIAL_IMPORT_PREVIEW_LIFETIME)
    limit = timezone.now() - older_than
    try:
        _directories, names = default_storage.listdir(PENDING_IMPORTS)
    except FileNotFoundError:
        return 0
    purged = 0
    for name in names:
        path = f"{PENDING_IMPORTS}/{name}"
        try:
            if default_storage.get_modified_time(path) >= limit:
                continue
            default_storage.delete(path)
        except FileNotFoundError:
            continue
        purged += 1
    return purged


class ImportPlan:
    """What an import will create; built without writing anything (the preview)."""

    def __init__(
        self, *, referential, number, template, profiles, new_profiles, sections, requirements
    ):
        self.referential = referential
        self.number = number
        self.template = template
        self.profiles = profiles
        self.new_profiles = new_profiles
        self.sections = sections
        self.requirements = requirements

    @property
    def counts(self) -> dict[str, int]:
        scenarios = sum(len(r.scenarios) for r in self.requirements)
        return {
            "sections": len(self.sections),
            "requirements": len(self.requirements),
            "scenarios": scenarios,
            "proofs": sum(len(s.proofs) for r in self.requirements for s in r.scenarios),
            "profiles": len(self.profiles),
            "new_profiles": len(self.new_profiles),
            "examples": sum(1 for r in self.requirements if r.is_example),
        }


def plan_import(
    source: str | Path | IO[bytes], *, referential_code: str, number: str
) -> ImportPlan:
    """Read and check the file against the referential; raise SpreadsheetError or
    ApplicationError with French messages. Writes nothing."""
    try:
        referential = Referential.objects.get(code__iexact=referential_code.strip())
    except Referential.DoesNotExist:
        known = ", ".join(Referential.objects.values_list("code", flat=True))
        raise ApplicationError(
            f"Référentiel inconnu « {referential_code} » (référentiels connus : {known}).",
            field="referential",
        ) from None
    number = normalize_version_number(number)
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.\-]{0,31}", number):
        raise ApplicationError(f"Numéro de version invalide « {number} ».", field="version")
    if ReferentialVersion.objects.filter(referential=referential, number=number).exists():
        raise ApplicationError(
            f"La version {number} du référentiel {referential.code} existe déjà : "
            "choisissez un autre numéro de version.",
            field="version",
        )
    rows = read_requirements(source, limits=archive_limits())

    # Profiles, rules, questionnaire and sections carry over from the latest version.
    template = referential.versions.order_by("-imported_at").first()
    profiles: list[dict] = []
    sections: list[dict] = []
    if template is not None:
        profiles = [
            {"code": p.code, "label": p.label, "description": p.description}
            for p in template.profiles.all()
        ]
        sections = [{"code": s.code, "label": s.label} for s in template.sections.all()]
    profile_by_key = {}
    for p in profiles:
        profile_by_key[normalize(p["label"])] = p["code"]
        profile_by_key[normalize(p["code"])] = p["code"]
    new_profiles: list[dict] = []
    section_by_key = {}
    for s in sections:
        section_by_key[normalize(s["label"])] = s["code"]
        section_by_key[normalize(s["code"])] = s["code"]
    specification_by_key = _pathology_specifications(referential, template)
    problems: list[str] = []
    used_sections: list[str] = []
    for row in rows:
        labels = []
        for label in row.profiles:
            specification = specification_by_key.get(_compact(label))
            if specification is None:
                labels.append(label)
            elif row.specification and row.specification != specification:
                labels.append(label)  # a second specification: refused below
            else:
                row.specification = specification
        if row.specification and labels:
            problems.append(
                f"Feuille « {SHEET_NAME} », ligne {row.row}, colonne « {HEADERS['profiles']} » : "
                f"l'exigence « {row.code} » relève de la spécification technique "
                f"{row.specification} et nomme aussi « {', '.join(labels)} ». Une exigence d'une "
                "spécification technique ne s'applique qu'aux candidatures qui visent cette "
                "spécification : ne lui donnez ni profil ni autre spécification."
            )
            labels = []
        codes = []
        for label in labels:
            code = profile_by_key.get(normalize(label))
            if code is None:
                code = _unique_code(
                    slugify(label).replace("-", "_") or "profil", {p["code"] for p in profiles}
                )
                profile = {"code": code, "label": label, "description": ""}
                profiles.append(profile)
                new_profiles.append(profile)
                profile_by_key[normalize(label)] = code
            codes.append(code)
        row.profiles = codes
        section = section_by_key.get(normalize(row.section))
        if section is None:
            section = _unique_code(
                section_code_from_requirement(row.code), {s["code"] for s in sections}
            )
            sections.append({"code": section, "label": row.section})
            section_by_key[normalize(row.section)] = section
        row.section = section
        if section not in used_sections:
            used_sections.append(section)
    if problems:
        raise SpreadsheetError(problems)
    _copy_sensitive_proofs(template, rows)
    sections = [s for s in sections if s["code"] in used_sections]
    return ImportPlan(
        referential=referential,
        number=number,
        template=template,
        profiles=profiles,
        new_profiles=new_profiles,
        sections=sections,
        requirements=rows,
    )


def _compact(text) -> str:
    return normalize(text).replace(" ", "")


def _pathology_specifications(referential, template) -> dict[str, str]:
    """R-REF-7: the « Profil » column of a requirement may name, instead of profiles, the
    technical specification of a generic line's pathology (« HAS1 »): the specifications
    some pathology of the referential designates, among the previous version's."""
    if template is None:
        return {}
    designated = set(
        Pathology.objects.filter(pathway__referential=referential).values_list(
            "specification_code", flat=True
        )
    )
    return {_compact(s.code): s.code for s in template.specifications.all() if s.code in designated}


def _copy_sensitive_proofs(template, rows) -> None:
    """R-EVD-3: a proof sensitive in the previous version (by scenario number and position)
    stays sensitive; the spreadsheet has no column for it."""
    if template is None:
        return
    sensitive: dict[str, set[int]] = {}
    for code, position in ExpectedProof.objects.filter(
        scenario__version=template, sensitive=True
    ).values_list("scenario__code", "position"):
        sensitive.setdefault(code, set()).add(position)
    for row in rows:
        for scenario in row.scenarios:
            scenario.sensitive = frozenset(sensitive.get(scenario.code, ()))


def _unique_code(base: str, taken: set[str]) -> str:
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


@transaction.atomic
def apply_import(
    plan: ImportPlan,
    *,
    state: str = VersionState.PUBLISHED,
    entry_into_force: dt.date | None = None,
    source: str = "",
    by=None,
) -> ReferentialVersion:
    template = plan.template
    version = write_version(
        referential=plan.referential,
        number=plan.number,
        state=state,
        entry_into_force=entry_into_force or timezone.localdate(),
        source=source,
        profiles=plan.profiles,
        sections=plan.sections,
        requirements=plan.requirements,
        rules=[r.as_data() for r in template.profile_rules.all()] if template else [],
        questions=[q.as_data() for q in template.questions.all()] if template else [],
        specifications=[
            {"code": s.code, "title": s.title, "version": s.spec_version, "link": s.link}
            for s in template.specifications.all()
        ]
        if template
        else [],
        process=template.process if template else None,
    )
    record(
        action="referential_version.import",
        obj=version,
        by=by,
        after={
            "referential": plan.referential.code,
            "version": plan.number,
            "state": state,
            "source": source,
            **plan.counts,
        },
    )
    return version


def import_spreadsheet(
    source: str | Path | IO[bytes],
    *,
    referential_code: str,
    number: str,
    state: str = VersionState.PUBLISHED,
    entry_into_force: dt.date | None = None,
    source_name: str = "",
    by=None,
) -> ReferentialVersion:
    plan = plan_import(source, referential_code=referential_code, number=number)
    return apply_import(
        plan, state=state, entry_into_force=entry_into_force, source=source_name, by=by
    )


@transaction.atomic
def set_version_state(version: ReferentialVersion, *, state: str, by=None) -> ReferentialVersion:
    before = version.state
    version.state = state
    version.save(update_fields=["state"])
    record(
        action="referential_version.state",
        obj=version,
        by=by,
        before={"state": before},
        after={"state": state},
    )
    return version


@transaction.atomic
def set_pathway_open(pathway: Pathway, *, is_open: bool, by=None) -> Pathway:
    before = pathway.is_open
    pathway.is_open = is_open
    pathway.save(update_fields=["is_open"])
    record(
        action="pathway.open" if is_open else "pathway.close",
        obj=pathway,
        by=by,
        before={"is_open": before},
        after={"is_open": is_open},
    )
    return pathway


def mark_content_changed(version_id: int) -> uuid.UUID:
    """Gives the version a new content revision, so that every process rebuilds what it cached
    of the version's content (selectors.version_index). Single-row saves and deletes do it
    through signals (signals.py); a bulk write (``update``, ``bulk_create`` on an existing
    version) calls it in its transaction."""
    revision = uuid.uuid4()
    ReferentialVersion.objects.filter(pk=version_id).update(content_revision=revision)
    return revision


@transaction.atomic
def set_sensitive_proofs(version, *, sensitive_ids: set[int], by=None) -> int:
    """The agency flags which proofs of a version are sensitive (encrypted at rest, R-EVD-3).
    Applies to files deposited from now on; returns how many proofs changed."""
    proofs = ExpectedProof.objects.select_for_update().filter(scenario__version=version)
    turned_on = list(
        proofs.filter(pk__in=sensitive_ids, sensitive=False).values_list("pk", flat=True)
    )
    turned_off = list(
        proofs.filter(sensitive=True).exclude(pk__in=sensitive_ids).values_list("pk", flat=True)
    )
    proofs.filter(pk__in=turned_on).update(sensitive=True)
    proofs.filter(pk__in=turned_off).update(sensitive=False)
    if turned_on or turned_off:
        version.content_revision = mark_content_changed(version.pk)
        record(
            action="referential.proofs.sensitive",
            obj=version,
            by=by,
            after={"sensitive": sorted(turned_on), "not_sensitive": sorted(turned_off)},
        )
    return len(turned_on) + len(turned_off)


# --- profile rules and questionnaire edited by the agency (issue 10 §3) ------------------------

RULE_FIELDS = ("code", "kind", "condition", "profiles", "message", "audience")
QUESTION_FIELDS = ("key", "type", "label", "help_text", "choices", "asked_when")


def rule_data(rule) -> dict:
    """A rule as the evaluator reads it, with only the fields a version stores."""
    return {
        "code": rule.get("code"),
        "kind": rule.get("kind"),
        "condition": rule.get("condition"),
        "profiles": list(rule.get("profiles") or []),
        "message": rule.get("message") or "",
        "audience": rule.get("audience") or RuleAudience.EVERYONE,
    }


def question_data(question) -> dict:
    return {
        "key": question.get("key"),
        "type": question.get("type"),
        "label": question.get("label") or "",
        "help_text": question.get("help_text") or "",
        "choices": list(question.get("choices") or []),
        "asked_when": question.get("asked_when"),
    }


def published_rule_set(version: ReferentialVersion) -> tuple[list[dict], list[dict]]:
    return (
        [r.as_data() for r in version.profile_rules.all()],
        [q.as_data() for q in version.questions.all()],
    )


def _lost_values(before: Sequence[dict], after: Sequence[dict]) -> dict[str, set | None]:
    """Answer keys the new questionnaire drops (None) or values it no longer accepts."""
    new = {q["key"]: q for q in after}
    lost: dict[str, set | None] = {}
    for question in before:
        key = question["key"]
        replacement = new.get(key)
        if replacement is None or replacement["type"] != question["type"]:
            lost[key] = None
        elif question["type"] == "choice":
            kept = {c.get("value") for c in replacement.get("choices") or ()}
            removed = {c.get("value") for c in question.get("choices") or ()} - kept
            if removed:
                lost[key] = removed
    return lost


def lost_answers_problems(version: ReferentialVersion, questions: Sequence[dict]) -> list[str]:
    """Applications of the version keep their answers: a question or a choice they answered
    cannot disappear (their pages and their evaluation read them). One query, and only when
    something disappears."""
    published = [q.as_data() for q in version.questions.all()]
    lost = _lost_values(published, questions)
    if not lost:
        return []
    counts = dict.fromkeys(lost, 0)
    stored = version.applications.values_list("answers", flat=True)
    for answers in stored.iterator(chunk_size=500):
        for key, values in lost.items():
            if isinstance(answers, dict) and key in answers:
                value = answers[key]
                if values is None or (isinstance(value, str) and value in values):
                    counts[key] += 1
    by_key = {q["key"]: q for q in published}
    problems = []
    for key, count in counts.items():
        if not count:
            continue
        question = by_key[key]
        named = f"la question « {question['label'] or key} »"
        if lost[key] is None:
            what = named
        else:
            labels = {c.get("value"): c.get("label") for c in question.get("choices") or ()}
            shown = sorted(f"« {labels.get(value) or value} »" for value in lost[key])
            what = (
                ngettext("le choix %(choices)s", "les choix %(choices)s", len(shown))
                % {"choices": ", ".join(shown)}
                + f" de {named}"
            )
        problems.append(
            ngettext(
                "%(n)d candidature de cette version a répondu avec %(what)s, que le brouillon "
                "supprime ou change de type : ",
                "%(n)d candidatures de cette version ont répondu avec %(what)s, que le brouillon "
                "supprime ou change de type : ",
                count,
            )
            % {"n": count, "what": what}
            + ngettext("gardez-le", "gardez-les", 1 if lost[key] is None else len(lost[key]))
            + ", ou créez une nouvelle version du référentiel pour restructurer le questionnaire."
        )
    return problems


def rule_set_problems(
    version: ReferentialVersion, *, rules: Sequence[dict], questions: Sequence[dict]
) -> list[str]:
    """Everything that forbids publishing a rule set on a version (French, empty when fine)."""
    problems = rules_engine.check_rules(
        rules, [p.code for p in version.profiles.all()], questions=questions
    )
    for rule in rules:
        if len(str(rule.get("code") or "")) > ProfileRule._meta.get_field("code").max_length:
            problems.append(f"Règle {rule.get('code')} : identifiant trop long (64 caractères).")
    for question in questions:
        if len(str(question.get("key") or "")) > Question._meta.get_field("key").max_length:
            problems.append(f"Question {question.get('key')} : clé trop longue (64 caractères).")
        if len(str(question.get("label") or "")) > Question._meta.get_field("label").max_length:
            problems.append(f"Question {question.get('key')} : libellé trop long (500 caractères).")
    return problems


@transaction.atomic
def publish_rules(
    version: ReferentialVersion, *, rules: Sequence[dict], questions: Sequence[dict], by
) -> ReferentialVersion:
    """Replace the version's profile rules and questionnaire, in one transaction, journaled with
    before and after (issue 10 §3, R-REF-4, R-REF-5). The whole set is checked first; a refused
    set changes nothing. Applications keep their stored profiles (R-REF-6)."""
    version = (
        ReferentialVersion.objects.select_for_update()
        .select_related("referential")
        .get(pk=version.pk)
    )
    rules = [rule_data(r) for r in rules]
    questions = [question_data(q) for q in questions]
    problems = rule_set_problems(version, rules=rules, questions=questions)
    problems += lost_answers_problems(version, questions)
    if problems:
        raise ApplicationError(
            "Les règles n'ont pas été publiées : " + " ".join(problems),
            field="rules",
            extra={"status": 400, "problems": problems},
        )
    before_rules, before_questions = published_rule_set(version)
    version.profile_rules.all().delete()
    version.questions.all().delete()
    ProfileRule.objects.bulk_create(
        ProfileRule(version=version, position=i, **rule) for i, rule in enumerate(rules)
    )
    Question.objects.bulk_create(
        Question(version=version, position=i, **question) for i, question in enumerate(questions)
    )
    record(
        action="referential_version.rules.publish",
        obj=version,
        by=by,
        before={"rules": before_rules, "questions": before_questions},
        after={"rules": rules, "questions": questions},
    )
    return version
