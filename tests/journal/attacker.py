"""What an attacker with write access to the database does to the journal: switch the
append-only triggers off the way a superuser can, change or delete rows, append rows of their
own, and recompute the hashes so that the chain holds again (R-AUD-1). Without the journal's
key (issue 20 §3) the best they can compute is a plain SHA-256, as the journal chained its
entries before it had a key, or an HMAC with a key they guess or stole. Tests use it to prove
what is detected."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

from guichet.journal.models import GENESIS_HASH, JournalEntry

TABLE = JournalEntry._meta.db_table
_TRIGGERS = importlib.import_module("guichet.journal.migrations.0003_refuse_replace")


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


def seal(entry: JournalEntry, key: str | None = None) -> str:
    """The hash an attacker computes for `entry`: the SHA-256 of its content (the algorithm is
    no secret), or an HMAC-SHA-256 with a key they hold."""
    payload = json.dumps(
        entry.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()


def rewrite(entry_id: int, *, key: str | None = None, **values) -> None:
    """Changes one row, then recomputes its hash and every later one with `seal`: with the
    journal's key (an insider who holds it), the chain holds again. Without `values`, only
    re-links and re-seals from that row on."""
    if values:
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
            entry.hash = seal(entry, key)
            cursor.execute(
                f"UPDATE {TABLE} SET previous_hash = %s, hash = %s WHERE id = %s",
                [entry.previous_hash, entry.hash, entry.pk],
            )
            previous = entry.hash


def forge(*, key: str | None = None, **values) -> JournalEntry:
    """Appends an entry of the attacker's own, linked to the last one and sealed with `seal`:
    a well-formed entry as the journal wrote them before its key. No trigger stops an INSERT."""
    previous = JournalEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    entry = JournalEntry(
        **{
            "created_at": timezone.now(),
            "action": "certificate.issue",
            "object_type": "certificates.certificate",
            "object_id": "1",
            "previous_hash": previous or GENESIS_HASH,
            **values,
        }
    )
    entry.hash = seal(entry, key)
    entry.save()
    return entry


# The ways SQL lets a statement put a new row in an existing row's place (R-AUD-1, issue 20
# §3): SQLite's INSERT OR REPLACE and REPLACE delete the row they displace without firing
# DELETE triggers; the upserts (INSERT … ON CONFLICT … DO UPDATE, both databases) update it.
REPLACING = ("on_conflict_id", "on_conflict_hash") + (
    ("insert_or_replace", "replace_into") if connection.vendor == "sqlite" else ()
)


def replacing_statement(entry_id: int, how: str, **values) -> tuple[str, list]:
    """A copy of the entry `entry_id`, with `values` (text columns) changed, written in its
    place as `how` does: by its id, or under a new id with the entry's hash (the unique column
    that REPLACE then displaces)."""
    columns = [field.column for field in JournalEntry._meta.concrete_fields]
    if how in ("on_conflict_hash", "replace_into"):
        columns.remove("id")
    selected = ", ".join("%s" if column in values else column for column in columns)
    params = [values[column] for column in columns if column in values] + [entry_id]
    source = f"({', '.join(columns)}) SELECT {selected} FROM {TABLE} WHERE id = %s"
    if how == "insert_or_replace":
        return f"INSERT OR REPLACE INTO {TABLE} {source}", params
    if how == "replace_into":
        return f"REPLACE INTO {TABLE} {source}", params
    target = "id" if how == "on_conflict_id" else "hash"
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns if column != "id")
    return f"INSERT INTO {TABLE} {source} ON CONFLICT ({target}) DO UPDATE SET {updates}", params
