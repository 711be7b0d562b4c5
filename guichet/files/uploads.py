"""Streamed uploads (R-EVD-2): the request body goes chunk by chunk into a temporary file on the
node's local disk (storage.upload_temp_dir) while its SHA-256 and size are computed (and, for
sensitive proofs, while it is encrypted: the storage only ever receives ciphertext); nothing is
held whole in memory. A too large, broken or cancelled upload leaves nothing behind; a good one
is handed to the storage in one call by `services.commit` (renamed into place on disk,
uploaded in parts to S3)."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections import deque
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from guichet.files import crypto
from guichet.files.storage import upload_temp_dir

HEAD_BYTES = 8192
# The end of the content is kept too: a ZIP archive lists its entries there (types.py).
TAIL_BYTES = 256 * 1024


def size_text(size: int) -> str:
    """A size limit as people read it: « 2 Gio », « 20 Mio »."""
    return f"{size / 1024**3:.0f} Gio" if size >= 1024**3 else f"{size / 1024**2:.0f} Mio"


def files_root() -> Path:
    """The disk backend's folder (storage.FilesDiskStorage); the code reads and writes kept
    files through the storage only (storage.files_storage)."""
    return Path(settings.GUICHET_FILES_ROOT)


def temp_dir() -> Path:
    """Uploads being assembled stay on the node's local disk, then go to the storage in one
    call (storage.keep)."""
    path = upload_temp_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


class StreamedUpload:
    """What the handler hands over: a temporary file, its digest and size, the first and last
    bytes of the plain content (to find its type), the wrapped key when encrypted."""

    def __init__(self, *, field_name, name, declared_type, temp_path, wrapped_key=""):
        self.field_name = field_name
        self.name = name
        self.declared_type = declared_type
        self.temp_path = temp_path
        self.wrapped_key = wrapped_key
        self.sha256 = ""
        self.size = 0
        self.head = b""
        self.tail = b""
        self.committed = False

    @property
    def encrypted(self) -> bool:
        return bool(self.wrapped_key)

    def close(self):
        """Called by Django at the end of the request: an upload nobody kept is deleted."""
        if not self.committed:
            discard(self.temp_path)


def discard(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class StreamingUploadHandler(FileUploadHandler):
    chunk_size = 1024 * 1024

    def __init__(self, request=None, *, encrypt: bool = False, max_bytes: int | None = None):
        super().__init__(request)
        self.encrypt = encrypt
        self.max_bytes = max_bytes or settings.GUICHET_UPLOAD_MAX_BYTES
        self.error = ""
        self.error_status = 400
        self.uploads: list[StreamedUpload] = []
        self._out = None

    def new_file(
        self,
        field_name,
        file_name,
        content_type,
        content_length,
        charset=None,
        content_type_extra=None,
    ):
        super().new_file(
            field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        path = temp_dir() / f"{uuid.uuid4().hex}.part"
        wrapped = ""
        self._out = open(path, "wb")  # noqa: SIM115 (closed in file_complete / abort)
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = bytearray()
        self._tail: deque[bytes] = deque()
        self._tail_size = 0
        self._encryptor = None
        if self.encrypt:
            key, wrapped = crypto.new_file_key()
            self._encryptor = crypto.Encryptor(key, self._out)
        self._upload = StreamedUpload(
            field_name=field_name,
            name=os.path.basename(file_name or "")[:255],
            declared_type=content_type or "",
            temp_path=path,
            wrapped_key=wrapped,
        )
        self.uploads.append(self._upload)

    def receive_data_chunk(self, raw_data, start):
        self._size += len(raw_data)
        if self._size > self.max_bytes:
            self._abort()
            self.error = (
                f"Le fichier dépasse la taille maximale autorisée ({size_text(self.max_bytes)})."
            )
            self.error_status = 413
            raise StopUpload(connection_reset=True)
        self._hash.update(raw_data)
        if len(self._head) < HEAD_BYTES:
            self._head += raw_data[: HEAD_BYTES - len(self._head)]
        self._keep_tail(raw_data)
        if self._encryptor is not None:
            self._encryptor.update(raw_data)
        else:
            self._out.write(raw_data)
        return None

    def _keep_tail(self, chunk: bytes) -> None:
        """The last chunks received, as long as the ones before them cover TAIL_BYTES."""
        self._tail.append(chunk)
        self._tail_size += len(chunk)
        while self._tail_size - len(self._tail[0]) >= TAIL_BYTES:
            self._tail_size -= len(self._tail.popleft())

    def file_complete(self, file_size):
        if self._out is None:
            return None
        if self._encryptor is not None:
            self._encryptor.finish()
        self._out.flush()
        if settings.GUICHET_FSYNC_UPLOADS:  # on disk before the database says it is kept
            os.fsync(self._out.fileno())
        self._out.close()
        self._out = None
        upload = self._upload
        upload.sha256, upload.size, upload.head = (
            self._hash.hexdigest(),
            self._size,
            bytes(self._head),
        )
        upload.tail = b"".join(self._tail)[-TAIL_BYTES:]
        self._tail.clear()
        return upload

    def upload_interrupted(self):
        self._abort()
        self.error = self.error or "Le dépôt a été interrompu : aucun fichier n'a été enregistré."

    def _abort(self):
        if self._out is not None:
            self._out.close()
            self._out = None
        for upload in self.uploads:
            discard(upload.temp_path)


def upload_from_stream(stream, name: str, *, encrypt: bool = False) -> StreamedUpload:
    """The same streamed path for files that do not come from a request (demo data,
    generated documents): read chunk by chunk from `stream`."""
    handler = StreamingUploadHandler(encrypt=encrypt)
    handler.new_file("file", name, "", None)
    start = 0
    while chunk := stream.read(StreamingUploadHandler.chunk_size):
        handler.receive_data_chunk(chunk, start)
        start += len(chunk)
    return handler.file_complete(start)
