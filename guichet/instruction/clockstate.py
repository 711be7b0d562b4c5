"""The clock's state and the daily sweep (issue 11 §4; R-CLK-4 … R-CLK-7, R-CLK-9).

`ClockState` keeps each dossier's legal clock as last computed, for the queue's filters and
order. It is refreshed in the transaction of every transition of a dossier from `complete`
onwards (a workflow listener) and by the daily sweep. A row is written only when one of its
values changed, so that a second pass on the same day writes nothing; `computed_on` is the day
of the last change (a running clock's `days_left` is `deadline` − today on the page).

The sweep (`sweep()`: `manage.py sweep_deadlines` and the daily periodic task) reads every
open dossier in batches, each in its own transaction with its rows locked
`FOR UPDATE SKIP LOCKED` (two sweeps at once share the dossiers instead of both doing them),
computes the clocks through `guichet.deadlines` (`clocks_for`: a constant number of queries
per batch), stores them, and acts on the flags:

- R-CLK-4 (DMN guide §5.2): an information request unanswered for 10 and 20 days (the
  version's `information_reminders`) — a reminder to the applicant, once per request and
  threshold (`Reminder`, unique per request and kind); at 30 days (`archive_after_no_answer`)
  the assigned instructors learn that they may archive the application (the sweep does not).
- R-CLK-5: missing items not received by their date — `deem_abandoned`, with emails.
- R-CLK-6: no change for 6 months — the queue shows the flag, the assigned instructors are
  told once; the agency decides whether to archive.
- R-CLK-7 (TLC, CSP R. 1470-4): no decision when the 6 months run out — `accept_silently`,
  with emails.

Everything it does is keyed on what is stored (the state, the reminders, the previous
flags), so that running it again the same day changes nothing and sends nothing. A dossier
locked by someone's transition at that moment is skipped; the transition's listener keeps
its clock's state, and tomorrow's sweep acts on it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from time import perf_counter

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from guichet.applications import extensions
from guichet.applications.clock import (
    as_of,
    clock_of,
    clocks_and_next_changes,
    events_for,
    legal_today,
)
from guichet.applications.models import (
    INSTRUCTION_STATES,
    Application,
    ApplicationTransition,
    Status,
)
from guichet.applications.notifications import notify_applicant, notify_instructors
from guichet.applications.workflow import WORKFLOW, transition
from guichet.deadlines import Clock, describe, french_date, next_change, paused_since
from guichet.instruction.models import ClockState, InformationRequest, Reminder
from guichet.journal.services import record
from guichet.referentials.models import ReferentialVersion
from guichet.referentials.process import ProcessSettings

logger = logging.getLogger(__name__)

# Open dossiers: the legal clock binds the agency (from the acknowledgment of receipt).
OPEN_STATES = (Status.COMPLETE, *INSTRUCTION_STATES)
# Before the complete dossier: no legal clock yet, but R-CLK-6 reads them (DMN guide « quel que
# soit l'état de la candidature »; TLC guide « Une candidature non complète »): the engine's
# policy says which of them may be inactive.
BEFORE_COMPLETE_STATES = (Status.DRAFT, Status.SUBMITTED, Status.TO_FIX, Status.ADMISSIBLE)
# What the sweep reads and the clock's state follows.
SWEPT_STATES = (*BEFORE_COMPLETE_STATES, *OPEN_STATES)
BATCH_SIZE = 500
ARCHIVABLE = "archivable"  # the Reminder kind of the notice to the instructors (30 days)
_STORED = (
    "deadline",
    "running",
    "paused_reason",
    "frozen_days_left",
    "flags",
    "next_check",
    "paused_since",
)


# --- the clock a person sees ----------------------------------------------------------------


def flags_text(flags) -> str:
    """« ,a,b, » (sorted), so that a filter on one flag is a plain `contains`."""
    return "," + ",".join(sorted(flags)) + "," if flags else ""


def shown_clock(application: Application, today: dt.date | None = None) -> Clock:
    """The clock of the page and the API: the engine's while the dossier is open (or not yet
    complete); once it left instruction (abandoned, accepted silently, archived), the clock
    as it stood the day it left, stopped, with why."""
    today = today or legal_today()
    if application.status in OPEN_STATES or application.evidence_complete_at is None:
        return clock_of(application, today)
    closed_at = (
        ApplicationTransition.objects.filter(application=application, target=application.status)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    closed_on = min(timezone.localdate(closed_at), today) if closed_at else today
    return _closed(application, clock_of(application, closed_on), closed_on)


def _closed(application: Application, clock: Clock, closed_on: dt.date) -> Clock:
    reason = (
        f"Délai arrêté le {french_date(closed_on)} : candidature "
        f"« {Status(application.status).label} »."
    )
    return Clock(clock.deadline, clock.days_left, False, reason, clock.flags)


def _values(clock: Clock, next_check: dt.date | None, paused_since: dt.date | None) -> dict:
    return {
        # A stopped DMN clock's deadline moves every day: its frozen days left say it all.
        "deadline": clock.deadline if clock.running else None,
        "running": clock.running,
        "paused_reason": clock.paused_reason or "",
        "frozen_days_left": None if clock.running else clock.days_left,
        "flags": flags_text(clock.flags),
        "next_check": next_check,
        "paused_since": paused_since,
    }


# --- ClockState -----------------------------------------------------------------------------


def _store(
    application_id: int,
    clock: Clock,
    next_check: dt.date | None,
    paused_since: dt.date | None,
    today: dt.date,
    state: ClockState | None,
):
    """(the row to create, or to update, or None when nothing changed)."""
    values = _values(clock, next_check, paused_since)
    if state is None:
        return ClockState(application_id=application_id, computed_on=today, **values), None
    if all(getattr(state, name) == value for name, value in values.items()):
        return None, None
    for name, value in values.items():
        setattr(state, name, value)
    state.computed_on = today
    return None, state


def refresh(application: Application, today: dt.date | None = None) -> ClockState:
    """Computes the application's clock and writes its ClockState if something changed."""
    today = today or legal_today()
    clock = shown_clock(application, today)
    next_check = since = None
    if application.status in SWEPT_STATES:
        policy = application.referential_version.process_settings.clock_policy
        events = events_for([application.pk])[application.pk]
        next_check = next_change(policy, events, today)
        since = paused_since(policy, events, today)
    state = ClockState.objects.filter(application_id=application.pk).first()
    new, changed = _store(application.pk, clock, next_check, since, today, state)
    if new is not None:
        new.save()
        return new
    if changed is not None:
        changed.save(update_fields=[*_STORED, "computed_on"])
    return state


