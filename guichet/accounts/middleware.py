"""The account gate for signed-in sessions (see guichet.accounts.gate, which holds the
decision and applies it to API tokens too)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from guichet.accounts.gate import gate_refusal, problem_members
from guichet.common.api import problem_json_response


class AccountGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not self._exempt(request.path):
            refusal = gate_refusal(user, request.session)
            if refusal is not None:
                return self._stop(request, refusal)
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

    @staticmethod
    def _stop(request, refusal):
        if request.path.startswith("/api/"):
            members = problem_members(refusal, request)
            return problem_json_response(403, members.pop("detail"), **members)
        if refusal.kind == "mfa":
            messages.warning(request, refusal.detail)
            return redirect(refusal.page)
        return redirect(f"{refusal.page}?next={request.get_full_path()}")
