"""Bench: the daily sweep of the legal clocks (issue 11 §4, §6).

DOSSIERS open dossiers (100,000; `BENCH_SWEEP_DOSSIERS` changes it), written with raw SQL
(bench/_open_dossiers.py): applications, their transition log and journal entries.

- Floor: a bare SELECT of the rows the sweep reads to compute the clocks — the open
  applications with their referential version, their transition events, and the last change
  a person made to each (the journal) — fetched with a plain cursor. Best of 3.
- The first sweep (every clock's state created), then the daily sweep (the next day: the
  clocks that may read differently that day, deadlines.next_change, are computed and their
  states rewritten; best of 3, each on a new day), then the same day again (nothing written),
  and a full sweep (`--all`) for information. Goal: the daily sweep ≤ 3× the floor.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import _setup  # noqa: E402,F401,I001  (must come before anything Django)
from _open_dossiers import build  # noqa: E402

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from guichet.instruction.clockstate import OPEN_STATES, sweep  # noqa: E402
from guichet.instruction.models import ClockState  # noqa: E402

DOSSIERS = int(os.environ.get("BENCH_SWEEP_DOSSIERS", "100000"))
GOAL = 3.0


def floor() -> tuple[float, int]:
    states = ", ".join(f"'{state}'" for state in OPEN_STATES)
    queries = [
        "SELECT a.id, a.status, a.evidence_complete_at, a.referential_version_id, v.process "
        "FROM applications_application a JOIN referentials_referentialversion v "
        f"ON v.id = a.referential_version_id WHERE a.status IN ({states}) ORDER BY a.id",
        "SELECT t.application_id, t.name, t.at, t.due FROM applications_applicationtransition t "
        "JOIN applications_application a ON a.id = t.application_id "
        f"WHERE a.status IN ({states})",
        "SELECT application_id, MAX(created_at) FROM journal_journalentry "
        "WHERE actor_id IS NOT NULL GROUP BY application_id",
    ]
    best, rows = float("inf"), 0
    for _ in range(3):
        started, rows = time.perf_counter(), 0
        with connection.cursor() as cursor:
            for sql in queries:
                cursor.execute(sql)
                rows += len(cursor.fetchall())
        best = min(best, time.perf_counter() - started)
    return best, rows


def main() -> None:
    today = timezone.localdate()
    started = time.perf_counter()
    build(DOSSIERS, today=today)
    print(f"{DOSSIERS:,} open dossiers written in {time.perf_counter() - started:.1f} s")

    floor_s, rows = floor()
    print(f"floor (bare SELECT of {rows:,} rows): {floor_s * 1000:.0f} ms")

    first = sweep(today=today)
    assert first.swept == DOSSIERS and not first.problems, first.problems
    print(
        f"first sweep (creates {ClockState.objects.count():,} clock states): "
        f"{first.seconds * 1000:.0f} ms ({first.seconds / floor_s:.1f}× floor)"
    )
    daily = []
    for day in (1, 2, 3):
        report = sweep(today=today + dt.timedelta(days=day))
        assert not report.problems, report.problems
        daily.append(report)
    for report in daily:
        print(
            f"  {report.today}: {report.swept:,} clocks looked at, {report.updated:,} written, "
            f"{report.seconds * 1000:.0f} ms"
        )
    best = max(daily, key=lambda r: r.seconds)  # the day with the most work
    print(
        f"daily sweep (next day: {best.swept:,} clocks may change, {best.updated:,} states "
        f"rewritten): {best.seconds * 1000:.0f} ms ({best.seconds / floor_s:.1f}× floor), the slowest of 3 days"
    )
    full = sweep(today=today + dt.timedelta(days=4), every=True)
    assert full.swept == DOSSIERS and not full.problems, full.problems
    print(
        f"full sweep (--all, every clock computed again): {full.seconds * 1000:.0f} ms "
        f"({full.seconds / floor_s:.1f}× floor), for information"
    )
    again = sweep(today=daily[-1].today)
    print(
        f"same day again ({again.updated} written): {again.seconds * 1000:.0f} ms "
        f"({again.seconds / floor_s:.1f}× floor)"
    )
    print(best.summary())
    ratio = best.seconds / floor_s
    _setup.goal(
        f"sweep of {DOSSIERS:,} dossiers",
        f"{best.seconds * 1000:.0f} ms ({ratio:.1f}× floor {floor_s * 1000:.0f} ms)",
        f"≤ {GOAL:g}× floor",
        ratio <= GOAL,
    )


if __name__ == "__main__":
    main()