def refresh_many(
    application_ids: list[int],
    today: dt.date,
    clocks: dict[int, tuple[Clock, dt.date | None, dt.date | None]],
) -> tuple[dict[int, frozenset[str]], int]:
    """Stores the clocks of open applications (`clocks`: each one's clock, the day it may next
    change, the day its stop began) in three queries at most; returns each
    application's flags as they were stored before (absent for a new row), and how many rows
    were written. Reads plain rows and updates each changed row by its id: the daily sweep
    rewrites every stopped DMN clock (its deadline moves each day), and bulk_update's CASE
    expressions grow with the square of the batch."""
    stored = {
        row[0]: row[1:]
        for row in ClockState.objects.filter(application_id__in=application_ids).values_list(
            "application_id", "id", *_STORED
        )
    }
    before, created, updated = {}, [], []
    for application_id in application_ids:
        values = _values(*clocks[application_id])
        row = stored.get(application_id)
        if row is None:
            created.append(ClockState(application_id=application_id, computed_on=today, **values))
            continue
        flags = row[1 + _STORED.index("flags")]
        before[application_id] = frozenset(f for f in flags.split(",") if f)
        if row[1:] != tuple(values.values()):
            updated.append((*values.values(), today, row[0]))
    if created:
        ClockState.objects.bulk_create(created)
    if updated:
        _update_rows(updated)
    return before, len(created) + len(updated)


