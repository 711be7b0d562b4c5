"""The legal clock of applications (R-CLK-2 … R-CLK-9): their dated events, read from the
transition log (each transition's `event`) and from the journal (the last change a person
made, for inactivity), given to the pure engine `guichet.deadlines` with the version's deadline
policy. For a page of applications, `clocks_for` reads everything in two queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Max
from django.utils import timezone

from guichet.applications.models import Application, ApplicationTransition
from guichet.applications.workflow import WORKFLOW
from guichet.deadlines import Clock, Event, Policy, evaluate, next_change, paused_since
from guichet.journal.models import JournalEntry

_EVENTS = {t.name: t.event for t in WORKFLOW.all()}

# The legal day the clock is read on: today in Paris, unless a sweep runs for a given day
# (`sweep_deadlines --today`), so that the workflow's clock guards agree with the sweep.
_as_of: ContextVar[dt.date | None] = ContextVar("clock_as_of", default=None)


@contextmanager
def as_of(day: dt.date):
    """Reads every clock on `day` inside the block (the sweep's day)."""
    token = _as_of.set(day)
    try:
        yield
    finally:
        _as_of.reset(token)


def legal_today() -> dt.date:
    return _as_of.get() or timezone.localdate()


def events_for(application_ids) -> dict[int, list[Event]]:
    """Each application's dated events: its transitions, and the last change of a person."""
    ids = list(application_ids)
    # Legal days are days in Paris (the project's time zone); converted directly, as the
    # daily sweep reads every open dossier's log (timezone.localdate is ten times slower).
    paris = timezone.get_current_timezone()
    events: dict[int, list[Event]] = defaultdict(list)
    for application_id, name, at, due in ApplicationTransition.objects.filter(
        application_id__in=ids
    ).values_list("application_id", "name", "at", "due"):
        events[application_id].append(
            Event(_EVENTS.get(name) or "activity", at.astimezone(paris).date(), due)
        )
    for application_id, last in (
        JournalEntry.objects.filter(application_id__in=[str(pk) for pk in ids], actor__isnull=False)
        .values_list("application_id")
        .annotate(last=Max("created_at"))
    ):
        events[int(application_id)].append(Event("activity", last.astimezone(paris).date()))
    return events


def clocks_by_policy(
    applications: Iterable[tuple[int, str | Policy]], today: dt.date | None = None
) -> dict[int, Clock]:
    """The clock of each `(application id, deadline policy)`, in two queries (for the sweep,
    which reads ids, not whole applications)."""
    applications = list(applications)
    today = today or legal_today()
    events = events_for(pk for pk, _ in applications)
    return {pk: evaluate(policy, events[pk], today) for pk, policy in applications}


def clocks_and_next_changes(
    applications: Iterable[tuple[int, str | Policy]], today: dt.date | None = None
) -> dict[int, tuple[Clock, dt.date | None, dt.date | None]]:
    """Like clocks_by_policy, with the day each clock may next change on its own
    (deadlines.next_change) and the day its current stop began (deadlines.paused_since): what
    the sweep keeps in the clock's state."""
    applications = list(applications)
    today = today or legal_today()
    events = events_for(pk for pk, _ in applications)
    return {
        pk: (
            evaluate(policy, events[pk], today),
            next_change(policy, events[pk], today),
            paused_since(policy, events[pk], today),
        )
        for pk, policy in applications
    }


def clocks_for(applications, today: dt.date | None = None) -> dict[int, Clock]:
    """The clock of each application (its version's deadline policy), in two queries."""
    policies: dict[int, Policy] = {}
    pairs = []
    for a in applications:
        if a.referential_version_id not in policies:
            settings = a.referential_version.process_settings
            policies[a.referential_version_id] = settings.clock_policy
        pairs.append((a.pk, policies[a.referential_version_id]))
    return clocks_by_policy(pairs, today)


def clock_of(application: Application, today: dt.date | None = None) -> Clock:
    return clocks_for([application], today)[application.pk]
