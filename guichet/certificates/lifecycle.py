"""The certificate's life (issue 13 §3, R-CRT-2 … R-CRT-8): the guards and effects of the
certificate's workflow (`certificates.workflow`), and one service per act.

Each act goes through `workflow.transition`, which locks the row, checks who acts, the state and
the guards below, and journals (`after`). The effects here write what the certificate states
(the fields the verification page and the open data read: `status_changed_on`,
`status_reason`, `withdrawal_ground`, `withdrawal_effective_on`, `valid_until` …), a new
revision when its content or state changes (its PDF is sealed by the task worker), and tell the
holder by email (a legal notice). Refusals that depend on the data of an act (a ground, a date)
are raised by the effects, in the transaction: nothing is kept.

Dates are legal days in Paris: `legal_today()`, which the daily sweep sets to the day it
sweeps (`applications.clock.as_of`), so that a missed day is caught up with its own dates.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q

from guichet.applications.clock import legal_today
from guichet.applications.notifications import notify_applicant, notify_instructors
from guichet.certificates import services
from guichet.certificates.models import (
    Certificate,
    FormalNotice,
    Kind,
    NoticeKind,
    RevisionKind,
    Status,
    StrikeOffGround,
    WithdrawalGround,
)
from guichet.certificates.verification import reservations_of
from guichet.certificates.workflow import LIVE, WORKFLOW, transition
from guichet.committee.models import Reservation
from guichet.common.errors import ApplicationError
from guichet.common.links import absolute_reverse
from guichet.common.text import ngettext
from guichet.deadlines import french_date
from guichet.journal.services import record
from guichet.referentials.wording import of_name

# CSP R. 1470-9: a formal notice's deadline « ne peut excéder six mois »; a withdrawal may
# take effect up to six months after its notice.
SIX_MONTHS = relativedelta(months=6)
TEXT_MAX_LENGTH = 10_000


def _refused(message: str, status: int = 409, field: str | None = None) -> ApplicationError:
    return ApplicationError(message, field=field, extra={"status": status})


def _settings(certificate: Certificate):
    return certificate.referential_version.process_settings


def _day(value) -> str:
    return french_date(value) if value else ""


def _past_day(certificate: Certificate, day: dt.date, *, field: str, what: str) -> dt.date:
    """The date of something that happened to the certificate: between its issuance and today,
    each refusal naming the bound it crosses."""
    today = legal_today()
    if day > today:
        raise _refused(
            f"{what} ne peut pas être après aujourd'hui, le {_day(today)} : indiquez le jour "
            "où il a eu lieu.",
            400,
            field,
        )
    if day < certificate.issued_on:
        raise _refused(
            f"{what} ne peut pas être avant la délivrance du certificat, le "
            f"{_day(certificate.issued_on)} : indiquez une date à partir de celle-ci.",
            400,
            field,
        )
    return day


def tell_holder(certificate: Certificate, subject: str, body: str, *, attachments=()) -> None:
    """A legal notice to the holder's contact référent and Responsable habilité, after the
    commit, with the link to the certificate's page."""
    link = absolute_reverse("certificates:manage", certificate.number)
    notify_applicant(
        certificate.application,
        f"certificat {certificate.number} : {subject}",
        f"{body}\n\nLe certificat et son historique : {link}",
        kind="certificate",
        legal=True,
        attachments=attachments,
        certificate=certificate.number,
    )


def _revise(certificate: Certificate, kind: str, *, by, reason: str, effective_on: dt.date):
    return services.new_revision(certificate, kind, by=by, reason=reason, effective_on=effective_on)


# --- who may act, what is open: read by the pages ---------------------------------------------


def open_notices(certificate: Certificate):
    return certificate.formal_notices.filter(closed_on__isnull=True).order_by("issued_on", "pk")


def applicable(certificate: Certificate, name: str) -> bool:
    """Whether an act exists at all for this certificate's referential version (the pages
    leave out those that never will: FINESS for a DMN, a strike-off request for a TLC)."""
    settings = _settings(certificate)
    if name == "request_strike_off":
        return settings.strike_off_request
    if name in {"record_approval_filing", "record_finess"}:
        return approval_concerns(certificate)
    if name == "correct_finess":  # once a number is declared (R-CRT-8)
        return approval_concerns(certificate) and bool(certificate.finess)
    if name in RESERVATION_ACTS:
        return bool(certificate.reservations)
    if name in {"stop_renewal", "renew"}:
        return certificate.kind != Kind.EXCEPTIONAL
    if name == "notify_new_version":
        return False  # fired from the page of a new version (new_version.py)
    return True


# --- guards (the workflow asks them before any act) -------------------------------------------


@WORKFLOW.guard("renew")
def _renewable(certificate: Certificate) -> str | None:
    if certificate.kind == Kind.EXCEPTIONAL:
        return "Un certificat exceptionnel n'est pas reconduit : il expire à sa date de fin."
    if certificate.renewal_stopped_on:
        return (
            f"La non-reconduction a été notifiée le {_day(certificate.renewal_stopped_on)} : "
            "le certificat expire à la fin de sa période de validité."
        )
    return None


@WORKFLOW.guard("stop_renewal")
def _renewal_not_stopped(certificate: Certificate) -> str | None:
    if certificate.kind == Kind.EXCEPTIONAL:
        return "Un certificat exceptionnel n'est jamais reconduit : il expire à sa date de fin."
    if certificate.renewal_stopped_on:
        return f"La non-reconduction est déjà notifiée (le {_day(certificate.renewal_stopped_on)})."
    return None


@WORKFLOW.guard("schedule_withdrawal")
def _not_scheduled(certificate: Certificate) -> str | None:
    if certificate.withdrawal_effective_on:
        return (
            f"Un retrait est déjà notifié, effectif le {_day(certificate.withdrawal_effective_on)}."
        )
    return None


@WORKFLOW.guard("cancel_withdrawal")
def _scheduled_to_come(certificate: Certificate) -> str | None:
    """A notified withdrawal is cancelled before the day it takes effect (R-CRT-5)."""
    effective_on = certificate.withdrawal_effective_on
    if certificate.status not in LIVE or effective_on is None:
        return "Aucun retrait n'est notifié sur ce certificat."
    if effective_on <= legal_today():
        return f"Le retrait a pris effet le {_day(effective_on)} : il ne s'annule plus."
    return None


@WORKFLOW.guard("lift_reservation")
def _has_ranked_reservations(certificate: Certificate) -> str | None:
    refusal = _has_reservations(certificate)
    if refusal is None and not reservations_of(certificate):
        return (
            "Les réserves de ce certificat ne sont ni numérotées ni datées : levez-les "
            "ensemble (« Lever les réserves »)."
        )
    return refusal


