"""Logs (issue 24 §3): one JSON object per line in production — one per request (its id, the
user's id, the route, the status, the duration), one per task and per periodic run —, readable
lines under `make run`. `GUICHET_LOG_FORMAT` (`json` or `text`) chooses; production's default is
`json`.

No secret reaches a line: requests are named by their route (the URL pattern's name), never
their path, which may hold a token (a password reset link, a subscription's address); Django's
own request warnings get the route too; and, in case a message carries one anyway, every
configured secret and every `Bearer`/password-looking value is masked by `RedactingFilter`.
tests/monitoring/test_logs.py greps the logs of a whole journey for them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time

from django.utils.functional import empty

from guichet.common.request_id import current_request_id

requests_logger = logging.getLogger("guichet.requests")
tasks_logger = logging.getLogger("guichet.tasks")

MASK = "[masqué]"
# Fields a record may carry (through `extra=`) that the JSON line keeps.
FIELDS = (
    "event",
    "request_id",
    "user_id",
    "method",
    "route",
    "status",
    "duration_ms",
    "task",
    "task_id",
    "task_status",
    "periodic",
    "worker_id",
)
_SECRET_SETTINGS = (
    "SECRET_KEY",
    "GUICHET_MASTER_KEY",
    "GUICHET_JOURNAL_KEY",
    "GUICHET_SIGNING_P12_PASSWORD",
    "GUICHET_METRICS_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "EMAIL_HOST_PASSWORD",
)
_PATTERNS = (
    re.compile(r"(?i)(bearer|token)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(password|passwd|mot_de_passe|secret|code)=[^&\s]+"),
)


def _secrets() -> list[str]:
    from django.conf import settings

    found = []
    for name in _SECRET_SETTINGS:
        value = getattr(settings, name, "") or ""
        if isinstance(value, str) and len(value) >= 8:
            found.append(value)
    for value in getattr(settings, "GUICHET_JOURNAL_PREVIOUS_KEYS", []) or []:
        if isinstance(value, str) and len(value) >= 8:
            found.append(value)
    return found


def redact(text: str) -> str:
    for secret in _secrets():
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: f"{match.group(1)} {MASK}", text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in the message; names a request by its route rather than its path."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path and isinstance(record.args, tuple) and path in record.args:
            # Django writes « Not Found: /registre/abonnement/<token>/ »: the route instead.
            from guichet.monitoring.metrics import view_label

            route = view_label(request)
            record.args = tuple(route if arg == path else arg for arg in record.args)
        if record.name == "django.server" and record.args:
            # runserver's « "GET /path?query HTTP/1.1" 200 »: no query string.
            record.args = tuple(
                re.sub(r"\?\S*", "?…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the known fields, the error."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value not in (None, ""):
                line[name] = value
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`make run`'s lines: time, level, logger, the request's id when there is one, message."""

    def __init__(self):
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s%(request_tag)s %(message)s", "%H:%M:%S"
        )

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", "")
        record.request_tag = f" [{request_id[:8]}]" if request_id else ""
        return super().format(record)


def user_id(request) -> int | None:
    """The signed-in user's id, if the request looked it up (never a query of its own)."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    if getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if getattr(user, "is_authenticated", False) else None


def log_request(request, response, started: float, route: str) -> None:
    duration = round((time.perf_counter() - started) * 1000, 1)
    requests_logger.info(
        "%s %s %s %s ms",
        request.method,
        route,
        response.status_code,
        duration,
        extra={
            "event": "request",
            "request_id": getattr(request, "id", "") or current_request_id.get(),
            "user_id": user_id(request),
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": duration,
        },
    )


def outcome(task_result) -> tuple[str, float | None]:
    """A finished task's status (SUCCESSFUL, FAILED…) and how long it ran, in seconds."""
    started, finished = task_result.started_at, task_result.finished_at
    seconds = (finished - started).total_seconds() if started and finished else None
    return str(getattr(task_result.status, "value", task_result.status)), seconds


def log_task(task_result, *, status: str, seconds: float | None, periodic: bool) -> None:
    """One line per task run (django-tasks' task_finished signal)."""
    duration = round(seconds * 1000, 1) if seconds is not None else None
    tasks_logger.log(
        logging.ERROR if status == "FAILED" else logging.INFO,
        "Tâche %s : %s (%s ms)",
        task_result.task.module_path,
        status,
        duration,
        extra={
            "event": "periodic_task" if periodic else "task",
            "task": task_result.task.module_path,
            "task_id": str(task_result.id),
            "task_status": status,
            "duration_ms": duration,
            "periodic": periodic or None,
            "worker_id": (task_result.worker_ids or [None])[-1],
        },
    )


def log_periodic_enqueued(name: str) -> None:
    tasks_logger.info(
        "Tâche périodique mise en file : %s",
        name,
        extra={"event": "periodic_enqueued", "task": name, "periodic": True},
    )
