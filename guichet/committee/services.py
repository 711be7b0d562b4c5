"""The collège technique (R-DEC-1 … R-DEC-3, R-CLK-7): its weekly sessions and their members,
the agenda, the decisions and their letters.

DMN guide §5.3 and TLC guide §5.4 (« Collège technique »): after the instruction, a collège
« se tient de manière hebdomadaire et est composé de collaborateurs de l'ANS participant à
l'instruction du dossier de candidature, et éventuellement de ses partenaires (CNDA/GIE Sésam
Vitale/CNAM/HAS) » — the TLC guide names no HAS. It grants or refuses the certification; TLC
adds « attribution … sous réserve ». A decision is recorded (and may be corrected), then signed
off: signing off fires the application's transition (`grant`, `grant_with_reservations`,
`refuse`) and is final; only a new decision (an appeal outcome) that names it may follow. The
task worker then writes the letter, seals it with the agency's key and emails it to the contact
référent (R-DEC-3). TLC: a dossier accepted by silence (R-CLK-7) comes to the next session as
« acceptée tacitement » and gets a granted decision dated at the deadline that ran out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from guichet.accounts.models import User
from guichet.applications.clock import legal_today
from guichet.applications.models import DECIDED_STATES, Application, Status
from guichet.applications.notifications import notify_applicant, notify_instructors
from guichet.applications.workflow import WORKFLOW, transition
from guichet.committee import hooks, selectors
from guichet.committee.letters import exceptional_reasons, render_letter, reservation_lines
from guichet.committee.models import (
    AgendaItem,
    Body,
    CommitteeSession,
    Decision,
    Ground,
    Outcome,
    Reservation,
    SessionMember,
    SessionStatus,
    SignedOff,
)
from guichet.committee.selectors import (
    ISSUES_CERTIFICATE,
    PARTNERS,
    TO_DECIDE,
    TRANSITION_OF,
)
from guichet.common.errors import ApplicationError
from guichet.common.tasks import enqueue_on_commit
from guichet.common.text import ngettext
from guichet.conventions.models import Convention
from guichet.deadlines import french_date
from guichet.files.services import keep_generated
from guichet.instruction.proofs import applicable_proofs
from guichet.instruction.verdicts import verdict_summary
from guichet.journal.services import record
from guichet.signing.pdf import sealed_upload

REASONS_MAX_LENGTH = 20_000
RESERVATION_MAX_LENGTH = 2_000
MAX_RESERVATIONS = 50
MAX_WEEKS = 52
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")


def _refused(message: str, status: int, field: str | None = None) -> ApplicationError:
    return ApplicationError(message, field=field, extra={"status": status})


def _check_manager(by) -> None:
    refusal = selectors.manage_refusal(by)
    if refusal:
        raise _refused(refusal, 403)


def _name_of(user: User) -> str:
    return user.get_full_name() or user.email


# --- sessions and their members (R-DEC-1) --------------------------------------------------------


def _member_rows(session: CommitteeSession, members: Iterable[dict]) -> list[SessionMember]:
    """SessionMember rows from `{"user": User | id}` (an agent, with their account) or
    `{"name": …, "body": …}` (a partner, no account needed); every problem in French."""
    rows, errors, seen = [], {}, set()
    members = list(members or [])
    user_ids = [m["user"] if isinstance(m.get("user"), int) else None for m in members]
    agents = User.objects.in_bulk([pk for pk in user_ids if pk is not None])
    for index, member in enumerate(members):
        user = member.get("user")
        if user is not None:
            user = agents.get(user) if isinstance(user, int) else user
            if user is None or not user.is_agency:
                errors[f"members.{index}.user"] = [
                    "Seuls les agents actifs de l'agence siègent avec leur compte ; un partenaire "
                    "se désigne par son nom et son organisme."
                ]
                continue
            if user.pk in seen:
                continue
            seen.add(user.pk)
            rows.append(
                SessionMember(session=session, user=user, name=_name_of(user), body=Body.ANS)
            )
            continue
        name, body = (member.get("name") or "").strip(), (member.get("body") or "").strip()
        if not name or len(name) > 255:
            errors[f"members.{index}.name"] = [
                "Indiquez le nom du partenaire (255 caractères au plus)."
            ]
        if body not in PARTNERS:
            errors[f"members.{index}.body"] = [
                "Organisme du partenaire : "
                + ", ".join(f"« {b.value} » ({b.label})" for b in PARTNERS)
                + "."
            ]
        if name and len(name) <= 255 and body in PARTNERS:
            rows.append(SessionMember(session=session, name=name, body=body))
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(
            f"Membres refusés, rien n'a été enregistré : {first}",
            extra={"status": 400, "errors": errors},
        )
    return rows


def _internal(application: Application) -> dict:
    """The collège's preparation (agenda, decisions recorded and not yet signed off, votes,
    who sat) is the agency's: its journal entries name the dossier without entering the
    application's own journal, which its applicant reads. The sign-off is the application's
    transition, journaled there."""
    return {"application": application.pk, "reference": application.reference}


def _describe(member: SessionMember) -> str:
    return f"{member.name} ({member.get_body_display()})"


def _taken_day(existing: CommitteeSession) -> ApplicationError:
    """One session a day: the refusal names the session there (`session`: its id, for the
    page's link and the API's address)."""
    day = french_date(existing.date)
    if existing.status == SessionStatus.HELD:
        message = (
            f"La séance du collège du {day} est déjà tenue : ouvrez-la pour relire ses "
            "décisions, ou choisissez une autre date."
        )
    else:
        message = f"Une séance du collège est déjà prévue le {day} : ouvrez-la pour la compléter."
    return ApplicationError(message, field="date", extra={"status": 409, "session": existing.pk})


@transaction.atomic
def create_session(
    *, by, date: dt.date, members: Iterable[dict] = (), notes: str = ""
) -> CommitteeSession:
    """A session created ahead (R-DEC-1), with its members."""
    _check_manager(by)
    today = timezone.localdate()
    if date < today:
        raise _refused(
            "Une séance se prévoit à l'avance : choisissez une date à partir d'aujourd'hui "
            f"({french_date(today)}).",
            400,
            "date",
        )
    existing = selectors.session_on_day(date)
    if existing is not None:
        raise _taken_day(existing)
    try:
        with transaction.atomic():
            session = CommitteeSession.objects.create(
                date=date, created_by=by, notes=(notes or "").strip()
            )
    except IntegrityError:  # created at the same moment by someone else
        raise _taken_day(selectors.session_on_day(date)) from None
    seated = SessionMember.objects.bulk_create(_member_rows(session, members))
    record(
        action="committee.session_create",
        obj=session,
        by=by,
        after={"date": date.isoformat(), "members": [_describe(m) for m in seated]},
    )
    return session


def default_agents() -> list[User]:
    """Who a generated session seats: the collège's members (the instructors of its dossiers
    are proposed on its page once its agenda is known)."""
    from guichet.accounts.models import Role

    return list(
        User.objects.filter(role=Role.COMMITTEE, is_active=True).order_by("last_name", "email")
    )


def week_dates(*, weekday: int, weeks: int, today: dt.date | None = None) -> list[dt.date]:
    """The next `weeks` dates falling on `weekday` (0 = Monday), after today."""
    today = today or timezone.localdate()
    first = today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return [first + dt.timedelta(weeks=n) for n in range(weeks)]


@transaction.atomic
def generate_sessions(
    *, by, weekday: int, weeks: int, today: dt.date | None = None
) -> tuple[list[CommitteeSession], list[dt.date]]:
    """Weekly by default (both guides): the next `weeks` sessions on `weekday`, each seating the
    collège's members; a date that already has its session is skipped. Returns (created,
    skipped dates); one journal entry says both."""
    _check_manager(by)
    if weekday not in range(len(WEEKDAYS)):
        raise _refused(
            "Choisissez le jour de la semaine du collège, du lundi au vendredi.", 400, "weekday"
        )
    if not 1 <= weeks <= MAX_WEEKS:
        raise _refused(f"Indiquez un nombre de semaines de 1 à {MAX_WEEKS}.", 400, "weeks")
    dates = week_dates(weekday=weekday, weeks=weeks, today=today)
    existing = set(CommitteeSession.objects.filter(date__in=dates).values_list("date", flat=True))
    agents = default_agents()
    created = []
    for day in dates:
        if day in existing:
            continue
        session = CommitteeSession.objects.create(date=day, created_by=by)
        SessionMember.objects.bulk_create(
            _member_rows(session, [{"user": agent} for agent in agents])
        )
        created.append(session)
    skipped = sorted(existing)
    record(
        action="committee.sessions_generate",
        by=by,
        object_type="committee.committeesession",
        after={
            "weekday": WEEKDAYS[weekday],
            "weeks": weeks,
            "created": [s.date.isoformat() for s in created],
            "skipped": [day.isoformat() for day in skipped],
        },
    )
    return created, skipped


def _check_open(session: CommitteeSession) -> None:
    if session.status != SessionStatus.PLANNED:
        raise _refused(
            f"La séance du {french_date(session.date)} est tenue : sa composition et son ordre "
            "du jour ne changent plus.",
            409,
        )


@transaction.atomic
def add_members(session: CommitteeSession, *, by, members: Iterable[dict]) -> list[SessionMember]:
    """Seats agents (by account) and partners (by name and body); an agent already seated is
    not seated twice."""
    _check_manager(by)
    session = CommitteeSession.objects.select_for_update().get(pk=session.pk)
    _check_open(session)
    seated = set(session.members.exclude(user=None).values_list("user_id", flat=True))
    rows = [
        row
        for row in _member_rows(session, members)
        if row.user_id is None or row.user_id not in seated
    ]
    if not rows:
        raise _refused(
            "Aucun membre à ajouter : choisissez un agent ou indiquez un partenaire.", 400
        )
    SessionMember.objects.bulk_create(rows)
    record(
        action="committee.members_add",
        obj=session,
        by=by,
        after={"date": session.date.isoformat(), "members": [_describe(m) for m in rows]},
    )
    return rows


@transaction.atomic
def remove_member(session: CommitteeSession, *, by, member_id) -> None:
    _check_manager(by)
    session = CommitteeSession.objects.select_for_update().get(pk=session.pk)
    _check_open(session)
    member = session.members.filter(pk=member_id).first()
    if member is None:
        raise _refused("Ce membre ne siège pas à cette séance.", 404)
    member.delete()
    record(
        action="committee.member_remove",
        obj=session,
        by=by,
        before={"member": _describe(member)},
        after={"date": session.date.isoformat()},
    )


@transaction.atomic
def set_presence(session: CommitteeSession, *, by, present_ids: Iterable) -> list[SessionMember]:
    """Who sat: the members named in `present_ids` are present, the others absent."""
    _check_manager(by)
    session = CommitteeSession.objects.select_for_update().get(pk=session.pk)
    present = {str(pk) for pk in present_ids}
    members = list(session.members.all())
    unknown = present - {str(m.pk) for m in members}
    if unknown:
        raise _refused("Membre inconnu de cette séance : la présence n'a pas changé.", 400)
    changed = [m for m in members if m.present != (str(m.pk) in present)]
    for member in changed:
        member.present = not member.present
    SessionMember.objects.bulk_update(changed, ["present"])
    if changed:
        record(
            action="committee.presence",
            obj=session,
            by=by,
            after={
                "date": session.date.isoformat(),
                "present": [m.name for m in members if m.present],
                "absent": [m.name for m in members if not m.present],
            },
        )
    return members


# --- the agenda (R-DEC-1, R-CLK-7) --------------------------------------------------------------


def _renumber(session: CommitteeSession) -> None:
    """The agenda in the order the dossiers became complete (oldest first)."""
    items = list(
        session.agenda.select_related("application").order_by(
            "application__evidence_complete_at", "application_id"
        )
    )
    for position, item in enumerate(items, start=1):
        item.position = position
    AgendaItem.objects.bulk_update(items, ["position"])


def _schedule(session: CommitteeSession, application: Application, *, by) -> AgendaItem:
    """On the session's agenda: a new entry, or the dossier's entry there taken up again (it
    had been moved away, and its instruction finished anew)."""
    item, created = AgendaItem.objects.get_or_create(session=session, application=application)
    if not created:
        item.moved_to, item.moved_reason = None, ""
        item.save(update_fields=["moved_to", "moved_reason"])
    record(
        action="committee.agenda_add",
        obj=item,
        by=by,
        after={
            **_internal(application),
            "session": session.date.isoformat(),
            "state": application.status,
            # R-CLK-7: shown « acceptée tacitement » on the agenda.
            "silent_acceptance": application.status == Status.SILENTLY_ACCEPTED,
        },
    )
    return item


def _move_entry(item: AgendaItem, target: CommitteeSession, *, by, reason: str) -> None:
    """The entry keeps where the dossier went and why, in the journal too; a decision recorded
    and not signed off follows the dossier (dated at its new session, unless a silence dates
    it: R-CLK-7). The caller puts the dossier on the target's agenda."""
    item.moved_to, item.moved_reason = target, reason
    item.save(update_fields=["moved_to", "moved_reason"])
    for decision in Decision.objects.filter(
        application=item.application, session=item.session, signed_off_at__isnull=True
    ):
        decision.session = target
        if decision.ground == Ground.INSTRUCTION:
            decision.decided_on = target.date
        decision.save(update_fields=["session", "decided_on"])
    record(
        action="committee.agenda_move",
        obj=item,
        by=by,
        before={**_internal(item.application), "session": item.session.date.isoformat()},
        after={"session": target.date.isoformat(), "reason": reason},
    )