@WORKFLOW.guard("lift_reservations")
def _has_reservations(certificate: Certificate) -> str | None:
    if not certificate.reservations:
        return "Le certificat n'a pas de réserve à lever."
    rows = reservations_of(certificate)
    if rows and not any(r.is_pending for r in rows):
        return (
            "Aucune réserve n'est à lever : chacune est levée ou constatée non levée. Une "
            "réserve non levée se traite par une mise en demeure, puis, s'il le faut, un retrait."
        )
    return None


@WORKFLOW.guard("fail_reservation")
def _has_lapsed_reservation(certificate: Certificate) -> str | None:
    refusal = _has_ranked_reservations(certificate)
    if refusal:
        return refusal
    pending = [r for r in reservations_of(certificate) if r.is_pending]
    today = legal_today()
    if pending and not any(r.deadline < today for r in pending):
        first = min(pending, key=lambda r: (r.deadline, r.position))
        return (
            f"Aucune réserve n'a passé son échéance : la réserve n° {first.position} est à "
            f"lever au plus tard le {_day(first.deadline)} ; qu'elle ne l'est pas se constate "
            "après cette date."
        )
    return None


@WORKFLOW.guard("close_formal_notice")
def _has_open_notice(certificate: Certificate) -> str | None:
    if not open_notices(certificate).exists():
        return "Aucune mise en demeure n'est en cours sur ce certificat."
    return None


@WORKFLOW.guard("request_strike_off")
def _strike_off_applies(certificate: Certificate) -> str | None:
    if not _settings(certificate).strike_off_request:
        return (
            "Sans objet pour ce référentiel : la demande de radiation de la LPPR ou de la "
            "LATM concerne les dispositifs médicaux numériques (DMN)."
        )
    if certificate.strike_off_requested_on:
        return f"La radiation est déjà demandée (le {_day(certificate.strike_off_requested_on)})."
    return None


def approval_concerns(certificate: Certificate) -> bool:
    """TLC guide §6 (R-CRT-8): the approval and FINESS steps are those of a société de
    téléconsultation, as the admissibility form says (the version's `approval_form_field`)."""
    settings = _settings(certificate)
    if not settings.approval_steps:
        return False
    key = settings.approval_form_field
    return not key or (certificate.application.form or {}).get(key) is True


def approval_holders() -> Q:
    """The certificates whose holders file an approval (approval_concerns, as one filter: a
    query for the versions, whatever the number of certificates)."""
    from guichet.referentials.models import ReferentialVersion

    found = Q(pk__in=[])
    for version in ReferentialVersion.objects.filter(process__approval_steps=True).only(
        "pk", "process"
    ):
        key = version.process_settings.approval_form_field
        found |= Q(referential_version=version) & (
            Q(**{f"application__form__{key}": True}) if key else Q()
        )
    return found


def _approval_refusal(certificate: Certificate) -> str | None:
    if not _settings(certificate).approval_steps:
        return (
            "Sans objet pour ce référentiel : l'agrément et le numéro FINESS concernent les "
            "sociétés de téléconsultation (TLC)."
        )
    if not approval_concerns(certificate):
        return (
            "Sans objet : le formulaire de recevabilité déclare un logiciel qui n'est pas "
            "déployé dans une société de téléconsultation ; l'agrément et le numéro FINESS ne "
            "concernent que les sociétés de téléconsultation."
        )
    if certificate.approval_withdrawn_on:
        return f"L'agrément est supprimé depuis le {_day(certificate.approval_withdrawn_on)}."
    return None


@WORKFLOW.guard("record_approval_filing")
def _approval_not_filed(certificate: Certificate) -> str | None:
    refusal = _approval_refusal(certificate)
    if refusal:
        return refusal
    if certificate.approval_filed_on:
        return (
            "Le dépôt de la demande d'agrément est déjà déclaré (le "
            f"{_day(certificate.approval_filed_on)})."
        )
    return None


@WORKFLOW.guard("record_finess")
def _finess_after_filing(certificate: Certificate) -> str | None:
    refusal = _approval_refusal(certificate)
    if refusal:
        return refusal
    if not certificate.approval_filed_on:
        return (
            "Déclarez d'abord le dépôt de la demande d'agrément auprès du ministère : le numéro "
            "FINESS suit l'agrément."
        )
    if certificate.finess:
        return (
            f"Le numéro FINESS {certificate.finess} est déjà déclaré : s'il est erroné, l'agence "
            "le corrige (« Corriger le numéro FINESS », avec le motif de la correction)."
        )
    return None


@WORKFLOW.guard("correct_finess")
def _finess_declared(certificate: Certificate) -> str | None:
    if not certificate.finess:
        return "Aucun numéro FINESS n'est déclaré : déclarez-le d'abord (« Déclarer le numéro FINESS »)."
    return None


# --- suspension, reinstatement (R-CRT-5) --------------------------------------------------------


@WORKFLOW.effect("suspend")
def _suspended(certificate: Certificate, *, by, reason, source, **data) -> dict:
    today = legal_today()
    certificate.status_changed_on = today
    certificate.status_reason = reason
    certificate.save(update_fields=["status_changed_on", "status_reason", "updated_at"])
    _revise(certificate, RevisionKind.SUSPENDED, by=by, reason=reason, effective_on=today)
    tell_holder(
        certificate,
        "suspension",
        f"L'Agence du numérique en santé suspend le certificat de conformité "
        f"{certificate.number} de {certificate.product_name} {certificate.product_version} à "
        f"compter du {_day(today)}. Motif : {reason}\nLe registre public le montre suspendu "
        "jusqu'à la levée de la suspension, une fois les non-conformités corrigées.",
    )
    return {"on": today.isoformat()}


@WORKFLOW.effect("reinstate")
def _reinstated(certificate: Certificate, *, by, reason, source, **data) -> dict:
    today = legal_today()
    certificate.status_changed_on = today
    certificate.status_reason = reason
    certificate.save(update_fields=["status_changed_on", "status_reason", "updated_at"])
    _revise(certificate, RevisionKind.REINSTATED, by=by, reason=reason, effective_on=today)
    tell_holder(
        certificate,
        "levée de la suspension",
        f"La suspension du certificat de conformité {certificate.number} est levée le "
        f"{_day(today)} : il est de nouveau valide, et le registre public le montre. "
        f"Motif : {reason}",
    )
    return {"on": today.isoformat()}


# --- withdrawal and termination (R-CRT-5, R-CRT-6) ------------------------------------------------


