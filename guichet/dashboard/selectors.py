"""The agency's figures (issue 12 §3): dossiers per state and referential, deadlines at risk,
instruction time, decisions within the legal deadline, the collège's throughput; and the
certificates (issue 22 §5): per state, terms ending, open formal notices, withdrawals to come.

Every figure is an aggregate the database computes (GROUP BY, filtered COUNTs), or reads one
bounded set of rows (the dossiers decided over the last 12 months): the page makes the same
number of queries at 10 and at 100,000 dossiers. The deadlines at risk read the clock's state
as the daily sweep and every transition keep it (`instruction.ClockState`), not the log."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.db.models import Count, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from guichet.applications.models import (
    DECIDED_STATES,
    Application,
    ApplicationTransition,
    Status,
)
from guichet.applications.workflow import WORKFLOW
from guichet.certificates.models import Certificate, FormalNotice, Kind
from guichet.certificates.models import Status as CertificateStatus
from guichet.certificates.standing import LIVE as CERTIFICATE_LIVE
from guichet.committee.models import AgendaItem, CommitteeSession, Decision, SessionStatus
from guichet.deadlines import Event, evaluate
from guichet.instruction.clockstate import OPEN_STATES
from guichet.referentials.models import Referential, ReferentialVersion

WINDOW_MONTHS = 12  # instruction time, decisions in time, sessions: the last 12 months
WEEK_DAYS = 7  # « this week »: a deadline from today to today + 7 days
LONG_STOP_DAYS = 20  # DMN guide §5.2: 20 days without an answer announce an extra delay
# Durations of instruction, in days, for the histogram: (label, lowest, highest or None).
DURATION_BUCKETS = (
    ("30 jours ou moins", 0, 30),
    ("31 à 60 jours", 31, 60),
    ("61 à 90 jours", 61, 90),
    ("91 à 120 jours", 91, 120),
    ("121 à 180 jours", 121, 180),
    ("plus de 180 jours", 181, None),
)
# The transitions that move a legal deadline (guichet.deadlines): the complete dossier, and the
# stops (requests and their answers, missing items and their receipt). The others (activity)
# only raise flags; the decision is the day the deadline is read on.
_DEADLINE_EVENTS = {
    spec.name: spec.event
    for spec in WORKFLOW.all()
    if spec.event in ("complete", "request", "answer", "missing", "received")
}


def window_start(today: dt.date) -> dt.date:
    """The first day of the last 12 months."""
    return today - relativedelta(months=WINDOW_MONTHS)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


# --- 1. dossiers per state and referential ---------------------------------------------------


@dataclass(frozen=True)
class StateRow:
    status: Status
    counts: list[int]  # per referential, in the order of StateCounts.referentials
    total: int


@dataclass(frozen=True)
class StateCounts:
    referentials: list[str]
    rows: list[StateRow]  # every state, in the workflow's order
    totals: list[int]
    total: int


def state_counts() -> StateCounts:
    """Two queries: the referentials, and one GROUP BY state and referential."""
    codes = list(Referential.objects.order_by("code").values_list("code", flat=True))
    found: dict[tuple[str, str], int] = {
        (status, code): number
        for status, code, number in Application.objects.order_by()
        .values_list("status", "referential_version__referential__code")
        .annotate(number=Count("pk"))
    }
    rows = []
    for status in Status:
        counts = [found.get((status.value, code), 0) for code in codes]
        rows.append(StateRow(status, counts, sum(counts)))
    totals = [sum(row.counts[i] for row in rows) for i in range(len(codes))]
    return StateCounts(codes, rows, totals, sum(totals))


# --- 2. deadlines at risk (R-CLK-9) -----------------------------------------------------------

RISKS = {
    "week": "Échéance dans les 7 jours",
    "overdue": "Délai dépassé",
    "stopped": f"Délai suspendu depuis plus de {LONG_STOP_DAYS} jours",
}


def risk_conditions(today: dt.date) -> dict[str, Q]:
    """The open dossiers at risk, from the clock's state: a running deadline from today to
    7 days ahead; a deadline passed (running, or already passed when the clock stopped: its
    frozen days left are negative); a clock stopped for more than 20 days."""
    state = "clock_state__"
    return {
        "week": Q(
            **{
                f"{state}running": True,
                f"{state}deadline__gte": today,
                f"{state}deadline__lte": today + dt.timedelta(days=WEEK_DAYS),
            }
        ),
        "overdue": Q(**{f"{state}flags__contains": ",overdue,"})
        | Q(**{f"{state}running": True, f"{state}deadline__lt": today})
        | Q(**{f"{state}running": False, f"{state}frozen_days_left__lt": 0}),
        "stopped": Q(
            **{
                f"{state}running": False,
                f"{state}paused_since__lt": today - dt.timedelta(days=LONG_STOP_DAYS),
            }
        ),
    }


def risk_counts(today: dt.date) -> dict[str, int]:
    """One query: a filtered COUNT per risk over the open dossiers."""
    conditions = risk_conditions(today)
    return Application.objects.filter(status__in=OPEN_STATES).aggregate(
        **{kind: Count("pk", filter=condition) for kind, condition in conditions.items()}
    )


def risk_list(kind: str, today: dt.date) -> QuerySet[Application]:
    """The dossiers of one risk, the most pressing first, with what their rows show (one
    query; a page slices it)."""
    condition = risk_conditions(today)[kind]
    order = {
        "week": ["clock_state__deadline"],
        "overdue": [
            F("clock_state__deadline").asc(nulls_last=True),
            "clock_state__frozen_days_left",
        ],
        "stopped": ["clock_state__paused_since"],
    }[kind]
    return (
        Application.objects.filter(condition, status__in=OPEN_STATES)
        .select_related(
            "clock_state", "product", "organisation", "referential_version__referential"
        )
        .order_by(*order, "evidence_complete_at", "pk")
    )


@dataclass(frozen=True)
class RiskRow:
    """One dossier at risk as R-CLK-9 shows a deadline: a date with the days left, or the
    days left at resumption and the reason when the clock is stopped."""

    application: Application
    deadline: dt.date | None
    days_left: int | None
    running: bool
    paused_since: dt.date | None
    stopped_days: int | None
    reason: str


def risk_row(application: Application, today: dt.date) -> RiskRow:
    state = application.clock_state
    if state.running and state.deadline is not None:
        days_left = (state.deadline - today).days
    else:
        days_left = state.frozen_days_left
    return RiskRow(
        application=application,
        deadline=state.deadline if state.running else None,
        days_left=days_left,
        running=state.running,
        paused_since=state.paused_since,
        stopped_days=(today - state.paused_since).days if state.paused_since else None,
        reason=state.paused_reason,
    )


# --- 3 and 4. instruction time, decisions within the legal deadline ---------------------------


@dataclass(frozen=True)
class Decided:
    """A dossier whose first decision falls within the last 12 months."""

    application_id: int
    referential: str
    complete_on: dt.date
    decided_on: dt.date
    deadline: dt.date | None  # the legal deadline as it stood on the day of the decision

    @property
    def days(self) -> int:
        return (self.decided_on - self.complete_on).days

    @property
    def in_time(self) -> bool:
        """No deadline running on that day (a TLC dossier waiting for its missing items) is
        not a late decision."""
        return self.deadline is None or self.decided_on <= self.deadline


def decided_in_window(today: dt.date) -> list[Decided]:
    """The dossiers decided over the last 12 months, with their instruction time and their
    deadline on the day of the decision, in three queries: the dossiers (their first move into
    a decided state, from the transition log), their versions' deadline policies, and their
    transition log (the dated events the legal clock reads). Bounded by the window, not by the
    number of dossiers."""
    since = _midnight(window_start(today))
    paris = timezone.get_current_timezone()
    decisions = ApplicationTransition.objects.filter(target__in=DECIDED_STATES)
    first_decision = (
        decisions.filter(application=OuterRef("pk")).order_by("at", "id").values("at")[:1]
    )
    decided_lately = decisions.filter(at__gte=since).values("application_id")
    rows = list(
        Application.objects.filter(pk__in=decided_lately, evidence_complete_at__isnull=False)
        .annotate(first_decision_at=Subquery(first_decision))
        .filter(first_decision_at__gte=since)
        .order_by()
        .values_list("pk", "referential_version_id", "evidence_complete_at", "first_decision_at")
    )
    if not rows:
        return []
    versions = {
        version.pk: (version.referential.code, version.process_settings.clock_policy)
        for version in ReferentialVersion.objects.filter(
            pk__in={version_id for _, version_id, _, _ in rows}
        ).select_related("referential")
    }
    # Only the transitions that move the deadline: read on the day of the decision without
    # the decision itself, the engine gives the deadline as it stood that day (as it does
    # with the decision: guichet.deadlines, « A decision ends the clock »).
    events: dict[int, list[Event]] = defaultdict(list)
    for application_id, name, at, due in (
        ApplicationTransition.objects.filter(
            application_id__in=decided_lately, name__in=list(_DEADLINE_EVENTS)
        )
        .order_by()
        .values_list("application_id", "name", "at", "due")
    ):
        events[application_id].append(
            Event(_DEADLINE_EVENTS[name], at.astimezone(paris).date(), due)
        )
    found = []
    for pk, version_id, complete_at, decided_at in rows:
        referential, policy = versions[version_id]
        decided_on = decided_at.astimezone(paris).date()
        found.append(
            Decided(
                application_id=pk,
                referential=referential,
                complete_on=complete_at.astimezone(paris).date(),
                decided_on=decided_on,
                deadline=evaluate(policy, events[pk], decided_on).deadline,
            )
        )
    return found


def percentile(values: list[int], share: float) -> int:
    """The nearest-rank percentile: the smallest value such that `share` of the values are
    at most it (90 %: nine dossiers in ten were decided in that many days or fewer)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


