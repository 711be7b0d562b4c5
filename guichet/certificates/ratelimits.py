"""The throttle of public certificate lookups (issue 13 §1): the verification pages and the API
count against the same limits per client IP, so that the numbers cannot be enumerated fast.

The same limiter as the login lockout and the account requests (`accounts.ratelimits`):
django-allauth's, whose hits are kept in the database cache, so that the limits hold across
every web process."""

from __future__ import annotations

import math
import time

from allauth.core.internal import ratelimit
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from guichet.accounts.ratelimits import french_delay

_APP = "guichet.certificates"
_ACTION = "lookup"


def _config() -> dict[str, str]:
    return {_ACTION: settings.CERTIFICATE_LOOKUP_RATE_LIMITS}


def consume_lookup(request: HttpRequest) -> int:
    """Counts one lookup from the client's IP; answers 0 when it may go on, else the number of
    seconds until it may."""
    config = _config()
    usage = ratelimit.consume(request, app=_APP, action=_ACTION, config=config, limit_get=True)
    if usage is not None:
        return 0
    now = time.time()
    waits = [1.0]
    for rate in ratelimit.get_rates(app=_APP, action=_ACTION, config=config):
        cache_key = ratelimit.get_cache_key(request, app=_APP, action=_ACTION, rate=rate)
        hits = [hit for hit in cache.get(cache_key, []) if hit > now - rate.duration]
        if len(hits) >= rate.amount:
            waits.append(min(hits) + rate.duration - now)
    return math.ceil(max(waits))


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
