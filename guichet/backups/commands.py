"""What `backup` and `restore` share: their --timeout and how their refusals and failures end
the command (refusal: exit 2; failure on the way: exit 1, saying what is left)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.management.base import CommandError

from guichet.backups.services import DEFAULT_TIMEOUT, BackupError, BackupFailure


def add_timeout(parser, what: str) -> None:
    parser.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_TIMEOUT,
        help=f"secondes laissées à {what} (défaut : {DEFAULT_TIMEOUT})",
    )


def run_step(step: Callable, path: Path, timeout: int, *, when_cut_short: str):
    """`step(path, timeout=…)`'s report; its refusal or failure as the command's error."""
    if timeout <= 0:
        raise CommandError("--timeout : un nombre de secondes positif.", returncode=2)
    try:
        return step(path, timeout=timeout)
    except BackupError as error:
        raise CommandError(str(error), returncode=2) from error
    except BackupFailure as error:
        raise CommandError(f"{error} {when_cut_short}") from error
