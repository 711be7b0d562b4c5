"""The application's workflow, declared once (issue 11 §0): its states (models.Status) and
every transition with who may fire it, its guard and its label. `transition()` is the only
code that changes an application's state; pages and the API ask `available()` what a person
may do now. Stage apps add their guards and effects by name (`WORKFLOW.guard`,
`WORKFLOW.effect`), so that the core imports none of them.

The legal clock reads the transition log: each transition's `event` is the kind of dated
event it is for `guichet.deadlines` (complete, request, answer, missing, received, decision).
"""

from __future__ import annotations

from dataclasses import dataclass

from guichet.accounts.models import Role
from guichet.applications.models import (
    ENDED_STATES,
    INSTRUCTION_STATES,
    Application,
    ApplicationTransition,
    Status,
)
from guichet.common.workflow import Transition, Workflow
from guichet.journal.services import record

REVIEWERS = {Role.INSTRUCTOR, Role.AGENCY_ADMIN}
DECIDERS = {Role.COMMITTEE, Role.AGENCY_ADMIN}


# --- who ---------------------------------------------------------------------------------------


def _applicant(user, application) -> bool:
    """A member of the applying organisation (R-ACT-1)."""
    return bool(
        user is not None
        and user.is_active
        and not user.is_agency
        and user.organisation_id == application.organisation_id
    )


def _responsable(user, application) -> bool:
    """The organisation's Responsable habilité (who signs, R-CONV-1)."""
    return _applicant(user, application) and user.is_applicant_admin


def _reviewer(user, application) -> bool:
    """An instructor or the agency's administrator; not the committee (R-ACT-1)."""
    return bool(user is not None and user.is_active and user.role in REVIEWERS)


def is_instructor_of(user, application) -> bool:
    """One of the instructors the agency assigned, or the agency's administrator."""
    if user is None or not user.is_active:
        return False
    if user.role == Role.AGENCY_ADMIN:
        return True
    return user.role == Role.INSTRUCTOR and application.instructors.filter(pk=user.pk).exists()


def _committee(user, application) -> bool:
    """The collège technique (its members, or the agency's administrator recording its
    decision); an instructor does not decide alone (R-ACT-1)."""
    return bool(user is not None and user.is_active and user.role in DECIDERS)


def _platform(user, application) -> bool:
    """Moves the platform makes itself (the last section submitted, the daily sweep)."""
    return True


# --- guards of the core ----------------------------------------------------------------------


def _submission_guard(application) -> str | None:
    from guichet.applications.services import submission_problems

    check = submission_problems(application)
    return check.refusal if check.blocking else None


def _after_requests(application) -> str:
    """Back to instruction once nothing is awaited from the applicant; still waiting while
    another request or a missing-items notice is open."""
    from guichet.applications import extensions

    for waiting in extensions.OPEN_REQUESTS:
        state = waiting(application)
        if state:
            return state
    return Status.IN_INSTRUCTION


def _clock_says(flags: set[str], refusal: str):
    """A guard on the legal clock: the move is possible once the clock raises one of
    `flags` (see guichet.deadlines)."""

    def guard(application) -> str | None:
        from guichet.applications.clock import clock_of

        return None if flags & clock_of(application).flags else refusal

    return guard


# Where an answer can lead (for the diagram): back to instruction, or still waiting.
_after_requests.possible = [  # type: ignore[attr-defined]
    Status.IN_INSTRUCTION,
    Status.INFORMATION_REQUESTED,
    Status.MISSING_ITEMS,
]


def _resubmission(application, source) -> str:
    return "application.resubmit" if source == Status.TO_FIX else "application.submit"