def withdrawal_refusal(certificate: Certificate, ground: str, today: dt.date) -> str | None:
    """Why the certificate may not be withdrawn on this ground now (French), or None.

    Fraud (convention art. 15): only after a formal notice to present observations, once its
    deadline has passed. A non-conformity (CSP R. 1470-9 II): only once the deadline of a
    formal notice to correct it has passed without the non-conformities being fixed."""
    if ground not in WithdrawalGround.values:
        return "Choisissez le fondement du retrait dans la liste."
    if ground == WithdrawalGround.FRAUD:
        notices = certificate.formal_notices.filter(kind=NoticeKind.FRAUD)
        if not notices.exists():
            return (
                "Retrait pour fraude (article 15 de la convention) : mettez d'abord le titulaire "
                "en demeure de présenter ses observations, avec un délai."
            )
        if not notices.filter(deadline__lt=today).exists():
            deadline = notices.order_by("deadline").first().deadline
            return (
                "Retrait pour fraude : le délai laissé au titulaire pour présenter ses "
                f"observations court jusqu'au {_day(deadline)} ; le retrait est possible après."
            )
    if ground == WithdrawalGround.NON_CONFORMITY:
        notices = certificate.formal_notices.filter(kind=NoticeKind.NON_CONFORMITY)
        if not notices.exists():
            return (
                "Retrait pour non-conformité (CSP R. 1470-9) : mettez d'abord le titulaire en "
                "demeure de corriger les non-conformités, avec un délai de six mois au plus."
            )
        lapsed = notices.filter(deadline__lt=today).exclude(fixed=True)
        if not lapsed.exists():
            deadline = notices.order_by("-deadline").first().deadline
            if notices.filter(fixed=True).count() == notices.count():
                return (
                    "Retrait pour non-conformité : chaque mise en demeure a été close, les "
                    "non-conformités corrigées."
                )
            return (
                "Retrait pour non-conformité : la mise en demeure laisse au titulaire jusqu'au "
                f"{_day(deadline)} pour corriger ; le retrait est possible après, s'il n'a pas "
                "corrigé."
            )
    return None


def _check_ground(certificate: Certificate, ground: str, today: dt.date) -> None:
    refusal = withdrawal_refusal(certificate, ground, today)
    if refusal:
        status = 400 if ground not in WithdrawalGround.values else 409
        raise _refused(refusal, status, "ground")


def _terminate_convention(certificate: Certificate, *, by, ground: str, on: dt.date) -> None:
    """The withdrawal terminates the convention (TLC guide §7.1, DMN guide §6.1): journaled on
    the convention, which keeps its signed PDF."""
    convention = getattr(certificate.application, "convention", None)
    if convention is None:
        return
    record(
        action="convention.terminate",
        obj=convention,
        by=by,
        application_id=certificate.application_id,
        after={"certificate": certificate.number, "ground": ground, "on": on.isoformat()},
    )


@WORKFLOW.effect("withdraw")
def _withdrawn(certificate: Certificate, *, by, reason, source, **data) -> dict:
    today = legal_today()
    if data.get("scheduled"):
        # The sweep, on (or after) the day a notified withdrawal takes effect.
        ground = certificate.withdrawal_ground
        effective_on = certificate.withdrawal_effective_on or today
        notified_on = certificate.withdrawal_notified_on or effective_on
        reason = reason or scheduled_withdrawal_reason(certificate)
    else:
        ground = data.get("ground") or ""
        _check_ground(certificate, ground, today)
        effective_on = notified_on = today
    certificate.withdrawal_ground = ground
    certificate.withdrawal_notified_on = notified_on
    certificate.withdrawal_effective_on = effective_on
    certificate.status_changed_on = effective_on
    certificate.status_reason = reason
    certificate.save(
        update_fields=[
            "withdrawal_ground",
            "withdrawal_notified_on",
            "withdrawal_effective_on",
            "status_changed_on",
            "status_reason",
            "updated_at",
        ]
    )
    _revise(certificate, RevisionKind.WITHDRAWN, by=by, reason=reason, effective_on=effective_on)
    _terminate_convention(certificate, by=by, ground=ground, on=effective_on)
    closed = close_open_notices(
        certificate, by=by, on=effective_on, why=f"Certificat retiré le {_day(effective_on)}."
    )
    appeal = "" if data.get("scheduled") else "\n" + appeal_words()
    tell_holder(
        certificate,
        "retrait",
        f"Le certificat de conformité {certificate.number} de {certificate.product_name} "
        f"{certificate.product_version} est retiré à compter du {_day(effective_on)} et la "
        f"convention est résiliée. Fondement : {WithdrawalGround(ground).label}. Motif : "
        f"{reason}\nLe registre public montre le certificat retiré avec son motif. Informez "
        f"sans délai les utilisateurs de votre service (CSP R. 1470-9).{appeal}",
    )
    return {
        "ground": ground,
        "effective_on": effective_on.isoformat(),
        "convention": "résiliée",
        **({"notices_closed": closed} if closed else {}),
    }


def appeal_words() -> str:
    """The routes and time limits of appeal against the agency's act (CRPA L. 411-2, CJA
    R. 421-1), as the decision letters state them (R-DEC-3)."""
    from guichet.committee.letters import APPEAL_ROUTES

    return "Voies et délais de recours : " + " ".join(
        f"{i}. {route}" for i, route in enumerate(APPEAL_ROUTES, start=1)
    )


def close_open_notices(certificate: Certificate, *, by, on: dt.date, why: str) -> list[int]:
    """R-CRT-5: a withdrawal or an expiry ends the formal notices still open on the
    certificate, with why, each journaled, so that no page, filter or sweep asks for an act
    already overtaken."""
    closed = []
    for notice in open_notices(certificate):
        notice.closed_on, notice.outcome, notice.fixed = on, why, False
        notice.save(update_fields=["closed_on", "outcome", "fixed"])
        record(
            action="certificate.formal_notice_close",
            obj=certificate,
            by=by,
            application_id=certificate.application_id,
            after={
                "number": certificate.number,
                "notice": notice.pk,
                "fixed": False,
                "reason": why,
                "on": on.isoformat(),
            },
        )
        closed.append(notice.pk)
    return closed


def scheduled_withdrawal_reason(certificate: Certificate) -> str:
    """The reason given when the withdrawal now taking effect was notified (its revision)."""
    revision = (
        certificate.revisions.filter(kind=RevisionKind.WITHDRAWAL_SCHEDULED)
        .order_by("-number")
        .first()
    )
    return revision.reason if revision else certificate.status_reason


