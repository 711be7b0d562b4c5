"""The journal as CSV or JSON, streamed chunk by chunk (R-AUD-1): the command, the auditor's
page and the API share these writers, so that the three exports are the same bytes."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from guichet.journal.models import JournalEntry

FIELDS = [
    "id",
    "hash",
    "previous_hash",
    "key_id",
    "created_at",
    "actor_email",
    "actor_role",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "application_id",
    "before",
    "after",
    "request_id",
]
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def entries(application: str | None = None):
    queryset = JournalEntry.objects.order_by("id")
    if application:
        queryset = queryset.filter(application_id=str(application))
    return queryset


def rows(queryset) -> Iterator[dict]:
    """The entries as rows (entry_row), read in chunks."""
    for entry in queryset.iterator(chunk_size=2000):
        yield entry_row(entry)


def entry_row(entry: JournalEntry) -> dict:
    data = entry.content()
    data.update({"id": entry.pk, "hash": entry.hash, "key_id": entry.key_id})
    return {name: data.get(name) for name in FIELDS}


class _Line:
    """A file-like object for csv.writer that hands back what it was given."""

    def write(self, value):
        return value


def csv_chunks(rows: Iterable[dict]) -> Iterator[str]:
    writer = csv.DictWriter(_Line(), fieldnames=FIELDS, delimiter=";")
    yield writer.writeheader()
    for row in rows:
        row = dict(row)
        row["before"] = json.dumps(row["before"], ensure_ascii=False, sort_keys=True)
        row["after"] = json.dumps(row["after"], ensure_ascii=False, sort_keys=True)
        yield writer.writerow(row)


def json_chunks(rows: Iterable[dict]) -> Iterator[str]:
    yield "["
    for i, row in enumerate(rows):
        yield ("," if i else "") + json.dumps(row, ensure_ascii=False, default=str)
    yield "]\n"


def chunks(fmt: str, rows: Iterable[dict]) -> Iterator[str]:
    """`rows`: rows(queryset) for the auditor, selectors.application_journal for a reader."""
    return csv_chunks(rows) if fmt == "csv" else json_chunks(rows)
