"""The id of the HTTP request being served (set by RequestIdMiddleware); journal entries and
logs written while serving it carry it."""

from contextvars import ContextVar

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")