@WORKFLOW.effect("schedule_withdrawal")
def _withdrawal_scheduled(certificate: Certificate, *, by, reason, source, **data) -> dict:
    today = legal_today()
    ground = data.get("ground") or ""
    _check_ground(certificate, ground, today)
    effective_on = data.get("effective_on")
    if not isinstance(effective_on, dt.date) or effective_on <= today:
        raise _refused(
            "Un retrait à effet différé prend effet après aujourd'hui : indiquez une date "
            "future (ou retirez le certificat dès aujourd'hui).",
            400,
            "effective_on",
        )
    if effective_on > today + SIX_MONTHS:
        raise _refused(
            "Le retrait prend effet au plus six mois après sa notification (CSP R. 1470-9) : "
            f"choisissez une date jusqu'au {_day(today + SIX_MONTHS)}.",
            400,
            "effective_on",
        )
    # The state's own reason (a suspension's) stays: the withdrawal's is its revision's.
    certificate.withdrawal_ground = ground
    certificate.withdrawal_notified_on = today
    certificate.withdrawal_effective_on = effective_on
    certificate.save(
        update_fields=[
            "withdrawal_ground",
            "withdrawal_notified_on",
            "withdrawal_effective_on",
            "updated_at",
        ]
    )
    _revise(
        certificate, RevisionKind.WITHDRAWAL_SCHEDULED, by=by, reason=reason, effective_on=today
    )
    tell_holder(
        certificate,
        "retrait notifié",
        f"L'Agence du numérique en santé retire le certificat de conformité "
        f"{certificate.number} à compter du {_day(effective_on)} ; la convention sera résiliée "
        f"ce jour-là. Fondement : {WithdrawalGround(ground).label}. Motif : {reason}\n"
        "Informez sans délai les utilisateurs de votre service (CSP R. 1470-9).\n" + appeal_words(),
    )
    return {"ground": ground, "effective_on": effective_on.isoformat()}


@WORKFLOW.effect("cancel_withdrawal")
def _withdrawal_cancelled(certificate: Certificate, *, by, reason, source, **data) -> dict:
    """R-CRT-5: the agency cancels a withdrawal notified for a later day, before that day."""
    today = legal_today()
    cancelled = data.get("cancelled_on") or certificate.withdrawal_effective_on
    certificate.withdrawal_ground = ""
    certificate.withdrawal_notified_on = None
    certificate.withdrawal_effective_on = None
    certificate.save(
        update_fields=[
            "withdrawal_ground",
            "withdrawal_notified_on",
            "withdrawal_effective_on",
            "updated_at",
        ]
    )
    _revise(
        certificate, RevisionKind.WITHDRAWAL_CANCELLED, by=by, reason=reason, effective_on=today
    )
    tell_holder(
        certificate,
        "retrait annulé",
        f"L'Agence du numérique en santé annule le retrait du certificat de conformité "
        f"{certificate.number} qui devait prendre effet le {_day(cancelled)} : le certificat "
        f"reste {Status(certificate.status).label.lower()}. Motif : {reason}",
    )
    return {"cancelled_effective_on": cancelled.isoformat(), "on": today.isoformat()}


# --- the term: renewal, expiry, notice of non-renewal (R-CRT-2, R-CRT-4) ------------------------


def _term_years(certificate: Certificate) -> int:
    convention = getattr(certificate.application, "convention", None)
    return getattr(convention, "term_years", None) or services.TERM_YEARS


@WORKFLOW.effect("renew")
def _renewed(certificate: Certificate, *, by, reason, source, **data) -> dict:
    start = certificate.valid_until + dt.timedelta(days=1)
    years = _term_years(certificate)
    certificate.term_start = start
    certificate.valid_until = start + relativedelta(years=years) - dt.timedelta(days=1)
    certificate.renewals += 1
    certificate.save(update_fields=["term_start", "valid_until", "renewals", "updated_at"])
    reason = reason or f"Reconduction tacite pour {years} ans."
    _revise(certificate, RevisionKind.RENEWED, by=by, reason=reason, effective_on=start)
    tell_holder(
        certificate,
        "reconduction tacite",
        f"Le certificat de conformité {certificate.number} est reconduit tacitement, comme la "
        f"convention : il est valable du {_day(start)} au {_day(certificate.valid_until)}.",
    )
    return {"term_start": start.isoformat(), "valid_until": certificate.valid_until.isoformat()}


@WORKFLOW.effect("expire")
def _expired(certificate: Certificate, *, by, reason, source, **data) -> dict:
    on = data.get("on") or legal_today()
    certificate.status_changed_on = on
    certificate.status_reason = reason
    certificate.save(update_fields=["status_changed_on", "status_reason", "updated_at"])
    _revise(certificate, RevisionKind.EXPIRED, by=by, reason=reason, effective_on=on)
    close_open_notices(certificate, by=by, on=on, why=f"Certificat expiré le {_day(on)}.")
    withdrawn = _approval_withdrawn(certificate, on)
    tell_holder(
        certificate,
        "expiration",
        f"Le certificat de conformité {certificate.number} a expiré le {_day(on)}. {reason}"
        + (
            f" Faute de renouvellement du certificat, l'agrément de téléconsultation est "
            f"enregistré comme supprimé le {_day(on)}."
            if withdrawn
            else ""
        ),
    )
    return {
        "on": on.isoformat(),
        **({"approval_withdrawn_on": on.isoformat()} if withdrawn else {}),
    }


def _approval_withdrawn(certificate: Certificate, on: dt.date) -> bool:
    """TLC guide §7.2 (R-CRT-8): « La suppression de l'agrément de téléconsultation peut
    intervenir … dans le cas où le renouvellement du certificat de conformité … n'a pas pu
    s'effectuer »: an expiry ends the approval recorded with it — unless the standard
    certificate of the same application replaces an exceptional one, and carries it on."""
    if not certificate.approval_filed_on or certificate.approval_withdrawn_on:
        return False
    if (
        certificate.kind == Kind.EXCEPTIONAL
        and Certificate.objects.filter(
            application_id=certificate.application_id, kind=Kind.STANDARD
        ).exists()
    ):
        return False
    certificate.approval_withdrawn_on = on
    certificate.save(update_fields=["approval_withdrawn_on", "updated_at"])
    return True


@WORKFLOW.effect("stop_renewal")
def _renewal_stopped(certificate: Certificate, *, by, reason, source, **data) -> dict:
    today = legal_today()
    certificate.renewal_stopped_on = today
    certificate.save(update_fields=["renewal_stopped_on", "updated_at"])
    _revise(certificate, RevisionKind.RENEWAL_STOPPED, by=by, reason=reason, effective_on=today)
    who = "l'agence" if by is not None and by.is_agency else "le titulaire"
    tell_holder(
        certificate,
        "non-reconduction",
        f"La non-reconduction du certificat de conformité {certificate.number} est notifiée "
        f"par {who} le {_day(today)} : il ne sera pas reconduit et expirera à la fin de sa "
        f"période de validité, le {_day(certificate.valid_until)}. Motif : {reason}",
    )
    if by is None or not by.is_agency:
        notify_instructors(
            certificate.application,
            "non-reconduction d'un certificat",
            f"Le titulaire du certificat {certificate.number} notifie sa non-reconduction : il "
            f"expirera le {_day(certificate.valid_until)}. Motif : {reason}",
            kind="work",
            certificate=certificate.number,
        )
    return {"renewal_stopped_on": today.isoformat()}


