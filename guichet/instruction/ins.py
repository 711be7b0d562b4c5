"""The INS test day (R-CLK-8; DMN and TLC guides §5.2).

« Pour les exigences INS, … les preuves correspondant aux scénarios de tests de conformité
pourront être analysées lors d'une journée de tests du logiciel avec le candidat … L'organisation
de cette journée de test dans les 4 semaines suivant le dépôt de l'ensemble des preuves … incombe
à l'Exploitant [l'ENS] … L'ANS supervise le bon déroulé des scénarios de tests et documente
l'atteinte ou non des résultats. »

So: an application has a test day when its applicable requirements include scenarios of the
version's INS section (`process_settings.ins_section`); once every proof is deposited (the
dossier complete, `evidence_complete_at`), the applicant proposes the day, within
`process_settings.ins_test_day_weeks` weeks of that date, and may move it until the day; from
the day on, the application's instructor records each scenario's outcome. This is no state of
the application: nothing here fires a transition; every act is journaled. The test day is part
of the instruction all the same: it cannot finish while a scenario has no outcome.

The day is organised « en coordination avec l'ANS » (guides §5.2): the agency confirms the
applicant's date or proposes another, which the applicant accepts or moves again
(`InsTestDay.agreement`); on the day or after, the instructor records who attended (an agency
representative, possibly an external expert, the applicant's participants) and the test
environment. A scenario's outcome is the verdict on its INS proofs (conforme / non conforme),
given through the verdicts service, so that the instruction, the collège and the guard read one
source of truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from guichet.applications import extensions
from guichet.applications.models import INSTRUCTION_STATES, Application, Status
from guichet.applications.notifications import notify_applicant, notify_instructors
from guichet.applications.services import DESCRIPTION_MAX_LENGTH, require_owner
from guichet.applications.workflow import WORKFLOW, is_instructor_of
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.deadlines import french_date

# The verdicts' guard registers first: the instruction's end names the proofs to judge before
# the test day's outcomes (one reason at a time).
from guichet.instruction import verdicts  # noqa: F401
from guichet.instruction.models import (
    AttendeeSide,
    DayAgreement,
    InsScenarioResult,
    InsTestDay,
    ProofOpinion,
    ScenarioOutcome,
)
from guichet.journal.services import record
from guichet.referentials.selectors import ScenarioData, applicable_requirements

# Before the dossier is complete, the applicant learns what the day will ask.
BEFORE_COMPLETE = (Status.DRAFT, Status.SUBMITTED, Status.TO_FIX, Status.ADMISSIBLE)
# From the complete dossier to the end of the instruction: the day is planned and held (not
# before « le dépôt de l'ensemble des preuves », not after the decision).
OPEN_STATES = (Status.COMPLETE, *INSTRUCTION_STATES)

TEXT_MAX_LENGTH = DESCRIPTION_MAX_LENGTH
# The outcomes are the verdicts on the INS proofs: recorded while verdicts may be given, and
# from the complete dossier on (the day may come before the assignment); not once the
# instruction is finished, when the verdicts no longer change.
RESULT_STATES = (Status.COMPLETE, *verdicts.VERDICT_STATES)
# Who attended: a name and a role each, a few dozen people at most.
ATTENDEE_TEXT_MAX_LENGTH = 200
ATTENDEES_MAX = 30
OUTCOME_OPINION = {
    ScenarioOutcome.PASSED: ProofOpinion.CONFORME,
    ScenarioOutcome.FAILED: ProofOpinion.NON_CONFORME,
}


# --- reads ---------------------------------------------------------------------------------------


def ins_scenarios(application: Application) -> list[ScenarioData]:
    """The applicable scenarios of the version's INS section, in the version's order: those the
    test day reviews (empty: the application has no test day)."""
    version = application.referential_version
    section = version.process_settings.ins_section
    if not section:
        return []
    return [
        scenario
        for requirement in applicable_requirements(
            version,
            application.profiles or [],
            application.claimed_pathologies,
            since=application.evidence_since,
        )
        if requirement.section.code == section
        for scenario in requirement.scenarios
    ]


def complete_on(application: Application) -> dt.date | None:
    """The legal day every proof was deposited (the dossier complete), in Paris."""
    if application.evidence_complete_at is None:
        return None
    return timezone.localdate(application.evidence_complete_at)


def last_test_day(application: Application) -> dt.date | None:
    """The last day the test day may be held: N weeks after every proof was deposited."""
    start = complete_on(application)
    if start is None:
        return None
    weeks = application.referential_version.process_settings.ins_test_day_weeks
    return start + dt.timedelta(weeks=weeks)


def may_record_results(user, application: Application) -> bool:
    """One of the application's assigned instructors, or the agency's administrator; not the
    committee, which decides but does not instruct (R-ACT-1)."""
    return is_instructor_of(user, application)


@dataclass(frozen=True)
class ScenarioRow:
    scenario: ScenarioData
    result: InsScenarioResult | None

    @property
    def passed(self) -> bool:
        return self.result is not None and self.result.outcome == ScenarioOutcome.PASSED


@dataclass(frozen=True)
class InsOverview:
    """What the page and the API show of an application's INS test day."""

    application: Application
    rows: list[ScenarioRow]
    test_day: InsTestDay | None
    complete_on: dt.date | None
    last_day: dt.date | None
    weeks: int
    today: dt.date

    @property
    def applicable(self) -> bool:
        return bool(self.rows)

    @property
    def phase(self) -> str:
        """« before » the dossier is complete, « open » until the decision, then « closed »."""
        status = self.application.status
        if status in BEFORE_COMPLETE:
            return "before"
        return "open" if status in OPEN_STATES else "closed"

    @property
    def recorded(self) -> int:
        return sum(1 for row in self.rows if row.result is not None)

    @property
    def passed(self) -> int:
        return sum(1 for row in self.rows if row.passed)

    @property
    def failed(self) -> int:
        return sum(1 for row in self.rows if row.result is not None and not row.passed)

    @property
    def finished(self) -> bool:
        """« Journée de tests terminée »: every scenario has its outcome."""
        return self.test_day is not None and self.recorded == len(self.rows) > 0

    @property
    def day_has_come(self) -> bool:
        return self.test_day is not None and self.today >= self.test_day.day

    @property
    def window_closed(self) -> bool:
        return self.last_day is not None and self.today > self.last_day

    @property
    def earliest_day(self) -> dt.date | None:
        """The first day the applicant may choose now."""
        if self.complete_on is None:
            return None
        return max(self.today, self.complete_on)

    def day_change_refusal(self) -> str | None:
        """Why the applicant may not (re)schedule the day now, or None."""
        return _schedule_refusal(self.application, self.test_day, self.recorded, self.today)

    @property
    def agreement(self) -> str | None:
        return self.test_day.agreement if self.test_day else None

    @property
    def is_confirmed(self) -> bool:
        return self.agreement == DayAgreement.CONFIRMED

    @property
    def awaits_agency(self) -> bool:
        return self.agreement == DayAgreement.PROPOSED

    @property
    def awaits_applicant(self) -> bool:
        return self.agreement == DayAgreement.AGENCY_PROPOSED

    def agreement_text(self, *, for_applicant: bool) -> str:
        """Where the date's coordination stands, in the reader's words (R-CLK-8)."""
        if self.test_day is None:
            return ""
        if self.is_confirmed:
            return "confirmée"
        if self.awaits_applicant:
            return (
                f"l'agence propose le {self.day_text}"
                if for_applicant
                else "proposée par l'agence, en attente de la réponse du candidat"
            )
        return (
            "proposée par vous, à confirmer par l'agence"
            if for_applicant
            else "proposée par le candidat, à confirmer par l'agence"
        )

    @property
    def attendees_by_side(self) -> list[tuple[str, list[dict]]]:
        """[(side's label, [attendee, …]), …] in the order of AttendeeSide, the sides present."""
        people = self.test_day.attendees if self.test_day else []
        return [
            (label, [person for person in people if person["side"] == side])
            for side, label in AttendeeSide.choices
            if any(person["side"] == side for person in people)
        ]

    @property
    def attendance_recorded(self) -> bool:
        return self.test_day is not None and self.test_day.attendance_at is not None

    # French dates for the pages (R-CLK-9: a date, never a computation in a template).
    @property
    def day_text(self) -> str:
        return french_date(self.test_day.day) if self.test_day else ""

    @property
    def last_day_text(self) -> str:
        return french_date(self.last_day) if self.last_day else ""

    @property
    def complete_on_text(self) -> str:
        return french_date(self.complete_on) if self.complete_on else ""

    @property
    def days_until(self) -> int | None:
        return (self.test_day.day - self.today).days if self.test_day else None

    @property
    def days_left_to_choose(self) -> int | None:
        return (self.last_day - self.today).days if self.last_day else None


