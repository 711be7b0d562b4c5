"""The term of a certificate as its holder lives it (R-CRT-2, issue 22 §2): the notice of
non-renewal, the Responsable habilité's act, which they may withdraw until the term; and the
reminder the holder receives before the term (`remind_term`, from the daily sweep).

DMN and TLC guides §6: « Le certificat de conformité est valable durant toute la durée de la
convention soit 5 ans, renouvelable à chaque échéance par tacite reconduction. »"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F

from guichet.applications.clock import legal_today
from guichet.applications.notifications import notify_instructors
from guichet.certificates import services, term_end
from guichet.certificates.models import Certificate, Kind, RevisionKind
from guichet.certificates.workflow import LIVE, WORKFLOW
from guichet.common.text import ngettext
from guichet.deadlines import french_date
from guichet.journal.services import record

ONE_DAY = dt.timedelta(days=1)


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


# --- the reminder before the term (R-CRT-2) ---------------------------------------------------


def term_outlook(certificate: Certificate) -> str:
    """What happens at the end of the term, in the holder's words (the reminder, the pages)."""
    end = french_date(certificate.valid_until)
    after = french_date(certificate.valid_until + ONE_DAY)
    if certificate.kind == Kind.EXCEPTIONAL:
        return (
            f"Ce certificat exceptionnel expire en tout état de cause : il n'est plus valable "
            f"après le {end} (arrêté du 9 février 2024)."
        )
    if certificate.renewal_stopped_on:
        return (
            f"La non-reconduction a été notifiée le "
            f"{french_date(certificate.renewal_stopped_on)} : le certificat expirera le {after} "
            f"et ne sera plus valable après le {end}. Le Responsable habilité peut encore "
            f"l'annuler, sur la page du certificat, jusqu'au {end}."
        )
    if term_end.of(certificate) == term_end.EXPIRY:  # R-CRT-3: the referential changed
        return (
            "La version du référentiel de ce certificat a été remplacée ; un nouveau "
            "certificat était à solliciter au plus tard le "
            f"{french_date(certificate.new_certificate_due)}. Ce certificat ne sera donc pas "
            f"reconduit : il expirera le {after}. Le produit reste certifié par le certificat "
            "obtenu sur la nouvelle version du référentiel."
        )
    return (
        f"Sans démarche de votre part, le certificat et la convention seront reconduits "
        f"tacitement à compter du {after}. Si vous ne souhaitez pas cette reconduction, le "
        f"Responsable habilité peut notifier la non-reconduction, sur la page du certificat, "
        f"jusqu'au {end}."
    )


def term_event(certificate: Certificate) -> str:
    """What the end of the term brings, in a few words (« Mes certificats »): « reconduction
    tacite le 10 janvier 2032 » or « expiration le 10 janvier 2032 »; empty once ended."""
    from guichet.certificates.standing import Standing

    standing = Standing.of(certificate)
    if standing.is_ended:
        return ""
    after = french_date(certificate.valid_until + ONE_DAY)
    if standing.withdrawal_scheduled and certificate.withdrawal_effective_on <= (
        certificate.valid_until + ONE_DAY
    ):
        return ""  # the notified withdrawal comes first: the state's sentence says when
    if term_end.of(certificate) == term_end.EXPIRY:
        return f"Expiration le {after}"
    return f"Reconduction tacite le {after}"


def _reminder_versions():
    from guichet.referentials.models import ReferentialVersion

    for version in ReferentialVersion.objects.filter(certificates__status__in=LIVE).distinct():
        days = version.process_settings.term_reminder_days
        if days:
            yield version, days


def remind_terms(today: dt.date) -> int:
    """Tells each holder whose certificate's term ends within its version's
    `term_reminder_days` (R-CRT-2) what happens then, once per term, dated by the sweep's day
    `today`. A certificate whose notified withdrawal takes effect first is not reminded."""
    sent = 0
    for version, days in _reminder_versions():
        with transaction.atomic():
            due = (
                Certificate.objects.filter(
                    referential_version=version,
                    status__in=LIVE,
                    valid_until__gte=today,
                    valid_until__lte=today + dt.timedelta(days=days),
                )
                .exclude(term_reminded_for=F("valid_until"))
                # A notified withdrawal that takes effect before the term ends it first.
                .exclude(withdrawal_effective_on__lte=F("valid_until"))
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("application")
            )
            for certificate in due:
                _remind(certificate, today)
                sent += 1
    return sent


def _remind(certificate: Certificate, today: dt.date) -> None:
    from guichet.certificates.lifecycle import tell_holder

    left = (certificate.valid_until - today).days
    Certificate.objects.filter(pk=certificate.pk).update(term_reminded_for=certificate.valid_until)
    tell_holder(
        certificate,
        f"fin de la période de validité le {french_date(certificate.valid_until)}",
        f"Au {french_date(today)}, la période de validité du certificat de conformité "
        f"{certificate.number} ({certificate.product_name} {certificate.product_version}) "
        f"prend fin le {french_date(certificate.valid_until)}, "
        + (
            ngettext("dans %(n)d jour.", "dans %(n)d jours.", left) % {"n": left}
            if left
            else "aujourd'hui même."
        )
        + f"\n{term_outlook(certificate)}",
    )
    record(
        action="certificate.term_reminder",
        obj=certificate,
        by=None,
        application_id=certificate.application_id,
        after={
            "number": certificate.number,
            "on": today.isoformat(),
            "valid_until": certificate.valid_until.isoformat(),
            "renewal_stopped": bool(certificate.renewal_stopped_on),
        },
    )
