from pathlib import Path

_PACKAGE = str(Path(__file__).resolve().parent.parent)


class ApplicationError(Exception):
    """A refusal of the domain, with a French message meant for the user."""

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


def raised_by_guichet(exc: BaseException) -> bool:
    """Whether our code raised it: ours carry a French reason for the user, a library's may be
    English (allauth's « Unable to determine client IP address »), so theirs is not shown."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and str(Path(frames[-1].filename).resolve()).startswith(_PACKAGE)
