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


def read_rule(function):
    READ_RULES.append(function)
    return function


def panel(function):
    PANELS.append(function)
    return function