@dataclass(frozen=True)
class TimeRow:
    label: str  # a referential's code, or « Ensemble »
    decided: int
    median: float | None
    p90: int | None
    in_time: int

    @property
    def late(self) -> int:
        return self.decided - self.in_time

    @property
    def share_in_time(self) -> float | None:
        return 100 * self.in_time / self.decided if self.decided else None


@dataclass(frozen=True)
class Timeliness:
    rows: list[TimeRow]  # per referential, then « Ensemble »
    buckets: list[tuple[str, int]] = field(default_factory=list)  # the durations' histogram


def kept_timeliness(today: dt.date, referentials: list[str]) -> Timeliness:
    """`timeliness` of the dossiers decided in the window, kept in the shared cache until the
    next decision or the next day: what it reads of a decided dossier no longer changes (its
    transition log is append-only, its clock ended with the decision), and computing it reads
    every dossier decided in the year (2 s at 100,000 dossiers, issue 24 §1). Two queries
    when kept: the last decision (indexed), the cache."""
    last = ApplicationTransition.objects.filter(target__in=DECIDED_STATES).aggregate(
        last=Max("id")
    )["last"]
    key = f"dashboard:timeliness:{today.isoformat()}:{last}:{'/'.join(referentials)}"
    found = cache.get(key)
    if found is None:
        found = timeliness(decided_in_window(today), referentials)
        cache.set(key, found, 24 * 3600)
    return found