def ins_overview(application: Application, today: dt.date | None = None) -> InsOverview:
    """The test day, its scenarios and their outcomes: two queries (the day, its results), the
    scenarios coming from the version's index."""
    scenarios = ins_scenarios(application)
    test_day = None
    results: dict[int, InsScenarioResult] = {}
    if scenarios:
        test_day = (
            InsTestDay.objects.filter(application=application)
            .select_related("proposed_by", "confirmed_by")
            .first()
        )
        if test_day is not None:
            results = {
                result.scenario_id: result
                for result in InsScenarioResult.objects.filter(test_day=test_day).select_related(
                    "by"
                )
            }
    return InsOverview(
        application=application,
        rows=[ScenarioRow(scenario, results.get(scenario.id)) for scenario in scenarios],
        test_day=test_day,
        complete_on=complete_on(application),
        last_day=last_test_day(application),
        weeks=application.referential_version.process_settings.ins_test_day_weeks,
        today=today or timezone.localdate(),
    )


# --- refusals ------------------------------------------------------------------------------------


def _state_refusal(application: Application) -> ApplicationError | None:
    if application.status in BEFORE_COMPLETE:
        return ApplicationError(
            "La journée de tests INS se planifie une fois le dossier complet (toutes les preuves "
            "déposées et chaque section soumise) : déposez d'abord l'ensemble des preuves.",
            extra={"status": 409},
        )
    if application.status not in OPEN_STATES:
        return ApplicationError(
            f"La candidature est « {Status(application.status).label} » : la journée de tests "
            "INS ne se planifie plus et ses résultats ne s'enregistrent plus.",
            extra={"status": 409},
        )
    return None


