"""Writing to and verifying the journal (R-AUD-1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from guichet.journal.models import GENESIS_HASH, JournalEntry

# An arbitrary key for PostgreSQL's advisory lock that serialises writers of the chain.
_CHAIN_LOCK = 0x6A6F75726E616C

# The id of the HTTP request being served, set by RequestIdMiddleware; entries carry it.
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")


def record(
    *,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    by=None,
    before: dict | None = None,
    after: dict | None = None,
    application_id: str = "",
    organisation: str = "",
    request_id: str = "",
) -> JournalEntry:
    """Append an entry; must run inside the transaction of the change it records, so that
    neither happens without the other."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Une entrée du journal s'écrit dans la transaction du changement.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
    previous = JournalEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    actor = by if getattr(by, "is_authenticated", False) else None
    entry = JournalEntry(
        created_at=timezone.now(),
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        actor_role=getattr(actor, "role", "") or "",
        organisation=organisation or _organisation_of(obj, actor),
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(object_id or (obj.pk if obj is not None else "")),
        application_id=str(application_id or ""),
        before=before,
        after=after,
        request_id=request_id or current_request_id.get(),
        previous_hash=previous or GENESIS_HASH,
    )
    entry.hash = entry.compute_hash()
    entry.save()
    return entry


def _organisation_of(obj, actor) -> str:
    """The organisation concerned: the object's (or its application's), else the actor's."""
    for source in (obj, getattr(obj, "application", None), actor):
        value = getattr(source, "organisation_id", None)
        if value:
            return str(value)
    return ""


@dataclass
class Break:
    entry_id: int
    reason: str


def verify_chain(entries: Iterator[JournalEntry] | None = None) -> Break | None:
    """The first entry whose content or link is broken, or None when the chain holds."""
    previous = GENESIS_HASH
    if entries is None:
        entries = JournalEntry.objects.order_by("id").iterator(chunk_size=2000)
    for entry in entries:
        if entry.previous_hash != previous:
            return Break(entry.pk, "lien rompu avec l'entrée précédente")
        if entry.compute_hash() != entry.hash:
            return Break(entry.pk, "contenu modifié (empreinte différente)")
        previous = entry.hash
    return None