def _taking_reason(item: AgendaItem, target: CommitteeSession, today: dt.date) -> str:
    if item.session.date < today:
        return (
            f"La séance du {french_date(item.session.date)} est passée sans décider de ce "
            f"dossier : il est inscrit à celle du {french_date(target.date)}."
        )
    return (
        f"Avancé à la séance du {french_date(target.date)} : le collège prend les dossiers "
        "prêts à sa première séance."
    )


def _take(
    session: CommitteeSession, applications: list[Application], *, by, today: dt.date
) -> list[AgendaItem]:
    """R-DEC-1: the dossiers come to the session's agenda; those that waited on another
    session's agenda leave it, each move journaled with its reason."""
    for item in selectors.waiting_items(applications, session).select_for_update(of=("self",)):
        _move_entry(item, session, by=by, reason=_taking_reason(item, session, today))
    added = [_schedule(session, application, by=by) for application in applications]
    if added:
        _renumber(session)
    return added


@transaction.atomic
def fill_agenda(
    *, by, session: CommitteeSession | None = None, today: dt.date | None = None
) -> list[AgendaItem]:
    """Puts on the session's agenda (by default the next planned one) every dossier whose
    instruction is finished or that was accepted by silence, not yet decided, wherever it
    waits (`selectors.dossiers_for_agenda`: moved from a later session or from one gone by),
    oldest completion first (R-DEC-1)."""
    _check_manager(by)
    today = today or timezone.localdate()
    if session is None:
        session = selectors.next_planned_session(today=today)
        if session is None:
            raise _refused(
                "Aucune séance du collège n'est prévue : créez-en une, ou générez les prochaines "
                "semaines, puis remplissez son ordre du jour.",
                409,
            )
    session = CommitteeSession.objects.select_for_update().get(pk=session.pk)
    _check_open(session)
    if session.date < today:
        raise _refused(
            f"La séance du {french_date(session.date)} est passée : remplissez l'ordre du jour "
            "d'une séance à venir.",
            409,
        )
    taken = list(selectors.dossiers_for_agenda(session, today).select_for_update())
    return _take(session, taken, by=by, today=today)