# --- what the certificate states: version, reservations (R-CRT-3, issue 13 §1) ------------------


@WORKFLOW.effect("update_version")
def _version_updated(certificate: Certificate, *, by, reason, source, **data) -> dict:
    version = (data.get("product_version") or "").strip()
    if not version:
        raise _refused(
            "Indiquez la nouvelle version du produit couverte par le certificat.",
            400,
            "product_version",
        )
    if len(version) > 64:
        raise _refused("La version compte au plus 64 caractères.", 400, "product_version")
    before = {"product_version": certificate.product_version, "modules": certificate.modules}
    certificate.product_version = version
    if data.get("modules") is not None:
        certificate.modules = list(data["modules"])
    certificate.save(update_fields=["product_version", "modules", "updated_at"])
    today = legal_today()
    _revise(certificate, RevisionKind.VERSION_UPDATED, by=by, reason=reason, effective_on=today)
    tell_holder(
        certificate,
        "version mise à jour",
        f"Le certificat de conformité {certificate.number} couvre désormais "
        f"{certificate.product_name} {version} (évolution non substantielle). Motif : {reason}",
    )
    return {"before": before, "product_version": version, "modules": certificate.modules}


# --- the reservations of an « attribution sous réserve » (R-DEC-2, TLC guide §5.4) --------------

RESERVATION_ACTS = frozenset({"lift_reservations", "lift_reservation", "fail_reservation"})


def _standing_reservations(certificate: Certificate, rows) -> None:
    """What the certificate states as its reservations: those of its decision not lifted (a
    reservation found not lifted still bears on it until a withdrawal). A certificate whose
    decision kept no reservation rows (before R-DEC-2's rows) has its texts lifted whole."""
    certificate.reservations = [r.text for r in rows if not r.lifted_on]
    certificate.save(update_fields=["reservations", "updated_at"])


def _remaining_words(certificate: Certificate) -> str:
    n = len(certificate.reservations)
    if not n:
        return "Le certificat est réémis sans réserve."
    return ngettext(
        "Le certificat est réémis ; %(n)d réserve le grève encore.",
        "Le certificat est réémis ; %(n)d réserves le grèvent encore.",
        n,
    ) % {"n": n}


def _reservation(certificate: Certificate, rank, *, verb: str) -> Reservation:
    """The reservation of rank `rank` of the certificate's decision, locked, still pending;
    refusals naming what is wrong."""
    if rank in (None, ""):
        raise _refused(
            f"Indiquez la réserve à {verb} (son rang : 1 pour la première).", 400, "reservation"
        )
    if isinstance(rank, bool) or not isinstance(rank, int):
        try:
            rank = int(str(rank).strip())
        except ValueError:
            raise _refused(
                "Le rang d'une réserve est un nombre entier : 1 pour la première.",
                400,
                "reservation",
            ) from None
    rows = Reservation.objects.select_for_update().filter(decision_id=certificate.decision_id or 0)
    reservation = rows.filter(position=rank).first()
    if reservation is None:
        count = rows.count()
        known = (
            ngettext(
                "sa seule réserve porte le n° 1",
                "ses réserves sont numérotées de 1 à %(n)d",
                count,
            )
            % {"n": count}
            if count
            else "il n'a pas de réserve"
        )
        raise _refused(
            f"Réserve inconnue : le certificat {certificate.number} n'a pas de réserve n° "
            f"{rank} ; {known}.",
            400,
            "reservation",
        )
    if reservation.lifted_on:
        raise _refused(
            f"La réserve n° {rank} est déjà levée (le {_day(reservation.lifted_on)}).",
            409,
            "reservation",
        )
    if reservation.failed_on:
        raise _refused(
            f"La réserve n° {rank} est déjà constatée non levée (le "
            f"{_day(reservation.failed_on)}) : la suite est une mise en demeure, puis, s'il le "
            "faut, le retrait du certificat.",
            409,
            "reservation",
        )
    return reservation


def _reservation_details(reservation: Reservation) -> dict:
    return {
        "reservation": reservation.position,
        "text": reservation.text,
        "deadline": reservation.deadline.isoformat(),
    }


@WORKFLOW.effect("lift_reservation")
def _reservation_lifted(certificate: Certificate, *, by, reason, source, **data) -> dict:
    reservation = _reservation(certificate, data.get("reservation"), verb="lever")
    today = legal_today()
    reservation.lifted_on, reservation.settled_reason = today, reason
    reservation.save(update_fields=["lifted_on", "settled_reason"])
    _standing_reservations(certificate, reservations_of(certificate))
    _revise(
        certificate,
        RevisionKind.RESERVATION_LIFTED,
        by=by,
        reason=f"Réserve n° {reservation.position} levée : {reason}",
        effective_on=today,
    )
    tell_holder(
        certificate,
        "réserve levée",
        f"La réserve n° {reservation.position} du certificat de conformité "
        f"{certificate.number}, « {reservation.text} », est levée le {_day(today)}. Motif : "
        f"{reason}\n{_remaining_words(certificate)}",
    )
    return {**_reservation_details(reservation), "lifted_on": today.isoformat()}


@WORKFLOW.effect("fail_reservation")
def _reservation_failed(certificate: Certificate, *, by, reason, source, **data) -> dict:
    reservation = _reservation(certificate, data.get("reservation"), verb="constater non levée")
    today = legal_today()
    if reservation.deadline >= today:
        raise _refused(
            f"La réserve n° {reservation.position} est à lever au plus tard le "
            f"{_day(reservation.deadline)} : qu'elle ne l'est pas se constate après cette date.",
            409,
            "reservation",
        )
    reservation.failed_on, reservation.settled_reason = today, reason
    reservation.save(update_fields=["failed_on", "settled_reason"])
    _standing_reservations(certificate, reservations_of(certificate))
    _revise(
        certificate,
        RevisionKind.RESERVATION_FAILED,
        by=by,
        reason=f"Réserve n° {reservation.position} non levée à son échéance du "
        f"{_day(reservation.deadline)} : {reason}",
        effective_on=today,
    )
    tell_holder(
        certificate,
        "réserve non levée",
        f"L'Agence du numérique en santé constate le {_day(today)} que la réserve n° "
        f"{reservation.position} du certificat de conformité {certificate.number}, "
        f"« {reservation.text} », à lever au plus tard le {_day(reservation.deadline)}, "
        f"n'est pas levée. Constat : {reason}\nL'agence peut vous mettre en demeure d'y "
        "remédier, dans un délai de six mois au plus, puis retirer le certificat et résilier "
        "la convention (CSP R. 1470-9).",
    )
    return {**_reservation_details(reservation), "failed_on": today.isoformat()}