def _schedule_refusal(
    application: Application, test_day: InsTestDay | None, recorded: int, today: dt.date
) -> str | None:
    refused = _state_refusal(application)
    if refused is not None:
        return refused.message
    if complete_on(application) is None:
        return "La date de dépôt de l'ensemble des preuves n'est pas connue : écrivez à l'agence."
    if test_day is not None and recorded:
        return (
            f"L'instructeur a déjà enregistré des résultats de la journée de tests du "
            f"{french_date(test_day.day)} : sa date ne change plus. Écrivez à l'instructeur si "
            "la journée doit être reprise."
        )
    if test_day is not None and test_day.day < today:
        return (
            f"La journée de tests a eu lieu le {french_date(test_day.day)} : sa date ne change "
            "plus."
        )
    last = last_test_day(application)
    if last is not None and last < today:
        weeks = application.referential_version.process_settings.ins_test_day_weeks
        return (
            f"La journée de tests INS devait avoir lieu au plus tard le {french_date(last)} "
            f"({weeks} semaines après le dépôt de l'ensemble des preuves, le "
            f"{french_date(complete_on(application))}) : ce délai est passé. Écrivez à "
            "l'instructeur de la candidature pour convenir de la suite."
        )
    return None


def _day_refusal(application: Application, day: dt.date, today: dt.date) -> str | None:
    """R-CLK-8: between the dossier complete (and today) and N weeks after it."""
    start, last = complete_on(application), last_test_day(application)
    weeks = application.referential_version.process_settings.ins_test_day_weeks
    window = (
        f"choisissez une date du {french_date(max(start, today))} au {french_date(last)} "
        f"({weeks} semaines après le dépôt de l'ensemble des preuves)."
    )
    if day < start:
        return (
            f"Le {french_date(day)} précède le dépôt de l'ensemble des preuves (dossier complet "
            f"le {french_date(start)}) : {window}"
        )
    if day < today:
        return f"Le {french_date(day)} est passé : {window}"
    if day > last:
        return (
            f"Le {french_date(day)} est trop tard : la journée de tests INS a lieu dans les "
            f"{weeks} semaines suivant le dépôt de l'ensemble des preuves (le "
            f"{french_date(start)}), soit au plus tard le {french_date(last)}. Choisissez une "
            "date jusqu'à celle-ci."
        )
    return None


def _no_test_day(application: Application) -> ApplicationError:
    return ApplicationError(
        "Les exigences applicables à cette candidature ne comptent aucun scénario INS : elle "
        "n'a pas de journée de tests INS.",
        extra={"status": 409},
    )


def _locked(application: Application) -> Application:
    """The application's row, locked: two acts on its test day run one after the other."""
    # of=("self",): PostgreSQL locks no row of the nullable side of an outer join (pathology).
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("referential_version", "pathology", "product", "organisation")
        .get(pk=application.pk)
    )


def _too_long(field: str, value: str) -> None:
    if len(value) > TEXT_MAX_LENGTH:
        message = f"Saisissez au plus {TEXT_MAX_LENGTH} caractères (reçu : {len(value)})."
        raise ApplicationError(message, field=field, extra={"status": 400})


# --- writes --------------------------------------------------------------------------------------


