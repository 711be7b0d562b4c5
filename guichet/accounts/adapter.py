from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import authenticate

from guichet.accounts import ratelimits
from guichet.common.links import rebased


class AccountAdapter(DefaultAccountAdapter):
    """Nobody signs up alone: accounts come from an approved company request (R-ACC-2) or
    from the responsible's invitation. The password check of the login page and of the token
    endpoint (R-ACC-3, issue 20 §2) comes through here."""

    def is_open_for_signup(self, request):
        return False

    def send_mail(self, template_prefix, email, context):
        """allauth builds its links (password reset…) from the request's host: they are put
        on the site's address, as every other link (GUICHET_BASE_URL, issue 22 §4)."""
        context = {
            key: rebased(value) if key.endswith("_url") and isinstance(value, str) else value
            for key, value in context.items()
        }
        super().send_mail(template_prefix, email, context)

    def pre_authenticate(self, request, **credentials):
        login = credentials.get("email", credentials.get("username", "")) or ""
        self._login_failed_rl_usage = ratelimits.consume_login_attempt(request, login=login)
        if not self._login_failed_rl_usage:
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request, **credentials):
        """allauth's, but an inactive account (a removed member) whose password is right is
        refused as a wrong password, and counted as one: allauth hands it back to show « this
        account is inactive », which would tell anyone that they found its password."""
        self.pre_authenticate(request, **credentials)
        AuthenticationBackend.unstash_authenticated_user()
        user = authenticate(request, **credentials)
        AuthenticationBackend.unstash_authenticated_user()  # the inactive account, dropped
        if user is not None and user.is_active:
            # Only failures count: the attempt is taken back (not the whole count wiped,
            # which would let a brute force slip a right login in between).
            self._rollback_login_failed_rl_usage()
            return user
        self.authentication_failed(request, **credentials)
        return None
