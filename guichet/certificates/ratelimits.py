"""The throttle of public certificate lookups (issue 13 §1): the verification pages and the API
count against the same limits per client IP, so that the numbers cannot be enumerated fast.

The client's IP is read as for the login lockout and the account requests (django-allauth's,
behind TRUSTED_PROXY_COUNT proxies). The counts are rows of the database (`LookupWindow`), so
that the limits hold across every web process: one upsert per lookup counts every limit at once
in a window that opens with the first lookup, every lookup counting, held back or not (issue 24 §1: the database cache took two dozen
queries per lookup, and its culling beyond 300 entries forgot counts under load)."""

from __future__ import annotations

import math
import random
import time

from allauth.core.internal import ratelimit
from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from guichet.accounts.ratelimits import french_delay
from guichet.certificates.models import LookupWindow

_APP = "guichet.certificates"
_ACTION = "lookup"
# About one lookup in so many removes the windows closed for a minute.
PURGE_ONE_IN = 1000


def _config() -> dict[str, str]:
    return {_ACTION: settings.CERTIFICATE_LOOKUP_RATE_LIMITS}


def consume_lookup(request: HttpRequest) -> int:
    """Counts one lookup from the client's IP; answers 0 when it may go on, else the number of
    seconds until it may."""
    rates = ratelimit.get_rates(app=_APP, action=_ACTION, config=_config())
    if not rates:
        return 0
    address = ratelimit.get_ip(request)
    now = time.time()
    keys = {f"{address}|{rate.amount}/{rate.duration}": rate for rate in rates}
    table = connection.ops.quote_name(LookupWindow._meta.db_table)
    values = ", ".join(["(%s, 1, %s)"] * len(keys))
    params = [item for key, rate in keys.items() for item in (key, now + rate.duration)]
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("key", hits, ends) VALUES {values} '
            'ON CONFLICT ("key") DO UPDATE SET '
            f"hits = CASE WHEN {table}.ends <= %s THEN 1 ELSE {table}.hits + 1 END, "
            f"ends = CASE WHEN {table}.ends <= %s THEN excluded.ends ELSE {table}.ends END "
            'RETURNING "key", hits, ends',
            [*params, now, now],
        )
        counted = cursor.fetchall()
        if random.randrange(PURGE_ONE_IN) == 0:
            cursor.execute(f"DELETE FROM {table} WHERE ends < %s", [now - 60])
    waits = [ends - now for key, hits, ends in counted if hits > keys[key].amount]
    return math.ceil(max(1.0, *waits)) if waits else 0


def throttled_message(seconds: int) -> str:
    return (
        "Trop de vérifications de certificats depuis votre connexion : réessayez dans "
        f"{french_delay(seconds)}. Pour consulter de nombreux certificats, téléchargez "
        "l'export du registre public."
    )


class LookupThrottle(BaseThrottle):
    """The API's side of the same limits: DRF answers 429 with `Retry-After`, in French
    (`common.api`)."""

    def allow_request(self, request, view) -> bool:
        self.retry_after = consume_lookup(request._request)
        return not self.retry_after

    def wait(self):
        return self.retry_after
