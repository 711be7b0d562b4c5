"""The unread counts of the navigation (R-MSG-1): one query per page, only when the page shows
them, whatever the number of applications."""

from functools import cached_property

from guichet.messaging.selectors import unread_counts


class UnreadCounts:
    def __init__(self, user):
        self._user = user

    @cached_property
    def _counts(self) -> dict[str, int]:
        return unread_counts(self._user)

    @property
    def messages(self) -> int:
        return self._counts["messages"]

    @property
    def notifications(self) -> int:
        return self._counts["notifications"]


def unread(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread": UnreadCounts(user)}
