"""Bench: the instruction queue at 10 and 10,000 open dossiers (issue 11 §6) — the same number
of SQL queries, whatever the number of dossiers; its time is printed beside. Also the clock
API of one dossier (GET /api/v1/applications/{id}/clock).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import _setup  # noqa: E402,F401,I001  (must come before anything Django)
from _open_dossiers import build  # noqa: E402

from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

QUEUE = "instruction:queue"
SIZES = (10, 10_000)
RUNS = 5


def pages(first_id: int) -> dict[str, str]:
    return {"queue": reverse(QUEUE), "clock API": f"/api/v1/applications/{first_id}/clock"}


def measure(client: Client, url: str) -> tuple[int, float]:
    client.get(url)  # the first request of a session reads a few things once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    count = len(queries)  # now: each request clears the connection's query log
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(url)
        best = min(best, time.perf_counter() - started)
    return count, best * 1000


def main() -> None:
    from allauth.mfa.totp.internal.auth import TOTP

    setup_test_environment()  # the test client's host, emails kept in memory
    # As in Django's test cases: one connection for the whole run, so that its queries are
    # counted (a request otherwise closes it at its end, CONN_MAX_AGE being 0).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    people = build(SIZES[0])
    TOTP.activate(people["instructor"], "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(people["instructor"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id) FROM applications_application")
        first_id = cursor.fetchone()[0]
    urls = pages(first_id)
    figures = {name: [measure(client, url)] for name, url in urls.items()}
    build(SIZES[1] - SIZES[0], people=people)
    for name, url in urls.items():
        figures[name].append(measure(client, url))
    for name, ((small_q, small_ms), (large_q, large_ms)) in figures.items():
        print(
            f"{name} ({urls[name]}): {SIZES[0]} dossiers {small_q} queries {small_ms:.0f} ms; "
            f"{SIZES[1]:,} dossiers {large_q} queries {large_ms:.0f} ms (best of {RUNS})"
        )
        _setup.goal(
            f"{name} queries at {SIZES[0]} and {SIZES[1]:,} dossiers",
            f"{small_q} → {large_q} queries ({small_ms:.0f} → {large_ms:.0f} ms)",
            "same number of queries",
            small_q == large_q,
        )


if __name__ == "__main__":
    main()
