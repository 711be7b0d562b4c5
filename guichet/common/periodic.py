"""Periodic tasks (sweeps, checkpoints, re-verifications): declared once beside the task, and
enqueued by `manage.py run_periodic` when due. The task itself runs in the task worker
(django-tasks); the scheduler only decides when. Safe when several schedulers run at once:
the row of each task is locked with SKIP LOCKED, so one of them enqueues it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

_REGISTRY: dict[str, Periodic] = {}


@dataclass(frozen=True)
class Periodic:
    name: str
    task: object  # a django_tasks Task
    every: dt.timedelta
    label: str

    @property
    def period(self) -> dt.timedelta:
        """`every`, unless GUICHET_PERIODIC_EVERY shortens it for this task (by its name, the
        last part of its path)."""
        seconds = settings.GUICHET_PERIODIC_EVERY.get(self.name.rsplit(".", 1)[-1])
        return dt.timedelta(seconds=seconds) if seconds is not None else self.every


def periodic(*, every: dt.timedelta, label: str):
    """Registers a django-tasks task to be enqueued every `every`; `label` is French, for
    the operator. Use under `@task()`: `@periodic(every=…, label=…)` then `@task()`."""

    def register(task):
        name = task.module_path
        _REGISTRY[name] = Periodic(name=name, task=task, every=every, label=label)
        return task

    return register


def registered() -> list[Periodic]:
    return sorted(_REGISTRY.values(), key=lambda p: p.name)


def enqueue_due(now: dt.datetime | None = None) -> list[Periodic]:
    """Enqueues every registered task whose period has elapsed; returns those enqueued."""
    from guichet.common.models import PeriodicRun
    from guichet.common.tasks import enqueue_with_change
    from guichet.monitoring.logs import log_periodic_enqueued

    now = now or timezone.now()
    enqueued = []
    for entry in registered():
        PeriodicRun.objects.get_or_create(name=entry.name)
        with transaction.atomic():
            run = (
                PeriodicRun.objects.select_for_update(skip_locked=True)
                .filter(name=entry.name)
                .first()
            )
            if run is None:  # another scheduler holds it right now
                continue
            if run.last_enqueued_at and now - run.last_enqueued_at < entry.period:
                continue
            run.last_enqueued_at = now
            run.save(update_fields=["last_enqueued_at"])
            # With the period's row: a scheduler killed after its commit loses no run.
            enqueue_with_change(entry.task)
            enqueued.append(entry)
        log_periodic_enqueued(entry.name)
    return enqueued


def record_outcome(name: str, *, status: str, seconds: float | None, finished) -> None:
    """The end of a periodic task's run, kept on its PeriodicRun row for health and metrics
    (one UPDATE): its last success and duration, or its last failure."""
    from guichet.common.models import PeriodicRun

    at = finished or timezone.now()
    if status == "SUCCESSFUL":
        changes = {"last_success_at": at, "last_duration": seconds}
    elif status == "FAILED":
        changes = {"last_failure_at": at}
    else:
        return
    if not PeriodicRun.objects.filter(name=name).update(**changes):
        PeriodicRun.objects.get_or_create(name=name, defaults=changes)
