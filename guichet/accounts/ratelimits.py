"""The throttle of company account requests (R-ACC-1), shared by the page and the API.

It is django-allauth's rate limiter, the one behind the login lockout: hits are kept in the
database cache, so the limits hold across every web process. allauth's public wrapper reads
only its own `ACCOUNT_RATE_LIMITS`, hence its internal module here (the version is pinned),
which also tells when the oldest counted hit expires, for `Retry-After`."""

from __future__ import annotations

import math
import time

from allauth.core.internal import ratelimit
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

_APP = "guichet.accounts"
_ACTION = "registration"


def _config() -> dict[str, str]:
    return {_ACTION: settings.REGISTRATION_RATE_LIMITS}


def consume_registration(request: HttpRequest, *, email: str) -> int:
    """Counts one request from the client's IP for this responsible's address; answers 0 when
    it may go on, else the number of seconds until it may."""
    key = email.strip().lower()
    usage = ratelimit.consume(request, app=_APP, action=_ACTION, config=_config(), key=key)
    if usage is not None:
        return 0
    now = time.time()
    waits = [1.0]
    for rate in ratelimit.get_rates(app=_APP, action=_ACTION, config=_config()):
        cache_key = ratelimit.get_cache_key(request, app=_APP, action=_ACTION, rate=rate, key=key)
        hits = [hit for hit in cache.get(cache_key, []) if hit > now - rate.duration]
        if len(hits) >= rate.amount:
            waits.append(min(hits) + rate.duration - now)
    return math.ceil(max(waits))


def french_delay(seconds: int) -> str:
    """« 12 minutes », « 3 heures »: rounded up, as a person would say it."""
    if seconds < 3600:
        minutes = max(1, math.ceil(seconds / 60))
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    hours = math.ceil(seconds / 3600)
    return f"{hours} heure{'s' if hours > 1 else ''}"
