"""The certificate's life as data (issue 13 §3), through the same executor as applications
(`guichet.common.workflow`): states valid → suspended ⇄ valid → withdrawn | expired, and the acts
that leave the state as it is but change the certificate (a new revision) or record a step.

Each transition names who may fire it; the certificates' services add their guards and effects
(`WORKFLOW.guard`, `WORKFLOW.effect`); `after` journals every transition, and `notify` tells the
holder. A revision is written by the effects of the transitions that change what the
certificate states (`services.new_revision`)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from guichet.accounts.models import Role
from guichet.applications.clock import legal_today
from guichet.certificates.models import Certificate, CertificateTransition, Status
from guichet.common.workflow import Transition, Workflow
from guichet.journal.services import record

# Who manages certificates at the agency: its administrator and its instructors.
MANAGERS = frozenset({Role.AGENCY_ADMIN, Role.INSTRUCTOR})
LIVE = frozenset({Status.VALID, Status.SUSPENDED})
ANY = frozenset(Status.values)


def is_manager(user) -> bool:
    """The agency's administrator or an instructor: who manages certificates."""
    return bool(user is not None and user.is_active and user.role in MANAGERS)


def _manager(user, certificate) -> bool:
    return is_manager(user)


def _manager_or_platform(user, certificate) -> bool:
    """The agency; or the platform itself (None), for a withdrawal notified for a later day
    that the daily sweep carries out on that day (CSP R. 1470-9)."""
    return user is None or _manager(user, certificate)


def _holder(user, certificate) -> bool:
    """A member of the organisation holding the certificate."""
    return bool(
        user is not None
        and user.is_active
        and not user.is_agency
        and user.organisation_id == certificate.organisation_id
    )


def _holder_or_manager(user, certificate) -> bool:
    return _holder(user, certificate) or _manager(user, certificate)


def _responsible(user, certificate) -> bool:
    """The Responsable habilité of the organisation holding the certificate, who commits it
    (R-ACT-2): the convention's acts are theirs, not a plain member's."""
    return _holder(user, certificate) and user.is_applicant_admin


def _responsible_or_manager(user, certificate) -> bool:
    return _responsible(user, certificate) or _manager(user, certificate)


def _platform(user, certificate) -> bool:
    return True


AGENCY = "l'administrateur de l'agence ou un instructeur"
HOLDER = "l'organisation titulaire du certificat"
# Read after « action réservée à … » (a refusal) and on the holder's page.
RESPONSIBLE = "l'organisation titulaire, par son Responsable habilité"

