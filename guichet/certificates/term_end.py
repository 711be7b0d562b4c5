"""What ends a live certificate's term (R-CRT-2, R-CRT-3, R-CRT-4): the one rule the daily
sweep applies on the first day out of term (`sweep._catch_up`), that the agency's dashboard and
the holder's pages and reminder announce before. Pure: read from a certificate's columns.

R-CRT-3 (DMN guide §6.2, TLC guide §7.2: « Le certificat de conformité doit être renouvelé s'il y
a non-conformité … soit le référentiel a changé »): a certificate whose referential version was
replaced, and whose delay to ask for a new certificate ran out before its term, is not renewed
tacitly on the old version: it expires at its term; the new certificate comes from an
application on the new version."""

from __future__ import annotations

import datetime as dt

from guichet.certificates.models import Kind
from guichet.deadlines import french_date

RENEWAL = "renewal"
EXPIRY = "expiry"
ONE_DAY = dt.timedelta(days=1)


def superseded(*, valid_until: dt.date, new_certificate_due: dt.date | None) -> bool:
    """R-CRT-3: the delay to ask for a new certificate on a new referential version ran out
    before the term."""
    return new_certificate_due is not None and new_certificate_due < valid_until + ONE_DAY


def outcome(
    *,
    kind: str,
    renewal_stopped_on: dt.date | None,
    valid_until: dt.date | None = None,
    new_certificate_due: dt.date | None = None,
) -> str:
    """R-CRT-4: an exceptional certificate expires at its end date whatever happens; R-CRT-2:
    a certificate is renewed tacitly unless its renewal was stopped, or (R-CRT-3) its version
    was replaced and the delay for a new certificate ran out (then it expires)."""
    if kind == Kind.EXCEPTIONAL or renewal_stopped_on is not None:
        return EXPIRY
    if valid_until and superseded(valid_until=valid_until, new_certificate_due=new_certificate_due):
        return EXPIRY
    return RENEWAL


def words(
    *,
    kind: str,
    valid_until: dt.date,
    renewal_stopped_on: dt.date | None,
    new_certificate_due: dt.date | None = None,
) -> str:
    """« Reconduction tacite le 4 mars 2032 », « Expiration le 4 mars 2032 (non-reconduction
    notifiée le 2 janvier 2032) », « Expiration le 1er janvier 2025 (certificat exceptionnel :
    il expire à sa date de fin en tout état de cause) »."""
    day = french_date(valid_until + ONE_DAY)
    found = outcome(
        kind=kind,
        renewal_stopped_on=renewal_stopped_on,
        valid_until=valid_until,
        new_certificate_due=new_certificate_due,
    )
    if found == RENEWAL:
        return f"Reconduction tacite le {day}"
    if kind == Kind.EXCEPTIONAL:
        return (
            f"Expiration le {day} (certificat exceptionnel : il expire à sa date de fin en "
            "tout état de cause)"
        )
    if renewal_stopped_on is not None:
        return (
            f"Expiration le {day} (non-reconduction notifiée le {french_date(renewal_stopped_on)})"
        )
    return (
        f"Expiration le {day} (version du référentiel remplacée : un nouveau certificat devait "
        f"être sollicité au plus tard le {french_date(new_certificate_due)})"
    )


def of(certificate) -> str:
    """The outcome of `certificate`'s term (its columns)."""
    return outcome(
        kind=certificate.kind,
        renewal_stopped_on=certificate.renewal_stopped_on,
        valid_until=certificate.valid_until,
        new_certificate_due=certificate.new_certificate_due,
    )


def words_of(certificate) -> str:
    return words(
        kind=certificate.kind,
        valid_until=certificate.valid_until,
        renewal_stopped_on=certificate.renewal_stopped_on,
        new_certificate_due=certificate.new_certificate_due,
    )


def expiry_reason(certificate) -> str:
    """Why the sweep lets `certificate` expire at its term (the revision's and the email's)."""
    if certificate.kind == Kind.EXCEPTIONAL:
        return (
            "Un certificat exceptionnel expire en tout état de cause à sa date de fin, le "
            f"{french_date(certificate.valid_until)} (arrêté du 9 février 2024)."
        )
    if certificate.renewal_stopped_on is not None:
        return (
            "Fin de la période de validité : la non-reconduction a été notifiée le "
            f"{french_date(certificate.renewal_stopped_on)}."
        )
    return (
        "Fin de la période de validité, sans reconduction tacite : la version du référentiel "
        "du certificat a été remplacée, et un nouveau certificat devait être sollicité au plus "
        f"tard le {french_date(certificate.new_certificate_due)} (le certificat doit être "
        "renouvelé quand le référentiel a changé)."
    )