@transaction.atomic
def propose_test_day(*, by, application: Application, day: dt.date, note: str = "") -> InsTestDay:
    """The applicant proposes (or moves) the INS test day (R-CLK-8); the application's
    instructors are told by email each time."""
    require_owner(
        by,
        application,
        "La date de la journée de tests INS est proposée par l'organisation candidate.",
    )
    application = _locked(application)
    if not ins_scenarios(application):
        raise _no_test_day(application)
    today = timezone.localdate()
    test_day = InsTestDay.objects.filter(application=application).first()
    recorded = test_day.results.count() if test_day is not None else 0
    refusal = _schedule_refusal(application, test_day, recorded, today)
    if refusal:
        raise ApplicationError(refusal, extra={"status": 409})
    refusal = _day_refusal(application, day, today)
    if refusal:
        raise ApplicationError(refusal, field="day", extra={"status": 400})
    note = (note or "").strip()
    _too_long("note", note)
    if test_day is not None and test_day.agreement == DayAgreement.AGENCY_PROPOSED:
        if test_day.day == day:  # the agency's date, proposed back: accepted
            return _accept(by, application, test_day, note=note)
    elif test_day is not None and (test_day.day, test_day.note) == (day, note):
        return test_day  # nothing changes: no journal entry, no email
    before = None
    if test_day is None:
        test_day = InsTestDay.objects.create(
            application=application, day=day, note=note, proposed_by=by
        )
        action, subject = "instruction.ins_test_day.propose", "journée de tests INS proposée"
    else:
        before = {"day": test_day.day.isoformat(), "note": test_day.note}
        if test_day.day != day or test_day.agreement != DayAgreement.CONFIRMED:
            # A new date, or the applicant's answer to the agency's: the agency confirms it.
            test_day.agreement, test_day.agency_note = DayAgreement.PROPOSED, ""
            test_day.confirmed_by, test_day.confirmed_at = None, None
        test_day.day, test_day.note, test_day.proposed_by = day, note, by
        test_day.proposed_at = timezone.now()
        test_day.save(
            update_fields=[
                "day",
                "note",
                "proposed_by",
                "proposed_at",
                "agreement",
                "agency_note",
                "confirmed_by",
                "confirmed_at",
            ]
        )
        action, subject = "instruction.ins_test_day.change", "journée de tests INS déplacée"
    record(
        action=action,
        obj=test_day,
        by=by,
        application_id=application.pk,
        before=before,
        after={"day": day.isoformat(), "note": note},
    )
    moved = f" (au lieu du {french_date(dt.date.fromisoformat(before['day']))})" if before else ""
    confirm = (
        ""
        if test_day.agreement == DayAgreement.CONFIRMED
        else "\n\nConfirmez-la ou proposez une autre date sur la page de la candidature."
    )
    notify_instructors(
        application,
        subject,
        f"{application.organisation.name} propose la journée de tests INS le "
        f"{french_date(day)}{moved}." + (f"\n\nPrécisions : {note}" if note else "") + confirm,
    )
    return test_day


# --- the agency's side of the date (« en coordination avec l'ANS ») -----------------------------


def _require_agency(by, application: Application, what: str) -> None:
    if not may_record_results(by, application):
        raise ApplicationError(
            f"{what} par un instructeur de la candidature ou l'administrateur de l'agence.",
            extra={"status": 403},
        )


def _open_test_day(application: Application, *, for_agency: bool) -> InsTestDay:
    """The test day whose date may still be agreed on: proposed, not past, no result yet,
    within the window."""
    if not ins_scenarios(application):
        raise _no_test_day(application)
    test_day = InsTestDay.objects.filter(application=application).first()
    if test_day is None:
        refused = _state_refusal(application)
        if refused is not None:
            raise refused
        raise ApplicationError(
            "Le candidat n'a pas encore proposé de date pour la journée de tests INS : l'agence "
            "répond à sa proposition."
            if for_agency
            else "Aucune date n'est encore proposée : proposez la date de la journée de tests.",
            extra={"status": 409},
        )
    refusal = _schedule_refusal(
        application, test_day, test_day.results.count(), timezone.localdate()
    )
    if refusal:
        raise ApplicationError(refusal, extra={"status": 409})
    return test_day


@transaction.atomic
def confirm_test_day(*, by, application: Application) -> InsTestDay:
    """The agency confirms the date the applicant proposed (R-CLK-8: the day is organised « en
    coordination avec l'ANS »); the applicant is told by email."""
    _require_agency(by, application, "La date de la journée de tests INS est confirmée")
    application = _locked(application)
    test_day = _open_test_day(application, for_agency=True)
    if test_day.agreement == DayAgreement.CONFIRMED:
        raise ApplicationError(
            f"La journée de tests INS du {french_date(test_day.day)} est déjà confirmée.",
            extra={"status": 409},
        )
    if test_day.agreement == DayAgreement.AGENCY_PROPOSED:
        raise ApplicationError(
            f"L'agence a proposé le {french_date(test_day.day)} : c'est au candidat de "
            "l'accepter ou de proposer une autre date.",
            extra={"status": 409},
        )
    test_day.agreement = DayAgreement.CONFIRMED
    test_day.confirmed_by, test_day.confirmed_at = by, timezone.now()
    test_day.save(update_fields=["agreement", "confirmed_by", "confirmed_at"])
    record(
        action="instruction.ins_test_day.confirm",
        obj=test_day,
        by=by,
        application_id=application.pk,
        after={"day": test_day.day.isoformat()},
    )
    notify_applicant(
        application,
        "journée de tests INS confirmée",
        f"L'agence confirme la journée de tests INS le {french_date(test_day.day)}. Vous y "
        "déroulerez les scénarios INS dans votre environnement de recette, en présence d'un "
        "représentant de l'agence.",
    )
    return test_day


