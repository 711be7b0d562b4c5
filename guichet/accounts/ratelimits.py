"""The throttles of the login (R-ACC-3) and of company account requests (R-ACC-1), each
shared by the page and the API.

It is django-allauth's rate limiter: hits are kept in the database cache, so the limits hold
across every web process. allauth's public wrapper reads only its own `ACCOUNT_RATE_LIMITS`,
hence its internal module here (the version is pinned), which also tells when the oldest
counted hit expires, for `Retry-After`."""

from __future__ import annotations

import math
import time

from allauth.core import ratelimit as allauth_ratelimit
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


# --- Login (R-ACC-3) ---------------------------------------------------------------------------


def consume_login_attempt(request: HttpRequest, *, login: str) -> ratelimit.RateLimitUsage | None:
    """Counts one password attempt, as Django Axes counts its combinations: per address and
    account, per account, per address (`LOGIN_FAILURE_RATE_LIMITS`). allauth's own count, per
    address and per account, let the failures of a few people behind one proxy refuse the
    right password of everyone else there (issue 20 §2). None when a limit is reached, else
    the usage, to roll back when the password is right, so that only failures count."""
    login = login.strip().lower()
    # Address first: a spraying address stops before touching any account's count; the pair
    # before the account: an address locked out of an account no longer adds to its count,
    # so that one address cannot lock the owner out from everywhere in five minutes.
    keys = {
        "address": None,
        "address_account": f"{ratelimit.get_ip(request)} {login}",
        "account": login,
    }
    usages = []
    for action, key in keys.items():
        usage = ratelimit.consume(
            request, app=_APP, action=f"login_failed_{action}", config=_login_config(), key=key
        )
        if usage is None:
            for counted in usages:
                counted.rollback()
            return None
        usages.append(usage)
    return ratelimit.RateLimitUsage(usage=[hit for usage in usages for hit in usage.usage])


def _login_config() -> dict[str, str]:
    return {
        f"login_failed_{action}": rates
        for action, rates in settings.LOGIN_FAILURE_RATE_LIMITS.items()
    }


def _second_factor_key(user) -> str:
    """allauth's key for the second-factor attempts of one account, page and reauthentication
    (`allauth.mfa.base.internal.flows.check_rate_limit`): the token endpoint counts on it too,
    so that both share one limit per account (`ACCOUNT_RATE_LIMITS["login_failed"]`)."""
    return f"mfa-auth-user-{user.pk}"


def consume_second_factor(request: HttpRequest, user) -> bool:
    """Counts one second-factor attempt of `user`; False when the account is locked."""
    return allauth_ratelimit.consume(request, action="login_failed", key=_second_factor_key(user))


def clear_second_factor(request: HttpRequest, user) -> None:
    """A right code wipes the count, as on the page."""
    allauth_ratelimit.clear(request, action="login_failed", key=_second_factor_key(user))


def second_factor_locked(request: HttpRequest, user) -> bool:
    """Whether the next second-factor attempt of `user` would be refused."""
    return not allauth_ratelimit.consume(
        request, action="login_failed", key=_second_factor_key(user), dry_run=True
    )


def second_factor_rates() -> list[ratelimit.Rate]:
    return ratelimit.get_rates(app="allauth.account", action="login_failed")
