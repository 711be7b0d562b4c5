"""Open dossiers for the benches, written fast with raw SQL INSERTs (a bench, not a test: the
application's state is written by the workflow only, which would take hours for 100,000).

Each dossier is one application row (DMN or TLC, from « dossier complet » to « instruction
terminée »), its transition log (complete, then assign, then a request, a missing-items notice
or the end of instruction) and the journal entries of those moves (the agency's with their
author), dated within the last 70 days so that the clocks run, stop, and some are overdue —
without anything for the sweep to fire (no TLC past its 6 months, no missing items past their
date): the figures are those of reading and computing, the daily work.

`build_decided` adds dossiers the collège decided (granted, refused, TLC granted with
reservations) over the last 13 months: their transition log (complete, assign, sometimes an
information request and its answer, the end of instruction, the decision), the weekly held
sessions of the collège, each dossier on the agenda of the session that decided it (one in ten
moved there from the session before), and its decision."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import connection, transaction
from django.utils import timezone

STEPS = {
    # status: the transitions after `complete` (name, source, target)
    "complete": [],
    "in_instruction": [("assign", "complete", "in_instruction")],
    "information_requested": [
        ("assign", "complete", "in_instruction"),
        ("request_information", "in_instruction", "information_requested"),
    ],
    "missing_items": [
        ("assign", "complete", "in_instruction"),
        ("request_missing_items", "in_instruction", "missing_items"),
    ],
    "instruction_finished": [
        ("assign", "complete", "in_instruction"),
        ("finish_instruction", "in_instruction", "instruction_finished"),
    ],
}
ORDER = list(STEPS)


def _stamp(moment: dt.datetime) -> str:
    """As Django stores an aware datetime in SQLite: UTC, without offset."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def cast() -> dict:
    """The organisation, its product and Responsable habilité, and an instructor."""
    from guichet.accounts.models import Organisation, Role, User
    from guichet.applications.models import Product

    organisation = Organisation.objects.create(name="Banc d'essai", siren="732829320")
    return {
        "organisation": organisation,
        "applicant": User.objects.create_user(
            email="banc@essai.fr",
            password="x",
            role=Role.APPLICANT_ADMIN,
            organisation=organisation,
        ),
        "instructor": User.objects.create_user(
            email="instructeur@banc.test", password="x", role=Role.INSTRUCTOR
        ),
        "product": Product.objects.create(organisation=organisation, name="Produit du banc"),
    }