TRANSITIONS = [
    Transition(
        name="submit",
        label="Soumettre la candidature",
        sources=frozenset({Status.DRAFT, Status.TO_FIX}),
        target=Status.SUBMITTED,
        allowed=_applicant,
        who="un membre de l'organisation candidate",
        guard=_submission_guard,
        confirm="Après la soumission, le choix des profils est définitif et le formulaire ne se "
        "modifie plus, sauf les éléments que l'instructeur vous demandera de corriger.",
        journal=_resubmission,
    ),
    Transition(
        name="request_fixes",
        label="Demander des corrections",
        sources=frozenset({Status.SUBMITTED}),
        target=Status.TO_FIX,
        allowed=_reviewer,
        who="un instructeur",
        journal="admissibility.to_fix",
    ),
    Transition(
        name="declare_admissible",
        label="Déclarer recevable",
        sources=frozenset({Status.SUBMITTED}),
        target=Status.ADMISSIBLE,
        allowed=_reviewer,
        who="un instructeur",
        journal="admissibility.admissible",
    ),
    Transition(
        name="declare_not_admissible",
        label="Déclarer non recevable",
        sources=frozenset({Status.SUBMITTED}),
        target=Status.NOT_ADMISSIBLE,
        allowed=_reviewer,
        who="un instructeur",
        reason_required=True,
        reason_label="Motifs de la non-recevabilité",
        confirm="La candidature sera close : le candidat devra en déposer une nouvelle.",
        journal="admissibility.not_admissible",
    ),
    Transition(
        name="sign_convention",
        label="Signer la convention",
        # DMN: after admissibility, before the evidence; TLC: once every section is conforme,
        # during or after the instruction, before the committee (R-CONV-1, R-CONV-2). The state
        # stays; the act is logged.
        sources=frozenset({Status.ADMISSIBLE, Status.IN_INSTRUCTION, Status.INSTRUCTION_FINISHED}),
        target=None,
        allowed=_responsable,
        who="le Responsable habilité de l'organisation",
        form="convention",
        journal="convention.sign",
    ),
    Transition(
        name="complete",
        label="Dossier complet",
        sources=frozenset({Status.ADMISSIBLE}),
        target=Status.COMPLETE,
        allowed=_platform,
        who="la plateforme",
        event="complete",
        automatic=True,
        journal="evidence.complete",
    ),
    Transition(
        name="complete_partially",
        label="Dossier complet sur les sections du certificat exceptionnel",
        # R-CRT-4 (TLC guide §5.4): the dossier goes to instruction on the exceptional
        # certificate's sections; the legal clock waits for every section (TLC guide §5.2: « à
        # compter de la réception d'un dossier complet, c'est à dire lorsque l'ensemble des
        # preuves de toutes les sections applicables a été déposé »).
        sources=frozenset({Status.ADMISSIBLE}),
        target=Status.COMPLETE,
        allowed=_platform,
        who="la plateforme",
        event="activity",
        automatic=True,
        journal="evidence.complete_partially",
    ),
    Transition(
        name="complete_every_section",
        label="Toutes les sections déposées",
        # R-CRT-4, R-CLK-2: the last of the other sections of a dossier completed partially;
        # the state stays, the legal clock starts.
        sources=frozenset({Status.COMPLETE, *INSTRUCTION_STATES}),
        target=None,
        allowed=_platform,
        who="la plateforme",
        event="complete",
        automatic=True,
        journal="evidence.complete",
    ),
    Transition(
        name="assign",
        label="Attribuer l'instruction",
        sources=frozenset({Status.COMPLETE}),
        target=Status.IN_INSTRUCTION,
        allowed=_reviewer,
        who="un instructeur ou l'administrateur de l'agence",
        form="assignment",
        event="activity",
        journal="instruction.assign",
    ),
    Transition(
        name="request_information",
        label="Demander des informations",
        sources=frozenset({Status.IN_INSTRUCTION, Status.INFORMATION_REQUESTED}),
        target=Status.INFORMATION_REQUESTED,
        allowed=is_instructor_of,
        who="un instructeur de la candidature",
        form="information_request",
        event="request",
        journal="instruction.request",
    ),
    Transition(
        name="answer_information",
        label="Répondre à la demande d'information",
        # A request may still be open when missing items are notified: it is answered then too.
        sources=frozenset({Status.INFORMATION_REQUESTED, Status.MISSING_ITEMS}),
        target=_after_requests,
        allowed=_applicant,
        who="un membre de l'organisation candidate",
        form="information_answer",
        event="answer",
        journal="instruction.answer",
    ),
    Transition(
        name="request_missing_items",
        label="Notifier des pièces manquantes",
        sources=frozenset({Status.IN_INSTRUCTION, Status.INFORMATION_REQUESTED}),
        target=Status.MISSING_ITEMS,
        allowed=is_instructor_of,
        who="un instructeur de la candidature",
        form="missing_items",
        event="missing",
        journal="instruction.missing",
    ),
    Transition(
        name="provide_missing_items",
        label="Envoyer les pièces manquantes",
        sources=frozenset({Status.MISSING_ITEMS}),
        target=_after_requests,
        allowed=_applicant,
        who="un membre de l'organisation candidate",
        form="missing_items_answer",
        event="received",
        journal="instruction.received",
    ),
    Transition(
        name="finish_instruction",
        label="Terminer l'instruction",
        sources=frozenset({Status.IN_INSTRUCTION}),
        target=Status.INSTRUCTION_FINISHED,
        allowed=is_instructor_of,
        who="un instructeur de la candidature",
        confirm="Le dossier passera au prochain collège technique avec les avis donnés.",
        event="activity",
        journal="instruction.finish",
    ),
    Transition(
        name="reopen_instruction",
        label="Reprendre l'instruction",
        sources=frozenset({Status.INSTRUCTION_FINISHED}),
        target=Status.IN_INSTRUCTION,
        allowed=is_instructor_of,
        who="un instructeur de la candidature",
        reason_required=True,
        event="activity",
        journal="instruction.reopen",
    ),
    Transition(
        name="deem_abandoned",
        label="Réputée abandonnée",
        # The missing items did not come by their date (CSS R. 165-5-2, CSP R. 1470-2).
        sources=frozenset({Status.MISSING_ITEMS}),
        target=Status.ABANDONED,
        allowed=_platform,
        who="la plateforme",
        guard=_clock_says(
            {"abandoned"},
            "Les pièces manquantes peuvent encore arriver : leur date n'est pas passée.",
        ),
        automatic=True,
        journal="instruction.abandoned",
    ),
    Transition(
        name="archive",
        label="Archiver la candidature",
        # DMN guide §5.2: no answer for 30 days; both guides: no change for 6 months.
        sources=frozenset(
            {
                Status.DRAFT,
                Status.SUBMITTED,
                Status.TO_FIX,
                Status.ADMISSIBLE,
                Status.COMPLETE,
                Status.IN_INSTRUCTION,
                Status.INFORMATION_REQUESTED,
                Status.MISSING_ITEMS,
            }
        ),
        target=Status.ARCHIVED,
        allowed=_reviewer,
        who="un instructeur ou l'administrateur de l'agence",
        guard=_clock_says(
            {"no_answer_30", "inactive"},
            "L'archivage est possible après 30 jours sans réponse à une demande d'information "
            "(DMN) ou 6 mois sans évolution de la candidature.",
        ),
        reason_required=True,
        confirm="La candidature quittera les listes ; ses données et son journal restent. Le "
        "candidat devra en déposer une nouvelle pour reprendre.",
        journal="instruction.archive",
    ),
    Transition(
        name="accept_silently",
        label="Acceptation tacite",
        # TLC: silence at the end of the 6 months is acceptance (CSP R. 1470-4, R-CLK-7),
        # counted from the complete dossier, whether or not the agency assigned it.
        sources=frozenset(
            {
                Status.COMPLETE,
                Status.IN_INSTRUCTION,
                Status.INFORMATION_REQUESTED,
                Status.INSTRUCTION_FINISHED,
            }
        ),
        target=Status.SILENTLY_ACCEPTED,
        allowed=_platform,
        who="la plateforme",
        guard=_clock_says({"silent_acceptance"}, "Le délai légal de décision n'est pas dépassé."),
        automatic=True,
        event="activity",
        journal="instruction.silent_acceptance",
    ),
]