def _update_rows(rows: list[tuple]) -> None:
    """(deadline, running, paused_reason, frozen_days_left, flags, next_check, paused_since,
    computed_on, id) each."""
    table, ops = ClockState._meta.db_table, connection.ops
    columns = ", ".join(f"{ops.quote_name(name)} = %s" for name in (*_STORED, "computed_on"))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {ops.quote_name(table)} SET {columns} WHERE id = %s",
            [
                (
                    ops.adapt_datefield_value(deadline),
                    running,
                    reason,
                    frozen,
                    flags,
                    ops.adapt_datefield_value(next_check),
                    ops.adapt_datefield_value(since),
                    ops.adapt_datefield_value(computed_on),
                    pk,
                )
                for deadline, running, reason, frozen, flags, next_check, since, computed_on, pk in (
                    rows
                )
            ],
        )


@WORKFLOW.listen
def _refresh_after_transition(application, spec, source, by) -> None:
    """In the transition's transaction: the clock's state follows every move of a dossier
    from `complete` onwards, and its leaving instruction; before, only once the sweep stored
    one (R-CLK-6: an inactive draft that moves is no longer inactive)."""
    if application.status in OPEN_STATES or source in OPEN_STATES:
        refresh(application)
    elif (
        source in BEFORE_COMPLETE_STATES
        and ClockState.objects.filter(application_id=application.pk).exists()
    ):
        refresh(application)


# --- what the platform does when the clock says so -------------------------------------------


def _missing_due(application) -> dt.date | None:
    names = [spec.name for spec in WORKFLOW.all() if spec.event == "missing"]
    return (
        ApplicationTransition.objects.filter(application=application, name__in=names)
        .order_by("-at", "-id")
        .values_list("due", flat=True)
        .first()
    )


@WORKFLOW.effect("deem_abandoned")
def _tell_abandoned(application, *, by, reason, source, **data) -> dict:
    """R-CLK-5: the applicant and the instructors learn it, with the date that passed."""
    due = _missing_due(application)
    when = f"au plus tard le {french_date(due)}" if due else "dans le délai imparti"
    notify_applicant(
        application,
        "candidature réputée abandonnée",
        f"Les pièces manquantes demandées par l'agence devaient être fournies {when}. Elles ne "
        "sont pas arrivées : la candidature est réputée abandonnée. Pour faire certifier ce "
        "produit, déposez une nouvelle candidature sur le Guichet.",
        legal=True,  # the end of the application (CSS R. 165-5-2, CSP R. 1470-2)
    )
    notify_instructors(
        application,
        "candidature réputée abandonnée",
        f"Les pièces manquantes n'ont pas été fournies {when} : la candidature est réputée "
        "abandonnée. Elle quitte la file d'instruction ; ses données et son journal restent.",
    )
    return {"missing_items_due": due.isoformat()} if due else {}


@WORKFLOW.effect("accept_silently")
def _tell_silent_acceptance(application, *, by, reason, source, **data) -> dict:
    """R-CLK-7 (CSP R. 1470-4): silence at the end of the legal delay is acceptance."""
    deadline = clock_of(application).deadline
    day = french_date(deadline) if deadline else "—"
    notify_applicant(
        application,
        "acceptation tacite",
        f"Le délai légal de décision a expiré le {day} sans décision de l'agence : le silence "
        "vaut acceptation (article R. 1470-4 du code de la santé publique). L'agence vous "
        "adressera le certificat de conformité.",
        kind="decision",
        legal=True,
    )
    notify_instructors(
        application,
        "acceptation tacite",
        f"Le délai légal de décision a expiré le {day} sans décision : la candidature est "
        "acceptée tacitement. Le certificat de conformité est à établir.",
    )
    return {"deadline": deadline.isoformat()} if deadline else {}


