"""Running work in the task worker (django-tasks), after the change that asks for it."""

from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Enqueued once the current transaction commits: the worker never sees a change that
    was rolled back, nor runs before the rows it needs exist."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