@transaction.atomic
def propose_other_day(*, by, application: Application, day: dt.date, note: str = "") -> InsTestDay:
    """The agency proposes another date than the applicant's, within the same bounds (from the
    dossier complete and today to N weeks after it); the applicant accepts it or moves it
    again, and is told by email."""
    _require_agency(by, application, "Une autre date de journée de tests INS est proposée")
    application = _locked(application)
    test_day = _open_test_day(application, for_agency=True)
    today = timezone.localdate()
    refusal = _day_refusal(application, day, today)
    if refusal:
        raise ApplicationError(refusal, field="day", extra={"status": 400})
    note = (note or "").strip()
    _too_long("note", note)
    if day == test_day.day:
        if test_day.agreement == DayAgreement.AGENCY_PROPOSED and note == test_day.agency_note:
            return test_day  # nothing changes: no journal entry, no email
        if test_day.agreement != DayAgreement.AGENCY_PROPOSED:
            raise ApplicationError(
                f"Le {french_date(day)} est "
                + (
                    "déjà la date confirmée"
                    if test_day.agreement == DayAgreement.CONFIRMED
                    else "la date proposée par le candidat : confirmez-la plutôt"
                )
                + ", ou choisissez une autre date.",
                field="day",
                extra={"status": 400},
            )
    before = {"day": test_day.day.isoformat(), "agreement": test_day.agreement}
    test_day.day, test_day.agency_note = day, note
    test_day.agreement, test_day.proposed_by = DayAgreement.AGENCY_PROPOSED, by
    test_day.proposed_at = timezone.now()
    test_day.confirmed_by, test_day.confirmed_at = None, None
    test_day.save(
        update_fields=[
            "day",
            "agency_note",
            "agreement",
            "proposed_by",
            "proposed_at",
            "confirmed_by",
            "confirmed_at",
        ]
    )
    record(
        action="instruction.ins_test_day.agency_propose",
        obj=test_day,
        by=by,
        application_id=application.pk,
        before=before,
        after={"day": day.isoformat(), "note": note},
    )
    notify_applicant(
        application,
        "autre date proposée pour la journée de tests INS",
        f"L'agence propose la journée de tests INS le {french_date(day)} (au lieu du "
        f"{french_date(dt.date.fromisoformat(before['day']))})."
        + (f"\n\nPrécisions de l'agence : {note}" if note else "")
        + "\n\nAcceptez cette date ou proposez-en une autre sur la page de la candidature, au "
        f"plus tard le {french_date(last_test_day(application))}.",
    )
    return test_day


def _accept(by, application: Application, test_day: InsTestDay, *, note: str = "") -> InsTestDay:
    test_day.agreement = DayAgreement.CONFIRMED
    test_day.confirmed_by, test_day.confirmed_at = by, timezone.now()
    fields = ["agreement", "confirmed_by", "confirmed_at"]
    if note and note != test_day.note:
        test_day.note = note
        fields.append("note")
    test_day.save(update_fields=fields)
    record(
        action="instruction.ins_test_day.accept",
        obj=test_day,
        by=by,
        application_id=application.pk,
        after={"day": test_day.day.isoformat()},
    )
    notify_instructors(
        application,
        "journée de tests INS confirmée",
        f"{application.organisation.name} accepte la date proposée par l'agence : la journée "
        f"de tests INS est confirmée le {french_date(test_day.day)}.",
    )
    return test_day


@transaction.atomic
def accept_agency_day(*, by, application: Application) -> InsTestDay:
    """The applicant accepts the date the agency proposed: the day is confirmed, the
    application's instructors are told by email."""
    require_owner(
        by,
        application,
        "La date proposée par l'agence est acceptée par l'organisation candidate.",
    )
    application = _locked(application)
    test_day = _open_test_day(application, for_agency=False)
    if test_day.agreement != DayAgreement.AGENCY_PROPOSED:
        raise ApplicationError(
            "Aucune date proposée par l'agence n'attend votre réponse : la journée de tests INS "
            f"du {french_date(test_day.day)} est "
            + (
                "déjà confirmée."
                if test_day.agreement == DayAgreement.CONFIRMED
                else "celle que vous avez proposée, à confirmer par l'agence."
            ),
            extra={"status": 409},
        )
    return _accept(by, application, test_day)