@dataclass
class SweepReport:
    today: dt.date
    swept: int = 0
    updated: int = 0
    reminders: int = 0
    archivable: int = 0
    inactive: int = 0
    abandoned: int = 0
    silently_accepted: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """In French, for the operator."""

        def count(number: int, one: str, many: str) -> str:
            return f"{number:,} {one if number < 2 else many}".replace(",", "\u202f")

        seconds = f"{self.seconds:.1f}".replace(".", ",")
        notice = "avis d'archivage possible"
        return (
            f"Balayage des délais du {french_date(self.today)} : "
            f"{count(self.swept, 'dossier examiné', 'dossiers examinés')} "
            f"({count(self.updated, 'état de délai mis à jour', 'états de délai mis à jour')}), "
            f"{count(self.reminders, 'relance envoyée', 'relances envoyées')}, "
            f"{count(self.archivable, notice, notice)}, "
            f"{count(self.inactive, 'dossier inactif signalé', 'dossiers inactifs signalés')}, "
            f"{count(self.abandoned, 'dossier réputé abandonné', 'dossiers réputés abandonnés')}, "
            f"{count(self.silently_accepted, 'acceptation tacite', 'acceptations tacites')}, "
            f"en {seconds} s."
        )

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "swept": self.swept,
            "updated": self.updated,
            "reminders": self.reminders,
            "archivable": self.archivable,
            "inactive": self.inactive,
            "abandoned": self.abandoned,
            "silently_accepted": self.silently_accepted,
            "seconds": round(self.seconds, 3),
            "problems": self.problems,
        }


def sweep(
    *, today: dt.date | None = None, batch_size: int = BATCH_SIZE, every: bool = False
) -> SweepReport:
    """Sweeps the open dossiers on `today` (see the module); never raises for one dossier:
    its problem is in the report, and the others are swept. Looks at the clocks that may read
    differently today (their `next_check` has come, or they were never computed): the others
    cannot change without an event, and every transition refreshes its dossier's clock. With
    `every`, every open dossier's clock is computed again."""
    today = today or timezone.localdate()
    report = SweepReport(today=today)
    started = perf_counter()
    settings: dict[int, ProcessSettings] = {}
    last = 0
    with as_of(today):  # the workflow's clock guards read the same day
        while True:
            with transaction.atomic():
                due = Application.objects.filter(status__in=SWEPT_STATES, pk__gt=last)
                if not every:
                    due = due.filter(
                        Q(clock_state__isnull=True) | Q(clock_state__next_check__lte=today)
                    )
                batch = list(
                    due.select_for_update(skip_locked=True, of=("self",))
                    .order_by("pk")
                    .values_list("pk", "referential_version_id")[:batch_size]
                )
                if not batch:
                    break
                last = batch[-1][0]
                _sweep_batch(batch, today, settings, report)
    report.seconds = perf_counter() - started
    return report


def _sweep_batch(
    batch: list[tuple[int, int]],
    today: dt.date,
    settings: dict[int, ProcessSettings],
    report: SweepReport,
) -> None:
    """One locked batch of (application id, version id): its clocks computed and stored,
    then the few dossiers whose clock asks for something are loaded and acted on."""
    unknown = {version_id for _, version_id in batch} - settings.keys()
    for version in ReferentialVersion.objects.filter(pk__in=unknown).only("pk", "process"):
        settings[version.pk] = version.process_settings
    clocks = clocks_and_next_changes(
        [(pk, settings[version_id].clock_policy) for pk, version_id in batch], today
    )
    ids = [pk for pk, _ in batch]
    previous, written = refresh_many(ids, today, clocks)
    report.swept += len(batch)
    report.updated += written
    acting: dict[int, list] = {}
    for pk in ids:
        flags = clocks[pk][0].flags
        acts = acting.setdefault(pk, [])
        if flags & {"abandoned", "silent_acceptance"}:
            acts.append(_conclude)
        if any(flag.startswith("no_answer_") for flag in flags):
            acts.append(_remind)
        if "inactive" in flags and "inactive" not in previous.get(pk, ()):
            acts.append(_tell_inactive)
        if not acts:
            del acting[pk]
    if not acting:
        return
    requests = _open_requests([pk for pk, acts in acting.items() if _remind in acts])
    failed: list[int] = []
    for application in Application.objects.filter(pk__in=acting).order_by("pk"):
        for act in acting[application.pk]:
            if application.status not in SWEPT_STATES:
                break  # abandoned or accepted: nothing more to remind of
            try:
                with transaction.atomic():
                    act(
                        application,
                        clock=clocks[application.pk][0],
                        today=today,
                        settings=settings[application.referential_version_id],
                        requests=requests.get(application.pk, []),
                        report=report,
                    )
            except Exception as error:  # one dossier never stops the sweep; the report says it
                logger.exception("Sweep of application %s failed", application.pk)
                report.problems.append(f"{application.reference} : {error}")
                failed.append(application.pk)
    if failed:  # looked at again by the next sweep, the same day included
        ClockState.objects.filter(application_id__in=failed).update(next_check=today)