def _schedule_on_next(application: Application, *, by, **_) -> dict:
    """A dossier ready for the collège goes to the next planned session's agenda at once, when
    there is one (else the agenda's « remplir » takes it later). The sweep's day is today for
    a silence it records."""
    today = legal_today()
    session = selectors.next_planned_session(today=today)
    if (
        session is None
        or AgendaItem.objects.filter(
            application=application, moved_to__isnull=True, session__date__gte=today
        ).exists()
    ):
        return {}
    _take(session, [application], by=by, today=today)
    return {"agenda": session.date.isoformat()}


WORKFLOW.effect("finish_instruction")(_schedule_on_next)
WORKFLOW.effect("accept_silently")(_schedule_on_next)


@WORKFLOW.effect("reopen_instruction")
def _off_the_agenda(application: Application, *, by, **_) -> dict:
    """An instruction taken up again leaves the agendas of the sessions still to be held."""
    items = AgendaItem.objects.filter(
        application=application, moved_to__isnull=True, session__status=SessionStatus.PLANNED
    ).select_related("session")
    removed = [item.session.date.isoformat() for item in items]
    if removed:
        AgendaItem.objects.filter(pk__in=[item.pk for item in items]).delete()
        return {"agenda_removed": removed}
    return {}


@transaction.atomic
def move_to_next_session(item: AgendaItem, *, by, reason: str) -> AgendaItem:
    """The agency puts a dossier off to the next session, with a reason: the entry keeps where
    it went and why; the dossier appears on the next session's agenda."""
    _check_manager(by)
    item = (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("session", "application")
        .get(pk=item.pk)
    )
    reason = (reason or "").strip()
    if not reason:
        raise _refused("Indiquez le motif du report au collège suivant.", 400, "reason")
    if item.moved_to_id is not None:
        raise _refused(
            f"Ce dossier est déjà reporté à la séance du {french_date(item.moved_to.date)}.", 409
        )
    if Decision.objects.filter(
        application=item.application, session=item.session, signed_off_at__isnull=False
    ).exists():
        raise _refused("La décision sur ce dossier est arrêtée : il ne se reporte plus.", 409)
    target = selectors.next_planned_session(after=item.session.date)
    if target is None:
        raise _refused(
            f"Aucune séance n'est prévue après le {french_date(item.session.date)} : créez-la "
            "(ou générez les prochaines semaines), puis reportez le dossier.",
            409,
        )
    _move_entry(item, target, by=by, reason=reason)
    AgendaItem.objects.get_or_create(session=target, application=item.application)
    _renumber(target)
    return item