def _clean_attendees(attendees) -> list[dict]:
    """[{"side", "name", "role"}, …] as given, trimmed; at least an agency representative and
    a participant of the applicant."""
    if not isinstance(attendees, list | tuple) or not attendees:
        raise ApplicationError(
            "Indiquez les participants : au moins un représentant de l'agence et un participant "
            "du candidat, chacun avec son nom et son rôle.",
            field="attendees",
            extra={"status": 400},
        )
    if len(attendees) > ATTENDEES_MAX:
        raise ApplicationError(
            f"Indiquez au plus {ATTENDEES_MAX} participants (reçu : {len(attendees)}).",
            field="attendees",
            extra={"status": 400},
        )
    sides = ", ".join(f"« {value} » ({label.lower()})" for value, label in AttendeeSide.choices)
    cleaned = []
    for number, person in enumerate(attendees, start=1):
        person = person if isinstance(person, dict) else {}
        side = person.get("side")
        name, role = (" ".join(str(person.get(key) or "").split()) for key in ("name", "role"))
        problem = None
        if side not in AttendeeSide.values:
            problem = f"indiquez s'il est {sides}"
        elif not name:
            problem = "indiquez son nom"
        elif not role:
            problem = "indiquez son rôle"
        elif max(len(name), len(role)) > ATTENDEE_TEXT_MAX_LENGTH:
            problem = f"un nom ou un rôle compte au plus {ATTENDEE_TEXT_MAX_LENGTH} caractères"
        if problem:
            raise ApplicationError(
                f"Participant {number} : {problem}.", field="attendees", extra={"status": 400}
            )
        cleaned.append({"side": side, "name": name, "role": role})
    present = {person["side"] for person in cleaned}
    for side, missing in (
        (AttendeeSide.AGENCY, "un représentant de l'agence"),
        (AttendeeSide.APPLICANT, "un participant du candidat"),
    ):
        if side not in present:
            raise ApplicationError(
                f"La journée de tests INS se tient en présence d'au moins {missing} : "
                "indiquez-le parmi les participants.",
                field="attendees",
                extra={"status": 400},
            )
    return cleaned


@transaction.atomic
def record_attendance(*, by, application: Application, attendees, environment: str) -> InsTestDay:
    """On the day or after, the instructor records who attended (the agency's representative,
    possibly an external expert, the applicant's participants: names and roles) and the test
    environment (R-CLK-8); recording them again corrects them, journaled with the former."""
    _require_agency(
        by,
        application,
        "Les participants et l'environnement de la journée de tests INS sont enregistrés",
    )
    application = _locked(application)
    if not ins_scenarios(application):
        raise _no_test_day(application)
    refused = _state_refusal(application)
    if refused is not None:
        raise refused
    test_day = InsTestDay.objects.filter(application=application).first()
    if test_day is None:
        raise ApplicationError(
            "Le candidat n'a pas encore proposé la date de la journée de tests INS : ses "
            "participants s'enregistrent à partir de ce jour-là.",
            extra={"status": 409},
        )
    if timezone.localdate() < test_day.day:
        raise ApplicationError(
            f"La journée de tests INS a lieu le {french_date(test_day.day)} : ses participants "
            "et son environnement s'enregistrent ce jour-là ou après.",
            extra={"status": 409},
        )
    cleaned = _clean_attendees(attendees)
    environment = (environment or "").strip()
    if not environment:
        raise ApplicationError(
            "Décrivez l'environnement de test : environnement de recette, version du logiciel, "
            "accès utilisé…",
            field="environment",
            extra={"status": 400},
        )
    _too_long("environment", environment)
    if (test_day.attendees, test_day.environment) == (cleaned, environment):
        return test_day  # nothing changes: no journal entry
    before = (
        {"attendees": test_day.attendees, "environment": test_day.environment}
        if test_day.attendance_at
        else None
    )
    test_day.attendees, test_day.environment = cleaned, environment
    test_day.attendance_by, test_day.attendance_at = by, timezone.now()
    test_day.save(update_fields=["attendees", "environment", "attendance_by", "attendance_at"])
    record(
        action="instruction.ins_test_day.attendance",
        obj=test_day,
        by=by,
        application_id=application.pk,
        before=before,
        after={"attendees": cleaned, "environment": environment},
    )
    return test_day


def resolve_scenario(application: Application, value) -> ScenarioData:
    """An INS scenario of the application by its id or its code (« INS 1.1 »)."""
    scenarios = ins_scenarios(application)
    key = " ".join(str(value).split()).upper() if value is not None else ""
    for scenario in scenarios:
        if key in (str(scenario.id), " ".join(scenario.code.split()).upper()):
            return scenario
    known = ", ".join(s.code for s in scenarios) or "aucun"
    raise ApplicationError(
        f"Scénario INS inconnu pour cette candidature « {str(value)[:40]} » : indiquez l'un de "
        f"ses scénarios INS ({known}).",
        field="scenario",
        extra={"status": 400},
    )


