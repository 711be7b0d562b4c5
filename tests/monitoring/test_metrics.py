"""Metrics (issue 24 §2): « Prometheus metrics […]: requests by view and status, latency
histograms, the task queue's depth and age, each periodic task's last success and duration,
dossiers by state, clocks overdue, certificates by state, the seal's days to expiry. Served at
`/metrics` to requests bearing `Authorization: Bearer <GUICHET_METRICS_TOKEN>` (any other request
gets no metrics) »."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.certificates.register_world import world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

TOKEN = "jeton-de-supervision-0123456789"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def token(settings):
    settings.GUICHET_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[str, list]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        family.name: family.samples
        for family in text_string_to_metric_families(response.content.decode())
    }


def value(samples, name: str, **labels) -> float:
    (found,) = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    return found


def test_metrics_go_only_to_the_bearer_of_the_token(client, settings):
    settings.GUICHET_METRICS_TOKEN = ""
    response = client.get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 404
    assert b"guichet_" not in response.content

    settings.GUICHET_METRICS_TOKEN = TOKEN
    for header in ({}, {"Authorization": "Bearer faux"}, {"Authorization": f"Basic {TOKEN}"}):
        response = client.get("/metrics", headers=header)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert "Métriques réservées" in response.content.decode()
        assert b"guichet_" not in response.content
    assert client.get(f"/metrics?token={TOKEN}").status_code == 401


def test_metrics_count_requests_by_view_and_status_with_their_latency(client, token):
    before = scrape(client)
    client.get("/")
    client.get("/candidatures/9999999/")  # a page that needs a login: a redirect
    client.get("/nulle-part/")
    after = scrape(client)

    def requests(samples, **labels):
        matching = [
            s.value
            for s in samples.get("guichet_http_requests", [])
            if s.name == "guichet_http_requests_total" and labels.items() <= s.labels.items()
        ]
        return sum(matching)

    assert (
        requests(after, view="home", status="200") - requests(before, view="home", status="200")
        == 1
    )
    assert (
        requests(after, view="non-resolue", status="404")
        - requests(before, view="non-resolue", status="404")
        == 1
    )
    latency = after["guichet_http_request_duration_seconds"]
    assert value(latency, "guichet_http_request_duration_seconds_count", view="home") >= 1
    assert {s.labels.get("le") for s in latency if s.name.endswith("_bucket")} >= {"0.15", "0.5"}
    # Never a path with its ids as a label: the pattern's name.
    assert all("9999999" not in str(s.labels) for s in after["guichet_http_requests"])


def test_metrics_give_the_shared_state(
    client,
    token,
    world,  # noqa: F811
    django_assert_max_num_queries,
):
    """Dossiers by state, deadlines at risk, certificates by state, the queue, the periodic
    tasks, the seal — read from the database at each scrape, a fixed number of queries."""
    with django_assert_max_num_queries(10) as empty:
        client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    world.issue()
    world.issue(holder=world.b, version=world.tlc)
    with django_assert_max_num_queries(10) as fuller:
        families = scrape(client)
    assert len(fuller.captured_queries) == len(empty.captured_queries)

    dossiers = families["guichet_applications"]
    assert value(dossiers, "guichet_applications", state="granted", referential="DMN") == 1
    assert value(dossiers, "guichet_applications", state="granted", referential="TLC") == 1
    assert sum(s.value for s in dossiers) == 2
    assert (
        sum(
            s.value
            for s in families["guichet_certificates"]
            if s.labels["state"] == "valid" and s.labels["kind"] == "standard"
        )
        == 2
    )
    assert sum(s.value for s in families["guichet_certificates"]) == 2
    assert {s.labels["kind"] for s in families["guichet_deadlines_at_risk"]} == {
        "week",
        "overdue",
        "stopped",
    }
    assert value(families["guichet_task_queue_waiting"], "guichet_task_queue_waiting") == 0
    assert (
        value(families["guichet_seal_certificate_days_left"], "guichet_seal_certificate_days_left")
        > 30
    )
    periodic = families["guichet_periodic_last_success_timestamp_seconds"]
    assert {s.labels["task"] for s in periodic} >= {"guichet.journal.tasks.checkpoint_journal"}


def test_metrics_add_up_every_worker_of_a_node(tmp_path):
    """Under gunicorn's several workers (PROMETHEUS_MULTIPROC_DIR), a scrape answered by one
    worker counts the requests every worker served: two processes serve, a third scrapes."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "GUICHET_METRICS_TOKEN": TOKEN,
        "DJANGO_SETTINGS_MODULE": "guichet.settings",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "CRITICAL",
        # An empty database: the processes' counts are served even when it cannot be read.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'vide.sqlite3'}",
    }
    serve = (
        "import django; django.setup(); from django.test import Client; "
        "assert Client().get('/sante/vivant').status_code == 200"
    )
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", serve], env=env, capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr.decode()
    scrape_code = (
        "import sys, django; django.setup(); from guichet.monitoring.metrics import exposition; "
        "sys.stdout.write(exposition().decode())"
    )
    done = subprocess.run(
        [sys.executable, "-c", scrape_code], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    families = {f.name: f.samples for f in text_string_to_metric_families(done.stdout.decode())}
    assert (
        value(
            families["guichet_http_requests"],
            "guichet_http_requests_total",
            view="monitoring:alive",
            status="200",
        )
        == 2
    )