@WORKFLOW.effect("lift_reservations")
def _reservations_lifted(certificate: Certificate, *, by, reason, source, **data) -> dict:
    """Every reservation still to lift, at once: each row gets its date (R-DEC-2)."""
    today = legal_today()
    rows = reservations_of(certificate)
    pending = [r for r in rows if r.is_pending]
    Reservation.objects.filter(pk__in=[r.pk for r in pending]).update(
        lifted_on=today, settled_reason=reason
    )
    for r in pending:
        r.lifted_on, r.settled_reason = today, reason
    lifted = [r.text for r in pending] if rows else list(certificate.reservations)
    _standing_reservations(certificate, rows)
    _revise(certificate, RevisionKind.RESERVATIONS_LIFTED, by=by, reason=reason, effective_on=today)
    tell_holder(
        certificate,
        "réserves levées",
        f"Les réserves du certificat de conformité {certificate.number} sont levées le "
        f"{_day(today)}. Motif : {reason}\n{_remaining_words(certificate)}",
    )
    return {"lifted": lifted, "reservations": [r.position for r in pending]}


# --- formal notices (R-CRT-5, R-CRT-6 art. 15) --------------------------------------------------


@WORKFLOW.effect("give_formal_notice")
def _notice_given(certificate: Certificate, *, by, reason, source, **data) -> dict:
    today = legal_today()
    kind = data.get("kind") or ""
    if kind not in NoticeKind.values:
        raise _refused("Choisissez la nature de la mise en demeure.", 400, "kind")
    deadline = data.get("deadline")
    if not isinstance(deadline, dt.date) or deadline <= today:
        raise _refused(
            "Indiquez l'échéance de la mise en demeure, après aujourd'hui.", 400, "deadline"
        )
    if deadline > today + SIX_MONTHS:
        raise _refused(
            "Le délai d'une mise en demeure ne peut excéder six mois (CSP R. 1470-9) : "
            f"choisissez une échéance jusqu'au {_day(today + SIX_MONTHS)}.",
            400,
            "deadline",
        )
    notice = FormalNotice.objects.create(
        certificate=certificate,
        kind=kind,
        text=reason,
        issued_on=today,
        deadline=deadline,
        by=by,
        suspends=bool(data.get("suspend")),
    )
    if kind == NoticeKind.FRAUD:
        asked = "de présenter vos observations sur les faits suivants"
    else:
        asked = (
            "de prendre les mesures correctrices, ou de présenter vos observations, sur les "
            "non-conformités suivantes"
        )
    tell_holder(
        certificate,
        "mise en demeure",
        f"L'Agence du numérique en santé vous met en demeure, au sujet du certificat de "
        f"conformité {certificate.number}, {asked}, au plus tard le {_day(deadline)} :\n"
        f"{reason}\nÀ défaut, le certificat peut être retiré et la convention résiliée.",
    )
    return {"notice": notice.pk, "kind": kind, "deadline": deadline.isoformat()}


@WORKFLOW.effect("close_formal_notice")
def _notice_closed(certificate: Certificate, *, by, reason, source, **data) -> dict:
    notice_id = data.get("notice")
    notices = open_notices(certificate)
    notice = notices.filter(pk=notice_id).first() if notice_id else notices.first()
    if notice is None:
        raise _refused("Cette mise en demeure n'est pas en cours sur ce certificat.", 400, "notice")
    fixed = data.get("fixed")
    if fixed is None:
        raise _refused(
            "Dites si le titulaire a remédié aux non-conformités (ou présenté des observations "
            "suffisantes).",
            400,
            "fixed",
        )
    today = legal_today()
    notice.closed_on, notice.outcome, notice.fixed = today, reason, bool(fixed)
    notice.save(update_fields=["closed_on", "outcome", "fixed"])
    if fixed:
        text = "l'agence constate qu'il y a été remédié"
    else:
        text = "l'agence constate qu'il n'y a pas été remédié ; le certificat peut être retiré"
    tell_holder(
        certificate,
        "mise en demeure close",
        f"La mise en demeure du {_day(notice.issued_on)} sur le certificat {certificate.number} "
        f"est close le {_day(today)} : {text}. Suite donnée : {reason}",
    )
    return {"notice": notice.pk, "fixed": bool(fixed)}


# --- controls (R-CRT-5; CSP R. 1470-7, R. 1470-8) ----------------------------------------------


@WORKFLOW.effect("record_control")
def _control_recorded(certificate: Certificate, *, by, reason, source, **data) -> dict:
    from guichet.certificates.models import Control
    from guichet.files.services import commit

    held_on = _past_day(
        certificate,
        data.get("held_on") or legal_today(),
        field="held_on",
        what="La date du contrôle",
    )
    conclusion = (data.get("conclusion") or "").strip()
    if not conclusion:
        raise _refused("Indiquez les conclusions du contrôle.", 400, "conclusion")
    if data.get("conforme") is None:
        raise _refused("Dites si le contrôle conclut à la conformité.", 400, "conforme")
    upload = data.get("report")
    if upload is None:
        raise _refused("Joignez le rapport du contrôle (PDF).", 400, "report")
    stored = commit(upload, by=by, produced_on=held_on)
    periodic = bool(data.get("periodic"))
    control = Control.objects.create(
        certificate=certificate,
        periodic=periodic,
        held_on=held_on,
        conclusion=conclusion,
        conforme=bool(data["conforme"]),
        report=stored,
        by=by,
    )
    details = {"control": control.pk, "report_sha256": stored.sha256, "periodic": periodic}
    next_check = _next_check(certificate, data.get("next_check"), held_on, periodic)
    if next_check is not None and next_check != certificate.next_check:
        # CSP R. 1470-7: the certificate states the date of its next check: reissued.
        certificate.next_check = next_check
        certificate.save(update_fields=["next_check", "updated_at"])
        _revise(
            certificate,
            RevisionKind.CONTROLLED,
            by=by,
            reason=f"Contrôle {'périodique ' if periodic else ''}du {_day(held_on)} ; prochain "
            f"contrôle le {_day(next_check)}.",
            effective_on=held_on,
        )
        details["next_check"] = next_check.isoformat()
    outcome = "conforme" if control.conforme else "non conforme"
    tell_holder(
        certificate,
        "rapport de contrôle",
        f"Le contrôle {'périodique ' if periodic else ''}du {_day(held_on)} sur "
        f"{certificate.product_name} {certificate.product_version} conclut : {outcome}.\n"
        f"{conclusion}\nLe rapport est joint ; il est conservé avec le certificat "
        f"{certificate.number}.",
        attachments=(stored.pk,),
    )
    return details


