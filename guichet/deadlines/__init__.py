"""The legal clock of an application: pure functions over dated events, no Django import.

Contract (other tools call it; keep it exactly)::

    from guichet.deadlines import Event, evaluate
    clock = evaluate("DMN", [Event("complete", date(2026, 1, 10))], today=date(2026, 2, 1))
    clock.deadline, clock.days_left, clock.running, clock.paused_reason, clock.flags

Event kinds:
- ``complete``: the dossier is complete (the acknowledgment of receipt), R-EVD-4;
- ``request``: an information request (*sollicitation*) notified to the applicant;
- ``answer``: the applicant's answer to a request (it closes the oldest open request);
- ``missing``: the list of missing items notified, ``due`` = the date they must come by;
- ``received``: the missing items received (it closes the oldest open missing-items notice);
- ``activity``: any other change by the applicant or the agency;
- ``decision``: the committee decided.

Conventions, each from its source:

- ``referential`` names a policy ("DMN", "TLC") or is a ``Policy`` whose period a referential
  version sets (``policy("TLC", months=4)``: CSP R. 1470-4, « L'arrêté approuvant un référentiel
  peut […] fixer un délai inférieur », R-CLK-2).
- DMN deadline = date of the first ``complete`` + 60 calendar days (DMN guide §5.2: « les
  décisions de validation sont communiquées … dans un délai de soixante jours à compter de
  l'accusé de réception », CSS R. 162-76 and R. 165-5-2). 2026-01-10 → 2026-03-11.
- TLC deadline = date of the complete dossier + 6 calendar months, clamped to the month's last
  day (TLC guide §5.2, CSP R. 1470-4: « dans un délai de six mois à compter de la réception du
  dossier complet »). 2026-08-31 → 2027-02-28.
- No ``complete`` → no deadline (the clock has not started).
- Events dated before the first ``complete`` never move the deadline (nothing before the
  acknowledgment counts, R-CLK-2); they are ignored once a ``complete`` exists.
- ``days_left`` = deadline − today, in days (negative once overdue).
- A ``decision`` ends the clock: not running, ``decided`` is the only flag, ``days_left`` is
  None and ``deadline`` is the one that applied on the day of the (first) decision, so that
  the dashboard can tell whether it came in time.
- The result never depends on the order the events are given in (they are sorted by date,
  then by kind in the order above: a request and its answer on the same day make a stop of
  zero days).
- DMN stops (DMN guide §5.2, CSS R. 162-81 and R. 165-5-2): the clock stops from a ``request``
  (or a ``missing`` notice) to its ``answer`` (or ``received``) and the deadline moves by
  exactly the stop's length in days; overlapping stops count each day once; an open stop
  counts up to today, so the clock is not running and ``days_left`` stays frozen while it
  lasts.
- DMN no-answer flags (DMN guide §5.2): an information request left unanswered 10 days raises
  ``no_answer_10`` (the queue place is no longer guaranteed), 20 days ``no_answer_20`` (an extra
  delay is announced), 30 days ``no_answer_30`` (at least deprioritised; the agency may delete
  the application).
- TLC (décret 2023-1315, CSP R. 1470-2 and R. 1470-4): the 6 months run from the complete
  dossier, so a ``missing`` notice means it was not complete: the clock stops (no deadline
  while the items are awaited) and, on ``received``, the 6 months start again from that date.
  An information request (``request``/``answer``) is an exchange on the platform that does not
  stop the TLC clock and raises no ``no_answer_*`` flag (those are the DMN guide's).
- Missing items not received by their ``due`` date: the application is deemed abandoned,
  flag ``abandoned`` (DMN: CSS R. 165-5-2, at least 10 days; TLC: CSP R. 1470-2, 60 days).
- ``overdue``: the deadline has passed while the clock runs. TLC: silence is acceptance
  (CSP R. 1470-4), flag ``silent_acceptance`` as well (R-CLK-7).
- ``inactive``: nothing happened for 6 months (R-CLK-6; DMN guide « Abandon de candidature »:
  in any state; TLC guide: while the dossier is not complete — before the complete dossier or
  while missing items are awaited).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

__all__ = [
    "Clock",
    "Event",
    "KINDS",
    "Policy",
    "policy",
    "FLAGS",
    "evaluate",
    "next_change",
    "paused_since",
    "describe",
    "french_date",
]

KINDS = ("complete", "request", "missing", "answer", "received", "activity", "decision")
FLAGS = frozenset(
    {
        "decided",
        "overdue",
        "silent_acceptance",
        "abandoned",
        "inactive",
        "no_answer_10",
        "no_answer_20",
        "no_answer_30",
    }
)
_ORDER = {kind: position for position, kind in enumerate(KINDS)}
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


@dataclass(frozen=True)
class Event:
    kind: str
    on: dt.date
    due: dt.date | None = None

    def __post_init__(self):
        if self.kind not in _ORDER:
            raise ValueError(f"Unknown event kind {self.kind!r}; expected one of {KINDS}.")


@dataclass(frozen=True)
class Clock:
    deadline: dt.date | None
    days_left: int | None
    running: bool
    paused_reason: str | None
    flags: frozenset[str]


@dataclass(frozen=True)
class _Policy:
    """What differs between referentials: how long, whether requests stop the clock, and
    whether a missing-items notice restarts the whole period."""

    days: int = 0
    months: int = 0
    requests_stop: bool = True
    missing_restarts: bool = False
    inactive_only_while_incomplete: bool = False
    name: str = ""

    @property
    def period_words(self) -> str:
        """« 60 jours calendaires », « 6 mois », « 3 mois et 15 jours »."""
        days = f"{self.days} jour{'s' if self.days > 1 else ''}"
        if not self.months:
            return f"{days} calendaire{'s' if self.days > 1 else ''}"
        months = f"{self.months} mois"
        return f"{months} et {days}" if self.days else months


Policy = _Policy

# How each policy reads, for the acknowledgment and the pages ({period}: its period in words).
DESCRIPTIONS = {
    "DMN": "{period} à compter de l'accusé de réception, délai suspendu pendant les demandes "
    "d'information et jusqu'à la réception des pièces manquantes",
    "TLC": "{period} à compter du dossier complet ; des pièces manquantes font repartir ce délai "
    "à leur réception ; sans décision à son terme, le silence vaut acceptation",
}

POLICIES = {
    "DMN": _Policy(days=60, name="DMN"),
    "TLC": _Policy(
        months=6,
        requests_stop=False,
        missing_restarts=True,
        inactive_only_while_incomplete=True,
        name="TLC",
    ),
}
INACTIVITY_MONTHS = 6
NO_ANSWER_THRESHOLDS = (10, 20, 30)


def policy(name: str, *, months: int | None = None, days: int | None = None) -> _Policy:
    """The policy `name` ("DMN", "TLC"), its period replaced by `months` and `days` when the
    referential version sets one (R-CLK-2: the arrêté may set a shorter one)."""
    base = _resolve(name)
    if months is None and days is None:
        return base
    return replace(base, months=months or 0, days=days or 0)


def _resolve(referential) -> _Policy:
    if isinstance(referential, _Policy):
        return referential
    try:
        return POLICIES[referential]
    except (KeyError, TypeError):
        raise ValueError(f"No deadline policy for referential {referential!r}.") from None


def describe(referential) -> str:
    """The policy in words (French)."""
    found = _resolve(referential)
    return DESCRIPTIONS[found.name].format(period=found.period_words)


_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def french_date(day: dt.date, *, weekday: bool = False) -> str:
    """« 1er mars 2027 », « 11 mars 2026 »; with its weekday, « lundi 1er mars 2027 ». A
    datetime reads as its day in Paris."""
    if isinstance(day, dt.datetime):
        day = _paris(day).date()
    number = "1er" if day.day == 1 else str(day.day)
    text = f"{number} {_MONTHS[day.month - 1]} {day.year}"
    return f"{_WEEKDAYS[day.weekday()]} {text}" if weekday else text


def french_time(moment: dt.datetime) -> str:
    """« 14 h 05 », in Paris."""
    moment = _paris(moment)
    return f"{moment.hour} h {moment.minute:02d}"


def french_datetime(moment: dt.datetime, *, seconds: bool = False) -> str:
    """« 1er mars 2027 à 14 h 05 » in Paris (« à 14 h 05 min 09 s » with the seconds)."""
    moment = _paris(moment)
    time = french_time(moment)
    if seconds:
        time += f" min {moment.second:02d} s"
    return f"{french_date(moment.date())} à {time}"


def _paris(moment: dt.datetime) -> dt.datetime:
    from django.utils import timezone

    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months, clamped to the month's last day (2026-08-31 + 6 → 2027-02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _period_end(policy: _Policy, start: dt.date) -> dt.date:
    return add_months(start, policy.months) + dt.timedelta(days=policy.days)


@dataclass
class _Stop:
    kind: str  # "request" or "missing"
    start: dt.date
    due: dt.date | None
    end: dt.date | None = None


def _pair(events: list[Event]) -> list[_Stop]:
    """Stops from requests (closed by answers) and missing notices (closed by receipts), each
    closing the oldest open one of its kind."""
    stops: list[_Stop] = []
    open_by_kind: dict[str, list[_Stop]] = {"request": [], "missing": []}
    closes = {"answer": "request", "received": "missing"}
    for event in events:
        if event.kind in open_by_kind:
            stop = _Stop(event.kind, event.on, event.due)
            stops.append(stop)
            open_by_kind[event.kind].append(stop)
        elif event.kind in closes and open_by_kind[closes[event.kind]]:
            open_by_kind[closes[event.kind]].pop(0).end = event.on
    return stops


def _stopped_days(stops: Iterable[_Stop], today: dt.date) -> int:
    """Days covered by the stops, each day counted once; an open stop runs up to today."""
    intervals = sorted((s.start, s.end or max(today, s.start)) for s in stops)
    total, cursor = 0, None
    for start, end in intervals:
        if cursor is not None and start < cursor:
            start = cursor
        if end > start:
            total += (end - start).days
        cursor = end if cursor is None else max(cursor, end)
    return total


def evaluate(referential: str, events: Iterable[Event], today: dt.date) -> Clock:
    """The clock of one application on `today`, from its dated events (see the module)."""
    policy = _resolve(referential)
    ordered = sorted(events, key=lambda e: (e.on, _ORDER[e.kind], e.due or dt.date.min))
    decisions = [event.on for event in ordered if event.kind == "decision"]
    if decisions:
        # The deadline that applied, as it stood on the day of the decision.
        before = [event for event in ordered if event.kind != "decision"]
        at_decision = evaluate(referential, before, decisions[0])
        return Clock(at_decision.deadline, None, False, None, frozenset({"decided"}))
    completes = [event.on for event in ordered if event.kind == "complete"]
    if completes:
        ordered = [event for event in ordered if event.on >= completes[0]]
    flags: set[str] = set()
    stops = _pair(ordered)
    open_stops = [stop for stop in stops if stop.end is None]
    for stop in open_stops:
        if stop.kind == "missing" and stop.due is not None and today > stop.due:
            flags.add("abandoned")
    open_requests = [stop for stop in open_stops if stop.kind == "request"]
    if policy.requests_stop and open_requests:
        waited = (today - open_requests[0].start).days
        flags.update(f"no_answer_{n}" for n in NO_ANSWER_THRESHOLDS if waited >= n)
    awaiting_items = any(stop.kind == "missing" for stop in open_stops)
    incomplete = not completes or (policy.missing_restarts and awaiting_items)
    if ordered and (incomplete or not policy.inactive_only_while_incomplete):
        if add_months(ordered[-1].on, INACTIVITY_MONTHS) < today:
            flags.add("inactive")
    if not completes:
        return Clock(None, None, False, None, frozenset(flags))

    if policy.missing_restarts:
        deadline, days_left, running, reason = _restarting_clock(policy, completes[0], stops, today)
    else:
        deadline, days_left, running, reason = _stopping_clock(
            policy, completes[0], stops if policy.requests_stop else _only(stops, "missing"), today
        )
    if running and days_left is not None and days_left < 0:
        flags.add("overdue")
        if policy.missing_restarts:
            flags.add("silent_acceptance")
    return Clock(deadline, days_left, running, reason, frozenset(flags))


def _only(stops: list[_Stop], kind: str) -> list[_Stop]:
    return [stop for stop in stops if stop.kind == kind]


def _stopping_clock(policy: _Policy, complete: dt.date, stops: list[_Stop], today: dt.date):
    """DMN: the period is extended by the stopped days."""
    deadline = _period_end(policy, complete) + dt.timedelta(days=_stopped_days(stops, today))
    open_stops = [stop for stop in stops if stop.end is None and stop.start <= today]
    reason = _pause_reason(min(open_stops, key=lambda s: s.start)) if open_stops else None
    return deadline, (deadline - today).days, reason is None, reason


def _restarting_clock(policy: _Policy, complete: dt.date, stops: list[_Stop], today: dt.date):
    """TLC: missing items mean the dossier was not complete; the period restarts when they
    are received. Information requests do not stop it."""
    missing = _only(stops, "missing")
    waiting = [stop for stop in missing if stop.end is None and stop.start <= today]
    if waiting:
        oldest = min(waiting, key=lambda s: s.start)
        reason = (
            _pause_reason(oldest) + f" Le délai de {policy.period_words} repart à leur réception."
        )
        return None, None, False, reason
    start = max([complete] + [stop.end for stop in missing if stop.end is not None])
    deadline = _period_end(policy, start)
    return deadline, (deadline - today).days, True, None


def _pause_reason(stop: _Stop) -> str:
    since = french_date(stop.start)
    if stop.kind == "request":
        return f"Délai suspendu depuis le {since} : demande d'information en attente de réponse."
    due = f", à fournir avant le {french_date(stop.due)}" if stop.due else ""
    return f"Délai suspendu depuis le {since} : pièces manquantes attendues{due}."


def paused_since(referential: str, events: Iterable[Event], today: dt.date) -> dt.date | None:
    """The day the clock's current stop began — the oldest open stop that stops it on `today`
    (DMN: an information request or a missing-items notice; TLC: a missing-items notice) — or
    None when the clock runs, has not started, or ended with a decision. It is the day the
    `paused_reason` of `evaluate` names (« Délai suspendu depuis le … »), for the agency's
    dashboard: « stopped for more than 20 days » (R-CLK-9, DMN guide §5.2)."""
    policy = _resolve(referential)
    ordered = sorted(events, key=lambda e: (e.on, _ORDER[e.kind], e.due or dt.date.min))
    if any(event.kind == "decision" for event in ordered):
        return None
    completes = [event.on for event in ordered if event.kind == "complete"]
    if not completes:
        return None
    ordered = [event for event in ordered if event.on >= completes[0]]
    stopping = ("request", "missing") if policy.requests_stop else ("missing",)
    starts = [
        stop.start
        for stop in _pair(ordered)
        if stop.end is None and stop.kind in stopping and stop.start <= today
    ]
    return min(starts) if starts else None


def next_change(referential: str, events: Iterable[Event], today: dt.date) -> dt.date | None:
    """The first day after `today` on which the clock may read differently although nothing
    happens (a flag raised, the deadline passed), or None when only a new event can change it.
    Never later than the real change (it may be earlier): a daily sweep need only look again at
    a clock on that day. While a DMN clock is stopped its deadline moves every day but nothing
    else does: that is not a change here (the days left are frozen)."""
    policy = _resolve(referential)
    ordered = sorted(events, key=lambda e: (e.on, _ORDER[e.kind], e.due or dt.date.min))
    if any(event.kind == "decision" for event in ordered):
        return None
    completes = [event.on for event in ordered if event.kind == "complete"]
    if completes:
        ordered = [event for event in ordered if event.on >= completes[0]]
    candidates: list[dt.date] = []
    stops = _pair(ordered)
    open_stops = [stop for stop in stops if stop.end is None]
    candidates += [
        stop.due + _ONE_DAY for stop in open_stops if stop.kind == "missing" and stop.due
    ]
    open_requests = [stop for stop in open_stops if stop.kind == "request"]
    if policy.requests_stop and open_requests:
        start = open_requests[0].start
        candidates += [start + dt.timedelta(days=n) for n in NO_ANSWER_THRESHOLDS]
    if ordered:
        candidates.append(add_months(ordered[-1].on, INACTIVITY_MONTHS) + _ONE_DAY)
    if completes:
        clock = evaluate(referential, events, today)
        if clock.running and clock.deadline is not None:
            candidates.append(clock.deadline + _ONE_DAY)
    later = [day for day in candidates if day > today]
    return min(later) if later else None


_ONE_DAY = dt.timedelta(days=1)
