"""Periodic tasks are enqueued once per period, whatever the number of scheduler passes."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import task

from guichet.common import periodic
from guichet.common.models import PeriodicRun

RUNS: list[str] = []


@task()
def probe():
    RUNS.append("ran")


@pytest.fixture
def registered_probe():
    RUNS.clear()
    periodic.periodic(every=dt.timedelta(days=1), label="Sonde de test")(probe)
    yield
    periodic._REGISTRY.pop(probe.module_path)


@pytest.mark.django_db
def test_due_task_is_enqueued_once_per_period(registered_probe, django_capture_on_commit_callbacks):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        first = periodic.enqueue_due(now)
        again = periodic.enqueue_due(now + dt.timedelta(hours=23))
    assert [entry.label for entry in first if entry.task is probe] == ["Sonde de test"]
    assert [entry.name for entry in again if entry.task is probe] == []
    assert RUNS == ["ran"]
    with django_capture_on_commit_callbacks(execute=True):
        later = periodic.enqueue_due(now + dt.timedelta(days=1))
    assert any(entry.task is probe for entry in later)
    assert RUNS == ["ran", "ran"]
    assert PeriodicRun.objects.get(name=probe.module_path).last_enqueued_at == now + dt.timedelta(
        days=1
    )


@pytest.mark.django_db
def test_run_periodic_lists_the_registered_tasks(registered_probe, capsys):
    call_command("run_periodic", "--list")
    assert "Sonde de test" in capsys.readouterr().out


def test_the_platform_declares_its_periodic_work():
    """What the scheduler runs: file re-verification, journal checkpoints, import purge."""
    labels = {entry.task.module_path: entry.every for entry in periodic.registered()}
    assert labels["guichet.referentials.tasks.purge_pending_imports"] == dt.timedelta(hours=1)
    assert labels["guichet.journal.tasks.checkpoint_journal"] <= dt.timedelta(days=1)
    assert labels["guichet.files.tasks.verify_stored_files"] == dt.timedelta(weeks=1)


@pytest.mark.django_db
def test_crash_periodic_every_shortens_a_period_by_the_task_name(
    registered_probe, settings, django_capture_on_commit_callbacks
):
    """GUICHET_PERIODIC_EVERY (the crash loop's setting, issue 23 §3): the probe's daily period
    becomes 5 seconds; the other tasks keep theirs."""
    settings.GUICHET_PERIODIC_EVERY = {"probe": 5.0}
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        periodic.enqueue_due(now)
        early = periodic.enqueue_due(now + dt.timedelta(seconds=4))
        due = periodic.enqueue_due(now + dt.timedelta(seconds=5))
    assert not any(entry.task is probe for entry in early)
    assert [entry.task for entry in due] == [probe]
    assert RUNS == ["ran", "ran"]