# --- decisions (R-DEC-2, R-CLK-7) ------------------------------------------------------------------


@WORKFLOW.guard("grant")
def _grant_guard(application: Application) -> str | None:
    return _decision_guard(application, Outcome.GRANTED)


@WORKFLOW.guard("grant_with_reservations")
def _grant_with_reservations_guard(application: Application) -> str | None:
    return _decision_guard(application, Outcome.GRANTED_WITH_RESERVATIONS)


@WORKFLOW.guard("grant_exceptional")
def _grant_exceptional_guard(application: Application) -> str | None:
    return _decision_guard(application, Outcome.EXCEPTIONAL)


@WORKFLOW.guard("refuse")
def _refuse_guard(application: Application) -> str | None:
    return _decision_guard(application, Outcome.REFUSED)


def _decision_guard(application: Application, outcome: str) -> str | None:
    """R-DEC-2: the version allows the outcome; a grant needs every applicable proof
    conforme and, when the convention comes before the committee (TLC), the convention signed
    — except after a silence, which is acceptance (R-CLK-7)."""
    problem = selectors.outcome_problem(application, outcome)
    if problem or outcome == Outcome.REFUSED or application.status == Status.SILENTLY_ACCEPTED:
        return problem
    return selectors.decision_problem(
        application,
        outcome,
        summary=verdict_summary(application),
        convention=Convention.objects.filter(application=application).first(),
    )


