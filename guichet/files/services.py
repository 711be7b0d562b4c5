"""Keeping and serving deposited files (R-EVD-2, R-EVD-3)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from guichet.common.errors import ApplicationError
from guichet.common.request_id import current_request_id
from guichet.files import crypto, types
from guichet.files.models import StoredFile
from guichet.files.storage import files_storage, keep, open_stream
from guichet.files.uploads import StreamedUpload, discard, size_text
from guichet.journal.services import record

READ_CHUNK = 1024 * 1024


class TamperedFile(Exception):
    pass


@dataclass
class Integrity:
    """Why a stored file is not what was deposited (R-EVD-2)."""

    reason: str
    found_sha256: str = ""
    found_size: int | None = None


def allowed_types_text(*, sensitive: bool = False) -> str:
    return types.accepted_text(sensitive=sensitive)


def commit(upload: StreamedUpload, *, by, produced_on=None, sensitive: bool = False) -> StoredFile:
    """Checks the content type against the extension (types.check; a ZED container only for
    a `sensitive` proof, R-EVD-3), then records it and hands the temporary file to the storage
    in one call (storage.keep: a rename on disk, a multipart upload to S3 — already encrypted
    when sensitive); must run inside the transaction that attaches the file to its object."""
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
    stored.save()
    keep(stored.path, upload.temp_path)
    upload.committed = True
    return stored


def _content(stored: StoredFile, source) -> Iterator[bytes]:
    if stored.encrypted:
        yield from crypto.decrypt_chunks(crypto.unwrap(stored.wrapped_key), source)
    else:
        while chunk := source.read(READ_CHUNK):
            yield chunk


def _open(stored: StoredFile):
    """The stored file, open; TamperedFile when it is missing or, in clear, not of its size
    (both seen without reading it)."""
    try:
        source, size = open_stream(stored.path)
    except FileNotFoundError:
        raise TamperedFile("fichier absent du stockage") from None
    if not stored.encrypted and size != stored.size:
        source.close()
        raise TamperedFile("taille différente de celle du dépôt")
    return source


def integrity_problem(stored: StoredFile) -> Integrity | None:
    """Reads the content once, streamed: None when it is what was deposited, else why not."""
    try:
        source = _open(stored)
    except TamperedFile as exc:
        return Integrity(str(exc))
    digest, size = hashlib.sha256(), 0
    with source:
        try:
            for chunk in _content(stored, source):
                digest.update(chunk)
                size += len(chunk)
        except crypto.DecryptionError as exc:
            return Integrity(str(exc), found_size=size)
    return _compare(stored, digest.hexdigest(), size)


def _compare(stored: StoredFile, sha256: str, size: int) -> Integrity | None:
    if size != stored.size:
        return Integrity("taille différente de celle du dépôt", sha256, size)
    if sha256 != stored.sha256:
        return Integrity("empreinte différente de celle du dépôt", sha256, size)
    return None


def record_integrity_failure(
    stored: StoredFile, problem: Integrity, *, by=None, application=None, request_id: str = ""
) -> None:
    """Journals it in a transaction of its own: a download has started its response by then,
    and a verification run has nothing to roll back."""
    with transaction.atomic():
        record(
            action="file.integrity_failure",
            obj=stored,
            by=by,
            application_id=getattr(application, "pk", "") or "",
            organisation=str(getattr(application, "organisation_id", "") or ""),
            request_id=request_id,
            after={
                "name": stored.original_name,
                "path": stored.path,
                "reason": problem.reason,
                "expected_sha256": stored.sha256,
                "expected_size": stored.size,
                "found_sha256": problem.found_sha256,
                "found_size": problem.found_size,
                "encrypted": stored.encrypted,
            },
        )


def verified_chunks(stored: StoredFile, *, by=None, application=None) -> Iterable[bytes]:
    """The content for a download, read once and hashed as it is sent (R-EVD-2). A missing
    file, or a clear file whose size changed, is refused now (TamperedFile), before any
    response starts. A content that differs from its deposit is known at its end: the last
    chunk is then withheld and TamperedFile raised, so that the server cuts the connection and
    the client never holds a complete response; the incident is journaled either way."""
    request_id = current_request_id.get()  # the response is sent after the request's context

    def failed(problem: Integrity) -> TamperedFile:
        record_integrity_failure(
            stored, problem, by=by, application=application, request_id=request_id
        )
        return TamperedFile(problem.reason)

    try:
        source = _open(stored)
    except TamperedFile as exc:
        raise failed(Integrity(str(exc))) from None
    return _VerifiedStream(source, _verifying(stored, source, failed))


class _VerifiedStream:
    """Iterable once; `close()` (called by Django at the end of a response, sent or not)
    closes the file even when the response was never iterated."""

    def __init__(self, source, chunks: Iterator[bytes]):
        self.source, self.chunks = source, chunks

    def __iter__(self):
        return self.chunks

    def close(self):
        self.chunks.close()
        self.source.close()


def _verifying(stored: StoredFile, source, failed) -> Iterator[bytes]:
    digest, size, held = hashlib.sha256(), 0, b""
    with source:
        try:
            for chunk in _content(stored, source):
                if not chunk:
                    continue
                digest.update(chunk)
                size += len(chunk)
                if size > stored.size:
                    raise failed(Integrity("contenu plus long que le dépôt", found_size=size))
                if held:
                    yield held
                held = chunk
        except crypto.DecryptionError as exc:
            raise failed(Integrity(str(exc), found_size=size)) from exc
    problem = _compare(stored, digest.hexdigest(), size)
    if problem is not None:
        raise failed(problem)
    if held:
        yield held


def copy_file(stored: StoredFile, *, by) -> StoredFile:
    """A new stored file with the same content (R-APP-9: a new application starts from the
    documents of an ended one, never sharing their files). The content is read once, checked
    against its deposit as a download is, and written again through the upload path (encrypted
    under a key of its own when the original is); must run inside the transaction that
    attaches the copy, like `commit`. TamperedFile when the original is not what was deposited."""
    from guichet.files.uploads import StreamingUploadHandler

    chunks = verified_chunks(stored, by=by)  # a missing file is refused before anything
    handler = StreamingUploadHandler(encrypt=stored.encrypted, max_bytes=max(stored.size, 1))
    handler.new_file("file", stored.original_name, stored.content_type, stored.size)
    size = 0
    try:
        for chunk in chunks:
            handler.receive_data_chunk(chunk, size)
            size += len(chunk)
    except BaseException:
        handler.upload_interrupted()
        raise
    finally:
        chunks.close()
    upload = handler.file_complete(size)
    return commit(upload, by=by, produced_on=stored.produced_on, sensitive=stored.encrypted)


def max_upload_text() -> str:
    return size_text(settings.GUICHET_UPLOAD_MAX_BYTES)


def forget_files(stored_files) -> None:
    """Removes from the storage files whose database rows were rolled back with a failed
    change."""
    storage = files_storage()
    for stored in stored_files:
        storage.delete(stored.path)


def keep_generated(model, pk, field: str, upload, *, by):
    """For a document the task worker generated outside any lock (a sealed PDF): locks the row
    and, if its `field` is still empty, moves the file into place and sets it; else another
    worker was first and the file is dropped. Returns (the locked row, the new StoredFile or
    None). Runs inside the caller's transaction, with its journal entry."""
    row = model.objects.select_for_update().get(pk=pk)
    if getattr(row, f"{field}_id") is not None:
        discard(upload.temp_path)
        return row, None
    stored = commit(upload, by=by)
    setattr(row, field, stored)
    row.save(update_fields=[field])
    return row, stored


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
