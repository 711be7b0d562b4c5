"""What the stage apps (conventions, evidence, instruction…) add to an application, registered
when they start (their AppConfig.ready): the core reaches their files, their read rules and
their part of the application page through here, and never imports them."""

from __future__ import annotations

from collections.abc import Callable

# (application, file_id) -> StoredFile | None: a file of the application this stage keeps.
FILE_SOURCES: list[Callable] = []
# (user, application, stored) -> str | None: why `user` may not read this file, or None.
READ_RULES: list[Callable] = []
# (request, application) -> dict | None: a part of the application page, as
# {"template": …, **context}, in the order the stages come.
PANELS: list[Callable] = []


def file_source(function):
    FILE_SOURCES.append(function)
    return function


def referenced_file(rows, field: str, file_id):
    """For a file source: the stored file `file_id` when one of `rows` (a queryset already
    narrowed to the application) names it in its foreign key `field`, else None (a malformed
    id included)."""
    from django.core.exceptions import ValidationError

    from guichet.files.models import StoredFile

    try:
        found = rows.filter(**{f"{field}_id": file_id}).exists()
    except (ValueError, TypeError, ValidationError):
        return None
    return StoredFile.objects.get(pk=file_id) if found else None


def read_rule(function):
    READ_RULES.append(function)
    return function


def panel(function):
    PANELS.append(function)
    return function


# (application, user) -> [{"label", "date", "url"}]: the documents this stage issued for the
# application (convention, acknowledgment, decision letter, certificate), listed together on
# the application page.
ISSUED_DOCUMENTS: list[Callable] = []


def issued_documents(function):
    ISSUED_DOCUMENTS.append(function)
    return function


# (application, user) -> [{"text", "url"}]: what this stage awaits from `user` now that is no
# transition of the workflow (an INS test day to propose…): the application page lists them
# with its actions, so that it always names the next step.
TODOS: list[Callable] = []


def todo(function):
    TODOS.append(function)
    return function


def todos_for(application, user) -> list[dict]:
    return [item for source in TODOS for item in source(application, user)]


# (application) -> a state or None: the state to return to after an answer while something is
# still awaited from the applicant (another information request, missing items).
OPEN_REQUESTS: list[Callable] = []


def open_requests(function):
    OPEN_REQUESTS.append(function)
    return function


# form key of a transition -> (application) -> the address of its own form (a stage's page).
FORMS: dict[str, Callable] = {}


def form(key: str):
    def register(function):
        FORMS[key] = function
        return function

    return register


# (application, user) -> {proof_id: {"verdict", "label", "comment", "by", "at"}}: the latest
# verdict on each proof that `user` may see (the instruction gives them; the evidence pages and
# API show them without importing the instruction).
PROOF_VERDICTS: list[Callable] = []


def proof_verdicts(function):
    PROOF_VERDICTS.append(function)
    return function


def verdicts_for(application, user) -> dict:
    found: dict = {}
    for source in PROOF_VERDICTS:
        found |= source(application, user)
    return found


# The notifier (messaging): (notifications.Notice) -> None. None: plain emails.
NOTIFIER: Callable | None = None


# (application) -> the codes of the only sections its dossier needs now, or None for every
# section: TLC's exceptional certificate (R-CRT-4) is obtained « sans obtention de toutes les
# preuves », on the listed domains and the applicant's commitment, within the version's window.
DOSSIER_SCOPES: list[Callable] = []


def dossier_scope(function):
    DOSSIER_SCOPES.append(function)
    return function


def scope_of(application) -> frozenset[str] | None:
    for source in DOSSIER_SCOPES:
        scope = source(application)
        if scope is not None:
            return frozenset(scope)
    return None