def build(
    count: int, *, today: dt.date | None = None, people: dict | None = None, chunk: int = 5000
) -> dict:
    """`count` more open dossiers of one organisation (`people`: the cast of an earlier call,
    else a new one); returns the cast."""
    from guichet.accounts.models import Role
    from guichet.referentials.models import Pathway, ReferentialVersion

    today = today or timezone.localdate()
    people = people or cast()
    organisation, instructor, product = (
        people["organisation"],
        people["instructor"],
        people["product"],
    )
    versions = {
        code: ReferentialVersion.objects.filter(referential__code=code).order_by("-id").first()
        for code in ("DMN", "TLC")
    }
    pathways = {
        code: Pathway.objects.filter(referential__code=code).order_by("position").first()
        for code in ("DMN", "TLC")
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM applications_application")
        first_id = cursor.fetchone()[0] + 1
    noon = dt.time(12, 0)
    paris = timezone.get_current_timezone()
    for start in range(0, count, chunk):
        applications, transitions, journal = [], [], []
        for i in range(start, min(start + chunk, count)):
            pk = first_id + i
            code = "TLC" if i % 10 < 3 else "DMN"
            status = ORDER[i % len(ORDER)]
            complete_on = today - dt.timedelta(days=i % 70)
            complete_at = dt.datetime.combine(complete_on, noon, tzinfo=paris)
            applications.append(
                (
                    pk,
                    f"BANC-{pk:07d}",
                    organisation.pk,
                    product.pk,
                    str(pk),
                    versions[code].pk,
                    pathways[code].pk,
                    status,
                    _stamp(complete_at),
                    _stamp(complete_at),
                    _stamp(complete_at),
                )
            )
            moves = [("complete", "admissible", "complete", None, complete_at, None)]
            for step, (name, source, target) in enumerate(STEPS[status], start=1):
                at = complete_at + dt.timedelta(days=2 * step)
                due = today + dt.timedelta(days=30) if name == "request_missing_items" else None
                moves.append((name, source, target, instructor.pk, at, due))
            for name, source, target, by, at, due in moves:
                transitions.append((pk, name, source, target, by, _stamp(at), due and str(due)))
                digest = hashlib.sha256(f"{pk}-{name}".encode()).hexdigest()
                journal.append(
                    (
                        _stamp(at),
                        by,
                        "instructeur@banc.test" if by else "",
                        Role.INSTRUCTOR if by else "",
                        str(organisation.pk),
                        f"instruction.{name}",
                        "applications.application",
                        str(pk),
                        str(pk),
                        digest,
                        digest,
                    )
                )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO applications_application (id, reference, organisation_id, "
                "product_id, product_version, referential_version_id, pathway_id, status, form, "
                "answers, profiles, is_group, group_members, created_at, updated_at, "
                "review_round, decision_reasons, evidence_complete_at) VALUES (%s, %s, %s, %s, "
                "%s, %s, %s, %s, '{}', '{}', '[]', false, '[]', %s, %s, 0, '', %s)",
                applications,
            )
            cursor.executemany(
                "INSERT INTO applications_applicationtransition (application_id, name, source, "
                "target, by_id, at, reason, due) VALUES (%s, %s, %s, %s, %s, %s, '', %s)",
                transitions,
            )
            cursor.executemany(
                "INSERT INTO journal_journalentry (created_at, actor_id, actor_email, actor_role, "
                "organisation, action, object_type, object_id, application_id, request_id, "
                "previous_hash, hash, key_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '', "
                "%s, %s, '')",
                journal,
            )
    return people


DECISIONS = {
    # outcome: (transition, target)
    "granted": ("grant", "granted"),
    "refused": ("refuse", "refused"),
    "granted_with_reservations": ("grant_with_reservations", "granted_with_reservations"),
}


def _sessions(today: dt.date, weeks: int, by_id: int) -> dict[dt.date, int]:
    """The weekly held sessions (Thursdays) of the last `weeks` weeks, created once."""
    last = today - dt.timedelta(days=(today.weekday() - 3) % 7)
    days = [last - dt.timedelta(weeks=week) for week in range(weeks + 1)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT date, id FROM committee_committeesession")
        known = {dt.date.fromisoformat(str(day)): pk for day, pk in cursor.fetchall()}
        missing = [day for day in days if day not in known]
        cursor.executemany(
            "INSERT INTO committee_committeesession (date, status, notes, created_by_id, "
            "created_at) VALUES (%s, 'held', '', %s, %s)",
            [(str(day), by_id, _stamp(timezone.now())) for day in missing],
        )
        cursor.execute("SELECT date, id FROM committee_committeesession")
        return {dt.date.fromisoformat(str(day)): pk for day, pk in cursor.fetchall()}


def build_decided(
    count: int, *, today: dt.date | None = None, people: dict, chunk: int = 5000
) -> dict:
    """`count` more decided dossiers of the cast's organisation (see the module)."""
    from guichet.referentials.models import Pathway, ReferentialVersion

    today = today or timezone.localdate()
    organisation, instructor, product = (
        people["organisation"],
        people["instructor"],
        people["product"],
    )
    versions = {
        code: ReferentialVersion.objects.filter(referential__code=code).order_by("-id").first()
        for code in ("DMN", "TLC")
    }
    pathways = {
        code: Pathway.objects.filter(referential__code=code).order_by("position").first()
        for code in ("DMN", "TLC")
    }
    weeks = 57  # a little over 12 months: the oldest fall outside the dashboard's window
    sessions = _sessions(today, weeks, instructor.pk)
    thursdays = sorted(sessions, reverse=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM applications_application")
        first_id = cursor.fetchone()[0] + 1
    paris = timezone.get_current_timezone()
    added = _stamp(timezone.now())

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(12, 0), tzinfo=paris)

    for start in range(0, count, chunk):
        applications, transitions, agenda, decisions = [], [], [], []
        for i in range(start, min(start + chunk, count)):
            pk = first_id + i
            code = "TLC" if i % 10 < 3 else "DMN"
            if i % 5 == 0:
                outcome = "refused"
            elif code == "TLC" and i % 5 == 1:
                outcome = "granted_with_reservations"
            else:
                outcome = "granted"
            name, target = DECISIONS[outcome]
            week = i % weeks
            decided_on = thursdays[week]
            complete_on = decided_on - dt.timedelta(days=20 + (i * 7) % 170)

            complete_at = at(complete_on)
            applications.append(
                (
                    pk,
                    f"BANC-{pk:07d}",
                    organisation.pk,
                    product.pk,
                    str(pk),
                    versions[code].pk,
                    pathways[code].pk,
                    target,
                    _stamp(complete_at),
                    _stamp(at(decided_on)),
                    _stamp(complete_at),
                )
            )
            moves = [
                ("complete", "admissible", "complete", None, complete_at),
                ("assign", "complete", "in_instruction", instructor.pk, at(complete_on)),
            ]
            if i % 3 == 0:
                asked = complete_on + dt.timedelta(days=5)
                moves += [
                    (
                        "request_information",
                        "in_instruction",
                        "information_requested",
                        instructor.pk,
                        at(asked),
                    ),
                    (
                        "answer_information",
                        "information_requested",
                        "in_instruction",
                        None,
                        at(asked + dt.timedelta(days=10)),
                    ),
                ]
            finished = max(decided_on - dt.timedelta(days=3), complete_on + dt.timedelta(days=1))
            moves += [
                (
                    "finish_instruction",
                    "in_instruction",
                    "instruction_finished",
                    instructor.pk,
                    at(finished),
                ),
                (name, "instruction_finished", target, instructor.pk, at(decided_on)),
            ]
            transitions += [
                (pk, move, source, to, by, _stamp(moment), None)
                for move, source, to, by, moment in moves
            ]
            session = sessions[decided_on]
            agenda.append((session, pk, i % 40, added, None, ""))
            if i % 10 == 9 and week + 1 < len(thursdays):
                agenda.append(
                    (
                        sessions[thursdays[week + 1]],
                        pk,
                        i % 40,
                        added,
                        session,
                        "Avis d'un partenaire",
                    )
                )
            decisions.append(
                (
                    pk,
                    session,
                    outcome,
                    "Exigences non satisfaites." if outcome == "refused" else "",
                    '["Réserve levée sous 3 mois"]'
                    if outcome == "granted_with_reservations"
                    else "[]",
                    str(decided_on),
                    instructor.pk,
                    _stamp(at(decided_on)),
                    instructor.pk,
                    _stamp(at(decided_on)),
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO applications_application (id, reference, organisation_id, "
                "product_id, product_version, referential_version_id, pathway_id, status, form, "
                "answers, profiles, is_group, group_members, created_at, updated_at, "
                "review_round, decision_reasons, evidence_complete_at) VALUES (%s, %s, %s, %s, "
                "%s, %s, %s, %s, '{}', '{}', '[]', false, '[]', %s, %s, 0, '', %s)",
                applications,
            )
            cursor.executemany(
                "INSERT INTO applications_applicationtransition (application_id, name, source, "
                "target, by_id, at, reason, due) VALUES (%s, %s, %s, %s, %s, %s, '', %s)",
                transitions,
            )
            cursor.executemany(
                "INSERT INTO committee_agendaitem (session_id, application_id, position, "
                "added_at, moved_to_id, moved_reason) VALUES (%s, %s, %s, %s, %s, %s)",
                agenda,
            )
            cursor.executemany(
                "INSERT INTO committee_decision (application_id, session_id, outcome, ground, "
                "reasons, reservations, decided_on, votes_for, votes_against, abstentions, "
                "members_present, recorded_by_id, recorded_at, signed_off_by_id, signed_off_at) "
                "VALUES (%s, %s, %s, 'instruction', %s, %s, %s, 5, 0, 0, '[]', %s, %s, %s, %s)",
                decisions,
            )
    return people