def _clean_reasons(outcome: str, reasons: str, *, appeal: bool) -> str:
    reasons = (reasons or "").strip()
    if len(reasons) > REASONS_MAX_LENGTH:
        raise _refused(f"Les motifs dépassent {REASONS_MAX_LENGTH} caractères.", 400, "reasons")
    if appeal and not reasons:
        raise _refused(
            "Une décision sur recours énonce le recours (qui l'a formé, quand) et les motifs de "
            "la nouvelle décision.",
            400,
            "reasons",
        )
    if outcome == Outcome.REFUSED and not reasons:
        raise _refused(
            "Un refus énonce ses motifs (R-DEC-3) : dites au candidat pourquoi la certification "
            "n'est pas attribuée.",
            400,
            "reasons",
        )
    return reasons


def _reservation_deadline(value, *, index: int, decided_on: dt.date, bound: dt.date) -> dt.date:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise _refused(
                f"Réserve {index} : l'échéance s'écrit comme une date (AAAA-MM-JJ).",
                400,
                "reservations",
            ) from None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise _refused(f"Réserve {index} : indiquez son échéance.", 400, "reservations")
    if value <= decided_on:
        raise _refused(
            f"Réserve {index} : l'échéance suit la décision du {french_date(decided_on)} ; "
            "choisissez une date après celle-ci.",
            400,
            "reservations",
        )
    if value > bound:
        raise _refused(
            f"Réserve {index} : l'échéance ne dépasse pas la durée de vie du certificat, "
            f"valable jusqu'au {french_date(bound)} ; choisissez une date jusqu'à celle-ci.",
            400,
            "reservations",
        )
    return value


def _clean_reservations(
    outcome: str, reservations, *, application: Application, decided_on: dt.date
) -> list[dict]:
    """R-DEC-2 (TLC guide §5.4): each reservation of an « attribution sous réserve » is a text,
    its deadline (by default six months, within the certificate's life) and, when it comes
    from a proof found non conforme, that proof. A reservation is a text, or
    `{"text", "deadline", "proof"}`; a blank text is left out."""
    rows = []
    for entry in reservations or []:
        entry = entry if isinstance(entry, dict) else {"text": entry}
        text = str(entry.get("text") or "").strip()
        if text:
            rows.append({**entry, "text": text})
    if outcome != Outcome.GRANTED_WITH_RESERVATIONS:
        if rows:
            raise _refused(
                "Seule une attribution sous réserve porte des réserves : choisissez cette "
                "décision ou retirez les réserves.",
                400,
                "reservations",
            )
        return []
    if not rows:
        raise _refused(
            "Une attribution sous réserve liste ses réserves, une par ligne.",
            400,
            "reservations",
        )
    if len(rows) > MAX_RESERVATIONS or any(
        len(row["text"]) > RESERVATION_MAX_LENGTH for row in rows
    ):
        raise _refused(
            f"Au plus {MAX_RESERVATIONS} réserves de {RESERVATION_MAX_LENGTH} caractères chacune.",
            400,
            "reservations",
        )
    convention = Convention.objects.filter(application=application).first()
    bound = selectors.reservation_bound(convention, decided_on)
    default = selectors.default_reservation_deadline(convention, decided_on)
    proofs = None
    cleaned = []
    for index, row in enumerate(rows, start=1):
        deadline = row.get("deadline")
        proof = row.get("proof")
        if proof not in (None, ""):
            if proofs is None:
                proofs = applicable_proofs(application)
            try:
                proof = int(proof)
            except (TypeError, ValueError):
                proof = None
            if proof not in proofs:
                raise _refused(
                    f"Réserve {index} : la preuve désignée n'est pas une preuve applicable de "
                    "ce dossier.",
                    400,
                    "reservations",
                )
        cleaned.append(
            {
                "text": row["text"],
                "deadline": default
                if deadline in (None, "")
                else _reservation_deadline(
                    deadline, index=index, decided_on=decided_on, bound=bound
                ),
                "proof": proof or None,
            }
        )
    return cleaned


