"""Second factor and API tokens (R-ACC-3)."""

from __future__ import annotations

import base64
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
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

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


def issue_token(request, *, email: str, password: str, otp: str = "") -> Token:
    """A token for `Authorization: Token …`. The password goes through allauth, so that failed
    attempts count towards the same lockout as the login page; agency staff add a TOTP code."""
    adapter = get_account_adapter(request)
    try:
        user = adapter.authenticate(request, email=email.strip().lower(), password=password)
    except ValidationError as exc:
        raise ApplicationError(
            "Trop de tentatives de connexion infructueuses : réessayez dans quelques minutes.",
            extra={"status": 429},
        ) from exc
    if user is None:
        raise ApplicationError(
            "Adresse électronique ou mot de passe incorrect.", extra={"status": 401}
        )
    if user.is_agency:
        authenticator = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).first()
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
        if not TOTP(authenticator).validate_code(otp.strip()):
            raise ApplicationError(
                "Code d'authentification incorrect ou déjà utilisé.",
                field="otp",
                extra={"status": 401},
            )
    with transaction.atomic():
        token, created = Token.objects.get_or_create(user=user)
        if created:
            record(action="token.issue", obj=user, by=user, object_type="authtoken.token")
    return token


@transaction.atomic
def revoke_token(user, *, by) -> bool:
    deleted, _ = Token.objects.filter(user=user).delete()
    if deleted:
        record(action="token.revoke", obj=user, by=by, object_type="authtoken.token")
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
    from django.core.cache import cache as django_cache

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None or not code:
        return False
    secret = decrypt(authenticator.data["secret"])
    if not validate_totp_code(secret, code):
        return False
    # allauth keeps the codes used in this window in the cache (TOTP._mark_code_used).
    return django_cache.get(TOTP(authenticator)._get_used_cache_key(code)) is not None