def _open_requests(application_ids: list[int]) -> dict[int, list[InformationRequest]]:
    """The unanswered information requests of these applications, with their reminders, in
    two queries (none when no dossier waits for an answer)."""
    if not application_ids:
        return {}
    found: dict[int, list[InformationRequest]] = defaultdict(list)
    for request in (
        InformationRequest.objects.filter(
            application_id__in=application_ids, answered_at__isnull=True
        )
        .prefetch_related("reminders")
        .order_by("created_at", "id")
    ):
        found[request.application_id].append(request)
    return found


def _conclude(application, *, clock, report, **_) -> None:
    """R-CLK-5 and R-CLK-7: the platform's own moves, when their state allows them."""
    for flag, name, counter in (
        ("abandoned", "deem_abandoned", "abandoned"),
        ("silent_acceptance", "accept_silently", "silently_accepted"),
    ):
        if flag in clock.flags and application.status in WORKFLOW.get(name).sources:
            transition(application, name, by=None)
            setattr(report, counter, getattr(report, counter) + 1)
            return


def _remind(application, *, clock, today, settings, requests, report, **_) -> None:
    """R-CLK-4: per unanswered request, the highest threshold reached, once (a sweep that
    missed days does not send the 10-day reminder on the 25th day); the instructors' notice
    that they may archive, once."""
    for request in requests:
        waited = (today - timezone.localdate(request.created_at)).days
        sent = {reminder.kind for reminder in request.reminders.all()}
        reached = [
            n
            for n in sorted(settings.information_reminders, reverse=True)
            if waited >= n and f"no_answer_{n}" in clock.flags
        ]
        if reached and not any(
            kind.startswith("no_answer_") and int(kind.rsplit("_", 1)[1]) >= reached[0]
            for kind in sent
        ):
            _send_reminder(application, request, reached[0], settings, report)
        limit = settings.archive_after_no_answer
        if (
            limit
            and waited >= limit
            and f"no_answer_{limit}" in clock.flags
            and ARCHIVABLE not in sent
        ):
            _tell_archivable(application, request, waited, report)


def _created(request: InformationRequest, kind: str) -> bool:
    return Reminder.objects.get_or_create(request=request, kind=kind)[1]


def _send_reminder(
    application, request, threshold: int, settings: ProcessSettings, report: SweepReport
) -> None:
    if not _created(request, f"no_answer_{threshold}"):
        return
    limit = settings.archive_after_no_answer
    archive = (
        f"Sans réponse {limit} jours après la demande, l'agence peut archiver la candidature ; "
        "il faudrait alors en déposer une nouvelle. "
        if limit
        else ""
    )
    notified = french_date(timezone.localdate(request.created_at))
    meaning = {
        10: "votre place dans la file d'instruction n'est plus garantie et l'instruction de "
        "votre dossier peut être dépriorisée",
        20: "un délai supplémentaire d'instruction est à prévoir",
    }.get(threshold, "l'instruction de votre dossier est retardée")
    notify_applicant(
        application,
        f"relance : demande d'information sans réponse depuis {threshold} jours",
        f"La demande d'information n° {request.number} de l'agence, notifiée le {notified}, "
        f"attend votre réponse depuis {threshold} jours : {meaning} (guide de dépôt, §5.2). Le "
        f"délai de décision reste suspendu jusqu'à votre réponse. {archive}Répondez depuis la "
        "page de la candidature.",
        kind="reminder",
    )
    record(
        action="instruction.reminder",
        obj=request,
        application_id=str(application.pk),
        after={"request": request.number, "kind": f"no_answer_{threshold}"},
    )
    report.reminders += 1