def timeliness(decided: list[Decided], referentials: list[str]) -> Timeliness:
    """Median and 90th percentile of the instruction time (complete dossier → decision, in
    days) and the share decided within the legal deadline, per referential and together."""
    groups: dict[str, list[Decided]] = {code: [] for code in referentials}
    for item in decided:
        groups.setdefault(item.referential, []).append(item)
    groups["Ensemble"] = decided
    rows = []
    for label, items in groups.items():
        days = [item.days for item in items]
        rows.append(
            TimeRow(
                label=label,
                decided=len(items),
                median=statistics.median(days) if days else None,
                p90=percentile(days, 0.9) if days else None,
                in_time=sum(item.in_time for item in items),
            )
        )
    buckets = [
        (
            label,
            sum(
                1
                for item in decided
                if item.days >= lowest and (highest is None or item.days <= highest)
            ),
        )
        for label, lowest, highest in DURATION_BUCKETS
    ]
    return Timeliness(rows, buckets)


# --- 5. the collège's throughput -------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    session_id: int
    date: dt.date
    agenda: int  # dossiers on its agenda
    decided: int  # dossiers it decided
    moved: int  # dossiers moved to a later session


def _per_session(queryset) -> Coalesce:
    counted = (
        queryset.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(number=Count("application", distinct=True))
        .values("number")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def session_throughput(today: dt.date) -> list[SessionRow]:
    """Per session held over the last 12 months (one query): the dossiers on its agenda,
    those it decided (a decision recorded at that session), those moved to a later one."""
    sessions = (
        CommitteeSession.objects.filter(
            status=SessionStatus.HELD, date__gte=window_start(today), date__lte=today
        )
        .annotate(
            on_agenda=_per_session(AgendaItem.objects.all()),
            decided=_per_session(Decision.objects.all()),
            moved=_per_session(AgendaItem.objects.filter(moved_to__isnull=False)),
        )
        .order_by("date")
        .values_list("pk", "date", "on_agenda", "decided", "moved")
    )
    return [SessionRow(*row) for row in sessions]


# --- 6. certificates (issue 22 §5) -------------------------------------------------------------

SOON_DAYS = 90  # renewals and expiries « à venir »: the next 90 days, as the certificates' list


@dataclass(frozen=True)
class CertificateRow:
    status: CertificateStatus
    counts: list[int]  # per referential (standard certificates), then the exceptional ones
    total: int


@dataclass(frozen=True)
class CertificateCounts:
    referentials: list[str]
    rows: list[CertificateRow]  # every state, in the order of CertificateStatus
    totals: list[int]
    total: int


def certificate_groups() -> dict[tuple[str, str, str], int]:
    """How many certificates per (state, referential, kind): one GROUP BY."""
    return {
        (status, code, kind): number
        for status, code, kind, number in Certificate.objects.order_by()
        .values_list("status", "referential_code", "kind")
        .annotate(number=Count("pk"))
    }


def certificate_counts(referentials: list[str]) -> CertificateCounts:
    """One query: a GROUP BY state, referential and kind. The exceptional certificates (TLC,
    R-CRT-4) are counted apart: they attest only part of the referential."""
    found = certificate_groups()
    rows = []
    for status in CertificateStatus:
        counts = [found.get((status.value, code, Kind.STANDARD), 0) for code in referentials]
        counts.append(
            sum(n for (s, _, kind), n in found.items() if s == status and kind == Kind.EXCEPTIONAL)
        )
        rows.append(CertificateRow(status, counts, sum(counts)))
    totals = [sum(row.counts[i] for row in rows) for i in range(len(referentials) + 1)]
    return CertificateCounts(referentials, rows, totals, sum(totals))


def _term_ends_soon(today: dt.date) -> Q:
    """A live certificate whose term ends within 90 days, unless a withdrawal notified to take
    effect by then ends it first (it is in the withdrawals' list)."""
    return Q(
        status__in=CERTIFICATE_LIVE,
        valid_until__lt=today + dt.timedelta(days=SOON_DAYS),
    ) & (
        Q(withdrawal_effective_on__isnull=True)
        | Q(withdrawal_effective_on__gt=F("valid_until") + dt.timedelta(days=1))
    )


def _withdrawal_scheduled() -> Q:
    """A withdrawal notified that has not taken effect yet (standing.Standing's rule)."""
    return Q(status__in=CERTIFICATE_LIVE, withdrawal_effective_on__isnull=False)


def certificate_watch_counts(today: dt.date) -> dict[str, int]:
    """Two queries: the terms ending and the withdrawals to take effect (filtered COUNTs), the
    open formal notices."""
    counts = Certificate.objects.aggregate(
        terms=Count("pk", filter=_term_ends_soon(today)),
        withdrawals=Count("pk", filter=_withdrawal_scheduled()),
    )
    counts["notices"] = FormalNotice.objects.filter(closed_on__isnull=True).count()
    return counts


def terms_ending(today: dt.date) -> QuerySet[Certificate]:
    """The live certificates whose term ends in the next 90 days, the nearest first."""
    return (
        Certificate.objects.filter(_term_ends_soon(today))
        .select_related("referential_version__referential")
        .order_by("valid_until", "number")
    )


def open_notices() -> QuerySet[FormalNotice]:
    """The open formal notices, the deadline nearest (or most overdue) first (R-CRT-5)."""
    return (
        FormalNotice.objects.filter(closed_on__isnull=True)
        .select_related("certificate__referential_version__referential")
        .order_by("deadline", "issued_on", "pk")
    )


def withdrawals_to_come() -> QuerySet[Certificate]:
    """The certificates whose withdrawal is notified to take effect later (CSP R. 1470-9), the
    nearest date of effect first."""
    return (
        Certificate.objects.filter(_withdrawal_scheduled())
        .select_related("referential_version__referential")
        .order_by("withdrawal_effective_on", "number")
    )