TRANSITIONS = [
    # --- changes of state -------------------------------------------------------------------
    Transition(
        name="suspend",
        label="Suspendre le certificat",
        sources=frozenset({Status.VALID}),
        target=Status.SUSPENDED,
        allowed=_manager,
        who=AGENCY,
        reason_required=True,
        reason_label="Motif de la suspension",
        confirm="Le registre public montrera le certificat suspendu dès maintenant ; le "
        "titulaire en est informé par courriel.",
        journal="certificate.suspend",
    ),
    Transition(
        name="reinstate",
        label="Lever la suspension",
        sources=frozenset({Status.SUSPENDED}),
        target=Status.VALID,
        allowed=_manager,
        who=AGENCY,
        reason_required=True,
        reason_label="Ce qui a été corrigé",
        confirm="Le certificat redevient valide dans le registre public.",
        journal="certificate.reinstate",
    ),
    Transition(
        name="withdraw",
        label="Retirer le certificat",
        sources=LIVE,
        target=Status.WITHDRAWN,
        allowed=_manager_or_platform,
        who=AGENCY,
        reason_required=True,
        reason_label="Motif du retrait",
        confirm="Le retrait est définitif : la convention est résiliée, le registre public "
        "montre le certificat retiré avec son motif, le titulaire en est informé.",
        form="withdrawal",
        journal="certificate.withdraw",
    ),
    Transition(
        name="expire",
        label="Expiration",
        sources=LIVE,
        target=Status.EXPIRED,
        allowed=_platform,
        who="la plateforme",
        automatic=True,
        journal="certificate.expire",
    ),
    # --- acts that leave the state as it is -------------------------------------------------
    Transition(
        name="renew",
        label="Reconduction tacite",
        sources=LIVE,
        target=None,
        allowed=_platform,
        who="la plateforme",
        automatic=True,
        journal="certificate.renew",
    ),
    Transition(
        name="schedule_withdrawal",
        label="Notifier un retrait à effet différé",
        sources=LIVE,
        target=None,
        allowed=_manager,
        who=AGENCY,
        reason_required=True,
        reason_label="Motif du retrait",
        form="withdrawal",
        journal="certificate.schedule_withdrawal",
    ),
    # R-CRT-2: the convention is renewed tacitly at each term; its holder's notice that it
    # will not be is an act of the Responsable habilité (issue 22 §2), who may withdraw it
    # before the term (renewal.py).
    Transition(
        name="cancel_withdrawal",
        label="Annuler le retrait notifié",
        sources=LIVE,
        target=None,
        allowed=_manager,
        who=AGENCY,
        reason_required=True,
        reason_label="Motif de l'annulation",
        confirm="Le retrait notifié n'aura pas lieu : le registre public, le titulaire et les "
        "ministres informés du retrait en sont avisés.",
        journal="certificate.cancel_withdrawal",
    ),
    Transition(
        name="stop_renewal",
        label="Notifier la non-reconduction",
        sources=LIVE,
        target=None,
        allowed=_responsible_or_manager,
        who=f"{RESPONSIBLE}, ou à l'agence",
        reason_required=True,
        reason_label="Motif de la non-reconduction",
        confirm="Le certificat ne sera pas reconduit : il expirera à la fin de sa période de "
        "validité. Cette notification peut être annulée jusqu'à cette date.",
        journal="certificate.stop_renewal",
    ),
    Transition(
        name="cancel_stop_renewal",
        label="Annuler la non-reconduction",
        sources=LIVE,
        target=None,
        allowed=_responsible_or_manager,
        who=f"{RESPONSIBLE}, ou à l'agence",
        reason_required=True,
        reason_label="Motif de l'annulation",
        confirm="Le certificat sera de nouveau reconduit tacitement à la fin de sa période de "
        "validité.",
        journal="certificate.cancel_stop_renewal",
    ),
    Transition(
        name="update_version",
        label="Mettre à jour la version certifiée",
        sources=frozenset({Status.VALID}),
        target=None,
        allowed=_manager,
        who=AGENCY,
        reason_required=True,
        reason_label="Évolution non substantielle constatée",
        form="version",
        journal="certificate.update_version",
    ),
    Transition(
        name="lift_reservations",
        label="Lever les réserves",
        sources=frozenset({Status.VALID}),
        target=None,
        allowed=_manager,
        who=AGENCY,
        reason_required=True,
        reason_label="Ce qui lève les réserves",
        confirm="Le certificat sera réémis sans réserve (nouvelle révision).",
        journal="certificate.lift_reservations",
    ),
    # R-DEC-2 (TLC guide §5.4): each reservation of an « attribution sous réserve » is lifted,
    # or found not lifted at its deadline, by an act of its own (`data["reservation"]`: its
    # rank). A failed reservation is followed by a formal notice, then a withdrawal: the
    # agency's acts, never automatic.
    Transition(
        name="lift_reservation",
        label="Lever une réserve",
        sources=LIVE,
        target=None,
        allowed=_manager,
        who=AGENCY,
        reason_required=True,
        reason_label="Ce qui lève la réserve",
        confirm="La réserve sera levée dans le registre public et le certificat réémis "
        "(nouvelle révision).",
        form="reservation",
        journal="certificate.lift_reservation",
    ),
    Transition(
        name="fail_reservation",
        label="Constater qu'une réserve n'est pas levée",
        sources=LIVE,
        target=None,
        allowed=_manager,
        who=AGENCY,
        reason_required=True,
        reason_label="Constat",
        confirm="Le registre public montrera la réserve non levée ; la mise en demeure, puis "
        "le retrait, restent à décider par leurs propres actes.",
        form="reservation",
        journal="certificate.fail_reservation",
    ),
    Transition(
        name="give_formal_notice",
        label="Mettre en demeure",
        sources=LIVE,
        target=None,
        allowed=_manager,
        who=AGENCY,
        reason_required=True,
        reason_label="Non-conformités ou faits relevés",
        form="formal_notice",
        journal="certificate.formal_notice",
    ),
    Transition(
        name="close_formal_notice",
        label="Clore la mise en demeure",
        sources=LIVE,
        target=None,
        allowed=_manager,
        who=AGENCY,
        reason_required=True,
        reason_label="Suite donnée",
        form="formal_notice_close",
        journal="certificate.formal_notice_close",
    ),
    Transition(
        name="record_control",
        label="Enregistrer un contrôle",
        sources=LIVE,
        target=None,
        allowed=_manager,
        who=AGENCY,
        form="control",
        journal="certificate.control",
    ),
    Transition(
        name="request_strike_off",
        label="Demander la radiation de la LPPR / LATM",
        sources=ANY,
        target=None,
        allowed=_manager,
        who=AGENCY,
        reason_label="Précisions (faits, dates)",
        form="strike_off",
        journal="certificate.strike_off_request",
    ),
    Transition(
        name="record_approval_filing",
        label="Déclarer le dépôt de la demande d'agrément",
        sources=LIVE,
        target=None,
        allowed=_holder_or_manager,
        who=f"{HOLDER} ou à l'agence",
        form="approval",
        journal="certificate.approval_filed",
    ),
    Transition(
        name="record_finess",
        label="Déclarer le numéro FINESS",
        sources=LIVE,
        target=None,
        allowed=_holder_or_manager,
        who=f"{HOLDER} ou à l'agence",
        form="finess",
        journal="certificate.finess",
    ),
    Transition(
        name="correct_finess",
        label="Corriger le numéro FINESS",
        sources=LIVE,
        target=None,
        allowed=_manager,
        who=AGENCY,
        form="finess",
        reason_required=True,
        reason_label="Motif de la correction",
        journal="certificate.finess_correct",
    ),
    Transition(
        name="notify_new_version",
        label="Nouvelle version du référentiel",
        sources=LIVE,
        target=None,
        allowed=_manager,
        who=AGENCY,
        form="new_version",
        journal="certificate.new_version",
    ),
]


