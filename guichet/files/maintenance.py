"""What a killed process leaves among the files, found and purged (issue 23 §3).

An upload is written to a temporary `.part` file, then moved into place and recorded by its
row in the same transaction (services.commit). A process killed in between leaves either a
`.part` file that no request will finish, or a stored object whose row never committed.
Both are listed here (`verify_files` shows the objects) and removed once older than
GUICHET_UPLOAD_GRACE_HOURS by the periodic purge (`purge_upload_leftovers`, `manage.py
purge_files`), never by a request: a younger one may still be an upload in progress."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone

from guichet.files.models import StoredFile
from guichet.files.uploads import discard, temp_dir
from guichet.journal.services import record

# services.commit names each object `<first two hex digits of its id>/<its id in hex>`: only
# such names are the rows' objects; anything else under the root (tmp/, exports/) is not.
OBJECT_NAME = re.compile(r"^(?P<prefix>[0-9a-f]{2})/(?P=prefix)[0-9a-f]{30}$")
SHARD = re.compile(r"^[0-9a-f]{2}$")


def files_storage() -> Storage:
    """The storage of the rows' objects (disk or S3), through Django's storage API (listing,
    age, size, removal): the walk is the same on either backend."""
    from guichet.files.storage import files_storage as kept_in

    return kept_in()


def grace_period() -> dt.timedelta:
    return dt.timedelta(hours=settings.GUICHET_UPLOAD_GRACE_HOURS)


@dataclass(frozen=True)
class Leftover:
    name: str
    size: int
    modified_at: dt.datetime


@dataclass
class Purge:
    temporary: list[Leftover] = field(default_factory=list)
    orphans: list[Leftover] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "temporary": len(self.temporary),
            "temporary_size": sum(item.size for item in self.temporary),
            "orphans": [item.name for item in self.orphans],
            "orphans_size": sum(item.size for item in self.orphans),
        }


def temporary_uploads() -> list[Leftover]:
    """The `.part` files of the temporary folder (local to the process that receives)."""
    found = []
    with os.scandir(temp_dir()) as entries:
        for entry in entries:
            if not entry.name.endswith(".part") or not entry.is_file(follow_symlinks=False):
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # finished or discarded meanwhile
                continue
            modified = dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC)
            found.append(Leftover(entry.name, stat.st_size, modified))
    return sorted(found, key=lambda item: item.name)


def orphan_objects() -> list[Leftover]:
    """The stored objects that no row names (an upload cut short after its object was
    written), whatever their age. One query per shard folder (at most 256)."""
    storage = files_storage()
    try:
        shards, _ = storage.listdir("")
    except FileNotFoundError:
        return []
    found = []
    for shard in sorted(s for s in shards if SHARD.match(s)):
        _, names = storage.listdir(shard)
        candidates = {f"{shard}/{name}" for name in names}
        candidates = {name for name in candidates if OBJECT_NAME.match(name)}
        if not candidates:
            continue
        known = set(StoredFile.objects.filter(path__in=candidates).values_list("path", flat=True))
        for name in sorted(candidates - known):
            try:
                found.append(Leftover(name, storage.size(name), storage.get_modified_time(name)))
            except FileNotFoundError:
                continue
    return found


def purge_upload_leftovers(*, now: dt.datetime | None = None) -> Purge:
    """Removes the `.part` files and the objects without a row older than the grace period;
    journals what it removed (nothing when there was nothing)."""
    now = now or timezone.now()
    limit = now - grace_period()
    purge = Purge()
    for item in temporary_uploads():
        if item.modified_at < limit:
            discard(temp_dir() / item.name)
            purge.temporary.append(item)
    storage = files_storage()
    for item in orphan_objects():
        # Checked again just before: a row committed since the listing keeps its object.
        if item.modified_at < limit and not StoredFile.objects.filter(path=item.name).exists():
            storage.delete(item.name)
            purge.orphans.append(item)
    if purge.temporary or purge.orphans:
        with transaction.atomic():
            record(action="file.purge", object_type="files.storedfile", after=purge.as_dict())
    return purge
