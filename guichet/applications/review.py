"""The instructor's admissibility review (R-APP-8): an opinion per field and document, the
applicant fixes only what is flagged, then recevable or non recevable with reasons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from guichet.accounts.models import Role
from guichet.applications import admissibility
from guichet.applications.models import (
    PROFILES_ITEM,
    AdmissibilityVerdict,
    Application,
    Status,
    Verdict,
)
from guichet.applications.notifications import notify_applicant
from guichet.applications.workflow import WORKFLOW, transition
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.deadlines import french_date
from guichet.journal.selectors import reader_view
from guichet.journal.services import record

REVIEWERS = {Role.INSTRUCTOR, Role.AGENCY_ADMIN}
# The guides' words are accepted as well as the codes.
VERDICT_ALIASES = {
    "conforme": Verdict.CONFORME,
    "to_fix": Verdict.TO_FIX,
    "non_conforme": Verdict.TO_FIX,
    "a_corriger": Verdict.TO_FIX,
    "a_redeposer": Verdict.TO_FIX,
    "a_preciser": Verdict.TO_FIX,
    "à redéposer / à préciser": Verdict.TO_FIX,
    "à redéposer": Verdict.TO_FIX,
    "à préciser": Verdict.TO_FIX,
}
# The guides' words and the codes, each naming its transition of the workflow.
DECISIONS = {
    "admissible": "declare_admissible",
    "recevable": "declare_admissible",
    "declare_admissible": "declare_admissible",
    "not_admissible": "declare_not_admissible",
    "non_recevable": "declare_not_admissible",
    "declare_not_admissible": "declare_not_admissible",
    "request_fixes": "request_fixes",
    "a_corriger": "request_fixes",
    "à corriger": "request_fixes",
    "non recevable": "declare_not_admissible",
}


def can_review(user) -> bool:
    return user.is_active and user.role in REVIEWERS


def display_value(spec, value) -> str:
    """A form value as people read it (issue 14 §2): « Oui », « 1er mars 2027 », a choice's
    label; empty when not given."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if spec.type == "date":
        try:
            return french_date(dt.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if spec.choices:
        return dict(spec.choices).get(value, str(value))
    return str(value)


def _rows_text(rows) -> str:
    """Components or group members, one per line: their values side by side."""
    return "\n".join(
        " — ".join(str(v) for v in row.values() if v not in (None, ""))
        if isinstance(row, dict)
        else str(row)
        for row in rows or []
    )


def _profiles_item(application: Application) -> dict:
    """R-REF-8: the profile choice, reviewed like any item (both guides §5.1: « L'ANS se
    réserve le droit de contrôler que les profils choisis … sont cohérents avec la description
    fonctionnelle »), with the questionnaire's answers that led to it — the form's facts among
    them, asked once."""
    version = application.referential_version
    labels = dict(version.profiles.values_list("code", "label"))
    lines = [", ".join(labels.get(code, code) for code in application.profiles or [])]
    answers = application.answers or {}
    for question in version.questions.all():
        answer = answers.get(question.key)
        if answer is None:
            continue
        if isinstance(answer, bool):
            shown = "Oui" if answer else "Non"
        else:
            shown = next(
                (c.get("label") for c in question.choices or () if c.get("value") == answer),
                str(answer),
            )
        lines.append(f"{question.label} — {shown}")
    return {
        "item": PROFILES_ITEM,
        "label": "Profils et réponses au questionnaire",
        "kind": "field",
        "value": list(application.profiles or []),
        "display": "\n".join(lines),
    }


def reviewable_items(application: Application) -> list[dict]:
    """Every field and document the instructor gives an opinion on, in the form's order; the
    form's facts that the questionnaire asks are judged with the profiles (R-REF-8)."""
    data, profiles = application.form or {}, set(application.profiles or [])
    facts = admissibility.facts_of(application)
    asked_by_questionnaire = {fact.field.key for fact in facts}
    items = []
    for spec in admissibility.offered_fields(application):
        if spec.key in asked_by_questionnaire:
            continue
        if data.get(spec.key) is not None or spec.is_required(data, profiles, application):
            items.append(
                {
                    "item": spec.key,
                    "label": spec.label,
                    "kind": "field",
                    "value": data.get(spec.key),
                    "display": display_value(spec, data.get(spec.key)),
                }
            )
    items.append(_profiles_item(application))
    if data.get("components"):
        items.append(
            {
                "item": "components",
                "label": "Composants supplémentaires",
                "kind": "field",
                "value": data.get("components"),
                "display": _rows_text(data.get("components")),
            }
        )
    if application.is_group:
        items.append(
            {
                "item": "group_members",
                "label": "Membres du groupement",
                "kind": "field",
                "value": application.group_members,
                "display": _rows_text(application.group_members),
            }
        )
    present = set(
        application.documents.filter(withdrawn_at__isnull=True).values_list("item", flat=True)
    )
    for document in admissibility.documents_of(application):
        if document.key in present or document.is_required(data, profiles, application):
            items.append(
                {"item": f"documents.{document.key}", "label": document.label, "kind": "document"}
            )
    return items


def latest_verdicts(application: Application) -> dict[str, AdmissibilityVerdict]:
    latest = {}
    for verdict in application.verdicts.select_related("by").order_by("at", "id"):
        latest[verdict.item] = verdict
    return latest


def sees_verdict(user, verdict: str) -> bool:
    """Whether `user` is shown an opinion of the review, in the API as in the journal: the
    agency all of them; the applicant only the items to fix (R-APP-8)."""
    return user.is_agency or verdict == Verdict.TO_FIX


@reader_view("admissibility.verdict")
def verdict_entry_as_read_by(row: dict, user) -> dict | None:
    """The journal's entry of an opinion, to whom its pages show it (issue 20 §2)."""
    return row if sees_verdict(user, (row["after"] or {}).get("verdict")) else None


def items_to_fix(application: Application) -> dict[str, str]:
    """item → the instructor's comment, for the items flagged in the last review round."""
    return review_progress(application).to_fix


def _require_reviewer(by):
    if not can_review(by):
        raise ApplicationError(
            "Seuls les instructeurs examinent la recevabilité.", extra={"status": 403}
        )


@transaction.atomic
def set_verdict(
    *, by, application: Application, item: str, verdict: str, comment: str = ""
) -> AdmissibilityVerdict:
    application = _lock_for_review(by, application)
    known = {entry["item"] for entry in reviewable_items(application)}
    if item not in known:
        raise ApplicationError(
            "Élément inconnu du formulaire de recevabilité.", extra={"status": 404}
        )
    return _add_verdict(by, application, item, verdict, comment)


@dataclass(frozen=True)
class ReviewProgress:
    """Where the review of the current round stands, item by item (R-APP-8): the one source of
    the review page's counts, of « tout conforme » and of the decision's guards.

    An item is settled when its latest opinion is « conforme » (the applicant cannot change it
    since, R-APP-8), or « à redéposer / à préciser » given in this round; an item without an
    opinion, or flagged in an earlier round and corrected since, awaits one."""

    round: int
    rows: list[dict]  # reviewable_items, each with "verdict" (settled) and "previous"

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def unjudged(self) -> list[str]:
        return [row["item"] for row in self.rows if row["verdict"] is None]

    @property
    def examined(self) -> int:
        return self.total - len(self.unjudged)

    @property
    def to_fix(self) -> dict[str, str]:
        return {
            row["item"]: row["verdict"].comment
            for row in self.rows
            if row["verdict"] is not None and row["verdict"].verdict == Verdict.TO_FIX
        }

    @property
    def conforme(self) -> int:
        return self.examined - len(self.to_fix)


def is_settled(verdict: AdmissibilityVerdict | None, application: Application) -> bool:
    """An item's latest opinion still holds in the current round: « conforme » (the applicant
    cannot change the item since), or « à redéposer / à préciser » given in this round."""
    return verdict is not None and (
        verdict.verdict == Verdict.CONFORME or verdict.round >= application.review_round
    )


def review_progress(application: Application) -> ReviewProgress:
    latest = latest_verdicts(application)
    rows = []
    for entry in reviewable_items(application):
        verdict = latest.get(entry["item"])
        settled = is_settled(verdict, application)
        rows.append(
            {
                **entry,
                "verdict": verdict if settled else None,
                "previous": None if settled else verdict,
            }
        )
    return ReviewProgress(round=application.review_round, rows=rows)


def unjudged_items(application: Application) -> list[str]:
    """The items awaiting an opinion in the current review round."""
    return review_progress(application).unjudged


def with_remaining_conforme(application: Application, opinions: dict) -> dict:
    """« Tout conforme » (issue 14 §2): the opinions given, and « conforme » for every other
    item awaiting an opinion in this round."""
    remaining = {item: ("conforme", "") for item in unjudged_items(application)}
    return remaining | opinions


@transaction.atomic
def set_verdicts(*, by, application: Application, opinions: dict[str, tuple[str, str]]) -> int:
    """Several opinions at once (the review page): all are kept, or none when one is wrong;
    an opinion equal to the item's latest is not repeated. Returns how many were kept."""
    application = _lock_for_review(by, application)
    labels = {entry["item"]: entry["label"] for entry in reviewable_items(application)}
    latest = latest_verdicts(application)
    kept, errors = 0, []
    for item, (verdict, comment) in opinions.items():
        if item not in labels:
            errors.append(f"« {item} » : élément inconnu du formulaire de recevabilité.")
            continue
        previous = latest.get(item)
        if (
            is_settled(previous, application)
            and previous.verdict == VERDICT_ALIASES.get((verdict or "").strip().lower(), verdict)
            and previous.comment == (comment or "").strip()
        ):
            continue
        try:
            _add_verdict(by, application, item, verdict, comment)
            kept += 1
        except ApplicationError as exc:
            errors.append(f"{labels[item]} : {exc.message}")
    if errors:
        raise ApplicationError(
            "Aucun avis n'a été enregistré : corrigez les points signalés.",
            extra={"status": 400, "errors": errors},
        )
    return kept


def _lock_for_review(by, application: Application) -> Application:
    _require_reviewer(by)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Status.SUBMITTED:
        raise ApplicationError("La candidature n'est pas en cours d'examen de recevabilité.")
    return application


def _add_verdict(by, application: Application, item: str, verdict: str, comment: str):
    verdict = VERDICT_ALIASES.get((verdict or "").strip().lower(), verdict)
    if verdict not in Verdict.values:
        raise ApplicationError(
            "Avis inconnu : « conforme » ou « à redéposer / à préciser ».",
            field="verdict",
            extra={"status": 400},
        )
    comment = (comment or "").strip()
    if verdict == Verdict.TO_FIX and not comment:
        raise ApplicationError(
            "Dites au candidat ce qu'il doit redéposer ou préciser.",
            field="comment",
            extra={"status": 400},
        )
    entry = AdmissibilityVerdict.objects.create(
        application=application,
        item=item,
        verdict=verdict,
        comment=comment,
        round=application.review_round,
        by=by,
    )
    record(
        action="admissibility.verdict",
        obj=entry,
        by=by,
        application_id=application.pk,
        after={
            "item": item,
            "verdict": verdict,
            "comment": comment,
            "round": application.review_round,
        },
    )
    return entry


def _refusal(progress: ReviewProgress) -> str:
    awaiting, to_fix = len(progress.unjudged), len(progress.to_fix)
    return (
        "La candidature n'est recevable que lorsque chaque élément est conforme : "
        + ngettext("%(n)d élément sans avis", "%(n)d éléments sans avis", awaiting)
        % {"n": awaiting}
        + ", "
        + f"{to_fix} à corriger"
        + "."
    )


@WORKFLOW.guard("declare_admissible")
def _every_item_conforme(application: Application) -> str | None:
    """R-APP-8: recevable only when every requested item is conforme."""
    progress = review_progress(application)
    if progress.unjudged or progress.to_fix:
        return _refusal(progress)
    return None


@WORKFLOW.guard("request_fixes")
def _something_to_fix(application: Application) -> str | None:
    if not review_progress(application).to_fix:
        return "Marquez d'abord les éléments à redéposer ou à préciser."
    return None


@transaction.atomic
def decide(*, by, application: Application, decision: str, reasons: str = "") -> Application:
    """The instructor's decision on admissibility, as the guides word it, through the
    workflow (R-APP-8)."""
    _require_reviewer(by)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Status.SUBMITTED:
        raise ApplicationError("La candidature n'est pas en cours d'examen de recevabilité.")
    name = DECISIONS.get((decision or "").strip().lower())
    if name is None:
        raise ApplicationError(
            "Décision inconnue : « recevable », « à corriger » ou « non recevable ».",
            field="decision",
            extra={"status": 400},
        )
    if name == "declare_admissible":
        progress = review_progress(application)
        if progress.unjudged or progress.to_fix:  # the lists, for the page and the API
            raise ApplicationError(
                _refusal(progress),
                extra={
                    "status": 409,
                    "unreviewed": progress.unjudged,
                    "to_fix": sorted(progress.to_fix),
                },
            )
    reasons = (reasons or "").strip()
    if name == "declare_not_admissible" and not reasons:
        raise ApplicationError(
            "Indiquez les motifs de la non-recevabilité.", field="reasons", extra={"status": 400}
        )
    return transition(application, name, by=by, reason=reasons)


@WORKFLOW.effect("request_fixes")
def _fixes_requested(application: Application, **_) -> dict:
    progress = review_progress(application)
    flagged = progress.to_fix
    labels = {row["item"]: row["label"] for row in progress.rows}
    lines = "\n".join(f"- {labels[item]} : {comment}" for item, comment in flagged.items())
    notify_applicant(
        application,
        "éléments à corriger",
        "L'instructeur vous demande de redéposer ou de préciser ces éléments du formulaire de "
        f"recevabilité :\n{lines}\n\nCorrigez-les puis soumettez de nouveau la candidature.",
        kind="admissibility",
    )
    return {"to_fix": sorted(flagged)}


@WORKFLOW.effect("declare_admissible")
def _declared_admissible(application: Application, **_) -> None:
    application.decided_at = timezone.now()
    application.decision_reasons = ""
    application.save(update_fields=["decided_at", "decision_reasons", "updated_at"])
    notify_applicant(
        application,
        "candidature recevable",
        "Votre candidature est recevable. Étape suivante : la convention, à signer sur la "
        "plateforme."
        if application.referential_version.process_settings.convention_before_evidence
        else "Votre candidature est recevable. Étape suivante : le dépôt des preuves, section par "
        "section.",
        kind="admissibility",
    )


@WORKFLOW.effect("declare_not_admissible")
def _declared_not_admissible(application: Application, *, reason, **_) -> None:
    application.decided_at = timezone.now()
    application.decision_reasons = reason
    application.save(update_fields=["decided_at", "decision_reasons", "updated_at"])
    notify_applicant(
        application,
        "candidature non recevable",
        f"Votre candidature n'est pas recevable, pour les motifs suivants :\n{reason}",
        kind="admissibility",
        legal=True,  # a decision that ends the application
    )
