"""Second factor and API tokens (R-ACC-3)."""

from __future__ import annotations

import base64
import datetime as dt
from functools import cache

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base import forms as allauth_mfa_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from guichet.accounts import ratelimits
from guichet.accounts.models import TokenUse, User
from guichet.common.errors import ApplicationError
from guichet.journal.services import record

_PREFIX = "v1:"


@cache
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"guichet-mfa").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets are stored encrypted (key derived from SECRET_KEY); agency staff cannot
    remove their second factor, since they cannot work without one."""

    def encrypt(self, text: str) -> str:
        return _PREFIX + _fernet(settings.SECRET_KEY).encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_PREFIX):
            return encrypted_text
        try:
            return _fernet(settings.SECRET_KEY).decrypt(encrypted_text[len(_PREFIX) :]).decode()
        except InvalidToken as exc:
            raise ValueError("secret TOTP illisible : la clé SECRET_KEY a changé") from exc

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type == Authenticator.Type.TOTP and authenticator.user.is_agency:
            return False
        return super().can_delete_authenticator(authenticator)


# --- API tokens (R-ACC-3, issue 20 §2) ------------------------------------------------------

# A token's use is written at most so often: the idle period counts in days.
TOKEN_USE_RECORDED_EVERY = dt.timedelta(hours=1)

TOO_MANY_ATTEMPTS = (
    "Trop de tentatives de connexion infructueuses : réessayez dans quelques minutes."
)


class TokenExpired(exceptions.APIException):
    """401 saying why. Not an AuthenticationFailed, whose detail the problem handler replaces
    with its generic « invalide, révoqué ou d'un compte désactivé »."""

    status_code = 401
    default_code = "token_expired"
    auth_header = "Token"  # the WWW-Authenticate of every 401 of a token

    def __init__(self):
        super().__init__(
            f"Ce jeton d'API a expiré : il n'a pas servi depuis plus de "
            f"{settings.GUICHET_API_TOKEN_IDLE_DAYS} jours. Obtenez-en un nouveau par "
            "POST /api/v1/auth/token."
        )


def token_expires_at(token: Token) -> dt.datetime:
    """When `token` expires if it is not used again."""
    return _last_used_at(token) + dt.timedelta(days=settings.GUICHET_API_TOKEN_IDLE_DAYS)


def _last_used_at(token: Token) -> dt.datetime:
    try:
        return token.use.last_used_at
    except TokenUse.DoesNotExist:  # not used since its creation (or created before the rule)
        return token.created


def token_expiry(user) -> dt.datetime | None:
    """When the user's token expires if it is not used again; None without a token."""
    token = Token.objects.select_related("use").filter(user=user).first()
    return token_expires_at(token) if token is not None else None


def token_used(token: Token) -> None:
    """For each request authenticated by `token` (loaded with its `use`): refuses it once
    expired, else records its use when the last record is an hour old."""
    now = timezone.now()
    if token_expires_at(token) <= now:
        raise TokenExpired()
    if _last_used_at(token) <= now - TOKEN_USE_RECORDED_EVERY:
        TokenUse.objects.update_or_create(token=token, defaults={"last_used_at": now})


def issue_token(request, *, email: str, password: str, otp: str = "") -> Token:
    """A token for `Authorization: Token …`. The password goes through allauth's adapter, so
    that attempts count towards the same limits as the login page, and an inactive account
    reads as a wrong password; agency staff add a TOTP code, counted with the page's."""
    adapter = get_account_adapter(request)
    try:
        user = adapter.authenticate(request, email=email.strip().lower(), password=password)
    except ValidationError as exc:
        raise ApplicationError(TOO_MANY_ATTEMPTS, extra={"status": 429}) from exc
    if user is None:
        raise ApplicationError(
            "Adresse électronique ou mot de passe incorrect.", extra={"status": 401}
        )
    if user.is_agency:
        _check_second_factor(request, user, otp)
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=user.pk)  # one request at a time
        token = Token.objects.select_related("use").filter(user=user).first()
        if token is not None and token_expires_at(token) <= timezone.now():
            revoke_token(user, by=user, reason="expired")
            token = None
        if token is None:
            token = Token.objects.create(user=user)
            record(action="token.issue", obj=user, by=user, object_type="authtoken.token")
        # Asking again with the password is a use: the period starts again.
        token.use = TokenUse.objects.update_or_create(
            token=token, defaults={"last_used_at": timezone.now()}
        )[0]
    return token


def _check_second_factor(request, user, otp: str) -> None:
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        raise ApplicationError(
            "Activez d'abord la double authentification sur le site (Mon compte).",
            extra={"status": 403},
        )
    if not (otp or "").strip():
        raise ApplicationError(
            "Les agents de l'agence joignent le code de leur application d'authentification "
            "(champ « otp »).",
            field="otp",
            extra={"status": 401},
        )
    # The page's limit, on the page's count: each code counts, a right one wipes the count.
    if not ratelimits.consume_second_factor(request, user):
        raise ApplicationError(TOO_MANY_ATTEMPTS, extra={"status": 429})
    if not TOTP(authenticator).validate_code(otp.strip()):
        journal_second_factor_lock(request, user, via="api")
        raise ApplicationError(
            "Code d'authentification incorrect ou déjà utilisé.",
            field="otp",
            extra={"status": 401},
        )
    ratelimits.clear_second_factor(request, user)


def journal_second_factor_lock(request, user, *, via: str) -> None:
    """After a wrong second factor, page (`via="page"`) or API: when it locked the account,
    the journal says so, once for the lock's duration."""
    if not ratelimits.second_factor_locked(request, user):
        return
    if not django_cache.add(
        f"guichet:mfa-lock-journaled:{user.pk}", True, timeout=_lock_duration()
    ):
        return
    with transaction.atomic():
        record(action="mfa.locked", obj=user, after={"via": via})


def _lock_duration() -> int:
    rates = [rate for rate in ratelimits.second_factor_rates() if rate.per == "key"]
    return int(max((rate.duration for rate in rates), default=300))


@transaction.atomic
def revoke_token(user, *, by, reason: str = "") -> bool:
    """Deletes the user's token: asked by its owner (no reason), or because of `reason`:
    « password_change », « password_reset », « member_removed », « expired »."""
    deleted, _ = Token.objects.filter(user=user).delete()
    if deleted:
        record(
            action="token.revoke",
            obj=user,
            by=by,
            object_type="authtoken.token",
            after={"reason": reason} if reason else None,
        )
    return bool(deleted)


class AuthenticateForm(allauth_mfa_forms.AuthenticateForm):
    """allauth's second-factor form, saying why a right code is refused: a TOTP code serves
    once (within its 30 seconds), so a replay reads « déjà utilisé », not « incorrect »."""

    def clean_code(self):
        try:
            return super().clean_code()
        except ValidationError:
            if _already_used(self.user, self.cleaned_data.get("code", "")):
                raise ValidationError(
                    "Ce code a déjà servi : attendez le suivant dans votre application "
                    "d'authentification (il change toutes les 30 secondes).",
                    code="code_already_used",
                ) from None
            raise


def _already_used(user, code: str) -> bool:
    """A valid code of this window that a sign-in already consumed."""
    from allauth.mfa.totp.internal.auth import validate_totp_code
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None or not code:
        return False
    secret = decrypt(authenticator.data["secret"])
    if not validate_totp_code(secret, code):
        return False
    # allauth keeps the codes used in this window in the cache (TOTP._mark_code_used).
    return django_cache.get(TOTP(authenticator)._get_used_cache_key(code)) is not None
