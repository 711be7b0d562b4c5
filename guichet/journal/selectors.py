"""What each reader reads of the journal (R-AUD-1, issue 20 §2): the journal shows each reader
what the rest of the platform shows that reader — no more. The auditor reads every entry as
recorded; an application's journal, read by its applicant, leaves out what the stage pages and
API keep from the applicant (the « conforme » opinions, until they mean something: R-EVD-2,
R-APP-8).

The rules belong to the apps that record the entries and decide what their readers see: each
registers, for its action, how an entry reads to a user (`reader_view`, from its module loaded
by its AppConfig.ready), so that the journal imports none of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from guichet.journal import exports

# action -> (row, user) -> the row as `user` may read it (exports.entry_row's shape), or None
# when `user` may read nothing of it.
READER_VIEWS: dict[str, Callable[[dict, object], dict | None]] = {}


def reader_view(action: str):
    def register(function):
        READER_VIEWS[action] = function
        return function

    return register


def as_read_by(rows, user) -> Iterator[dict]:
    """`rows` as `user` may read them: each through its action's reader view, if any."""
    for row in rows:
        view = READER_VIEWS.get(row["action"])
        if view is not None:
            row = view(row, user)
        if row is not None:
            yield row


def application_journal(application_id, user) -> Iterator[dict]:
    """The application's entries as `user` reads them (the API's JSON and CSV alike), in order.
    A row shown in part keeps its recorded hashes: the reader who verifies the chain is the
    auditor, with the whole journal."""
    return as_read_by(exports.rows(exports.entries(application_id)), user)