def _next_check(certificate: Certificate, entered, held_on: dt.date, periodic: bool):
    """The next check's date (CSP R. 1470-7): the one entered — after today and within the
    certificate's validity — or, for a periodic check, the version's period after it (where
    the arrêté sets one); None to leave it as it is."""
    if entered:
        today = legal_today()
        if not isinstance(entered, dt.date) or entered <= today:
            raise _refused(
                f"Le prochain contrôle se fixe après aujourd'hui ({_day(today)}).",
                400,
                "next_check",
            )
        if entered > certificate.valid_until:
            raise _refused(
                "Le prochain contrôle se fixe dans la validité du certificat, au plus tard le "
                f"{_day(certificate.valid_until)}.",
                400,
                "next_check",
            )
        return entered
    months = _settings(certificate).periodic_check_months
    if periodic and months:
        return held_on + relativedelta(months=months)
    if periodic:
        raise _refused(
            "L'arrêté de ce référentiel ne fixe pas de période entre deux contrôles : indiquez "
            "la date du prochain contrôle.",
            400,
            "next_check",
        )
    return None


# --- DMN: strike-off request (R-CRT-7) ----------------------------------------------------------


def strike_off_list(certificate: Certificate) -> str:
    """The list the product is on: the LATM for telesurveillance, the LPPR otherwise (the
    admissibility form's answer)."""
    form = certificate.application.form or {}
    return "LATM" if form.get("reimbursement_list") == "LATM" else "LPPR"


def strike_off_refusal(certificate: Certificate, ground: str, today: dt.date) -> str | None:
    """DMN guide §6.2: each of the three grounds in its case. A failed audit is a breach: the
    agency ends the certificate first (« il met fin au certificat de conformité et en informe
    les ministres », CSS R. 165-5-3, R. 162-77), by its withdrawal; a renewal that could not
    happen, once the certificate ended; no new certificate asked for, once the delay after the
    new referential version ran out (CSS R. 162-85, R. 162-76 VI)."""
    live = certificate.status in LIVE
    if ground == StrikeOffGround.AUDIT_FAILED and live:
        return (
            "Un audit qui n'a pas permis de vérifier le respect des référentiels met fin au "
            "certificat : retirez d'abord le certificat (fondement : non-conformité), puis "
            "demandez la radiation."
        )
    if ground == StrikeOffGround.RENEWAL_FAILED and live:
        return (
            "Le certificat est encore en vigueur : la radiation pour renouvellement impossible "
            "se demande une fois le certificat expiré ou retiré."
        )
    if ground == StrikeOffGround.NO_NEW_CERTIFICATE:
        due = certificate.new_certificate_due
        if due is None:
            return (
                "Aucun délai pour solliciter un nouveau certificat ne court pour ce produit : "
                "ce motif suit l'évolution du référentiel d'un DMN de télésurveillance."
            )
        if due >= today:
            return (
                f"Le titulaire peut solliciter un nouveau certificat jusqu'au {_day(due)} : la "
                "radiation pour ce motif se demande après."
            )
    return None


@WORKFLOW.effect("request_strike_off")
def _strike_off_requested(certificate: Certificate, *, by, reason, source, **data) -> dict:
    ground = data.get("ground") or ""
    if ground not in StrikeOffGround.values:
        raise _refused("Choisissez le motif de la demande de radiation.", 400, "ground")
    today = legal_today()
    refusal = strike_off_refusal(certificate, ground, today)
    if refusal:
        raise _refused(refusal, 409, "ground")
    certificate.strike_off_requested_on = today
    certificate.strike_off_ground = ground
    certificate.save(update_fields=["strike_off_requested_on", "strike_off_ground", "updated_at"])
    tell_holder(
        certificate,
        "demande de radiation",
        f"L'Agence du numérique en santé demande le {_day(today)} aux ministres chargés de la "
        f"santé et de la sécurité sociale la radiation {of_name(certificate.product_name)} de la "
        f"liste {strike_off_list(certificate)}. Motif : {StrikeOffGround(ground).label}."
        + (f"\n{reason}" if reason else "")
        + "\nLa demande, scellée par l'agence, figure sur la page du certificat.",
    )
    return {"ground": ground}


# --- TLC: approval and FINESS number (R-CRT-8) ------------------------------------------------


@WORKFLOW.effect("record_approval_filing")
def _approval_filed(certificate: Certificate, *, by, reason, source, **data) -> dict:
    filed_on = _past_day(
        certificate,
        data.get("filed_on") or legal_today(),
        field="filed_on",
        what="La date du dépôt de la demande d'agrément",
    )
    certificate.approval_filed_on = filed_on
    certificate.save(update_fields=["approval_filed_on", "updated_at"])
    tell_holder(
        certificate,
        "demande d'agrément",
        f"Le dépôt de la demande d'agrément auprès du ministère, le {_day(filed_on)}, est "
        f"enregistré pour le certificat {certificate.number}. Déclarez ensuite le numéro "
        "FINESS dès qu'il vous est attribué.",
    )
    return {"filed_on": filed_on.isoformat()}