def _keep_reservations(decision: Decision, cleaned: list[dict]) -> None:
    """The decision's reservations as rows, replaced while it is recorded and not signed off."""
    Reservation.objects.filter(decision=decision).delete()
    Reservation.objects.bulk_create(
        Reservation(
            decision=decision,
            position=position,
            text=row["text"],
            deadline=row["deadline"],
            proof_id=row["proof"],
        )
        for position, row in enumerate(cleaned, start=1)
    )


def reservation_data(reservation: Reservation) -> dict:
    return {
        "text": reservation.text,
        "deadline": reservation.deadline.isoformat(),
        **({"proof": reservation.proof_id} if reservation.proof_id else {}),
    }


def _clean_votes(votes_for: int, votes_against: int, abstentions: int, present: list) -> None:
    if min(votes_for, votes_against, abstentions) < 0:
        raise _refused("Les voix se comptent en nombres entiers positifs ou nuls.", 400, "votes")
    if present and votes_for + votes_against + abstentions > len(present):
        raise _refused(
            ngettext(
                "%(votes)d voix pour %(n)d membre présent : corrigez le vote ou la présence.",
                "%(votes)d voix pour %(n)d membres présents : corrigez le vote ou la présence.",
                len(present),
            )
            % {"votes": votes_for + votes_against + abstentions, "n": len(present)},
            400,
            "votes",
        )


def _present(session: CommitteeSession, member_ids) -> list[dict]:
    members = list(session.members.all())
    if member_ids is None:
        chosen = [m for m in members if m.present]
    else:
        wanted = {str(pk) for pk in member_ids}
        chosen = [m for m in members if str(m.pk) in wanted]
        if len(chosen) != len(wanted):
            raise _refused(
                "Membre présent inconnu : choisissez parmi les membres de la séance.",
                400,
                "members_present",
            )
    return [{"id": m.pk, "name": m.name, "body": m.body} for m in chosen]


def _refusal_of(application: Application, outcome: str, by) -> None:
    """The workflow's word on the transition now (who, state, guards): its French reason."""
    refusal = WORKFLOW.refusal(application, WORKFLOW.get(TRANSITION_OF[outcome]), by)
    if refusal is not None:
        raise refusal


def _outcome(outcome: str) -> str:
    if outcome not in Outcome.values:
        raise _refused(
            "Décision inconnue : « granted » (attribution), « granted_with_reservations » "
            "(attribution sous réserve), « refused » (refus) ou « exceptional » (certificat "
            "exceptionnel).",
            400,
            "outcome",
        )
    return outcome


def _save_open(application: Application, values: dict, *, by) -> Decision:
    """One decision recorded and not signed off per dossier at a time: created, or updated;
    its reservations (`values["reservations"]`: cleaned, with their deadlines) kept as rows."""
    cleaned = values["reservations"]
    values = {**values, "reservations": [row["text"] for row in cleaned]}
    decision = (
        Decision.objects.select_for_update()
        .filter(application=application, signed_off_at__isnull=True)
        .first()
    )
    if decision is None:
        decision = Decision(application=application, recorded_by=by, **values)
    else:
        for name, value in values.items():
            setattr(decision, name, value)
        decision.recorded_by = by
    decision.save()
    _keep_reservations(decision, cleaned)
    return decision


def _decision_data(decision: Decision) -> dict:
    return {
        "decision": decision.pk,
        "outcome": decision.outcome,
        "ground": decision.ground,
        "decided_on": decision.decided_on.isoformat(),
        "reasons": decision.reasons,
        "reservations": decision.reservations,
        **(
            {"reservation_items": [reservation_data(r) for r in decision.reservation_items.all()]}
            if decision.reservations
            else {}
        ),
        **({"previous": decision.previous_id} if decision.previous_id else {}),
        **({"session": decision.session.date.isoformat()} if decision.session_id else {}),
    }