def _journal(application, transition: Transition, source, by, reason, details) -> None:
    action = transition.journal or f"application.{transition.name}"
    if callable(action):
        action = action(application, source)
    after = {"status": application.status, "transition": transition.name}
    if reason:
        after["reason"] = reason
    record(
        action=action,
        obj=application,
        by=by,
        application_id=application.pk,
        before={"status": source},
        after=after | details,
    )


# The committee decides on a finished instruction, or on a TLC silence (R-CLK-7); a decision
# signed off is followed only by a new one (an appeal outcome) that names it (R-DEC-2, R-DEC-3).
_TO_DECIDE = {Status.INSTRUCTION_FINISHED, Status.SILENTLY_ACCEPTED}
_DECIDED = {Status.GRANTED, Status.GRANTED_WITH_RESERVATIONS, Status.REFUSED}
TRANSITIONS += [
    Transition(
        name="grant",
        label="Attribuer la certification",
        sources=frozenset(_TO_DECIDE | _DECIDED),
        target=Status.GRANTED,
        allowed=_committee,
        who="le collège technique",
        form="decision",
        event="decision",
        journal="committee.grant",
    ),
    Transition(
        name="grant_with_reservations",
        label="Attribuer la certification sous réserve",
        sources=frozenset(_TO_DECIDE | _DECIDED),
        target=Status.GRANTED_WITH_RESERVATIONS,
        allowed=_committee,
        who="le collège technique",
        form="decision",
        event="decision",
        journal="committee.grant_with_reservations",
    ),
    Transition(
        name="grant_exceptional",
        label="Attribuer le certificat exceptionnel",
        # R-CRT-4 (TLC guide §5.4, « sans obtention de toutes les preuves »): the collège
        # grants it on the listed domains; the instruction goes on for the other sections and
        # the standard certificate. Not the decision the legal clock waits for.
        sources=frozenset({Status.INSTRUCTION_FINISHED}),
        target=Status.IN_INSTRUCTION,
        allowed=_committee,
        who="le collège technique",
        form="decision",
        event="activity",
        journal="committee.grant_exceptional",
    ),
    Transition(
        name="refuse",
        label="Refuser la certification",
        sources=frozenset({Status.INSTRUCTION_FINISHED} | _DECIDED),
        target=Status.REFUSED,
        allowed=_committee,
        who="le collège technique",
        reason_required=True,
        reason_label="Motifs du refus",
        form="decision",
        event="decision",
        journal="committee.refuse",
    ),
]