# Why a role that is not a manager has no act on a certificate (R-ACT-1).
ROLE_NOTES = {
    Role.COMMITTEE: "le collège technique décide de l'attribution de la certification, il ne "
    "gère pas les certificats",
    Role.SUPPORT: "le support de l'agence accompagne les comptes, il ne gère pas les certificats",
}


def no_action_reason(certificate, user, *, shown=lambda name: True) -> str:
    """Why a page offers `user` no act on `certificate` (`WORKFLOW.options` is empty): who
    they are, when its state has acts that others may fire; else its state, which has none.
    `shown(name)`: whether the page shows that act at all (`lifecycle.applicable`)."""
    state = Status(certificate.status).label.lower()
    transitions = [
        t
        for t in WORKFLOW.all()
        if not t.automatic and certificate.status in t.sources and shown(t.name)
    ]
    if not transitions:
        return f"Aucune action possible sur un certificat « {state} »."
    whom = list(dict.fromkeys(t.who for t in transitions))
    if getattr(user, "is_agency", False) and AGENCY in whom:
        whom = [AGENCY]  # an agent reads who at the agency may act
    role = getattr(user, "role", "")
    label = Role(role).label.lower() if role in Role.values else ""
    note = ROLE_NOTES.get(role)
    return (
        f"Votre rôle{f' ({label})' if label else ''} ne permet aucune action sur ce certificat"
        + (f" : {note}" if note else "")
        + f". Dans l'état « {state} », ses actions sont réservées à {', ou à '.join(whom)}."
    )


def reserved_to_responsible(certificate, user, *, shown=lambda name: True) -> list[str]:
    """The acts of the certificate's state that its organisation's Responsable habilité
    fires, named for a member who is not (their page says who acts, R-ACT-1)."""
    if not _holder(user, certificate) or user.is_applicant_admin:
        return []
    return [
        t.label
        for t in WORKFLOW.all()
        if t.who.startswith(RESPONSIBLE)
        and not t.automatic
        and certificate.status in t.sources
        and shown(t.name)
        and not WORKFLOW.is_done(certificate, t)
    ]


def _journal(certificate, transition: Transition, source, by, reason, details) -> None:
    action = transition.journal or f"certificate.{transition.name}"
    after = {"number": certificate.number, "status": certificate.status}
    if reason:
        after["reason"] = reason
    record(
        action=action,
        obj=certificate,
        by=by,
        application_id=certificate.application_id,
        before={"status": source},
        after=after | details,
    )


def _log_fields(transition: Transition, data: dict) -> dict:
    """An act the sweep records for a past day (`sweep(today=…)`, a sweep that missed days)
    is logged on its own day (`on`, else the sweep's), at its start — a term ends at midnight —
    not at the clock of the run (issue 22 §4). Acts of the day keep their instant."""
    day = data.get("on") or legal_today()
    if day >= timezone.localdate():
        return {}
    return {"at": dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())}


WORKFLOW = Workflow(
    model=Certificate,
    state_field="status",
    states=Status,
    transitions=TRANSITIONS,
    log_model=CertificateTransition,
    subject_field="certificate",
    noun="le certificat",
    after=_journal,
    log_fields=_log_fields,
)


def transition(certificate: Certificate, name: str, *, by, reason: str = "", **data):
    """The only way a certificate's state changes (and its acts are recorded)."""
    return WORKFLOW.fire(certificate, name, by=by, reason=reason, **data)