@transaction.atomic
def record_decision(
    *,
    by,
    session: CommitteeSession,
    application: Application,
    outcome: str,
    reasons: str = "",
    reservations: Iterable[str | dict] = (),
    votes_for: int = 0,
    votes_against: int = 0,
    abstentions: int = 0,
    members_present: Iterable | None = None,
) -> Decision:
    """Records (or corrects) the collège's decision on a dossier of the session's agenda; it is
    final once signed off (`sign_off`). R-CLK-7: on a dossier accepted by silence the decision
    is an attribution, on the ground of the silence, dated at the deadline that ran out."""
    _check_manager(by)
    application = Application.objects.select_for_update().get(pk=application.pk)
    on_agenda = AgendaItem.objects.filter(
        session=session, application=application, moved_to__isnull=True
    ).exists()
    if not on_agenda:
        raise _refused(
            f"Le dossier {application.reference} n'est pas à l'ordre du jour de la séance du "
            f"{french_date(session.date)} : inscrivez-le (ou ouvrez la séance où il est "
            "inscrit).",
            409,
        )
    if application.status not in TO_DECIDE:
        raise _refused(
            f"Le dossier {application.reference} est « {application.get_status_display()} » : le "
            "collège décide d'une instruction terminée ou d'une acceptation tacite ; une "
            "décision arrêtée n'est suivie que d'une décision sur recours.",
            409,
        )
    outcome = _outcome(outcome)
    _refusal_of(application, outcome, by)
    silent = application.status == Status.SILENTLY_ACCEPTED
    reasons = _clean_reasons(outcome, reasons, appeal=False)
    present = _present(session, members_present)
    _clean_votes(votes_for, votes_against, abstentions, present)
    decided_on = selectors.silent_acceptance_deadline(application) if silent else session.date
    decision = _save_open(
        application,
        {
            "session": session,
            "outcome": outcome,
            "ground": Ground.SILENT_ACCEPTANCE if silent else Ground.INSTRUCTION,
            "reasons": reasons,
            "reservations": _clean_reservations(
                outcome, reservations, application=application, decided_on=decided_on
            ),
            "decided_on": decided_on,
            "votes_for": votes_for,
            "votes_against": votes_against,
            "abstentions": abstentions,
            "members_present": present,
            "previous": None,
        },
        by=by,
    )
    record(
        action="committee.decision_record",
        obj=decision,
        by=by,
        after={
            **_internal(application),
            **_decision_data(decision),
            "votes": [votes_for, votes_against, abstentions],
            "members_present": [m["name"] for m in present],
        },
    )
    return decision


@transaction.atomic
def record_appeal_decision(
    *,
    by,
    application: Application,
    outcome: str,
    reasons: str,
    reservations: Iterable[str | dict] = (),
    decided_on: dt.date | None = None,
) -> Decision:
    """A new decision on a decided dossier, on appeal: it names the decision it follows (the
    latest signed off), states the appeal and its reasons; signed off like any other."""
    _check_manager(by)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status not in DECIDED_STATES:
        raise _refused(
            "Une décision sur recours suit une décision arrêtée : le dossier est "
            f"« {application.get_status_display()} ».",
            409,
        )
    previous = (
        Decision.objects.filter(application=application, signed_off_at__isnull=False)
        .order_by("-signed_off_at", "-id")
        .first()
    )
    today = timezone.localdate()
    decided_on = decided_on or today
    if previous is not None and decided_on < previous.decided_on:
        raise _refused(
            f"La décision sur recours suit celle du {french_date(previous.decided_on)} : "
            "choisissez une date à partir de celle-ci.",
            400,
            "decided_on",
        )
    if decided_on > today:
        raise _refused("Une décision ne se date pas dans le futur.", 400, "decided_on")
    outcome = _outcome(outcome)
    _refusal_of(application, outcome, by)
    decision = _save_open(
        application,
        {
            "session": None,
            "outcome": outcome,
            "ground": Ground.APPEAL,
            "reasons": _clean_reasons(outcome, reasons, appeal=True),
            "reservations": _clean_reservations(
                outcome, reservations, application=application, decided_on=decided_on
            ),
            "decided_on": decided_on,
            "votes_for": 0,
            "votes_against": 0,
            "abstentions": 0,
            "members_present": [],
            "previous": previous,
        },
        by=by,
    )
    record(
        action="committee.decision_record",
        obj=decision,
        by=by,
        after={**_internal(application), **_decision_data(decision)},
    )
    return decision


@transaction.atomic
def sign_off(decision: Decision, *, by) -> Decision:
    """Final (R-DEC-2): fires the application's transition, after which the decision is never
    edited; the task worker writes, seals and sends its letter (R-DEC-3)."""
    _check_manager(by)
    decision = (
        Decision.objects.select_for_update(of=("self",))
        .select_related("session")
        .get(pk=decision.pk)
    )
    if decision.is_signed_off:
        raise SignedOff
    session = decision.session
    if session is not None:
        if session.date > timezone.localdate():
            raise _refused(
                f"La séance du {french_date(session.date)} n'a pas encore eu lieu : la décision "
                "s'arrête en séance, à partir de ce jour-là.",
                409,
            )
        if not AgendaItem.objects.filter(
            session=session, application_id=decision.application_id, moved_to__isnull=True
        ).exists():
            raise _refused("Ce dossier n'est plus à l'ordre du jour de cette séance.", 409)
        if decision.ground == Ground.INSTRUCTION:
            if not decision.members_present:
                raise _refused(
                    "Indiquez les membres présents : la décision est celle du collège réuni.",
                    409,
                    "members_present",
                )
            if decision.votes_for <= decision.votes_against:
                raise _refused(
                    f"La décision n'est pas adoptée : {decision.votes_for} voix pour, "
                    f"{decision.votes_against} contre. Corrigez le vote ou la décision.",
                    409,
                    "votes",
                )
    application = Application.objects.get(pk=decision.application_id)
    transition(
        application,
        TRANSITION_OF[decision.outcome],
        by=by,
        reason=decision.reasons,
        decision=decision,
    )
    decision.refresh_from_db()
    return decision


