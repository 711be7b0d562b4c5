"""The gate every signed-in request passes, by session or by API token: agency staff enrol a
TOTP second factor before reaching anything else (R-ACC-3), and everyone accepts the current
terms of use (R-ACC-2). One decision, `gate_refusal`, for the middleware (sessions) and for
`GatedTokenAuthentication` (tokens)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from guichet.accounts.security import has_totp, token_used
from guichet.accounts.terms import current_terms, has_accepted
from guichet.common.links import absolute_url

# Session keys remembering that the gate was passed, so that a session asks once.
_SESSION_MFA = "guichet_mfa_enrolled"
_SESSION_TERMS = "guichet_terms_accepted"


@dataclass(frozen=True)
class GateRefusal:
    kind: str  # "mfa" | "terms"
    title: str
    detail: str
    page: str  # path of the page that opens the gate


def gate_refusal(user, session=None) -> GateRefusal | None:
    """Why `user` may not go further yet, or None. `session`, when given, remembers a passed
    gate until the terms change."""
    session = session if session is not None else {}
    if user.is_agency and not session.get(_SESSION_MFA):
        if not has_totp(user):
            return GateRefusal(
                kind="mfa",
                title="Double authentification requise",
                detail=(
                    "Les agents de l'agence activent la double authentification (application "
                    "TOTP) avant d'accéder à la plateforme."
                ),
                page=reverse("mfa_activate_totp"),
            )
        session[_SESSION_MFA] = True
    terms = current_terms()
    if terms is not None and session.get(_SESSION_TERMS) != terms.pk:
        if not has_accepted(user, terms):
            return GateRefusal(
                kind="terms",
                title="CGU à accepter",
                detail=(
                    f"Acceptez les conditions générales d'utilisation (version {terms.version})."
                ),
                page=reverse("accounts:terms"),
            )
        session[_SESSION_TERMS] = terms.pk
    return None


def problem_members(refusal: GateRefusal, request) -> dict:
    """The problem+json of an API call stopped at the gate: the page to visit, in words and
    as a link."""
    url = absolute_url(refusal.page)
    return {
        "title": refusal.title,
        "detail": f"{refusal.detail} Rendez-vous sur la page {url} avec votre compte.",
        "page": url,
    }


class GateClosed(exceptions.PermissionDenied):
    def __init__(self, members: dict):
        super().__init__(members["detail"])
        self.problem_members = {k: v for k, v in members.items() if k != "detail"}


class GatedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token …`, held at the same gate as a session, except by the views that
    say `account_gate_exempt = True` (revoking one's token stays possible)."""

    def authenticate_credentials(self, key):
        """DRF's, with the token's last use loaded in the same query: a token unused for
        `GUICHET_API_TOKEN_IDLE_DAYS` is refused as expired (issue 20 §2)."""
        try:
            token = Token.objects.select_related("user", "use").get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed() from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed()
        token_used(token)
        return token.user, token

    def authenticate(self, request):
        authenticated = super().authenticate(request)
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if authenticated is not None and not getattr(view, "account_gate_exempt", False):
            refusal = gate_refusal(authenticated[0])
            if refusal is not None:
                raise GateClosed(problem_members(refusal, request))
        return authenticated