@transaction.atomic
def record_scenario_result(
    *, by, application: Application, scenario, outcome: str, comment: str = ""
) -> InsScenarioResult:
    """The instructor records whether an INS scenario reached its expected result on the test
    day (« L'ANS … documente l'atteinte ou non des résultats »); recording it again corrects it,
    journaled with the former outcome."""
    if not may_record_results(by, application):
        raise ApplicationError(
            "Les résultats de la journée de tests INS sont enregistrés par un instructeur de la "
            "candidature ou l'administrateur de l'agence.",
            extra={"status": 403},
        )
    application = _locked(application)
    scenarios = ins_scenarios(application)
    if not scenarios:
        raise _no_test_day(application)
    refused = _state_refusal(application)
    if refused is not None:
        raise refused
    if application.status not in RESULT_STATES:
        raise ApplicationError(
            f"La candidature est « {Status(application.status).label} » : les résultats des "
            "scénarios INS, qui sont les avis sur leurs preuves, ne changent plus.",
            extra={"status": 409},
        )
    test_day = InsTestDay.objects.filter(application=application).first()
    if test_day is None:
        raise ApplicationError(
            "Le candidat n'a pas encore proposé la date de la journée de tests INS : ses "
            "résultats s'enregistrent à partir de ce jour-là.",
            extra={"status": 409},
        )
    if timezone.localdate() < test_day.day:
        raise ApplicationError(
            f"La journée de tests INS a lieu le {french_date(test_day.day)} : ses résultats "
            "s'enregistrent à partir de ce jour.",
            extra={"status": 409},
        )
    data = resolve_scenario(application, scenario)
    if outcome not in ScenarioOutcome.values:
        raise ApplicationError(
            "Indiquez le résultat : « passed » (résultat atteint) ou « failed » (résultat non "
            "atteint).",
            field="outcome",
            extra={"status": 400},
        )
    comment = (comment or "").strip()
    if outcome == ScenarioOutcome.FAILED and not comment:
        raise ApplicationError(
            f"Scénario {data.code} non atteint : indiquez dans le commentaire ce qui n'a pas été "
            "atteint.",
            field="comment",
            extra={"status": 400},
        )
    _too_long("comment", comment)
    results = {r.scenario_id: r for r in InsScenarioResult.objects.filter(test_day=test_day)}
    wanted = {s.id for s in scenarios}
    was_finished = wanted <= set(results)
    previous = results.get(data.id)
    before = None
    if previous is None:
        result = InsScenarioResult.objects.create(
            test_day=test_day, scenario_id=data.id, outcome=outcome, comment=comment, by=by
        )
    else:
        before = {"outcome": previous.outcome, "comment": previous.comment}
        previous.outcome, previous.comment, previous.by = outcome, comment, by
        previous.save(update_fields=["outcome", "comment", "by", "at"])
        result = previous
    results[data.id] = result
    _judge_scenario_proofs(by, application, test_day, data, outcome, comment)
    finished = not was_finished and wanted <= set(results)
    after = {"scenario": data.code, "outcome": outcome, "comment": comment}
    if finished:
        after["finished"] = True
    record(
        action="instruction.ins_result",
        obj=result,
        by=by,
        application_id=application.pk,
        before=before,
        after=after,
    )
    if finished:
        failed = sum(
            1 for r in results.values() if r.scenario_id in wanted and r.outcome != "passed"
        )
        notify_applicant(
            application,
            "journée de tests INS terminée",
            f"Les résultats de la journée de tests INS du {french_date(test_day.day)} sont "
            "enregistrés : "
            + ngettext(
                "%(n)d scénario atteint, ", "%(n)d scénarios atteints, ", len(wanted) - failed
            )
            % {"n": len(wanted) - failed}
            + ngettext("%(n)d non atteint.", "%(n)d non atteints.", failed) % {"n": failed}
            + " Le détail figure sur la page de la candidature.",
        )
    return result


def _judge_scenario_proofs(by, application, test_day, scenario: ScenarioData, outcome, comment):
    """R-CLK-8: the scenario's outcome is the verdict on its INS proofs (« résultat atteint »:
    conforme; « non atteint »: non conforme), given through the verdicts service; the same
    outcome recorded again adds no verdict."""
    if not scenario.proofs:
        return
    said = (
        f"Journée de tests INS du {french_date(test_day.day)}, scénario {scenario.code} : "
        f"{ScenarioOutcome(outcome).label.lower()}."
    )
    if comment:
        room = verdicts.COMMENT_MAX_LENGTH - len(said) - 1
        said += " " + (comment if len(comment) <= room else comment[: room - 1] + "…")
    opinion = OUTCOME_OPINION[ScenarioOutcome(outcome)]
    verdicts.set_proof_verdicts(
        application,
        by=by,
        opinions={proof.id: (opinion, said) for proof in scenario.proofs},
        states=RESULT_STATES,
    )


