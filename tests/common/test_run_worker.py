"""`make run`'s task worker (manage.py run_worker): django-tasks' db_worker, whose log follows
TASKS_LOG_LEVEL — quiet about each task's start and end, not about its failures."""

import logging

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks import task

RAN: list[str] = []


@task()
def quiet_probe():
    RAN.append("ran")


@task()
def failing_probe():
    raise RuntimeError("sonde en échec")


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _levels_kept():
    """The worker sets its loggers' levels for its process: put them back for the next tests."""
    loggers = [logging.getLogger(name) for name in ("django_tasks", "django_tasks_db")]
    levels = [logger.level for logger in loggers]
    RAN.clear()
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def worked(monkeypatch, caplog, level: str | None) -> list[logging.LogRecord]:
    if level:
        monkeypatch.setenv("TASKS_LOG_LEVEL", level)
    else:
        monkeypatch.delenv("TASKS_LOG_LEVEL", raising=False)
    with override_settings(TASKS=DATABASE_TASKS):
        quiet_probe.enqueue()
        failing_probe.enqueue()
        with caplog.at_level(logging.DEBUG):
            call_command("run_worker", batch=True, startup_delay=False, verbosity=1)
    return [r for r in caplog.records if r.name.startswith("django_tasks")]


@pytest.mark.django_db(transaction=True)  # the worker closes its connection between tasks
def test_the_worker_says_only_warnings_and_errors_at_level_warning(monkeypatch, caplog):
    records = worked(monkeypatch, caplog, "WARNING")
    assert RAN == ["ran"]
    assert records and all(r.levelno >= logging.WARNING for r in records)
    assert any("failing_probe" in r.getMessage() for r in records)


@pytest.mark.django_db(transaction=True)  # the worker closes its connection between tasks
def test_without_a_level_the_worker_says_each_task_as_db_worker_does(monkeypatch, caplog):
    records = worked(monkeypatch, caplog, None)
    assert any(r.levelno == logging.INFO and "quiet_probe" in r.getMessage() for r in records)
