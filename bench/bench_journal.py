"""Bench: the audit journal (R-AUD-1).

1. Append throughput, single writer, one transaction per entry (as in real use):
   journal.services.record vs a bare INSERT of the same rows (floor). Goal: ≥ 0.5× the floor.
2. verify_journal over 100,000 entries: prints its time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import _setup  # noqa: E402,F401,I001  (must come before anything Django)

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from guichet.journal.models import JournalEntry  # noqa: E402
from guichet.journal.services import record, verify_chain  # noqa: E402

APPENDS = 2000
VERIFY_ENTRIES = 100_000
GOAL = 0.5


def bare_inserts(n: int) -> float:
    # A scratch table of the same columns, so that the real chain stays whole.
    table = "bench_journal_floor"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {table} AS SELECT * FROM {JournalEntry._meta.db_table} WHERE 1 = 0"
        )
    started = time.perf_counter()
    for i in range(n):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (created_at, actor_email, actor_role, organisation, action,"
                " object_type, object_id, application_id, before, after, request_id,"
                " previous_hash, hash) VALUES (%s, '', '', '', 'bench', 'essai', %s, '',"
                " %s, %s, '', %s, %s)",
                [timezone.now(), str(i), '{"n": 1}', '{"n": 2}', "0" * 64, f"bare-{i}"],
            )
    return time.perf_counter() - started


def real_appends(n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            record(
                action="bench",
                object_type="essai",
                object_id=str(i),
                before={"n": 1},
                after={"n": 2},
            )
    return time.perf_counter() - started


def main() -> None:
    floor = bare_inserts(APPENDS)
    real = real_appends(APPENDS)
    floor_rate, real_rate = APPENDS / floor, APPENDS / real
    ratio = real_rate / floor_rate
    print(f"Journal append ({APPENDS} entries, one transaction each, {connection.vendor})")
    print(f"  floor (bare INSERT): {floor_rate:,.0f} entries/s")
    print(f"  record():            {real_rate:,.0f} entries/s")
    status = "OK" if ratio >= GOAL else "BELOW GOAL"
    print(f"  ratio: {ratio:.2f}× the floor — goal ≥ {GOAL}× the floor: {status}")

    remaining = VERIFY_ENTRIES - JournalEntry.objects.count()
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(remaining):
            record(action="bench", object_type="essai", object_id=str(i), after={"n": i})
    built = time.perf_counter() - started
    count = JournalEntry.objects.count()
    started = time.perf_counter()
    broken = verify_chain()
    elapsed = time.perf_counter() - started
    print(
        f"verify_journal over {count:,} chained entries: {elapsed:.2f} s "
        f"({'intègre' if broken is None else 'ROMPU'}; built in {built:.1f} s)"
    )


if __name__ == "__main__":
    main()
