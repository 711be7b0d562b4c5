"""Rotation of the master key that wraps the sensitive proofs' keys (R-EVD-3, issue 24 §4).

Each encrypted file has its own key, wrapped (RFC 3394) by the master key. Rotating wraps each
file key again under the new master key: the files themselves are never read nor rewritten. In
batches, each committed with its rows, so that an interrupted rotation resumes where it stopped
— a key already under the new master key is recognised and left as it is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from guichet.files import crypto
from guichet.files.models import StoredFile

BATCH = 500


@dataclass
class Rotation:
    rewrapped: int = 0
    already: int = 0
    unreadable: list[str] = field(default_factory=list)  # ids of the files concerned
    batches: int = 0

    @property
    def seen(self) -> int:
        return self.rewrapped + self.already + len(self.unreadable)


@dataclass
class KeyCensus:
    """How many encrypted files each master key wraps: the current one, previous ones, none."""

    current: int = 0
    previous: int = 0
    unreadable: list[str] = field(default_factory=list)


def _batches(batch_size: int):
    """Encrypted files in id order, `batch_size` at a time, each batch locked in its own
    transaction (yielded inside it)."""
    last = None
    while True:
        with transaction.atomic():
            rows = StoredFile.objects.select_for_update().filter(encrypted=True).order_by("pk")
            if last is not None:
                rows = rows.filter(pk__gt=last)
            batch = list(rows.only("pk", "wrapped_key")[:batch_size])
            if not batch:
                return
            yield batch
        last = batch[-1].pk


def rotate_master_key(
    *, batch_size: int = BATCH, by=None, progress: Callable[[Rotation, int], None] | None = None
) -> Rotation:
    """Wraps every file key under GUICHET_MASTER_KEY, reading the previous keys from
    GUICHET_MASTER_PREVIOUS_KEYS. Journaled once, with its counts."""
    from guichet.journal.services import record

    total = StoredFile.objects.filter(encrypted=True).count()
    rotation = Rotation()
    for batch in _batches(batch_size):
        changed = []
        for row in batch:
            try:
                wrapped = crypto.rewrap(row.wrapped_key)
            except crypto.DecryptionError:
                rotation.unreadable.append(str(row.pk))
                continue
            if wrapped is None:
                rotation.already += 1
            else:
                row.wrapped_key = wrapped
                changed.append(row)
        StoredFile.objects.bulk_update(changed, ["wrapped_key"])
        rotation.rewrapped += len(changed)
        rotation.batches += 1
        if progress:
            progress(rotation, total)
    with transaction.atomic():
        record(
            action="files.master_key.rotated",
            object_type="files.storedfile",
            by=by,
            after={
                "master_key": crypto.key_id(crypto.master_key()),
                "rewrapped": rotation.rewrapped,
                "already": rotation.already,
                "unreadable": len(rotation.unreadable),
            },
        )
    return rotation


def census() -> KeyCensus:
    """Reads every wrapped key (never a file): which master key opens it."""
    current = crypto.master_key()
    found = KeyCensus()
    for pk, wrapped in (
        StoredFile.objects.filter(encrypted=True)
        .order_by("pk")
        .values_list("pk", "wrapped_key")
        .iterator()
    ):
        try:
            _, under = crypto.unwrap_with(wrapped)
        except (crypto.DecryptionError, ValueError):
            found.unreadable.append(str(pk))
            continue
        if under == current:
            found.current += 1
        else:
            found.previous += 1
    return found