# The department heads a FINESS number: 01 to 95 but 20 (Corsica is 2A, 2B since 1976), 97
# for the overseas departments (971 to 975, the third character being theirs) and 98 for
# Mayotte. For the key, Corsica's letters are read as digits: 2A as 21, 2B as 22. Checked
# against the numbers the ARS de Corse publishes in its acts (recueils des actes
# administratifs of Corse-du-Sud and Haute-Corse, 2024-2025: CH de Bonifacio 2A0000170, CH de
# Sartène 2A0002606, CH de Bastia 2B0000020, CH de Calvi 2B0005342 …): every one passes Luhn's
# key with 21 / 22, none with « 20 »; gip-inclusion/pilotage's validator reads them so too.
CORSICA_KEY_DIGITS = {"2A": "21", "2B": "22"}
FINESS_DEPARTMENTS = frozenset(
    {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B", "97", "98"}
)
# Examples the messages give: they pass the check (tests assert it).
FINESS_EXAMPLES = ("750000002", "2A0000006")


def normalised_finess(value) -> str:
    """What was typed, without its spaces (« 75 000 000 2 », non-breaking ones too), dots or
    dashes, in upper case."""
    return "".join(str(value or "").split()).replace(".", "").replace("-", "").upper()


def check_finess(value: str) -> str:
    """A FINESS number (R-CRT-8): 9 characters — the department (FINESS_DEPARTMENTS), 6
    digits, and a check digit (Luhn's key over the 9 characters, Corsica's letters read as
    CORSICA_KEY_DIGITS). Returns it normalised; raises an ApplicationError with what is
    wrong and an example that passes."""
    number = normalised_finess(value)
    example = (
        f"par exemple « {FINESS_EXAMPLES[0]} » (Paris) ou « {FINESS_EXAMPLES[1]} » (Corse-du-Sud)"
    )
    if len(number) != 9:
        raise _refused(
            f"Un numéro FINESS compte 9 caractères (reçu : {len(number)}) : {example}.",
            400,
            "finess",
        )
    head, rest = number[:2], number[2:]
    if not (head.isdigit() or head in CORSICA_KEY_DIGITS) or not rest.isdigit():
        raise _refused(
            "Un numéro FINESS s'écrit en chiffres, le département en tête (2A ou 2B pour la "
            f"Corse) : {example}.",
            400,
            "finess",
        )
    if head not in FINESS_DEPARTMENTS:
        raise _refused(
            f"Un numéro FINESS commence par le département de l'établissement : « {head} » "
            "n'en est pas un (01 à 95, 2A ou 2B en Corse, 97 outre-mer, 98 à Mayotte) : "
            f"{example}.",
            400,
            "finess",
        )
    if not _luhn_valid(CORSICA_KEY_DIGITS.get(head, head) + rest):
        raise _refused(
            f"Le numéro FINESS {number} n'est pas valide (sa clé de contrôle ne correspond "
            "pas) : vérifiez-le sur la notification de l'ARS ou de l'ANS.",
            400,
            "finess",
        )
    return number


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


@WORKFLOW.effect("record_finess")
def _finess_recorded(certificate: Certificate, *, by, reason, source, **data) -> dict:
    number = check_finess(data.get("finess"))
    certificate.finess = number
    certificate.save(update_fields=["finess", "updated_at"])
    tell_holder(
        certificate,
        "numéro FINESS",
        f"Le numéro FINESS {number} est enregistré pour {certificate.product_name} (certificat "
        f"{certificate.number}).",
    )
    return {"finess": number}


@WORKFLOW.effect("correct_finess")
def _finess_corrected(certificate: Certificate, *, by, reason, source, **data) -> dict:
    """R-CRT-8: a declared number found wrong is corrected by the agency, with the reason;
    the journal keeps both numbers and the holder is told."""
    previous = certificate.finess
    number = check_finess(data.get("finess"))
    if number == previous:
        raise _refused(
            f"Le numéro FINESS déclaré est déjà {number} : indiquez le numéro corrigé.",
            400,
            "finess",
        )
    certificate.finess = number
    certificate.save(update_fields=["finess", "updated_at"])
    tell_holder(
        certificate,
        "numéro FINESS corrigé",
        f"L'agence a corrigé le numéro FINESS de {certificate.product_name} (certificat "
        f"{certificate.number}) : {number} au lieu de {previous}. Motif : {reason}",
    )
    return {"finess": number, "previous_finess": previous}


# --- the services: one per act ------------------------------------------------------------------


def act(certificate: Certificate, name: str, *, by, reason: str = "", **data) -> Certificate:
    """Fires the act `name` with its data (already parsed: dates, booleans, an upload) — the
    pages and the API call this. Some acts are two steps in one transaction: a formal notice
    that suspends, a withdrawal set for a later day, a notice closed as fixed."""
    if name == "give_formal_notice":
        return give_formal_notice(certificate, by=by, reason=reason, **data)
    if name == "close_formal_notice":
        return close_formal_notice(certificate, by=by, reason=reason, **data)
    if name == "withdraw":
        return withdraw(certificate, by=by, reason=reason, **data)
    if name == "cancel_withdrawal":
        # Its effects (the holder's email, the ministers' notice) name the day it was set for.
        data["cancelled_on"] = certificate.withdrawal_effective_on
    return transition(certificate, name, by=by, reason=reason, **data)


@transaction.atomic
def withdraw(
    certificate: Certificate,
    *,
    by,
    reason: str,
    ground: str = "",
    effective_on: dt.date | None = None,
    **_,
) -> Certificate:
    """Withdraws today, or notifies a withdrawal that the sweep carries out on `effective_on`
    (at most six months later, CSP R. 1470-9); never on a day gone by."""
    today = legal_today()
    if effective_on is not None and effective_on < today:
        raise _refused(
            f"La date d'effet du retrait ne peut pas être passée : aujourd'hui ({_day(today)}) "
            "pour un retrait immédiat, ou une date future.",
            400,
            "effective_on",
        )
    if effective_on is not None and effective_on > today:
        return transition(
            certificate,
            "schedule_withdrawal",
            by=by,
            reason=reason,
            ground=ground,
            effective_on=effective_on,
        )
    return transition(certificate, "withdraw", by=by, reason=reason, ground=ground)


def suspension_category(kind: str) -> str:
    """The public reason of a suspension that goes with a formal notice: its legal category,
    never the facts the notice names (the presumption of innocence; they stay in the notice,
    which the holder and the agency read)."""
    if kind == NoticeKind.FRAUD:
        return (
            "Dans l'attente des observations du titulaire, à la suite d'une mise en demeure "
            "(article 15 de la convention)."
        )
    return (
        "Jusqu'à la correction de non-conformités, à la suite d'une mise en demeure (article "
        "R. 1470-9 du code de la santé publique)."
    )


@transaction.atomic
def give_formal_notice(
    certificate: Certificate,
    *,
    by,
    reason: str,
    kind: str = NoticeKind.NON_CONFORMITY,
    deadline: dt.date | None = None,
    suspend: bool = False,
    **_,
) -> Certificate:
    """A formal notice with its deadline; with `suspend`, the certificate is suspended until
    the non-conformities are fixed (CSP R. 1470-9 I)."""
    certificate = transition(
        certificate,
        "give_formal_notice",
        by=by,
        reason=reason,
        kind=kind,
        deadline=deadline,
        suspend=suspend,
    )
    if suspend:
        if certificate.status != Status.VALID:
            raise _refused("Le certificat est déjà suspendu.", 409, "suspend")
        transition(certificate, "suspend", by=by, reason=suspension_category(kind))
    return certificate


@transaction.atomic
def close_formal_notice(
    certificate: Certificate,
    *,
    by,
    reason: str,
    notice: int | None = None,
    fixed: bool | None = None,
    **_,
) -> Certificate:
    """Closes a notice: fixed, the suspension is lifted when no other open notice suspends;
    not fixed, the page offers the withdrawal."""
    certificate = transition(
        certificate, "close_formal_notice", by=by, reason=reason, notice=notice, fixed=fixed
    )
    if (
        fixed
        and certificate.status == Status.SUSPENDED
        and not open_notices(certificate).filter(suspends=True).exists()
    ):
        transition(
            certificate,
            "reinstate",
            by=by,
            reason=f"Non-conformités corrigées (mise en demeure close) : {reason}",
        )
    return certificate
