"""Verdicts on proofs (R-EVD-2; DMN and TLC guides §5.2): during the instruction, an assigned
instructor gives each applicable proof an opinion — conforme, non conforme or à préciser, with
a comment unless conforme. The latest opinion on a proof counts; the earlier ones stay as
history. The instruction is finished when every applicable proof has one and none is « à
préciser ». TLC (guide §5.3, R-CONV-2): once every proof is conforme, the convention is sent
for signature, before the committee."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse

from guichet.accounts.models import Role
from guichet.applications import extensions
from guichet.applications.models import INSTRUCTION_STATES, Application, Status
from guichet.applications.notifications import notify_applicant
from guichet.applications.workflow import WORKFLOW
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.evidence.models import EvidenceFile
from guichet.instruction.models import (
    ProofOpinion,
    ProofVerdict,
)
from guichet.instruction.proofs import ApplicableProof, applicable_proofs
from guichet.journal.selectors import reader_view
from guichet.journal.services import record
from guichet.referentials.process import CONVENTION_BEFORE_COMMITTEE

# A comment is a text column; a sane limit all the same (the API says it too).
COMMENT_MAX_LENGTH = 5000
# While the applicant is asked for something, the proofs not concerned are still judged.
PARTLY_OPEN_STATES = (Status.INFORMATION_REQUESTED, Status.MISSING_ITEMS)
# The states in which proofs are judged: the instruction, and while the applicant is asked.
VERDICT_STATES = (Status.IN_INSTRUCTION, *PARTLY_OPEN_STATES)


@dataclass(frozen=True)
class VerdictSummary:
    """Where the verdicts of an application stand. A proof whose files changed since its
    verdict counts as without one (`missing`), and is also counted in `redeposited`."""

    total: int
    conforme: int
    non_conforme: int
    a_preciser: int
    redeposited: int = 0

    @property
    def missing(self) -> int:
        return self.total - self.conforme - self.non_conforme - self.a_preciser

    @property
    def given(self) -> int:
        return self.total - self.missing

    @property
    def all_conforme(self) -> bool:
        return self.total > 0 and self.conforme == self.total


@dataclass(frozen=True)
class ProofVerdicts:
    """The latest verdict on each proof of an application, split by whether it still judges
    the proof's files (R-EVD-2): `current` are in force; `redeposited` were given on files
    since added to or replaced, so that the proof is « nouveau dépôt à examiner » and counts
    as without an opinion until an instructor gives a new one."""

    current: dict[int, ProofVerdict]
    redeposited: dict[int, ProofVerdict]


# --- who ---------------------------------------------------------------------------------------


def may_instruct(user, application: Application) -> bool:
    """An instructor assigned to the application, or the agency's administrator; never the
    committee, support or an instructor of other dossiers (R-ACT-1)."""
    if user is None or not user.is_active:
        return False
    if user.role == Role.AGENCY_ADMIN:
        return True
    return user.role == Role.INSTRUCTOR and application.instructors.filter(pk=user.pk).exists()


def instruct_refusal(user, application: Application) -> str | None:
    if may_instruct(user, application):
        return None
    if getattr(user, "role", None) == Role.COMMITTEE:
        return (
            "Un membre du collège technique n'instruit pas : les avis sur les preuves reviennent "
            "aux instructeurs attribués à la candidature."
        )
    return "Les avis sur les preuves reviennent aux instructeurs attribués à la candidature."


# --- reads -------------------------------------------------------------------------------------


def current_files(application_ids) -> dict[int, dict[int, list[EvidenceFile]]]:
    """application id → proof id → its files not replaced, in the order of their deposit (one
    query)."""
    files: dict[int, dict[int, list[EvidenceFile]]] = defaultdict(lambda: defaultdict(list))
    for evidence in (
        EvidenceFile.objects.filter(application_id__in=list(application_ids), replaced_at=None)
        .select_related("file")
        .order_by("created_at", "id")
    ):
        files[evidence.application_id][evidence.proof_id].append(evidence)
    return files


def proof_verdicts_of(application_ids, *, files=None) -> dict[int, ProofVerdicts]:
    """application id → its proofs' latest verdicts, in force or to judge again (two queries
    whatever the number of applications; one when `files`, current_files' answer, is given)."""
    ids = list(application_ids)
    files = current_files(ids) if files is None else files
    latest: dict[int, dict[int, ProofVerdict]] = defaultdict(dict)
    for verdict in (
        ProofVerdict.objects.filter(application_id__in=ids)
        .select_related("by")
        .order_by("application_id", "proof_id", "at", "id")
    ):
        latest[verdict.application_id][verdict.proof_id] = verdict
    found = {}
    for application_id in ids:
        current, redeposited = {}, {}
        on_file = files.get(application_id, {})
        for proof_id, verdict in latest[application_id].items():
            deposited = frozenset(evidence.pk for evidence in on_file.get(proof_id, ()))
            target = current if verdict.judged_file_ids == deposited else redeposited
            target[proof_id] = verdict
        found[application_id] = ProofVerdicts(current=current, redeposited=redeposited)
    return found