# --- the instruction's end -----------------------------------------------------------------------


@WORKFLOW.guard("finish_instruction")
def _every_ins_scenario_has_an_outcome(application: Application) -> str | None:
    """R-CLK-8: « L'ANS supervise le bon déroulé des scénarios de tests et documente l'atteinte
    ou non des résultats »: the instruction finishes once each applicable INS scenario has its
    recorded outcome."""
    overview = ins_overview(application)
    if not overview.applicable:
        return None
    waiting = [row.scenario.code for row in overview.rows if row.result is None]
    if not waiting:
        return None
    listed = ", ".join(waiting[:5]) + (" …" if len(waiting) > 5 else "")
    count = ngettext(
        "%(n)d scénario INS n'a pas de résultat enregistré (%(codes)s)",
        "%(n)d scénarios INS n'ont pas de résultat enregistré (%(codes)s)",
        len(waiting),
    ) % {"n": len(waiting), "codes": listed}
    if overview.test_day is None:
        when = (
            f" ; le candidat n'a pas encore proposé la date de la journée de tests, à tenir au "
            f"plus tard le {overview.last_day_text}"
            if overview.last_day
            else " ; le candidat n'a pas encore proposé la date de la journée de tests"
        )
    elif not overview.day_has_come:
        when = f" ; la journée de tests a lieu le {overview.day_text}"
    else:
        when = ""
    return (
        f"La journée de tests INS fait partie de l'instruction : {count}{when}. Enregistrez le "
        "résultat de chaque scénario avant de terminer l'instruction."
    )


# --- the application page ------------------------------------------------------------------------


@extensions.todo
def ins_todo(application: Application, user) -> list[dict]:
    """The applicant's next step while its INS test day is to be proposed (R-CLK-8): propose
    it, and by when."""
    if user.is_agency or user.organisation_id != application.organisation_id:
        return []
    if application.status not in OPEN_STATES:
        return []
    overview = ins_overview(application)
    if not overview.applicable or overview.test_day is not None:
        return []
    url = reverse("applications:detail", args=[application.pk]) + "#ins"
    if overview.window_closed:
        text = (
            f"Journée de tests INS : le délai pour la tenir est passé depuis le "
            f"{overview.last_day_text} ; écrivez à l'instructeur pour convenir de la suite."
        )
    else:
        text = (
            f"Proposez la date de la journée de tests INS, à tenir au plus tard le "
            f"{overview.last_day_text}."
        )
    return [{"text": text, "url": url}]


@extensions.panel
def ins_panel(request, application: Application) -> dict | None:
    """The INS test day's part of the application page: what it will ask before the dossier is
    complete; then the day (the applicant's form to propose or move it, with the last allowed
    date) and each scenario's outcome (the instructor's form from the day on)."""
    overview = ins_overview(application)
    if not overview.applicable or (overview.phase == "closed" and overview.test_day is None):
        return None
    user = request.user
    is_applicant = not user.is_agency and user.organisation_id == application.organisation_id
    refusal = overview.day_change_refusal() if overview.phase == "open" else None
    return {
        "template": "instruction/ins/panel.html",
        "ins": overview,
        "is_applicant": is_applicant,
        "can_propose": is_applicant and overview.phase == "open" and refusal is None,
        "refusal": refusal or "",
        "can_record": application.status in RESULT_STATES
        and overview.day_has_come
        and may_record_results(user, application),
        "outcomes": ScenarioOutcome.choices,
        "agreement": overview.agreement_text(for_applicant=is_applicant),
        "can_agree": not is_applicant
        and overview.test_day is not None
        and refusal is None
        and may_record_results(user, application),
        "can_accept": is_applicant and overview.awaits_applicant and refusal is None,
        "can_record_attendance": overview.phase == "open"
        and overview.day_has_come
        and may_record_results(user, application),
        "sides": AttendeeSide.choices,
        "attendee_rows": _attendee_rows(overview),
    }


def _attendee_rows(overview: InsOverview) -> list[dict]:
    """The attendance form's rows: those recorded, then empty ones (an agency representative,
    an expert, two of the applicant's participants when nothing is recorded yet)."""
    people = list(overview.test_day.attendees) if overview.test_day else []
    if not people:
        people = [
            {"side": side, "name": "", "role": ""}
            for side in (
                AttendeeSide.AGENCY,
                AttendeeSide.EXPERT,
                AttendeeSide.APPLICANT,
                AttendeeSide.APPLICANT,
            )
        ]
    else:
        people += [{"side": AttendeeSide.APPLICANT, "name": "", "role": ""}] * 2
    return [{"number": number, **person} for number, person in enumerate(people)]
