"""No queued task is lost or done twice in effect after a crash (issue 23 §3): « a worker killed
while sealing a PDF leaves a task that is picked up again (a task left « running » by a dead
worker is recovered after a timeout), and the document exists once »; « a certificate revision
saved with no PDF and no task to make it (the task is queued after the commit, and the crash
fell in between — the queue is in the same database, so queue inside the transaction) ».

The certificate's PDF is R-CRT-1's document: « A granted certificate gets a unique number,
names the product, its version […] ». The queue here is the production one (django-tasks-db's
DatabaseBackend) and its worker (`manage.py run_worker`), run in the test's transaction; the
rows of the queue are the queue's data (a dead worker's claim is written as the worker writes
it), never a state of the domain."""

import datetime as dt
import logging

import pytest
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from guichet.certificates.models import CertificateRevision
from guichet.certificates.pdf import produce_revision_pdf
from guichet.common import periodic
from guichet.common import tasks as queue
from guichet.files.models import StoredFile
from guichet.journal.models import JournalEntry
from tests.certificates.register_world import Register
from tests.conftest import committed

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
PDF_TASK = "guichet.certificates.tasks.produce_certificate_pdf"


RAN: list[str] = []


@task()
def probe():
    RAN.append("ran")


class Killed(Exception):
    """Stands for the SIGKILL: the transaction never commits."""


@pytest.fixture(autouse=True)
def _levels_kept():
    """The worker sets its loggers' levels for its process: put them back for the next tests."""
    loggers = [logging.getLogger(name) for name in ("django_tasks", "django_tasks_db")]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture
def world(applicant, stranger, instructor, committee_member, agency_admin):
    world = Register(
        applicant=applicant,
        stranger=stranger,
        instructor=instructor,
        committee_member=committee_member,
        agency_admin=agency_admin,
    )
    world.certificate = world.issue()
    return world


