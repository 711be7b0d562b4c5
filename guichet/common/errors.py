class ApplicationError(Exception):
    """A refusal of the domain, with a French message meant for the user."""

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}
