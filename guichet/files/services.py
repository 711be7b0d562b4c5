"""Keeping and serving deposited files (R-EVD-2, R-EVD-3)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction

from guichet.common.errors import ApplicationError
from guichet.files import crypto, types
from guichet.files.models import StoredFile
from guichet.files.uploads import StreamedUpload, discard, files_root, size_text

READ_CHUNK = 1024 * 1024


class TamperedFile(Exception):
    pass


def allowed_types_text(*, sensitive: bool = False) -> str:
    return types.accepted_text(sensitive=sensitive)


def commit(upload: StreamedUpload, *, by, produced_on=None, sensitive: bool = False) -> StoredFile:
    """Checks the content type against the extension (types.check; a ZED container only for
    a `sensitive` proof, R-EVD-3), then moves the temporary file into place and records it;
    must run inside the transaction that attaches the file to its object."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("commit() runs inside the transaction that attaches the file.")
    if upload.size == 0:
        discard(upload.temp_path)
        raise ApplicationError("Le fichier est vide.", extra={"status": 400})
    try:
        kind = types.check(upload.name, upload.head, upload.tail, upload.size, sensitive=sensitive)
    except ApplicationError:
        discard(upload.temp_path)
        raise
    stored = StoredFile(
        original_name=upload.name or "fichier",
        size=upload.size,
        sha256=upload.sha256,
        content_type=kind.mime,
        encrypted=upload.encrypted,
        wrapped_key=upload.wrapped_key,
        uploaded_by=by,
        produced_on=produced_on,
    )
    stored.path = f"{str(stored.id)[:2]}/{stored.id.hex}"
    final = files_root() / stored.path
    final.parent.mkdir(parents=True, exist_ok=True)
    stored.save()
    os.replace(upload.temp_path, final)
    upload.committed = True
    return stored


def _raw_chunks(stored: StoredFile) -> Iterator[bytes]:
    with open(files_root() / stored.path, "rb") as source:
        if stored.encrypted:
            yield from crypto.decrypt_chunks(crypto.unwrap(stored.wrapped_key), source)
        else:
            while chunk := source.read(READ_CHUNK):
                yield chunk


def verify(stored: StoredFile) -> None:
    """Reads the whole content once, streamed; TamperedFile when it is not what was deposited."""
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in _raw_chunks(stored):
            digest.update(chunk)
            size += len(chunk)
    except (crypto.DecryptionError, FileNotFoundError) as exc:
        raise TamperedFile(str(exc)) from exc
    if digest.hexdigest() != stored.sha256 or size != stored.size:
        raise TamperedFile("empreinte différente de celle du dépôt")


def verified_chunks(stored: StoredFile) -> Iterator[bytes]:
    """The content, after a first pass proves it intact (downloads are verified, R-EVD-2)."""
    verify(stored)
    return _raw_chunks(stored)


def max_upload_text() -> str:
    return size_text(settings.GUICHET_UPLOAD_MAX_BYTES)


def forget_files(stored_files) -> None:
    """Removes from disk files whose database rows were rolled back with a failed change."""
    for stored in stored_files:
        discard(files_root() / stored.path)


def attach_all(uploads, attach) -> list:
    """Calls `attach(upload)` for each upload in one transaction (each returns an object with a
    `.file`); if one fails, nothing is kept: the rows roll back and the files already moved
    into place are removed, then the error goes on."""
    created = []
    try:
        with transaction.atomic():
            for upload in uploads:
                created.append(attach(upload))
    except Exception:
        forget_files([item.file for item in created])
        raise
    return created


def describe(stored: StoredFile, **extra) -> dict:
    """What the API and the pages show of a deposited file (R-EVD-2)."""
    return {
        "id": str(stored.id),
        "name": stored.original_name,
        "size": stored.size,
        "sha256": stored.sha256,
        "content_type": stored.content_type,
        "encrypted": stored.encrypted,
        "uploaded_at": stored.uploaded_at,
        "uploaded_by": stored.uploaded_by.email,
        "produced_on": stored.produced_on,
        **extra,
    }


def parse_produced_on(value):
    """The date the applicant says the document was produced (not its upload date)."""
    import datetime as dt

    if not value:
        return None
    try:
        produced = dt.date.fromisoformat(str(value))
    except ValueError:
        raise ApplicationError(
            "Date de production invalide : format AAAA-MM-JJ attendu.",
            field="produced_on",
            extra={"status": 400},
        ) from None
    if produced > dt.date.today():
        raise ApplicationError(
            "La date de production ne peut pas être dans le futur.",
            field="produced_on",
            extra={"status": 400},
        )
    return produced
