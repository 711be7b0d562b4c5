"""Bench: the agency's dashboard (issue 12 §3) at 10,000 and 100,000 dossiers — the same number
of SQL queries at both sizes; the page's time printed beside, and that of the CSV of the overdue
dossiers (every row, streamed).

The dossiers are written with raw SQL (`_open_dossiers.py`): 70 % open (from « dossier complet »
to « instruction terminée », dated within the last 70 days: clocks running, stopped, overdue),
30 % decided by the collège over the last 13 months (weekly held sessions, agenda, decisions).
The daily sweep then computes every open dossier's clock state, which the deadlines at risk
read (its time is printed, not measured against a goal: bench_sweep.py does that)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import _setup  # noqa: E402,F401,I001  (must come before anything Django)
from _open_dossiers import build, build_decided  # noqa: E402

from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

SIZES = (10_000, 100_000)
DECIDED_SHARE = 0.3
RUNS = 3


def grow(total: int, people: dict | None) -> dict:
    """Adds open and decided dossiers up to `total`, then sweeps the open ones."""
    from guichet.applications.models import Application
    from guichet.instruction.clockstate import sweep

    missing = total - Application.objects.count()
    decided = round(missing * DECIDED_SHARE)
    people = build(missing - decided, people=people)
    build_decided(decided, people=people)
    started = time.perf_counter()
    report = sweep()
    print(
        f"{total:,} dossiers written; the sweep computed {report.swept:,} clock states in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return people


def measure(client: Client, url: str) -> tuple[int, float]:
    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if response.streaming:
            b"".join(response.streaming_content)

    get()  # the first request of a session reads a few things once
    with CaptureQueriesContext(connection) as queries:
        get()
    count = len(queries)
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        get()
        best = min(best, time.perf_counter() - started)
    return count, best * 1000


def main() -> None:
    from allauth.mfa.totp.internal.auth import TOTP

    setup_test_environment()  # the test client's host, emails kept in memory
    # As in Django's test cases: one connection for the whole run, so that its queries are
    # counted (a request otherwise closes it at its end, CONN_MAX_AGE being 0).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    urls = {
        "dashboard": reverse("dashboard:index"),
        "overdue CSV": reverse("dashboard:export", args=["delais-depasses"]),
    }
    people = None
    figures: dict[str, list[tuple[int, float]]] = {name: [] for name in urls}
    for size in SIZES:
        people = grow(size, people)
        if size == SIZES[0]:
            TOTP.activate(people["instructor"], "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        client = Client()
        client.force_login(people["instructor"])
        for name, url in urls.items():
            figures[name].append(measure(client, url))
    for name, ((small_q, small_ms), (large_q, large_ms)) in figures.items():
        print(
            f"{name} ({urls[name]}): {SIZES[0]:,} dossiers {small_q} queries {small_ms:.0f} ms; "
            f"{SIZES[1]:,} dossiers {large_q} queries {large_ms:.0f} ms (best of {RUNS})"
        )
        _setup.goal(
            f"{name} queries at {SIZES[0]:,} and {SIZES[1]:,} dossiers",
            f"{small_q} → {large_q} queries ({small_ms:.0f} → {large_ms:.0f} ms)",
            "same number of queries",
            small_q == large_q,
        )


if __name__ == "__main__":
    main()
