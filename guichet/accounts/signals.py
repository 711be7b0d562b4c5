"""What allauth's pages tell the accounts app (issue 20 §2): a password changed or reset ends
the API token, which would otherwise outlive it; a wrong second factor that locks the account
is journaled, as on the token endpoint."""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals

from guichet.accounts.security import journal_second_factor_lock, revoke_token


def password_changed(sender, request, user, **kwargs) -> None:
    """Changed, or set where there was none (an unusable password has no token, unless it
    was taken away from an account that had one)."""
    revoke_token(user, by=user, reason="password_change")


def password_reset(sender, request, user, **kwargs) -> None:
    revoke_token(user, by=user, reason="password_reset")


def second_factor_failed(sender, request, user, **kwargs) -> None:
    journal_second_factor_lock(request, user, via="page")


def connect() -> None:
    account_signals.password_changed.connect(password_changed, dispatch_uid="guichet-password")
    account_signals.password_set.connect(password_changed, dispatch_uid="guichet-password-set")
    account_signals.password_reset.connect(password_reset, dispatch_uid="guichet-password-reset")
    mfa_signals.authentication_failed.connect(
        second_factor_failed, dispatch_uid="guichet-second-factor"
    )