def worker_runs(monkeypatch):
    """`manage.py run_worker --batch`: every ready task, until none is left. Its closing of
    old connections between tasks would end the test's transaction: a no-op here."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    call_command("run_worker", batch=True, startup_delay=False, verbosity=0)


def pdf_tasks(revision):
    return DBTaskResult.objects.filter(task_path=PDF_TASK, args_kwargs__args__0=revision.pk)


def sealed_files(revision):
    name = f"{revision.certificate.number}-revision-{revision.number}.pdf"
    return StoredFile.objects.filter(original_name=name)


def pdf_entries(revision):
    return [
        entry
        for entry in JournalEntry.objects.filter(action="certificate.pdf")
        if entry.after["revision"] == revision.number
    ]


def suspended(world) -> CertificateRevision:
    world.suspend(world.certificate)
    return world.certificate.revisions.order_by("-number").first()


def test_r_crt_1_the_revision_and_its_pdf_task_commit_together(world):
    """Inside the transaction that saves the revision, its task is already in the queue's
    table; rolled back, neither is left."""
    other = world.issue()
    with override_settings(TASKS=DATABASE_TASKS):
        with transaction.atomic():
            revision = suspended(world)
            assert revision.pdf_id is None
            assert pdf_tasks(revision).get().status == TaskResultStatus.READY
        revisions = CertificateRevision.objects.count()
        with pytest.raises(Killed), transaction.atomic():
            world.suspend(other)
            assert DBTaskResult.objects.filter(task_path=PDF_TASK).count() == 2
            raise Killed
    assert CertificateRevision.objects.count() == revisions
    assert DBTaskResult.objects.filter(task_path=PDF_TASK).count() == 1


def test_the_immediate_backend_still_runs_a_task_after_the_commit(
    db, django_capture_on_commit_callbacks
):
    """The test suite's backend runs a task where it is queued: there, inside the transaction,
    the task would run before the change commits (and its failure would undo the change)."""
    RAN.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            queue.enqueue_with_change(probe)
            assert RAN == []
    assert len(callbacks) == 1 and RAN == ["ran"]


@pytest.mark.parametrize("killed_after_the_document", [False, True])
def test_r_crt_1_a_task_left_running_by_a_dead_worker_is_requeued_and_makes_the_pdf_once(
    world, monkeypatch, settings, killed_after_the_document
):
    """A worker killed while sealing: before it kept the PDF, or after it kept it and before
    it marked the task done. Either way the task is taken again after the timeout, and the
    revision has one PDF, journaled once."""
    settings.GUICHET_TASK_STALE_MINUTES = 120
    with override_settings(TASKS=DATABASE_TASKS):
        revision = suspended(world)
        row = pdf_tasks(revision).get()
        row.claim("travailleur-tué")  # as the worker claims it, then the SIGKILL
        if killed_after_the_document:
            produce_revision_pdf(revision.pk)
        claimed = timezone.now() - dt.timedelta(minutes=90)
        DBTaskResult.objects.filter(pk=row.pk).update(started_at=claimed)

        worker_runs(monkeypatch)  # the restarted worker: nothing ready, the task is stuck
        assert pdf_tasks(revision).get().status == TaskResultStatus.RUNNING
        assert queue.requeue_stale_tasks() == [], "younger than the timeout: maybe still running"

        DBTaskResult.objects.filter(pk=row.pk).update(started_at=claimed - dt.timedelta(hours=1))
        queue.recover_stale_tasks.enqueue()  # as the scheduler queues it
        worker_runs(monkeypatch)

    revision.refresh_from_db()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.worker_ids[0] == "travailleur-tué" and len(row.worker_ids) == 2
    assert revision.pdf_id is not None
    assert sealed_files(revision).count() == 1
    assert len(pdf_entries(revision)) == 1


def test_r_crt_1_a_revision_whose_task_was_lost_gets_it_from_the_repair(world, monkeypatch):
    """The crash of the issue: the revision committed, its task to be queued after the commit,
    the process killed in between (here: the task queued after a commit that the test's
    transaction never makes). The periodic repair queues it, once."""
    with override_settings(TASKS=DATABASE_TASKS):
        monkeypatch.setattr(queue, "queued_in_the_database", lambda task_to_run: False)
        revision = suspended(world)
        monkeypatch.undo()
        assert revision.pdf_id is None and not pdf_tasks(revision).exists()

        queue.repair_documents.enqueue()  # as the scheduler queues it
        worker_runs(monkeypatch)
        assert PDF_TASK not in queue.repair_missing_documents(), "it has its PDF now"

    revision.refresh_from_db()
    assert revision.pdf_id is not None
    assert sealed_files(revision).count() == 1 and len(pdf_entries(revision)) == 1
    assert pdf_tasks(revision).get().status == TaskResultStatus.SUCCESSFUL


def test_r_crt_1_the_repair_leaves_a_document_whose_task_is_queued(world):
    with override_settings(TASKS=DATABASE_TASKS):
        revision = suspended(world)
        assert PDF_TASK not in queue.repair_missing_documents()
        assert PDF_TASK not in queue.repair_missing_documents()
    assert pdf_tasks(revision).count() == 1


def test_crash_every_generated_document_is_repaired_and_recovery_is_periodic():
    """Certificates' revisions, minister notices, decision letters, conventions to sign and
    signed, acknowledgments of receipt: each has its repair; both run every ten minutes."""
    assert {entry.task.module_path for entry in queue.expected_documents()} == {
        PDF_TASK,
        "guichet.certificates.tasks.seal_minister_notice",
        "guichet.committee.tasks.produce_decision_letter",
        "guichet.conventions.tasks.prepare_convention",
        "guichet.conventions.tasks.seal_convention",
        "guichet.evidence.tasks.issue_acknowledgment",
    }
    every = {entry.task: entry.every for entry in periodic.registered()}
    assert every[queue.recover_stale_tasks] == dt.timedelta(minutes=10)
    assert every[queue.repair_documents] == dt.timedelta(minutes=10)


class _Deadlock(Exception):
    sqlstate = "40P01"  # PostgreSQL's deadlock_detected, as psycopg reports it


def _deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = _Deadlock()
    return error


def test_crash_a_document_task_that_meets_a_deadlock_runs_again_and_makes_its_pdf(
    world, monkeypatch
):
    """Under load (the crash loop, on PostgreSQL), a revision's sealing met a concurrent
    suspension and PostgreSQL cancelled it as a deadlock: the task failed and its PDF was never
    made. A transient refusal now runs the task again; the document is made, once."""
    from guichet.certificates import pdf

    revision = world.certificate.revisions.get()
    real, calls = pdf.produce_revision_pdf, []

    def refused_twice(revision_id):
        calls.append(revision_id)
        if len(calls) <= 2:
            raise _deadlock()
        return real(revision_id)

    monkeypatch.setattr(pdf, "produce_revision_pdf", refused_twice)
    monkeypatch.setattr(queue.time, "sleep", lambda seconds: None)
    with committed():  # the suspension's PDF task runs after its commit
        suspended_revision = suspended(world)
    assert len(calls) == 3
    assert sealed_files(suspended_revision).count() == 1
    suspended_revision.refresh_from_db()
    assert suspended_revision.pdf_id is not None and revision.pdf_id is not None


def test_crash_a_task_failing_for_good_is_not_retried_forever(monkeypatch):
    """Only the database's passing refusals are retried, a few times; anything else fails at
    once, for the operator to see."""
    calls = []

    @queue.retried_when_transient
    def always(kind):
        calls.append(kind)
        raise _deadlock() if kind == "deadlock" else OperationalError("no such table: x")

    monkeypatch.setattr(queue.time, "sleep", lambda seconds: None)
    with pytest.raises(OperationalError):
        always("deadlock")
    assert len(calls) == queue.RETRY_ATTEMPTS
    calls.clear()
    with pytest.raises(OperationalError):
        always("other")
    assert calls == ["other"]
