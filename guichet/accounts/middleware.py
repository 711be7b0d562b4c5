"""The gate every signed-in request passes (R-ACC-3): agency staff enrol a TOTP second factor
before reaching anything else, and everyone accepts the current terms of use."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from guichet.accounts.security import has_totp
from guichet.accounts.terms import current_terms, has_accepted
from guichet.common.api import problem_json_response

_SESSION_MFA = "guichet_mfa_enrolled"
_SESSION_TERMS = "guichet_terms_accepted"


class AccountGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not self._exempt(request.path):
            blocked = self._mfa_gate(request, user) or self._terms_gate(request, user)
            if blocked:
                return blocked
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        return path.startswith(
            (
                "/static/",
                "/media/",
                reverse("account_logout"),
                reverse("account_reauthenticate"),
                reverse("mfa_index"),
                reverse("accounts:terms"),
                reverse("terms-public"),
            )
        )

    def _mfa_gate(self, request, user):
        if not user.is_agency or request.session.get(_SESSION_MFA):
            return None
        if has_totp(user):
            request.session[_SESSION_MFA] = True
            return None
        detail = (
            "Les agents de l'agence activent la double authentification (application TOTP) "
            "avant d'accéder à la plateforme."
        )
        if request.path.startswith("/api/"):
            return problem_json_response(403, detail, title="Double authentification requise")
        messages.warning(request, detail)
        return redirect("mfa_activate_totp")

    def _terms_gate(self, request, user):
        terms = current_terms()
        if terms is None or request.session.get(_SESSION_TERMS) == terms.pk:
            return None
        if has_accepted(user, terms):
            request.session[_SESSION_TERMS] = terms.pk
            return None
        detail = f"Acceptez les conditions générales d'utilisation (version {terms.version})."
        if request.path.startswith("/api/"):
            return problem_json_response(403, detail, title="CGU à accepter")
        return redirect(f"{reverse('accounts:terms')}?next={request.get_full_path()}")
