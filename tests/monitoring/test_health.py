"""Health (issue 24 §2): « `/sante/vivant` (the process answers) and `/sante/pret` (database,
storage, the task queue's oldest waiting task, the last run of each periodic task, the seal's
certificate validity): JSON, 200 or 503, no authentication, nothing sensitive in them »."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django_tasks import task
from django_tasks_db.management.commands import db_worker

from guichet.common.periodic import enqueue_due, registered
from guichet.monitoring import health

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@task()
def waiting():
    return None


def ready(client):
    response = client.get("/sante/pret")
    return response, json.loads(response.content)


def test_alive_answers_without_a_session_or_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/sante/vivant")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "message": "Le processus répond."}
    assert response["Cache-Control"].startswith("max-age=0")


def test_ready_reports_every_check_without_a_login_and_without_secrets(client, settings):
    response, body = ready(client)
    assert response.status_code == 200  # a fresh platform: periodic tasks never ran yet
    assert set(body["checks"]) == {"database", "storage", "task_queue", "periodic_tasks", "seal"}
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["storage"]["status"] == "ok"
    assert body["checks"]["task_queue"] == {
        "status": "ok",
        "message": "La file des tâches avance.",
        "waiting": 0,
        "oldest_waiting_seconds": None,
    }
    assert body["checks"]["seal"]["status"] == "ok" and body["checks"]["seal"]["days_left"] > 30
    periodic = body["checks"]["periodic_tasks"]
    assert periodic["status"] == "attention"  # never ran
    assert {row["task"] for row in periodic["tasks"]} == {entry.name for entry in registered()}
    assert body["status"] == "attention"
    text = response.content.decode()
    for secret in (
        settings.SECRET_KEY,
        settings.DATABASES["default"]["NAME"],
        str(settings.VAR_DIR),
    ):
        assert str(secret) not in text


def test_ready_says_which_periodic_task_is_late_once_they_ran(client, monkeypatch):
    """Each periodic task, once run by a worker, is on time; a period later than twice its
    period, it is reported late by its French label."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    with override_settings(TASKS=DATABASE_TASKS):
        enqueue_due()
        call_command("run_worker", batch=True, startup_delay=False, verbosity=0)
    _, body = ready(client)
    assert body["checks"]["periodic_tasks"]["status"] == "ok"
    assert all(not row["late"] for row in body["checks"]["periodic_tasks"]["tasks"])
    assert body["status"] == "ok"

    hourly = [entry for entry in registered() if entry.every <= dt.timedelta(hours=1)]
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)):
        response, body = ready(client)
    assert response.status_code == 200
    periodic = body["checks"]["periodic_tasks"]
    assert periodic["status"] == "attention"
    late = {row["task"] for row in periodic["tasks"] if row["late"]}
    assert late == {entry.name for entry in hourly}
    assert all(entry.label in periodic["message"] for entry in hourly)


def test_ready_warns_of_a_task_waiting_too_long(
    client, settings, django_capture_on_commit_callbacks
):
    settings.GUICHET_HEALTH_QUEUE_MAX_MINUTES = 10
    with (
        override_settings(TASKS=DATABASE_TASKS),
        django_capture_on_commit_callbacks(execute=True),
    ):
        waiting.enqueue()
        waiting.enqueue()
    _, body = ready(client)
    assert body["checks"]["task_queue"]["waiting"] == 2
    assert body["checks"]["task_queue"]["status"] == "ok"
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=25)):
        response, body = ready(client)
    queue = body["checks"]["task_queue"]
    assert response.status_code == 200
    assert queue["status"] == "attention" and queue["oldest_waiting_seconds"] >= 25 * 60
    assert queue["message"].startswith("La plus ancienne tâche attend depuis 25 min")


def test_ready_fails_with_503_when_the_storage_or_the_seal_cannot_work(client, monkeypatch):
    """A node that cannot keep files, or a seal expired (no act can be sealed), is not ready;
    the message names the check, never the error's text."""

    def broken(*args, **kwargs):
        raise OSError("disque /srv/secret/guichet illisible")

    from guichet.files import storage

    monkeypatch.setattr(storage.FilesDiskStorage, "exists", broken)
    response, body = ready(client)
    assert response.status_code == 503
    assert body["status"] == "échec"
    assert body["checks"]["storage"] == {
        "status": "échec",
        "message": "Le stockage des fichiers ne répond pas.",
    }
    assert "/srv/secret" not in response.content.decode()
    monkeypatch.undo()

    expiry = health.seal_expiry()
    with time_machine.travel(expiry - dt.timedelta(days=10)):
        response, body = ready(client)
    assert body["checks"]["seal"]["status"] == "attention"
    assert body["checks"]["seal"]["message"].startswith(
        "Le certificat de cachet de l'agence expire"
    )
    with time_machine.travel(expiry + dt.timedelta(days=1)):
        response, body = ready(client)
    assert response.status_code == 503
    assert body["checks"]["seal"]["message"] == (
        "Le certificat de cachet de l'agence a expiré : aucun acte ne peut être scellé."
    )


def test_ready_costs_the_same_queries_whatever_the_queue(
    client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    with (
        override_settings(TASKS=DATABASE_TASKS),
        django_capture_on_commit_callbacks(execute=True),
    ):
        for _ in range(30):
            waiting.enqueue()
    with django_assert_max_num_queries(6):
        client.get("/sante/pret")
