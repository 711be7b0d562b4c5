"""The instruction queue (R-CLK-1, R-CLK-9), read by the agency's page and the API: the dossiers
from complete onwards, in the order their evidence became complete, each with its legal clock
as a date, the days left and the reason when it is stopped.

The filters on the clock's flags read the clock's state as last computed (ClockState, kept by
the daily sweep and after each transition); the rows show the clock computed now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone

from guichet.accounts.models import Role, User
from guichet.applications.clock import clocks_for
from guichet.applications.models import Application, Status
from guichet.applications.selectors import applications_for
from guichet.deadlines import Clock, french_date
from guichet.referentials.models import Pathway, Referential

# From the complete dossier to the end of the instruction; closed dossiers leave the queue.
QUEUE_STATES = (
    Status.COMPLETE,
    Status.IN_INSTRUCTION,
    Status.INFORMATION_REQUESTED,
    Status.MISSING_ITEMS,
    Status.INSTRUCTION_FINISHED,
)
# R-CLK-6: a dossier idle for 6 months before it is complete (DMN: in any state; TLC: while
# incomplete) shows in the queue filtered on « inactive », beside the complete ones.
BEFORE_COMPLETE_STATES = (Status.DRAFT, Status.SUBMITTED, Status.TO_FIX, Status.ADMISSIBLE)
# The clock's flags (guichet.deadlines) a person filters on, and « stopped ».
FLAGS = {
    "overdue": "Délai dépassé",
    "no_answer_10": "Sans réponse depuis 10 jours",
    "no_answer_20": "Sans réponse depuis 20 jours",
    "no_answer_30": "Sans réponse depuis 30 jours",
    "abandoned": "Pièces manquantes non reçues à leur date",
    "silent_acceptance": "Acceptation tacite (délai dépassé)",
    "inactive": "Sans évolution depuis 6 mois",
    "stopped": "Délai suspendu",
}
UNASSIGNED, MINE = "none", "me"


def filter_choices(user) -> dict[str, list[tuple[str, str]]]:
    """The values each filter accepts, with their French labels (3 queries)."""
    instructors = User.objects.filter(role=Role.INSTRUCTOR, is_active=True).order_by(
        "last_name", "first_name", "email"
    )
    return {
        "referential": [
            (r.code, f"{r.code} — {r.name}") for r in Referential.objects.order_by("code")
        ],
        "pathway": list(
            dict.fromkeys(
                (p.code, f"{p.label} ({p.referential.code})")
                for p in Pathway.objects.select_related("referential").order_by(
                    "referential__code", "position"
                )
            )
        ),
        "state": [(state.value, state.label) for state in QUEUE_STATES],
        "assignee": [
            (UNASSIGNED, "Non attribuée"),
            *([(MINE, "Moi")] if user.role == Role.INSTRUCTOR else []),
            *((str(u.pk), u.get_full_name() or u.email) for u in instructors),
        ],
        "flag": list(FLAGS.items()),
    }


def clean_filters(data, choices: dict) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The filters asked for (`data`: a query string), each checked against its choices: the
    valid ones, and a French message for each other."""
    values, errors = {}, {}
    for name, options in choices.items():
        raw = (data.get(name) or "").strip()
        if not raw:
            continue
        known = {value for value, _ in options}
        if name == "referential":
            raw = raw.upper()
        if raw in known:
            values[name] = raw
        else:
            listed = ", ".join(sorted(known)[:12])
            errors[name] = [f"Valeur inconnue « {raw[:40]} » : choisissez parmi {listed}."]
    return values, errors


def instruction_queue(
    user,
    *,
    referential: str = "",
    pathway: str = "",
    state: str = "",
    assignee: str = "",
    flag: str = "",
) -> QuerySet[Application]:
    """R-CLK-1: the dossiers in the order their evidence became complete. R-CLK-4 (DMN guide
    §5.2): one left 30 days without an answer loses its place — at the end of the queue."""
    states = (*BEFORE_COMPLETE_STATES, *QUEUE_STATES) if flag == "inactive" else QUEUE_STATES
    queryset = (
        applications_for(user)
        .filter(status__in=states)
        .select_related("lead_instructor")
        .annotate(
            deprioritised=Case(
                When(clock_state__flags__contains=",no_answer_30,", then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    )
    if referential:
        queryset = queryset.filter(referential_version__referential__code=referential)
    if pathway:
        queryset = queryset.filter(pathway__code=pathway)
    if state:
        queryset = queryset.filter(status=state)
    if assignee == UNASSIGNED:
        queryset = queryset.filter(lead_instructor__isnull=True)
    elif assignee == MINE:
        queryset = queryset.filter(instructors=user)
    elif assignee:
        queryset = queryset.filter(instructors__pk=int(assignee))
    if flag == "stopped":
        queryset = queryset.filter(clock_state__running=False).exclude(
            clock_state__paused_reason=""
        )
    elif flag:
        queryset = queryset.filter(clock_state__flags__contains=f",{flag},")
    return queryset.order_by("deprioritised", F("evidence_complete_at").asc(nulls_last=True), "id")


def days_left_text(days_left: int | None) -> str:
    """R-CLK-9: « 12 jours restants », « échéance aujourd'hui », « dépassé de 3 jours »."""
    if days_left is None:
        return ""
    if days_left < 0:
        late = -days_left
        return f"dépassé de {late} jour{'s' if late > 1 else ''}"
    if days_left == 0:
        return "échéance aujourd'hui"
    return f"{days_left} jour{'s' if days_left > 1 else ''} restant{'s' if days_left > 1 else ''}"


@dataclass(frozen=True)
class QueueRow:
    application: Application
    clock: Clock

    @property
    def deadline_text(self) -> str:
        return french_date(self.clock.deadline) if self.clock.deadline else ""

    @property
    def days_left_text(self) -> str:
        return days_left_text(self.clock.days_left)

    @property
    def overdue(self) -> bool:
        return self.clock.days_left is not None and self.clock.days_left < 0

    @property
    def flags(self) -> list[str]:
        return sorted(self.clock.flags)

    @property
    def flag_labels(self) -> list[str]:
        return [FLAGS[flag] for flag in self.flags if flag in FLAGS]


def queue_rows(applications, today: dt.date | None = None) -> list[QueueRow]:
    """Each dossier of a page with its clock computed now (two queries for the page)."""
    applications = list(applications)
    clocks = clocks_for(applications, today or timezone.localdate())
    return [QueueRow(application, clocks[application.pk]) for application in applications]