def proof_verdicts(application: Application) -> ProofVerdicts:
    return proof_verdicts_of([application.pk])[application.pk]


def latest_proof_verdicts(application: Application) -> dict[int, ProofVerdict]:
    """proof id → its latest verdict still in force (R-EVD-2: not the proofs deposited again
    since their verdict)."""
    return proof_verdicts(application).current


def verdict_summary(
    application: Application,
    *,
    proofs: dict[int, ApplicableProof] | None = None,
    latest: dict[int, ProofVerdict] | None = None,
    redeposited: dict[int, ProofVerdict] | None = None,
) -> VerdictSummary:
    """The counts of every page and guard. `latest` are the verdicts in force; given without
    `redeposited`, both are read."""
    proofs = applicable_proofs(application) if proofs is None else proofs
    if latest is None:
        both = proof_verdicts(application)
        latest, redeposited = both.current, both.redeposited
    counts = {value: 0 for value in ProofOpinion.values}
    for proof_id in proofs:
        if proof_id in latest:
            counts[latest[proof_id].verdict] += 1
    return VerdictSummary(
        total=len(proofs),
        conforme=counts[ProofOpinion.CONFORME],
        non_conforme=counts[ProofOpinion.NON_CONFORME],
        a_preciser=counts[ProofOpinion.A_PRECISER],
        redeposited=sum(1 for proof_id in redeposited or () if proof_id in proofs),
    )


def awaited_proofs(application: Application, proofs: dict[int, ApplicableProof]) -> set[int]:
    """The proofs the applicant is still asked about (an open information request, a section
    sent back, missing items): their verdict waits for the answer. The same proofs as those
    reopened for upload (evidence.selectors.reopened_proofs)."""
    from guichet.evidence.selectors import reopened_proofs

    return set(reopened_proofs(application)) & set(proofs)


# The state of a proof deposited again since its verdict (R-EVD-2), beside the opinions.
REDEPOSITED = "nouveau_depot"
REDEPOSITED_LABEL = "Nouveau dépôt à examiner"


def verdict_data(verdict: ProofVerdict) -> dict:
    return {
        "verdict": verdict.verdict,
        "label": verdict.get_verdict_display(),
        "comment": verdict.comment,
        "by": verdict.by.email,
        "at": verdict.at,
        "files": [entry["name"] for entry in verdict.judged_files],
    }


def sees_verdict(user, opinion: str) -> bool:
    """Whether `user` is shown an opinion on a proof, on every page, API and journal: the
    agency all of them; the applicant those that are not conforme, so that it knows what to
    fix — as the admissibility review shows it only the items to fix (R-APP-8). A « conforme »
    may still change until the instruction ends: the applicant learns the outcome from the
    committee's decision."""
    return user.is_agency or opinion != ProofOpinion.CONFORME


def redeposited_data(verdict: ProofVerdict, user) -> dict:
    """A proof whose files changed since its verdict: to be judged again; the former opinion
    is told to the agency, and to the applicant when it was one to fix."""
    shown = sees_verdict(user, verdict.verdict)
    return {
        "verdict": REDEPOSITED,
        "label": REDEPOSITED_LABEL,
        "comment": "",
        "by": None,
        "at": None,
        "previous": verdict_data(verdict) if shown else None,
    }


