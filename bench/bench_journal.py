"""Bench: the audit journal (R-AUD-1).

1. Append throughput, single writer, one transaction per entry (as in real use):
   journal.services.record vs a bare INSERT of the same rows (floor). Goal: ≥ 0.5× the floor.
2. verify_chain over 100,000 entries: prints its time.
3. Checkpoints (issue 10 §2): the time to write one (count, CMS signature with the agency's
   key, write-once files) over 100,000 entries, best of 5; the time to check the seals of
   CHECKPOINTS checkpoints; and verify_journal (chain + every checkpoint) over the 100,000
   entries, built with a checkpoint every VERIFY_ENTRIES / CHECKPOINTS entries.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import _setup  # noqa: E402,F401,I001  (must come before anything Django)
from _setup import best_of  # noqa: E402

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from guichet.journal import checkpoints  # noqa: E402
from guichet.journal.models import JournalEntry  # noqa: E402
from guichet.journal.services import (  # noqa: E402
    create_checkpoint,
    record,
    verify_chain,
    verify_journal,
)

APPENDS = 2000
VERIFY_ENTRIES = 100_000
CHECKPOINTS = 100  # about three months of daily checkpoints
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
    _setup.goal(
        "journal append",
        f"{real_rate:,.0f} entries/s ({ratio:.2f}× floor)",
        f"≥ {GOAL}× floor",
        ratio >= GOAL,
    )

    remaining = VERIFY_ENTRIES - JournalEntry.objects.count()
    batch = -(-remaining // CHECKPOINTS)
    started = time.perf_counter()
    signing = 0.0
    for start in range(0, remaining, batch):
        with transaction.atomic():
            for i in range(start, min(start + batch, remaining)):
                record(action="bench", object_type="essai", object_id=str(i), after={"n": i})
        signed = time.perf_counter()
        create_checkpoint(by="bench")
        signing += time.perf_counter() - signed
    built = time.perf_counter() - started - signing
    count = JournalEntry.objects.count()
    started = time.perf_counter()
    broken = verify_chain()
    elapsed = time.perf_counter() - started
    print(
        f"verify_chain (the chain alone) over {count:,} chained entries: {elapsed:.2f} s "
        f"({'intègre' if broken is None else 'ROMPU'}; built in {built:.1f} s)"
    )

    print(f"Checkpoints (CMS signature with the agency's key, write-once files, {count:,} entries)")
    write_ms = best_of(5, lambda i: create_checkpoint(by="bench"))
    print(f"  write one checkpoint: {write_ms:.1f} ms (best of 5)")
    sealed = len(checkpoints.names())
    started = time.perf_counter()
    loaded = checkpoints.load_all()
    seals = time.perf_counter() - started
    valid = sum(isinstance(item, checkpoints.Checkpoint) for item in loaded)
    print(
        f"  check the seals of {sealed} checkpoints: {seals * 1000:.0f} ms "
        f"({seals * 1000 / sealed:.1f} ms each, {valid} valid)"
    )
    started = time.perf_counter()
    result = verify_journal()
    elapsed = time.perf_counter() - started
    print(
        f"  verify_journal (chain + {len(result.checkpoints)} checkpoints) over "
        f"{result.entry_count:,} entries: {elapsed:.2f} s "
        f"({'intègre' if result.is_intact else 'NON CONFORME: ' + '; '.join(result.errors)})"
    )


if __name__ == "__main__":
    main()
