"""The term of a certificate as its holder lives it (R-CRT-2, issue 22 §2): the notice of
non-renewal, the Responsable habilité's act, which they may withdraw until the term; and the
reminder the holder receives before the term (`remind_term`, from the daily sweep).

DMN and TLC guides §6: « Le certificat de conformité est valable durant toute la durée de la
convention soit 5 ans, renouvelable à chaque échéance par tacite reconduction. »"""

from __future__ import annotations

from guichet.applications.clock import legal_today
from guichet.applications.notifications import notify_instructors
from guichet.certificates import services
from guichet.certificates.models import Certificate, Kind, RevisionKind
from guichet.certificates.workflow import WORKFLOW
from guichet.deadlines import french_date


def _term_passed(certificate: Certificate) -> str | None:
    """After the last day of the term, the sweep renews or ends the certificate: the notice
    of non-renewal, or its withdrawal, comes too late."""
    today = legal_today()
    if today > certificate.valid_until:
        return (
            f"La période de validité a pris fin le {french_date(certificate.valid_until)} : "
            "la non-reconduction se notifie, ou s'annule, au plus tard ce jour-là."
        )
    return None


@WORKFLOW.guard("stop_renewal")
def _stop_before_term(certificate: Certificate) -> str | None:
    return _term_passed(certificate)


@WORKFLOW.done("stop_renewal")
def _renewal_already_stopped(certificate: Certificate) -> bool:
    # The page offers its withdrawal (cancel_stop_renewal) instead.
    return bool(certificate.renewal_stopped_on)


@WORKFLOW.guard("cancel_stop_renewal")
def _cancellable(certificate: Certificate) -> str | None:
    if certificate.kind == Kind.EXCEPTIONAL:
        return "Un certificat exceptionnel n'est jamais reconduit : il expire à sa date de fin."
    if not certificate.renewal_stopped_on:
        return "Aucune non-reconduction n'est notifiée : le certificat sera reconduit tacitement."
    return _term_passed(certificate)


@WORKFLOW.done("cancel_stop_renewal")
def _nothing_to_cancel(certificate: Certificate) -> bool:
    return not certificate.renewal_stopped_on


@WORKFLOW.effect("cancel_stop_renewal")
def _renewal_restored(certificate: Certificate, *, by, reason, source, **data) -> dict:
    from guichet.certificates.lifecycle import tell_holder

    today = legal_today()
    stopped_on = certificate.renewal_stopped_on
    certificate.renewal_stopped_on = None
    certificate.save(update_fields=["renewal_stopped_on", "updated_at"])
    services.new_revision(
        certificate, RevisionKind.RENEWAL_RESTORED, by=by, reason=reason, effective_on=today
    )
    who = "l'agence" if by is not None and by.is_agency else "le titulaire"
    term = french_date(certificate.valid_until)
    tell_holder(
        certificate,
        "non-reconduction annulée",
        f"La non-reconduction du certificat de conformité {certificate.number}, notifiée le "
        f"{french_date(stopped_on)}, est annulée par {who} le {french_date(today)} : le "
        f"certificat sera reconduit tacitement à la fin de sa période de validité, le {term}. "
        f"Motif : {reason}",
    )
    if by is None or not by.is_agency:
        notify_instructors(
            certificate.application,
            "non-reconduction annulée",
            f"Le titulaire du certificat {certificate.number} annule sa non-reconduction, "
            f"notifiée le {french_date(stopped_on)} : le certificat sera reconduit tacitement "
            f"le lendemain du {term}. Motif : {reason}",
            kind="work",
        )
    return {"renewal_stopped_on": None, "was_stopped_on": stopped_on.isoformat()}