@extensions.proof_verdicts
def visible_verdicts(application: Application, user) -> dict[int, dict]:
    """The latest verdicts `user` sees (sees_verdict). A proof deposited again since its
    verdict reads « nouveau dépôt à examiner » for both (R-EVD-2)."""
    both = proof_verdicts(application)
    return {
        proof_id: verdict_data(verdict)
        for proof_id, verdict in both.current.items()
        if sees_verdict(user, verdict.verdict)
    } | {
        proof_id: redeposited_data(verdict, user) for proof_id, verdict in both.redeposited.items()
    }


@reader_view("instruction.verdicts")
def verdicts_entry_as_read_by(row: dict, user) -> dict | None:
    """The journal's entry of a batch of verdicts shows `user` the opinions its pages show it
    (issue 20 §2); nothing when none of them."""
    after = row["after"] or {}
    shown = [v for v in after.get("verdicts", ()) if sees_verdict(user, v.get("verdict"))]
    if not shown:
        return None
    return {**row, "after": {**after, "verdicts": shown}}


# --- writes ------------------------------------------------------------------------------------


def _opinion_problem(verdict: str, comment: str) -> tuple[str, str] | None:
    if verdict not in ProofOpinion.values:
        return (
            "verdict",
            f"avis inconnu « {verdict[:40]} » : « conforme », « non_conforme » ou « a_preciser ».",
        )
    if verdict != ProofOpinion.CONFORME and not comment:
        return (
            "comment",
            "dites au candidat ce qui ne va pas ou ce qu'il doit préciser (un commentaire est "
            "obligatoire quand l'avis n'est pas « conforme »).",
        )
    if len(comment) > COMMENT_MAX_LENGTH:
        return ("comment", f"le commentaire dépasse {COMMENT_MAX_LENGTH} caractères.")
    return None


