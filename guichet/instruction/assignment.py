"""Who instructs a dossier (R-CLK-1, R-EVD-3): the agency gives each complete dossier a lead
instructor, and others if it wants. The first assignment is the workflow's `assign` transition
(complete → in instruction); a later change of the team is a re-assignment, which changes no
state but is journaled with the team before and after. The assigned instructors are « the
application's instructors »: they read its sensitive proofs and give its verdicts."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse

from guichet.accounts.models import Role, User
from guichet.applications import extensions
from guichet.applications.models import INSTRUCTION_STATES, Application, Status
from guichet.applications.notifications import notify_instructors
from guichet.applications.workflow import WORKFLOW, transition
from guichet.common.errors import ApplicationError
from guichet.common.links import absolute_reverse
from guichet.common.text import ngettext
from guichet.journal.services import record

# Who assigns: the agency's administrator, and instructors (an instructor may take a dossier).
ASSIGNERS = frozenset({Role.INSTRUCTOR, Role.AGENCY_ADMIN})


def can_assign(user) -> bool:
    return bool(user is not None and user.is_active and user.role in ASSIGNERS)


def assignable_instructors():
    """The active instructors, for the assignment form."""
    return User.objects.filter(role=Role.INSTRUCTOR, is_active=True).order_by(
        "last_name", "first_name", "email"
    )


def _person(value) -> int | None:
    if isinstance(value, User):
        return value.pk
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _team(lead, others: Iterable) -> tuple[User, list[User]]:
    """The lead and the whole team (lead first), each an active instructor, else a French
    refusal naming what is wrong."""
    if lead in (None, ""):
        raise ApplicationError(
            "Choisissez l'instructeur référent de la candidature.",
            field="lead",
            extra={"status": 400},
        )
    lead_id, other_ids = _person(lead), [_person(value) for value in others or ()]
    if lead_id is None or None in other_ids:
        raise ApplicationError(
            "Désignez les instructeurs par leur identifiant (un nombre entier).",
            field="lead" if lead_id is None else "others",
            extra={"status": 400},
        )
    wanted = list(dict.fromkeys([lead_id, *other_ids]))
    found = {u.pk: u for u in assignable_instructors().filter(pk__in=wanted)}
    unknown = [pk for pk in wanted if pk not in found]
    if unknown:
        raise ApplicationError(
            "Seul un instructeur actif de l'agence peut être attribué à une candidature : "
            + ngettext(
                "%(n)d personne désignée ne l'est pas (identifiant %(ids)s).",
                "%(n)d personnes désignées ne le sont pas (identifiants %(ids)s).",
                len(unknown),
            )
            % {"n": len(unknown), "ids": ", ".join(str(pk) for pk in unknown)},
            field="lead" if lead_id in unknown else "others",
            extra={"status": 400},
        )
    return found[lead_id], [found[pk] for pk in wanted]


def _describe(lead: User | None, team: Iterable[User]) -> dict:
    return {
        "lead": lead.email if lead else None,
        "instructors": sorted(u.email for u in team),
    }


def _notify_lead(application: Application, lead: User, by, *, again: bool) -> None:
    """The lead learns that the dossier is theirs (an email sent by the task worker once the
    change is committed)."""
    link = absolute_reverse("instruction:page", application.pk)
    who = (by.get_full_name() or by.email) if by is not None else "L'agence"
    notify_instructors(
        application,
        "instruction attribuée",
        f"{who} vous {'a réattribué' if again else 'a attribué'} l'instruction de la "
        f"candidature {application.reference} — {application.organisation.name} — "
        f"{application.product.name} {application.product_version}, comme instructeur "
        f"référent.\n\nDonnez votre avis sur chaque preuve :\n{link}",
        kind="assignment",
        users=(lead,),
    )


@WORKFLOW.effect("assign")
def _assigned(application: Application, *, by, lead=None, others=(), **_) -> dict:
    """R-CLK-1: the complete dossier gets its lead instructor (and others); the lead is told."""
    lead, team = _team(lead, others)
    application.lead_instructor = lead
    application.save(update_fields=["lead_instructor", "updated_at"])
    application.instructors.set(team)
    _notify_lead(application, lead, by, again=False)
    return _describe(lead, team)


@transaction.atomic
def reassign(application: Application, *, by, lead, others=(), reason: str) -> Application:
    """Changes the team of a dossier in instruction; the state stays, the journal keeps the
    team before and after, and the reason."""
    if not can_assign(by):
        raise ApplicationError(
            "La réattribution revient à un instructeur ou à l'administrateur de l'agence.",
            extra={"status": 403},
        )
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status not in INSTRUCTION_STATES:
        raise ApplicationError(
            "La réattribution concerne un dossier en instruction ; la candidature est "
            f"« {application.get_status_display()} ».",
            extra={"status": 409},
        )
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "Indiquez le motif de la réattribution.", field="reason", extra={"status": 400}
        )
    lead, team = _team(lead, others)
    previous_lead = application.lead_instructor
    before = _describe(previous_lead, application.instructors.all())
    after = _describe(lead, team)
    if before == after:
        raise ApplicationError(
            "Cette attribution est déjà celle de la candidature : rien n'a changé.",
            extra={"status": 409},
        )
    application.lead_instructor = lead
    application.save(update_fields=["lead_instructor", "updated_at"])
    application.instructors.set(team)
    record(
        action="instruction.reassign",
        obj=application,
        by=by,
        application_id=application.pk,
        before=before,
        after=after | {"reason": reason},
    )
    if previous_lead is None or previous_lead.pk != lead.pk:
        _notify_lead(application, lead, by, again=True)
    return application


def assign(application: Application, *, by, lead, others=(), reason: str = "") -> Application:
    """Assigns a complete dossier (the workflow's `assign`), or re-assigns one in instruction:
    what the page and the API call."""
    if not can_assign(by):
        raise ApplicationError(
            "L'attribution de l'instruction revient à un instructeur ou à l'administrateur de "
            "l'agence.",
            extra={"status": 403},
        )
    if application.status not in (Status.COMPLETE, *INSTRUCTION_STATES):
        raise ApplicationError(
            "L'instruction s'attribue une fois le dossier de preuves complet ; la candidature "
            f"est « {application.get_status_display()} ».",
            extra={"status": 409},
        )
    if application.status == Status.COMPLETE:
        return transition(application, "assign", by=by, reason=reason, lead=lead, others=others)
    return reassign(application, by=by, lead=lead, others=others, reason=reason)


@extensions.form("assignment")
def assignment_form(application: Application) -> str:
    return reverse("instruction:page", args=[application.pk]) + "#attribution"