def _tell_archivable(application, request, waited: int, report: SweepReport) -> None:
    if not _created(request, ARCHIVABLE):
        return
    notified = french_date(timezone.localdate(request.created_at))
    notify_instructors(
        application,
        "archivage possible (demande sans réponse)",
        f"La demande d'information n° {request.number}, notifiée le {notified}, est sans "
        f"réponse depuis {waited} jours : le dossier est dépriorisé et vous pouvez archiver la "
        "candidature (guide DMN §5.2) depuis sa page, action « Archiver la candidature », avec "
        "un motif. La plateforme ne l'archive pas d'elle-même.",
    )
    record(
        action="instruction.archivable",
        obj=request,
        application_id=str(application.pk),
        after={"request": request.number, "waited_days": waited},
    )
    report.archivable += 1


def _tell_inactive(application, *, report, **_) -> None:
    """R-CLK-6: once per stretch of inactivity (the flag was not stored before)."""
    notify_instructors(
        application,
        "candidature sans évolution depuis 6 mois",
        "La candidature n'a pas évolué depuis plus de 6 mois : elle peut être considérée "
        "comme abandonnée. Elle est signalée dans la file d'instruction ; vous pouvez "
        "l'archiver depuis sa page, action « Archiver la candidature », avec un motif.",
    )
    record(
        action="instruction.inactive",
        obj=application,
        application_id=str(application.pk),
        after={"flags": ["inactive"]},
    )
    report.inactive += 1


# --- the clock on the application page (R-CLK-9) --------------------------------------------

# Short names of the flags, for badges (the queue's and the page's).
FLAG_LABELS = {
    "overdue": "Délai dépassé",
    "silent_acceptance": "Acceptation tacite",
    "abandoned": "Réputée abandonnée",
    "inactive": "Sans évolution depuis 6 mois",
    "no_answer_10": "Sans réponse depuis 10 jours",
    "no_answer_20": "Sans réponse depuis 20 jours",
    "no_answer_30": "Sans réponse depuis 30 jours",
    "decided": "Décision rendue",
}

# What each flag means for the applicant and for the agency (guides §5.2), in French.
_MEANINGS = {
    "no_answer_30": (
        "Demande d'information sans réponse depuis 30 jours : le dossier est a minima "
        "dépriorisé et l'agence peut archiver la candidature ; il faudrait alors en déposer une "
        "nouvelle (guide de dépôt, §5.2). Répondez à la demande sans attendre.",
        "Demande d'information sans réponse depuis 30 jours : le dossier est dépriorisé et "
        "vous pouvez archiver la candidature (action « Archiver la candidature », avec un motif).",
    ),
    "no_answer_20": (
        "Demande d'information sans réponse depuis 20 jours : un délai supplémentaire "
        "d'instruction est à prévoir (guide de dépôt, §5.2). Répondez à la demande sans attendre.",
        "Demande d'information sans réponse depuis 20 jours : un délai supplémentaire est "
        "annoncé au candidat.",
    ),
    "no_answer_10": (
        "Demande d'information sans réponse depuis 10 jours : la place du dossier dans la file "
        "d'instruction n'est plus garantie (guide de dépôt, §5.2). Répondez à la demande.",
        "Demande d'information sans réponse depuis 10 jours : le dossier peut être dépriorisé.",
    ),
    "abandoned": (
        "La date limite des pièces manquantes est passée sans qu'elles soient reçues : la "
        "candidature est réputée abandonnée. Pour faire certifier le produit, il faudra en "
        "déposer une nouvelle.",
        "La date limite des pièces manquantes est passée : la plateforme enregistre l'abandon "
        "lors de son passage quotidien.",
    ),
    "inactive": (
        "La candidature n'a pas évolué depuis plus de 6 mois : l'agence peut la considérer "
        "comme abandonnée.",
        "Aucune évolution depuis plus de 6 mois : vous pouvez archiver la candidature "
        "(action « Archiver la candidature », avec un motif).",
    ),
    "silent_acceptance": (
        "Sans décision de l'agence au terme du délai, le silence vaut acceptation (article "
        "R. 1470-4 du code de la santé publique) : l'agence vous adressera le certificat.",
        "Sans décision au terme du délai, le silence vaut acceptation (article R. 1470-4 du "
        "code de la santé publique) : la plateforme l'enregistre lors de son passage quotidien.",
    ),
}
_NO_ANSWER = ("no_answer_30", "no_answer_20", "no_answer_10")


