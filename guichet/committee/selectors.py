"""Reads of the collège technique (R-DEC-1 … R-DEC-3) that the pages and the API share: who may
do what, the sessions, the dossiers to put on an agenda, a session's agenda with each dossier's
summary (verdicts, clock, convention, decision) in a constant number of queries, and the
decisions of an application."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from guichet.accounts.models import Role, User
from guichet.applications import extensions
from guichet.applications.clock import clock_of, clocks_for
from guichet.applications.models import Application, ApplicationTransition, Status
from guichet.applications.workflow import DECIDERS
from guichet.committee.models import (
    AgendaItem,
    Body,
    CommitteeSession,
    Decision,
    Outcome,
    Reservation,
    SessionMember,
    SessionStatus,
)
from guichet.conventions.models import Convention
from guichet.deadlines import Clock, french_date
from guichet.files.models import StoredFile
from guichet.instruction.models import ProofOpinion, ProofVerdict
from guichet.instruction.proofs import applicable_proofs
from guichet.instruction.verdicts import VerdictSummary, proof_verdicts_of, verdict_summary
from guichet.referentials.process import CONVENTION_BEFORE_COMMITTEE, exceptional_period

# The collège decides on a finished instruction, or takes note of a TLC silence (R-CLK-7).
TO_DECIDE = (Status.INSTRUCTION_FINISHED, Status.SILENTLY_ACCEPTED)
# An outcome and the application's transition that records it.
TRANSITION_OF = {
    Outcome.GRANTED: "grant",
    Outcome.GRANTED_WITH_RESERVATIONS: "grant_with_reservations",
    Outcome.REFUSED: "refuse",
    Outcome.EXCEPTIONAL: "grant_exceptional",
}
# R-DEC-2: the attribution needs every applicable proof conforme (DMN guide §5.3, TLC guide
# §5.4: « ne sera certifié conforme que dans le cas où toutes les preuves seront considérées
# comme conformes »), except after a silence, which is acceptance (R-CLK-7). The attribution
# « sous réserve » is TLC's answer when the system « n'est pas conforme à toutes les exigences
# obligatoires » (TLC guide §5.4), beside the refusal: its reservations list the non-conformities.
NEEDS_EVERY_PROOF_CONFORME = frozenset({Outcome.GRANTED})
GRANTS = frozenset({Outcome.GRANTED, Outcome.GRANTED_WITH_RESERVATIONS})
# The outcomes whose sign-off issues a certificate: the grants, and the TLC exceptional
# certificate (R-CRT-4), valid until the end of its window.
ISSUES_CERTIFICATE = GRANTS | {Outcome.EXCEPTIONAL}
PARTNERS = tuple(body for body in Body if body != Body.ANS)
# R-DEC-2: a reservation's deadline when the collège names none (within the certificate's life).
RESERVATION_PERIOD = relativedelta(months=6)


# --- who -----------------------------------------------------------------------------------------


def may_view(user) -> bool:
    """Every agent of the agency reads the collège's sessions; applicants never (404)."""
    return bool(user is not None and user.is_authenticated and user.is_agency)


def may_manage(user) -> bool:
    """The collège's members and the agency's administrator manage its sessions and record
    its decisions; an instructor does not decide alone (R-ACT-1)."""
    return bool(
        user is not None and user.is_authenticated and user.is_active and user.role in DECIDERS
    )


def manage_refusal(user) -> str | None:
    if may_manage(user):
        return None
    return (
        "Réservé au collège technique (ses membres) et à l'administrateur de l'agence : un "
        "instructeur ne décide pas seul."
    )


# --- sessions ------------------------------------------------------------------------------------


def sessions() -> QuerySet[CommitteeSession]:
    """Sessions with what the list shows, counted in the same query."""
    return CommitteeSession.objects.annotate(
        agenda_count=Count("agenda", filter=Q(agenda__moved_to__isnull=True), distinct=True),
        decision_count=Count(
            "decisions", filter=Q(decisions__signed_off_at__isnull=False), distinct=True
        ),
        member_count=Count("members", distinct=True),
    )


def upcoming_sessions(today: dt.date | None = None) -> QuerySet[CommitteeSession]:
    """The sessions still to be held: a session held today is no longer to come."""
    today = today or timezone.localdate()
    return sessions().filter(date__gte=today, status=SessionStatus.PLANNED).order_by("date")


