"""What an attacker with write access to the database does to the journal: switch the
append-only triggers off the way a superuser can, change or delete rows, and recompute the
hashes so that the chain holds again (R-AUD-1). Tests use it to prove what is detected."""

from __future__ import annotations

import importlib
from contextlib import contextmanager

from django.db import connection

from guichet.journal.models import GENESIS_HASH, JournalEntry

TABLE = JournalEntry._meta.db_table
_TRIGGERS = importlib.import_module("guichet.journal.migrations.0002_append_only_triggers")


@contextmanager
def triggers_off():
    """Inside the test's transaction, which rolls everything back at its end."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser may switch user triggers off for the transaction.
            cursor.execute("SET LOCAL session_replication_role = replica")
            try:
                yield cursor
            finally:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        else:
            for statement in _TRIGGERS.SQLITE_BACKWARD:
                cursor.execute(statement)
            try:
                yield cursor
            finally:
                for statement in _TRIGGERS.SQLITE_FORWARD:
                    cursor.execute(statement)


def tamper(entry_id: int, **values) -> None:
    """Changes columns of one row, nothing else."""
    columns = ", ".join(f"{name} = %s" for name in values)
    with triggers_off() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {columns} WHERE id = %s", [*values.values(), entry_id])


def delete(*entry_ids: int) -> None:
    with triggers_off() as cursor:
        for entry_id in entry_ids:
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [entry_id])


def rewrite(entry_id: int, **values) -> None:
    """Changes one row, then recomputes its hash and every later one: the chain holds."""
    tamper(entry_id, **values)
    previous = (
        JournalEntry.objects.filter(id__lt=entry_id)
        .order_by("-id")
        .values_list("hash", flat=True)
        .first()
    ) or GENESIS_HASH
    with triggers_off() as cursor:
        for entry in JournalEntry.objects.filter(id__gte=entry_id).order_by("id"):
            entry.previous_hash = previous
            entry.hash = entry.compute_hash()
            cursor.execute(
                f"UPDATE {TABLE} SET previous_hash = %s, hash = %s WHERE id = %s",
                [entry.previous_hash, entry.hash, entry.pk],
            )
            previous = entry.hash