def _days(number: int) -> str:
    return f"{number} jour{'s' if abs(number) > 1 else ''}"


def clock_lines(application: Application, clock: Clock, *, agency: bool) -> dict:
    """The clock in words (R-CLK-9): a date, the days left, and the reason when stopped."""
    detail = ""
    if application.status not in OPEN_STATES:
        tone, headline = "info", clock.paused_reason or ""
        if clock.deadline:
            detail = f"L'échéance de la décision était le {french_date(clock.deadline)}."
    elif clock.running and clock.days_left is not None and clock.days_left >= 0:
        tone = "info"
        headline = (
            f"Décision attendue au plus tard le {french_date(clock.deadline)} "
            f"(J-{clock.days_left})."
        )
    elif clock.running and clock.days_left is not None:
        tone = "error"
        headline = (
            f"Délai dépassé de {_days(-clock.days_left)} : la décision était attendue au plus "
            f"tard le {french_date(clock.deadline)}."
        )
    elif clock.deadline is not None and clock.days_left is not None:
        tone = "warning"
        left = (
            f"il reste {_days(clock.days_left)} à la reprise"
            if clock.days_left >= 0
            else f"délai déjà dépassé de {_days(-clock.days_left)}"
        )
        headline = f"{(clock.paused_reason or 'Délai suspendu.').rstrip('.')} ({left})."
        detail = (
            "Si la réponse arrive aujourd'hui, la décision sera attendue au plus tard le "
            f"{french_date(clock.deadline)} ; chaque jour d'attente repousse cette date d'un jour."
        )
    elif partial := not_started_yet(application, clock):
        tone, headline = "info", partial
    else:
        tone, headline = "warning", clock.paused_reason or "Le délai ne court pas."
    flags = set(clock.flags)
    for weaker in _NO_ANSWER[1:]:
        if any(stronger in flags for stronger in _NO_ANSWER[: _NO_ANSWER.index(weaker)]):
            flags.discard(weaker)
    meanings = [
        _MEANINGS[name][1 if agency else 0]
        for name in ("abandoned", "silent_acceptance", *_NO_ANSWER, "inactive")
        if name in flags
    ]
    return {
        "tone": tone,
        "headline": headline,
        "detail": detail,
        "meanings": meanings,
        "badges": [FLAG_LABELS.get(f, f) for f in sorted(clock.flags)] if agency else [],
        "policy": describe(application.referential_version.process_settings.clock_policy),
    }


def not_started_yet(application, clock: Clock) -> str:
    """R-CRT-4, R-CLK-2 (TLC guide §5.2): why the legal clock of a dossier complete on the
    exceptional certificate's sections alone has not started; empty otherwise."""
    from guichet.evidence.services import completed_partially

    if clock.deadline is not None or not completed_partially(application):
        return ""
    return (
        "Le délai n'a pas commencé : le dossier est complet sur les seules sections du "
        "certificat exceptionnel. Le délai légal de décision court à compter du dépôt de "
        "toutes les autres sections."
    )


@extensions.panel
def clock_panel(request, application) -> dict | None:
    """The legal clock on the application page, for the applicant and the agency, from the
    complete dossier on (R-CLK-9)."""
    if application.status not in OPEN_STATES and application.evidence_complete_at is None:
        return None
    clock = shown_clock(application)
    return {
        "template": "instruction/clock/panel.html",
        **clock_lines(application, clock, agency=request.user.is_agency),
    }
