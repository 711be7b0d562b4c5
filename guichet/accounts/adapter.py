from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Nobody signs up alone: accounts come from an approved company request (R-ACC-2) or
    from the responsible's invitation."""

    def is_open_for_signup(self, request):
        return False