def _log_fields(transition: Transition, data: dict) -> dict:
    return {"due": data.get("due")} if transition.event == "missing" else {}


WORKFLOW = Workflow(
    model=Application,
    state_field="status",
    states=Status,
    transitions=TRANSITIONS,
    log_model=ApplicationTransition,
    subject_field="application",
    noun="la candidature",
    after=_journal,
    log_fields=_log_fields,
)


def _no_other_open_application(application) -> str | None:
    """R-APP-9: once a refused application is filed again, the new one is the open application
    of its product version (R-APP-1); an appeal outcome that would certify the refused one waits
    until the new one is closed."""
    if application.status != Status.REFUSED:
        return None
    other = (
        Application.objects.filter(
            product_id=application.product_id,
            product_version=application.product_version,
            referential_version_id=application.referential_version_id,
        )
        .exclude(pk=application.pk)
        .exclude(status__in=ENDED_STATES)
        .first()
    )
    if other is None:
        return None
    return (
        f"La candidature n° {other.reference}, déposée de nouveau pour cette version du produit, "
        "est ouverte : une seule candidature est ouverte à la fois. Elle doit être close avant "
        "qu'une décision sur recours certifie celle-ci."
    )


for _name in ("grant", "grant_with_reservations"):
    WORKFLOW.guard(_name)(_no_other_open_application)


def transition(application: Application, name: str, *, by, reason: str = "", **data):
    """Fires the transition `name` (see the module): locked, guarded, logged, journaled."""
    return WORKFLOW.fire(application, name, by=by, reason=reason, **data)


def available(application: Application, user) -> list[Transition]:
    return WORKFLOW.available(application, user)


def actions(application: Application, user) -> list[dict]:
    """The page's actions: what `user` may do now, and what they could do once a condition is
    met (with its reason), each with the address of its form when it has one."""
    from guichet.applications import extensions

    rows = []
    for spec, refusal in WORKFLOW.options(application, user):
        url = extensions.FORMS[spec.form](application) if spec.form in extensions.FORMS else ""
        if spec.form and not url:
            continue  # the stage that owns this form is not there
        rows.append({"transition": spec, "url": url, "refusal": refusal.message if refusal else ""})
    return rows


# --- the stages people see (the page's step indicator), from the states -------------------------


@dataclass(frozen=True)
class Stage:
    title: str
    states: frozenset
    # Its title where the version sends the convention before the evidence (DMN, R-CONV-1).
    title_convention_first: str = ""


# One source: the step indicator of the application page reads the state through these.
STAGES = (
    Stage("Formulaire de recevabilité", frozenset({Status.DRAFT})),
    Stage(
        "Examen de la recevabilité",
        frozenset({Status.SUBMITTED, Status.TO_FIX, Status.NOT_ADMISSIBLE}),
    ),
    Stage(
        "Dépôt des preuves",
        frozenset({Status.ADMISSIBLE}),
        title_convention_first="Convention et dépôt des preuves",
    ),
    Stage(
        "Instruction",
        frozenset(
            {
                Status.COMPLETE,
                Status.IN_INSTRUCTION,
                Status.INFORMATION_REQUESTED,
                Status.MISSING_ITEMS,
                Status.INSTRUCTION_FINISHED,
                Status.SILENTLY_ACCEPTED,
            }
        ),
    ),
    Stage(
        "Décision du collège et certificat",
        frozenset({Status.GRANTED, Status.GRANTED_WITH_RESERVATIONS, Status.REFUSED}),
    ),
)


def stage_of(application: Application) -> dict | None:
    """Where the application stands in the process: its step (1 to 5), the step's title, the
    steps to come; None when it left the process (abandoned, archived)."""
    titles = [_title(stage, application) for stage in STAGES]
    for index, stage in enumerate(STAGES):
        if application.status in stage.states:
            return {
                "number": index + 1,
                "total": len(STAGES),
                "title": titles[index],
                "state": application.get_status_display(),
                "next": titles[index + 1 :],
            }
    return None


def _title(stage: Stage, application: Application) -> str:
    """TLC's convention comes before the collège (R-CONV-2), not with the evidence."""
    settings = application.referential_version.process_settings
    if stage.title_convention_first and settings.convention_before_evidence:
        return stage.title_convention_first
    return stage.title
