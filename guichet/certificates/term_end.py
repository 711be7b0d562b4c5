"""What ends a live certificate's term, announced before the daily sweep acts (R-CRT-2,
R-CRT-4): the rule `sweep._catch_up` applies on the first day out of term, in words for the
agency's dashboard. Pure: read from a certificate's columns."""

from __future__ import annotations

import datetime as dt

from guichet.certificates.models import Kind
from guichet.deadlines import french_date

RENEWAL = "renewal"
EXPIRY = "expiry"
ONE_DAY = dt.timedelta(days=1)


def outcome(*, kind: str, renewal_stopped_on: dt.date | None) -> str:
    """R-CRT-4: an exceptional certificate expires at its end date whatever happens; R-CRT-2:
    a certificate is renewed tacitly unless its renewal was stopped (then it expires)."""
    if kind == Kind.EXCEPTIONAL or renewal_stopped_on is not None:
        return EXPIRY
    return RENEWAL


def words(*, kind: str, valid_until: dt.date, renewal_stopped_on: dt.date | None) -> str:
    """« Reconduction tacite le 4 mars 2032 », « Expiration le 4 mars 2032 (non-reconduction
    notifiée le 2 janvier 2032) », « Expiration le 1er janvier 2025 (certificat exceptionnel :
    il expire à sa date de fin en tout état de cause) »."""
    day = french_date(valid_until + ONE_DAY)
    if outcome(kind=kind, renewal_stopped_on=renewal_stopped_on) == RENEWAL:
        return f"Reconduction tacite le {day}"
    if kind == Kind.EXCEPTIONAL:
        return (
            f"Expiration le {day} (certificat exceptionnel : il expire à sa date de fin en "
            "tout état de cause)"
        )
    return f"Expiration le {day} (non-reconduction notifiée le {french_date(renewal_stopped_on)})"
