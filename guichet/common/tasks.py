"""Running work in the task worker (django-tasks), with the change that asks for it; and the
queue's own maintenance after a crash (issue 23 §3): tasks left « running » by a dead worker
are queued again, documents whose task was never queued get one."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, router, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task

from guichet.common.periodic import periodic

logger = logging.getLogger(__name__)


def queued_in_the_database(task_to_run) -> bool:
    """Whether the task's queue is a table of the database the change is written to (the
    DatabaseBackend of django-tasks-db, as `make run` and production use)."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return isinstance(task_to_run.get_backend(), DatabaseBackend) and (
        router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
    )


def enqueue_with_change(task_to_run, *args, **kwargs) -> None:
    """Queues the task so that it exists if and only if the change that asks for it commits.

    With the queue in the same database, the task's row is written now, inside the change's
    transaction: both commit together or neither does, so a crash between the commit and the
    enqueue cannot lose it, and the worker cannot see it before the rows it needs. With any
    other backend (the immediate one of the test suite, which runs the task where it is
    queued; a broker elsewhere), it is queued once the transaction commits: never for a change
    rolled back, never run before its rows exist."""
    if queued_in_the_database(task_to_run):
        task_to_run.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task_to_run.enqueue(*args, **kwargs))


def enqueue_on_commit(task_to_run, *args, **kwargs) -> None:
    """The name its callers use: `enqueue_with_change` (inside the transaction when the queue
    is in the database, after its commit otherwise)."""
    enqueue_with_change(task_to_run, *args, **kwargs)


# --- tasks left « running » by a dead worker --------------------------------------------------


def stale_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.GUICHET_TASK_STALE_MINUTES)


def requeue_stale_tasks(*, now: dt.datetime | None = None) -> list[str]:
    """The tasks a worker claimed longer than GUICHET_TASK_STALE_MINUTES ago and never
    finished (killed while running: nothing else would take them again) go back to the queue;
    returns their paths. Their functions are idempotent: one that had finished its work before
    the kill finds its document made and does nothing more."""
    from django_tasks_db.models import DBTaskResult

    limit = (now or timezone.now()) - stale_after()
    with transaction.atomic():
        stale = list(
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(status=TaskResultStatus.RUNNING, started_at__lt=limit)
            .values_list("pk", "task_path", "worker_ids")
        )
        DBTaskResult.objects.filter(
            pk__in=[pk for pk, _, _ in stale], status=TaskResultStatus.RUNNING
        ).update(status=TaskResultStatus.READY, started_at=None)
    for pk, path, workers in stale:
        logger.warning(
            "Tâche %s (%s) remise en file : en cours depuis plus de %s, travailleur %s arrêté",
            pk,
            path,
            stale_after(),
            ", ".join(workers) or "inconnu",
        )
    return [path for _, path, _ in stale]


@periodic(
    every=dt.timedelta(minutes=10),
    label="Remise en file des tâches laissées « en cours » par un travailleur arrêté",
)
@task()
def recover_stale_tasks() -> list[str]:
    return requeue_stale_tasks()


# --- documents without their task --------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedDocument:
    task: object  # the django-tasks Task that makes the document
    missing: Callable[[], Iterable[tuple]]  # the task's arguments, one tuple a document missing
    label: str


_EXPECTED: dict[str, ExpectedDocument] = {}


# PostgreSQL's deadlock_detected and serialization_failure; SQLite's busy database: a task that
# meets one did nothing (its transaction rolled back) and succeeds when run again.
TRANSIENT_SQLSTATES = {"40P01", "40001"}
RETRY_ATTEMPTS = 4


def is_transient(error: Exception) -> bool:
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(error)


def retried_when_transient(function):
    """Runs `function` again (up to RETRY_ATTEMPTS times, with a short random backoff) when the
    database refuses its transaction for a moment — a deadlock with a concurrent transition, a
    serialization failure. For idempotent task bodies: the document tasks, which leave their
    document as it is when it exists."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        for attempt in range(RETRY_ATTEMPTS - 1):
            try:
                return function(*args, **kwargs)
            except OperationalError as error:
                if not is_transient(error):
                    raise
                logger.warning(
                    "%s : conflit passager avec une autre transaction (%s), nouvel essai",
                    function.__qualname__,
                    error.__class__.__name__,
                )
                time.sleep(0.1 * 2**attempt + random.random() * 0.1)  # noqa: S311
        return function(*args, **kwargs)  # the last try: its error is the task's

    return run


def makes_document(task_to_run, *, label: str):
    """Declares, beside a task that generates a document, the function that lists the
    arguments of the task for each object whose document is missing (first argument: the
    object's id). `label` is French, for the operator."""

    def register(missing):
        _EXPECTED[task_to_run.module_path] = ExpectedDocument(task_to_run, missing, label)
        return missing

    return register


def expected_documents() -> list[ExpectedDocument]:
    return sorted(_EXPECTED.values(), key=lambda entry: entry.task.module_path)


def _with_a_task(task_path: str, ids: list) -> set:
    """Those of `ids` that have a row of the task in the queue, whatever its status: queued,
    running, done (a task that ran and left no document had nothing to make) or failed (for
    the operator, who sees it in the administration)."""
    from django_tasks_db.models import DBTaskResult

    found = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            DBTaskResult.objects.filter(
                task_path=task_path, args_kwargs__args__0__in=chunk
            ).values_list("args_kwargs__args__0", flat=True)
        )
    return found


def repair_missing_documents() -> dict[str, int]:
    """Queues the task of every generated document that is missing and has no task (its
    change committed, its task lost: a crash between them before the queue was written with
    the change). Returns how many were queued for each kind."""
    repaired = {}
    for entry in expected_documents():
        wanted = list(entry.missing())
        if not wanted:
            continue
        queued = _with_a_task(entry.task.module_path, [args[0] for args in wanted])
        for args in wanted:
            if args[0] in queued:
                continue
            with transaction.atomic():
                enqueue_with_change(entry.task, *args)
            repaired[entry.task.module_path] = repaired.get(entry.task.module_path, 0) + 1
            logger.warning("Document manquant sans tâche : %s %s remis en file", entry.label, args)
    return repaired


@periodic(
    every=dt.timedelta(minutes=10),
    label="Remise en file des documents à produire dont la tâche manque",
)
@task()
def repair_documents() -> dict[str, int]:
    return repair_missing_documents()