@transaction.atomic
def set_proof_verdicts(
    application: Application,
    *,
    by,
    opinions: dict[int, tuple[str, str]],
    states: tuple[str, ...] = VERDICT_STATES,
) -> list[ProofVerdict]:
    """Several verdicts at once (a section's form, « tout conforme », the API, the INS test
    day's outcomes): all are kept, or none when one is wrong. A verdict equal to the proof's
    latest is not repeated. Returns the verdicts added. `states`: where the verdicts may be
    given (the INS test day may be held once the dossier is complete, before its assignment:
    instruction.ins)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    refusal = instruct_refusal(by, application)
    if refusal:
        raise ApplicationError(refusal, extra={"status": 403})
    if application.status not in states:
        raise ApplicationError(
            "Les avis sur les preuves se donnent pendant l'instruction ; la candidature est "
            f"« {application.get_status_display()} ».",
            extra={"status": 409},
        )
    if not opinions:
        raise ApplicationError(
            "Aucun avis à enregistrer : choisissez un avis pour au moins une preuve.",
            extra={"status": 400},
        )
    proofs = applicable_proofs(application)
    awaited = awaited_proofs(application, proofs)
    files = current_files([application.pk])
    on_file = files[application.pk]
    latest = proof_verdicts_of([application.pk], files=files)[application.pk].current
    errors: dict[str, list[str]] = {}
    added: list[ProofVerdict] = []
    for key, (verdict, comment) in opinions.items():
        proof_id = key if isinstance(key, int) else int(key) if str(key).isdigit() else None
        ref = proofs.get(proof_id)
        if ref is None:
            errors[str(key)[:40]] = ["Preuve inconnue de cette candidature."]
            continue
        if proof_id in awaited:
            errors[f"{proof_id}"] = [
                f"{ref.label} : le candidat doit encore répondre sur cette preuve ; donnez votre "
                "avis après sa réponse."
            ]
            continue
        verdict, comment = (verdict or "").strip(), (comment or "").strip()
        problem = _opinion_problem(verdict, comment)
        if problem:
            errors[f"{proof_id}.{problem[0]}"] = [f"{ref.label} : {problem[1]}"]
            continue
        previous = latest.get(proof_id)
        if previous and previous.verdict == verdict and previous.comment == comment:
            continue
        added.append(
            ProofVerdict(
                application=application,
                proof_id=proof_id,
                verdict=verdict,
                comment=comment,
                by=by,
                judged_files=[
                    {
                        "evidence_file": evidence.pk,
                        "file": str(evidence.file_id),
                        "name": evidence.file.original_name,
                        "sha256": evidence.file.sha256,
                    }
                    for evidence in on_file.get(proof_id, ())
                ],
            )
        )
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(
            f"Aucun avis n'a été enregistré : {first}"
            + (f" ({len(errors)} points à corriger.)" if len(errors) > 1 else ""),
            extra={"status": 400, "errors": errors},
        )
    if not added:
        return []
    ProofVerdict.objects.bulk_create(added)
    record(
        action="instruction.verdicts",
        obj=application,
        by=by,
        application_id=application.pk,
        after={
            "verdicts": [
                {
                    "proof": proofs[v.proof_id].label,
                    "proof_id": v.proof_id,
                    "verdict": v.verdict,
                    "comment": v.comment,
                    "files": [
                        {"name": entry["name"], "sha256": entry["sha256"]}
                        for entry in v.judged_files
                    ],
                }
                for v in added
            ]
        },
    )
    _tell_applicant(application, added, proofs)
    latest |= {v.proof_id: v for v in added}
    _send_convention_once_conforme(
        application, by, verdict_summary(application, proofs=proofs, latest=latest)
    )
    return added


def _tell_applicant(application: Application, added, proofs) -> None:
    """R-MSG-1: a batch of verdicts tells the applicant what it sees of them, the proofs not
    conforme with their comments (a « conforme » may still change: visible_verdicts)."""
    shown = [v for v in added if v.verdict != ProofOpinion.CONFORME]
    if not shown:
        return
    lines = "".join(
        f"\n- {proofs[v.proof_id].full_label} : {v.get_verdict_display().lower()} — {v.comment}"
        for v in shown
    )
    count = ngettext(
        "L'instructeur a donné son avis sur %(n)d preuve qui n'est pas conforme en l'état :",
        "L'instructeur a donné son avis sur %(n)d preuves qui ne sont pas conformes en l'état :",
        len(shown),
    ) % {"n": len(shown)}
    notify_applicant(
        application,
        "avis sur les preuves",
        f"{count}{lines}\n\nSi l'agence attend un complément de votre part, elle vous "
        "l'adresse par une demande d'information ; le détail figure sur la page des preuves "
        "de la candidature.",
        kind="verdicts",
    )


def set_section_conforme(application: Application, *, by, section_code: str) -> list[ProofVerdict]:
    """« Tout conforme »: every proof of the section that has never had a verdict becomes
    conforme; the verdicts already given stay. A proof deposited again since its verdict is
    not swept along: its new files are read and judged one by one (R-EVD-2)."""
    proofs = applicable_proofs(application)
    in_section = [pk for pk, ref in proofs.items() if ref.section.code == section_code]
    if not in_section:
        raise ApplicationError("Section introuvable pour cette candidature.", extra={"status": 404})
    both = proof_verdicts(application)
    remaining = {
        pk: (ProofOpinion.CONFORME, "")
        for pk in in_section
        if pk not in both.current and pk not in both.redeposited
    }
    if not remaining:
        redeposited = sum(1 for pk in in_section if pk in both.redeposited)
        raise ApplicationError(
            ngettext(
                "Chaque preuve de cette section a déjà un avis ; la preuve déposée à nouveau "
                "s'examine seule, avec son avis : rien n'a changé.",
                "Chaque preuve de cette section a déjà un avis ; les %(n)d preuves déposées à "
                "nouveau s'examinent une à une, chacune avec son avis : rien n'a changé.",
                redeposited,
            )
            % {"n": redeposited}
            if redeposited
            else "Chaque preuve de cette section a déjà un avis : rien n'a changé.",
            extra={"status": 409},
        )
    return set_proof_verdicts(application, by=by, opinions=remaining)


def _send_convention_once_conforme(application: Application, by, summary: VerdictSummary):
    """R-CONV-2 (TLC guide §5.3): every applicable section conforme → the convention is sent
    for signature, before the committee. `send_convention` does nothing the second time."""
    settings = application.referential_version.process_settings
    if settings.convention == CONVENTION_BEFORE_COMMITTEE and summary.all_conforme:
        from guichet.conventions.services import send_convention

        send_convention(application, by=by)


@WORKFLOW.effect("finish_instruction")
def _send_convention_for_reservations(application: Application, *, by, **_) -> dict:
    """R-CONV-2 with R-DEC-2: where the version allows an attribution « sous réserve » (TLC
    guide §5.4: for a system that « n'est pas conforme à toutes les exigences obligatoires »),
    a dossier that reaches the collège with non-conformities gets its convention to sign now,
    so that such a decision leads to a certificate. `send_convention` does nothing the second
    time (a dossier all conforme had it already)."""
    settings = application.referential_version.process_settings
    if (
        settings.convention != CONVENTION_BEFORE_COMMITTEE
        or "granted_with_reservations" not in settings.decision_outcomes
        or extensions.scope_of(application) is not None  # R-CRT-4: for the exceptional one
    ):
        return {}
    from guichet.conventions.models import Convention
    from guichet.conventions.services import send_convention

    if Convention.objects.filter(application=application).exists():
        return {}
    convention = send_convention(application, by=by)
    return {"convention": convention.number}


@WORKFLOW.guard("finish_instruction")
def _every_proof_judged(application: Application) -> str | None:
    """R-EVD-2: finished when every applicable proof has a verdict on its current files and
    none is pending. R-CRT-4 (« sans obtention de toutes les preuves »): on the exceptional
    certificate's path before its attribution (extensions.scope_of), the listed sections'
    proofs only."""
    proofs = applicable_proofs(application)
    scope = extensions.scope_of(application)
    if scope is not None:
        proofs = {pk: p for pk, p in proofs.items() if p.section.code in scope}
    summary = verdict_summary(application, proofs=proofs)
    if summary.missing or summary.a_preciser:
        which = "applicable" if scope is None else "des sections du certificat exceptionnel"
        return (
            f"L'instruction se termine quand chaque preuve {which} a un avis et qu'aucune "
            f"n'est « à préciser » : {summary_text(summary)}."
        )
    return None


def summary_text(summary: VerdictSummary) -> str:
    """« 3 preuves sans avis, dont 1 nouveau dépôt à examiner ; 1 « à préciser » », in words."""
    missing = ngettext("%(n)d preuve sans avis", "%(n)d preuves sans avis", summary.missing) % {
        "n": summary.missing
    }
    if summary.redeposited:
        missing += ngettext(
            ", dont %(n)d nouveau dépôt à examiner",
            ", dont %(n)d nouveaux dépôts à examiner",
            summary.redeposited,
        ) % {"n": summary.redeposited}
    return f"{missing} ; {summary.a_preciser} « à préciser »"


# --- the application page ----------------------------------------------------------------------


def convention_to_sign(application: Application) -> bool:
    """TLC: the convention sent once every section is conforme awaits its signature."""
    from guichet.conventions.models import Convention

    if application.referential_version.process_settings.convention != CONVENTION_BEFORE_COMMITTEE:
        return False
    return Convention.objects.filter(application=application, signed_at__isnull=True).exists()


@extensions.panel
def instruction_panel(request, application: Application) -> dict | None:
    """The instruction's part of the application page: for the agency, the way to the
    instruction page and where the verdicts stand; for the applicant, what to fix."""
    if application.status not in (Status.COMPLETE, *INSTRUCTION_STATES):
        return None
    user = request.user
    context = {"template": "instruction/panel.html", "to_sign": convention_to_sign(application)}
    if user.is_agency:
        return context | {
            "summary": verdict_summary(application),
            "lead": application.lead_instructor,
        }
    verdicts = visible_verdicts(application, user)
    proofs = applicable_proofs(application)
    to_fix, redeposited = [], []
    for pk, data in verdicts.items():
        if pk in proofs:
            (redeposited if data["verdict"] == REDEPOSITED else to_fix).append(
                {"proof": proofs[pk], **data}
            )
    if not to_fix and not redeposited and not context["to_sign"]:
        return None
    return context | {"to_fix": to_fix, "redeposited": redeposited}


def instruction_page_url(application: Application) -> str:
    return reverse("instruction:page", args=[application.pk])