def past_sessions(today: dt.date | None = None) -> QuerySet[CommitteeSession]:
    """The sessions held or gone by, the latest first."""
    today = today or timezone.localdate()
    return sessions().filter(Q(date__lt=today) | Q(status=SessionStatus.HELD)).order_by("-date")


def get_session(user, pk) -> CommitteeSession:
    """A session for an agent; anyone else finds nothing (404)."""
    if not may_view(user):
        raise Http404
    try:
        return CommitteeSession.objects.get(pk=pk)
    except (CommitteeSession.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def next_planned_session(
    after: dt.date | None = None, today: dt.date | None = None
) -> CommitteeSession | None:
    """The next session still to be held, from today (or after the day `after`)."""
    today = today or timezone.localdate()
    sessions_ = CommitteeSession.objects.filter(status=SessionStatus.PLANNED, date__gte=today)
    if after is not None:
        sessions_ = sessions_.filter(date__gt=after)
    return sessions_.order_by("date").first()


def dossiers_to_schedule(today: dt.date | None = None) -> QuerySet[Application]:
    """R-DEC-1: the dossiers whose instruction is finished, and the TLC dossiers accepted by
    silence (R-CLK-7), not already on a session from today on, oldest completion first."""
    today = today or timezone.localdate()
    return (
        Application.objects.filter(status__in=TO_DECIDE)
        .exclude(agenda_items__session__date__gte=today)
        .order_by("evidence_complete_at", "id")
    )


def dossiers_for_agenda(
    session: CommitteeSession, today: dt.date | None = None
) -> QuerySet[Application]:
    """R-DEC-1: what filling `session`'s agenda takes — every dossier whose instruction is
    finished and every TLC dossier accepted by silence (R-CLK-7), not yet decided, wherever it
    waits: on no agenda, on the agenda of a session gone by without deciding it, or on that of
    a later session still to be held (a dossier finished before this session existed went
    there) — oldest completion first. It stays where the collège decides it no later: a
    session held today, or one still to be held before this one; and a dossier put off from
    this session stays where it was put off to."""
    today = today or timezone.localdate()
    sooner = AgendaItem.objects.filter(moved_to__isnull=True, session__date__gte=today).filter(
        Q(session__status=SessionStatus.HELD) | Q(session__date__lt=session.date)
    )
    return (
        Application.objects.filter(status__in=TO_DECIDE)
        .exclude(agenda_items__session=session)
        .exclude(pk__in=sooner.values("application_id"))
        .order_by("evidence_complete_at", "id")
    )


def waiting_items(applications, session: CommitteeSession) -> QuerySet[AgendaItem]:
    """Where the dossiers that `session` takes wait now: their entries still on the agenda of
    another session (to be moved, each with its reason)."""
    return (
        AgendaItem.objects.filter(application__in=applications, moved_to__isnull=True)
        .exclude(session=session)
        .select_related("session", "application")
    )


def session_on_day(day: dt.date) -> CommitteeSession | None:
    return CommitteeSession.objects.filter(date=day).first()


def proposed_agents(session: CommitteeSession, applications) -> list[User]:
    """Who the page proposes to seat (DMN guide §5.3, TLC guide §5.4: « collaborateurs de l'ANS
    participant à l'instruction du dossier »): the collège's members and the instructors of the
    dossiers on the agenda, not yet seated. Two queries."""
    seated = set(session.members.exclude(user=None).values_list("user_id", flat=True))
    ids = [a.pk for a in applications]
    people = User.objects.filter(is_active=True).filter(
        Q(role=Role.COMMITTEE) | Q(role=Role.INSTRUCTOR, instructed_applications__in=ids)
    )
    return [
        user
        for user in people.distinct().order_by("last_name", "first_name", "email")
        if user.pk not in seated
    ]


def session_warnings(members, applications) -> list[str]:
    """What the page warns of without refusing: a partner who sits while no dossier on the
    agenda calls for it (the HAS for DMN dossiers only: TLC guide §5.4 does not name it)."""
    if not applications:
        return []
    called = set()
    for application in applications:
        called |= set(application.referential_version.process_settings.committee_partners)
    warnings = []
    for body in sorted({m.body for m in members if m.body != Body.ANS} - called):
        label = Body(body).label
        warnings.append(
            f"{label} siège alors qu'aucun dossier de l'ordre du jour ne l'appelle : les "
            f"référentiels des dossiers inscrits ne prévoient pas la {label} au collège."
            if body == Body.HAS
            else f"{label} siège alors qu'aucun dossier de l'ordre du jour ne l'appelle."
        )
    return warnings


# --- the refusals of a decision (shared by the workflow's guards and the session page) --------


def convention_problem(application, convention: Convention | None) -> str | None:
    """TLC (R-CONV-2): the convention is signed before the committee."""
    if application.referential_version.process_settings.convention != CONVENTION_BEFORE_COMMITTEE:
        return None
    if convention is None:
        return (
            "La convention doit être signée avant le collège (R-CONV-2) : elle n'a pas encore "
            "été envoyée (elle l'est quand chaque section est conforme ou, quand une "
            "attribution sous réserve est possible, à la fin de l'instruction)."
        )
    if not convention.is_signed:
        return (
            "La convention doit être signée avant le collège (R-CONV-2) : elle attend la "
            "signature du Responsable habilité."
        )
    return None


def conformity_problem(summary: VerdictSummary, *, offers_reservations: bool = False) -> str | None:
    """R-DEC-2: every applicable proof conforme, else the French reason with the counts (and,
    where the version has it, the attribution « sous réserve » as the way)."""
    if summary.all_conforme:
        return None
    not_conforme = summary.total - summary.conforme
    verb = "ne le sont pas" if not_conforme > 1 else "ne l'est pas"
    details = []
    if summary.non_conforme:
        details.append(
            f"{summary.non_conforme} non conforme{'s' if summary.non_conforme > 1 else ''}"
        )
    if summary.a_preciser:
        details.append(f"{summary.a_preciser} à préciser")
    if summary.missing:
        details.append(f"{summary.missing} sans avis")
    return (
        "La certification ne s'attribue que si chaque preuve applicable est conforme "
        f"(R-DEC-2) : {not_conforme} preuve{'s' if not_conforme > 1 else ''} sur "
        f"{summary.total} {verb}"
        + (f" ({', '.join(details)})" if details else "")
        + (
            " ; l'attribution sous réserve liste les non-conformités comme réserves."
            if offers_reservations
            else "."
        )
    )


def judged_problem(summary: VerdictSummary) -> str | None:
    """R-DEC-2: an attribution « sous réserve » names each non-conformity as a reservation, so
    every proof has its verdict and none is « à préciser »."""
    if not summary.missing and not summary.a_preciser:
        return None
    return (
        "L'attribution sous réserve porte sur des non-conformités établies : chaque preuve a "
        f"son avis et aucune n'est « à préciser » ({summary.missing} sans avis, "
        f"{summary.a_preciser} « à préciser »)."
    )


def offered_outcomes(application) -> tuple[str, ...]:
    """The version's outcomes (R-DEC-2), and the exceptional certificate where the version has
    its window (R-CRT-4)."""
    settings = application.referential_version.process_settings
    if exceptional_period(settings) is None:
        return settings.decision_outcomes
    return (*settings.decision_outcomes, Outcome.EXCEPTIONAL)


def outcome_problem(application, outcome: str) -> str | None:
    """The version's outcomes (R-DEC-2: TLC adds « attribution sous réserve »), and a silence
    is an acceptance of the request as made (R-CLK-7)."""
    allowed = offered_outcomes(application)
    if outcome not in allowed:
        labels = ", ".join(f"« {Outcome(o).label} »" for o in allowed if o in Outcome.values)
        return (
            f"« {Outcome(outcome).label} » n'est pas une décision possible pour "
            f"{application.referential_version.label} : {labels}."
        )
    if application.status == Status.SILENTLY_ACCEPTED and outcome != Outcome.GRANTED:
        return (
            "Le silence gardé au terme du délai vaut acceptation de la demande (R-CLK-7) : la "
            "décision est une attribution, sans réserve."
        )
    return None


def decision_problem(
    application, outcome: str, *, summary: VerdictSummary, convention: Convention | None
) -> str | None:
    """Why `outcome` cannot be decided on `application` now (pure: the page gives what it read
    for its whole agenda, the guards what they read for one dossier)."""
    problem = outcome_problem(application, outcome)
    if problem or application.status == Status.SILENTLY_ACCEPTED:
        return problem
    if outcome == Outcome.EXCEPTIONAL:
        from guichet.committee.hooks import exceptional_problem

        return exceptional_problem(application)
    if outcome not in GRANTS:
        return None
    if outcome in NEEDS_EVERY_PROOF_CONFORME:
        settings = application.referential_version.process_settings
        problem = conformity_problem(
            summary,
            offers_reservations=Outcome.GRANTED_WITH_RESERVATIONS in settings.decision_outcomes,
        )
    else:
        problem = judged_problem(summary)
    return problem or convention_problem(application, convention)


# --- reservations (R-DEC-2) ----------------------------------------------------------------------


def reservation_bound(convention: Convention | None, decided_on: dt.date) -> dt.date:
    """The last day a reservation may run to: the last valid day of the certificate issued on
    the decision's day (the convention's term, R-CRT-2)."""
    from guichet.certificates.services import term_from

    return term_from(convention, decided_on)[1]


def default_reservation_deadline(convention: Convention | None, decided_on: dt.date) -> dt.date:
    """A reservation's deadline when the collège names none: six months after the decision,
    within the certificate's life."""
    return min(decided_on + RESERVATION_PERIOD, reservation_bound(convention, decided_on))


@dataclass(frozen=True)
class ProposedReservation:
    """A non-conforme proof, proposed to the collège as a reservation (R-DEC-2)."""

    proof: int
    text: str
    deadline: dt.date


def proposed_reservations(
    proofs, latest: dict[int, ProofVerdict], deadline: dt.date
) -> list[ProposedReservation]:
    """Each applicable proof whose verdict in force is « non conforme », in the version's
    order, with the instructor's comment and the default deadline (pure: no query)."""
    return [
        ProposedReservation(
            proof=pk,
            text=f"{ref.full_label} — non conforme"
            + (f" : {latest[pk].comment}" if latest[pk].comment else ""),
            deadline=deadline,
        )
        for pk, ref in proofs.items()
        if pk in latest and latest[pk].verdict == ProofOpinion.NON_CONFORME
    ]


# --- the agenda ----------------------------------------------------------------------------------


@dataclass
class AgendaRow:
    item: AgendaItem
    application: Application
    summary: VerdictSummary
    clock: Clock
    convention: Convention | None
    decision: Decision | None  # this session's, or the dossier's open one
    problems: dict[str, str] = field(default_factory=dict)  # outcome -> why not
    # R-DEC-2: the non-conforme proofs, proposed as reservations with their default deadline.
    proposed: list[ProposedReservation] = field(default_factory=list)
    reservation_bound: dt.date | None = None

    @property
    def silent(self) -> bool:
        return self.application.status == Status.SILENTLY_ACCEPTED

    @property
    def to_decide(self) -> bool:
        return self.item.moved_to_id is None and self.application.status in TO_DECIDE

    @property
    def deadline_text(self) -> str:
        return french_date(self.clock.deadline) if self.clock.deadline else ""

    @property
    def outcomes(self) -> list[tuple[str, str, str]]:
        """(value, label, why not) for each outcome of the dossier's version."""
        allowed = offered_outcomes(self.application)
        return [
            (value, Outcome(value).label, self.problems.get(value, ""))
            for value in Outcome.values
            if value in allowed
        ]

    @property
    def offers_reservations(self) -> bool:
        allowed = self.application.referential_version.process_settings.decision_outcomes
        return Outcome.GRANTED_WITH_RESERVATIONS in allowed


def _applications_loaded():
    return (
        "application__product",
        "application__organisation",
        "application__referential_version__referential",
        "application__pathway",
        "application__pathology",
    )


def latest_verdicts_of(application_ids) -> dict[int, dict[int, ProofVerdict]]:
    """application id → proof id → its latest verdict in force (a proof deposited again since
    its verdict has none, R-EVD-2), in two queries."""
    return {
        application_id: verdicts.current
        for application_id, verdicts in proof_verdicts_of(application_ids).items()
    }


def with_certificate_number(decisions: QuerySet[Decision]) -> QuerySet[Decision]:
    """Each decision with the number of its application's latest certificate
    (`certificate_number`), in the same query: a list of decisions reads no more."""
    from guichet.certificates.models import Certificate

    latest = Certificate.objects.filter(application_id=OuterRef("application_id")).order_by(
        "-issued_on", "-id"
    )
    return decisions.annotate(certificate_number=Subquery(latest.values("number")[:1]))


def with_reservations(decisions: list[Decision], application_ids) -> None:
    """Each decision's reservations (`reservation_items.all()`), read in one query whatever the
    number of decisions — run even when there are none, so that a page reads as many queries
    before its first decision as after."""
    found: dict[int, list[Reservation]] = defaultdict(list)
    for reservation in Reservation.objects.filter(decision__application_id__in=application_ids):
        found[reservation.decision_id].append(reservation)
    for decision in decisions:
        items = decision.reservation_items.all()
        items._result_cache, items._prefetch_done = found[decision.pk], True
        decision._prefetched_objects_cache = {"reservation_items": items}


def agenda_rows(session: CommitteeSession, today: dt.date | None = None) -> list[AgendaRow]:
    """The session's agenda, each dossier with its verdicts, clock, convention and decision:
    a constant number of queries whatever its length (the versions' indexes are cached)."""
    items = list(
        session.agenda.select_related(*_applications_loaded(), "moved_to").order_by(
            "position", "id"
        )
    )
    applications = [item.application for item in items]
    ids = [a.pk for a in applications]
    latest = latest_verdicts_of(ids)
    clocks = clocks_for(applications, today or timezone.localdate())
    conventions = {c.application_id: c for c in Convention.objects.filter(application_id__in=ids)}
    loaded = {a.pk: a for a in applications}
    decisions: dict[int, list[Decision]] = defaultdict(list)
    for decision in with_certificate_number(
        Decision.objects.filter(application_id__in=ids).select_related(
            "signed_off_by", "recorded_by", "session"
        )
    ):
        decision.application = loaded[decision.application_id]
        decisions[decision.application_id].append(decision)
    with_reservations([d for listed in decisions.values() for d in listed], ids)
    rows = []
    for item in items:
        application = item.application
        proofs = applicable_proofs(application)
        summary = verdict_summary(application, proofs=proofs, latest=latest[application.pk])
        own = [d for d in decisions[application.pk] if d.session_id == session.pk]
        open_ = [d for d in decisions[application.pk] if not d.is_signed_off]
        convention = conventions.get(application.pk)
        row = AgendaRow(
            item=item,
            application=application,
            summary=summary,
            clock=clocks[application.pk],
            convention=convention,
            decision=(own or open_ or [None])[-1],
        )
        if row.to_decide:
            row.problems = {
                value: problem
                for value, _, _ in row.outcomes
                if (
                    problem := decision_problem(
                        application, value, summary=summary, convention=convention
                    )
                )
            }
            if row.offers_reservations and not row.silent:
                row.reservation_bound = reservation_bound(convention, session.date)
                row.proposed = proposed_reservations(
                    proofs,
                    latest[application.pk],
                    default_reservation_deadline(convention, session.date),
                )
        rows.append(row)
    return rows


def seated_members(session: CommitteeSession) -> list[SessionMember]:
    return list(session.members.select_related("user"))


# --- decisions of an application -------------------------------------------------------------


def decisions_of(application, user) -> list[Decision]:
    """The decisions `user` sees on an application, oldest first: the agency every one (those
    recorded and not yet signed off too), the applicant those signed off."""
    decisions = with_certificate_number(
        Decision.objects.filter(application=application)
        .select_related("session", "previous", "letter", "signed_off_by")
        .prefetch_related("reservation_items")
    )
    if not user.is_agency:
        decisions = decisions.filter(signed_off_at__isnull=False)
    return list(decisions.order_by("signed_off_at", "id"))


def latest_decision(application) -> Decision:
    """The latest signed-off decision (an appeal outcome follows the decision it names); 404
    before the first."""
    decision = (
        Decision.objects.filter(application=application, signed_off_at__isnull=False)
        .select_related("session", "previous", "letter")
        .order_by("-signed_off_at", "-id")
        .first()
    )
    if decision is None:
        raise Http404("Aucune décision du collège n'est encore arrêtée pour cette candidature.")
    return decision


def open_decision(application) -> Decision | None:
    """The decision recorded and not yet signed off (one at a time per dossier)."""
    return Decision.objects.filter(application=application, signed_off_at__isnull=True).first()


def current_agenda_item(application) -> AgendaItem | None:
    """Where the dossier waits for the collège: its latest agenda entry not moved away."""
    return (
        AgendaItem.objects.filter(application=application, moved_to__isnull=True)
        .select_related("session")
        .order_by("-session__date")
        .first()
    )


def silent_acceptance_deadline(application) -> dt.date | None:
    """R-CLK-7: the legal deadline that ran out, as the clock read it on the day the sweep
    recorded the silence (the decision is dated then)."""
    accepted_at = (
        ApplicationTransition.objects.filter(application=application, name="accept_silently")
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    day = timezone.localdate(accepted_at) if accepted_at else timezone.localdate()
    return clock_of(application, day).deadline


@extensions.file_source
def decision_letter(application, file_id) -> StoredFile | None:
    """The sealed letters of the application's decisions (R-DEC-3), served by applications:file."""
    rows = Decision.objects.filter(application=application)
    return extensions.referenced_file(rows, "letter", file_id)