def _signed_off(application: Application, *, by, reason, source, decision=None, **_) -> dict:
    """The transition's effect: the decision is signed off, its session held; a grant calls
    the certificate's hook; the letter is written after the commit."""
    from guichet.committee import tasks

    if decision is None:
        raise _refused(
            "La décision du collège s'enregistre puis s'arrête sur la page de sa séance (sur "
            "recours : sur la page de la candidature).",
            409,
        )
    decision.signed_off_by, decision.signed_off_at = by, timezone.now()
    decision.save(update_fields=["signed_off_by", "signed_off_at"])
    if decision.session_id:
        CommitteeSession.objects.filter(
            pk=decision.session_id, status=SessionStatus.PLANNED
        ).update(status=SessionStatus.HELD)
    details = _decision_data(decision)
    if decision.outcome in ISSUES_CERTIFICATE:
        details |= hooks.issue_certificate(decision)
    notify_instructors(
        application,
        "décision du collège technique",
        f"Décision du {french_date(decision.decided_on)} : {decision.get_outcome_display()}"
        f" ({decision.get_ground_display().lower()}). La lettre de décision est envoyée au "
        "candidat.",
        kind="decision",
    )
    enqueue_on_commit(tasks.produce_decision_letter, decision.pk)
    return details


for _name in TRANSITION_OF.values():
    WORKFLOW.effect(_name)(_signed_off)


# --- the letter (R-DEC-3), by the task worker -------------------------------------------------


def _application_for_letter(application_id: int) -> Application:
    return Application.objects.select_related(
        "organisation", "product", "referential_version__referential", "pathway", "pathology"
    ).get(pk=application_id)


def produce_letter(decision_id: int) -> Decision:
    """The task worker's part: the letter, sealed by the agency's certificate (PAdES), kept as
    a file of the application, then emailed to the contact référent. Idempotent."""
    decision = Decision.objects.select_related("session", "previous", "signed_off_by").get(
        pk=decision_id
    )
    if decision.letter_id is not None or not decision.is_signed_off:
        return decision
    application = _application_for_letter(decision.application_id)
    upload = sealed_upload(
        render_letter(decision, application),
        f"decision-{application.reference}-{decision.decided_on.isoformat()}.pdf",
        name="Agence du numérique en santé",
        reason=f"Décision du collège technique sur la candidature {application.reference}",
    )
    with transaction.atomic():
        decision, stored = keep_generated(
            Decision, decision_id, "letter", upload, by=decision.signed_off_by
        )
        if stored is None:
            return decision
        record(
            action="committee.letter",
            obj=decision,
            by=decision.signed_off_by,
            application_id=application.pk,
            after={"decision": decision.pk, "sha256": stored.sha256},
        )
        notify_applicant(
            application,
            f"décision du collège technique : {decision.get_outcome_display().lower()}",
            _notice_text(decision, application),
            kind="decision",
            legal=True,
            attachments=(stored.pk,),
        )
    return decision


def _notice_text(decision: Decision, application: Application) -> str:
    text = (
        f"Le collège technique de l'Agence du numérique en santé a rendu sa décision, datée du "
        f"{french_date(decision.decided_on)}, sur la certification de "
        f"{application.product.name} {application.product_version} : "
        f"{decision.get_outcome_display().lower()}."
    )
    if decision.ground == Ground.SILENT_ACCEPTANCE:
        text += (
            " Le délai légal de décision avait expiré : le silence de l'agence vaut acceptation "
            "de votre demande."
        )
    if decision.reservations:
        text += ngettext(
            " Elle est assortie de %(n)d réserve, à lever avant son échéance :",
            " Elle est assortie de %(n)d réserves, chacune à lever avant son échéance :",
            len(decision.reservations),
        ) % {"n": len(decision.reservations)}
        text += "".join(f"\n- {line}" for line in reservation_lines(decision)) + "\n"
    if decision.outcome == Outcome.EXCEPTIONAL:
        text += " " + exceptional_reasons(application)
    text += " La lettre de décision, scellée par l'agence, est jointe et figure sur la page de la candidature"
    if application.referential_version.process_settings.appeal_routes_in_letter:
        text += " ; elle indique ses motifs ainsi que les voies et délais de recours."
    else:
        text += " ; elle indique ses motifs."
    return text
