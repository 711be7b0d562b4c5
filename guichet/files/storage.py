"""Where kept files live (issue 23 §1): every file the platform keeps — deposited documents and
proofs, generated conventions, acknowledgments, letters, certificates, reports, register
exports — goes through Django's storage API, `storages["files"]`, chosen by GUICHET_STORAGE:
on disk under GUICHET_FILES_ROOT (`make run`), or in an S3-compatible bucket (django-storages,
configured by its own AWS_* settings). Nothing else opens a path under GUICHET_FILES_ROOT.

Two things the storage API does not say, added here for both backends:
- `keep(name, temp_path)`: a complete temporary file (assembled on the node's local disk)
  becomes the stored object in one call (`Storage.save`) — renamed into place on disk, uploaded
  to S3 in parts read from the local file as they are sent (never read whole into memory);
- `open_stream(name)`: the content as a stream with its size, read as it is sent: on S3 the
  object's body, in chunks (`S3Storage.open` would first copy it whole into a temporary file
  held in memory)."""

from __future__ import annotations

import os
from pathlib import Path

from boto3.s3.transfer import TransferConfig
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import cached_property

PART_SIZE = 8 * 1024 * 1024


class FilesDiskStorage(FileSystemStorage):
    """FileSystemStorage rooted at GUICHET_FILES_ROOT (read when first used, and again when
    the setting changes: tests give each test its own folder)."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.GUICHET_FILES_ROOT)


@receiver(setting_changed)
def _files_root_changed(*, setting, **kwargs):
    if setting == "GUICHET_FILES_ROOT" and "files" in storages._storages:
        storages._storages["files"].__dict__.pop("base_location", None)
        storages._storages["files"].__dict__.pop("location", None)


try:
    from storages.backends.s3 import S3Storage
    from storages.utils import clean_name
except ImportError:  # pragma: no cover - django-storages is a dependency
    S3Storage = None


if S3Storage is not None:

    class FilesS3Storage(S3Storage):
        """S3Storage whose uploads hold at most two parts in memory (8 MiB each): the worker's
        memory does not grow with the file (bench/bench_upload.py)."""

        def __init__(self, **options):
            if "transfer_config" not in options:
                config = TransferConfig(
                    multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, max_concurrency=2
                )
                # s3transfer reads each part of a file object into memory before sending it:
                # at most this many at once (boto3's TransferConfig does not take it as an
                # argument; s3transfer reads the attribute).
                config.max_in_memory_upload_chunks = 2
                options["transfer_config"] = config
            super().__init__(**options)

        def _save(self, name, content):
            """A complete local file (`keep`) is uploaded from its path: s3transfer then reads
            each part from the disk as it sends it, instead of copying parts into memory."""
            if not hasattr(content, "temporary_file_path"):
                return super()._save(name, content)
            cleaned = clean_name(name)
            key = self._normalize_name(cleaned)
            self.bucket.Object(key).upload_file(
                content.temporary_file_path(),
                ExtraArgs=self._get_write_parameters(key, content),
                Config=self.transfer_config,
            )
            return cleaned

        def key(self, name: str) -> str:
            """The object's key in the bucket (the storage's `location` prefix included)."""
            return self._normalize_name(clean_name(name))


def files_storage() -> Storage:
    return storages["files"]


def is_s3(storage: Storage | None = None) -> bool:
    return S3Storage is not None and isinstance(storage or files_storage(), S3Storage)


class _Complete(File):
    """A temporary file that is complete: FileSystemStorage moves it into place by its path
    (`temporary_file_path`, a rename on the same disk) instead of copying it."""

    def __init__(self, path: Path):
        super().__init__(open(path, "rb"), name=Path(path).name)  # noqa: SIM115 (closed below)
        self._path = str(path)

    def temporary_file_path(self) -> str:
        return self._path


def keep(name: str, temp_path, storage: Storage | None = None) -> str:
    """Stores the complete local file `temp_path` under `name`, in one call, and removes the
    local file. Raises if the storage would keep it under another name (names are unique)."""
    storage = storage or files_storage()
    content = _Complete(temp_path)
    try:
        saved = storage.save(name, content)
    finally:
        content.close()
        try:
            os.unlink(temp_path)  # moved on disk already; uploaded to S3
        except FileNotFoundError:
            pass
    if saved != name:
        storage.delete(saved)
        raise FileExistsError(name)
    return saved


class _Body:
    """An object's body, read in chunks as it is sent; `close()` releases the connection."""

    def __init__(self, body):
        self.body = body

    def read(self, size: int = -1) -> bytes:
        return self.body.read(None if size is None or size < 0 else size)

    def close(self) -> None:
        self.body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_stream(name: str, storage: Storage | None = None):
    """(a readable stream of the stored content, its size in the store), without reading it;
    FileNotFoundError when there is no such object."""
    storage = storage or files_storage()
    if is_s3(storage):
        from botocore.exceptions import ClientError

        try:
            answer = storage.connection.meta.client.get_object(
                Bucket=storage.bucket_name, Key=storage.key(name)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise FileNotFoundError(name) from None
            raise
        return _Body(answer["Body"]), answer["ContentLength"]
    source = storage.open(name, "rb")
    try:
        size = os.fstat(source.fileno()).st_size
    except (AttributeError, OSError):
        size = storage.size(name)
    return source, size


def upload_temp_dir() -> Path:
    """Where uploads are assembled on the node's local disk before `keep` (never shared, never
    read by another node): GUICHET_UPLOAD_TEMP_DIR, else GUICHET_FILES_ROOT/tmp (the same disk
    as the stored files, so that keeping one on disk is a rename)."""
    configured = getattr(settings, "GUICHET_UPLOAD_TEMP_DIR", "")
    return Path(configured) if configured else Path(settings.GUICHET_FILES_ROOT) / "tmp"
