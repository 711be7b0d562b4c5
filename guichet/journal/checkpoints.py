"""Sealed checkpoints of the journal's hash chain (R-AUD-1, issue 10 §2).

The chain alone proves that no entry was changed *in place*: whoever can write the table can
still delete its last rows, or edit a row and recompute every later hash, and the chain holds.
A checkpoint pins the chain from outside: (number of entries, id of the last entry, its hash,
time), sealed by a key the database does not hold and kept where the database's writer cannot
rewrite it. Verification then compares the table with every checkpoint.

Why a CMS signature with the agency's certificate, not an HMAC:
- anyone given the public certificate can check a checkpoint (an auditor, a court, the
  agency's security officer) with openssl alone, without being handed a secret; an HMAC key
  must be shared to verify, and whoever verifies can then forge;
- the key already exists and is already guarded (GUICHET_SIGNING_P12, the seal of the
  conventions): no new secret to generate, store, rotate and back up;
- a checkpoint a day costs one RSA signature; verifying hundreds costs milliseconds each.
The signature is detached (CAdES-BES, pyHanko) over the exact bytes of a small JSON file.

Where they live: files in GUICHET_JOURNAL_CHECKPOINT_DIR (var/journal-checkpoints/ locally),
`checkpoint-<UTC time>.json` beside its signature `….json.p7s`, each written under a temporary
name opened with O_EXCL, then hard-linked into place (which, unlike a rename, refuses to
replace an existing name) — a checkpoint is never overwritten. In production the directory
must be write-once for the application (object storage with object lock fed by another
account, or another host): see docs/exploitation.md. No database table lists them: the
sealed files are the only truth, so there is nothing to keep in step.

With GUICHET_STORAGE=s3 (issue 23 §1) they are objects under `journal-checkpoints/` of the
bucket GUICHET_JOURNAL_CHECKPOINT_BUCKET (else the platform's), created with Object Lock
enabled: each is written with a COMPLIANCE retention (GUICHET_JOURNAL_CHECKPOINT_RETENTION_DAYS)
and `If-None-Match: *`, so that nobody — the application's own account included — can delete
or shorten the locked version before its date. A later version put under the same name cannot
replace it either: a checkpoint is always read from its first version (the locked one).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.common.errors import ApplicationError
from guichet.common.links import base_url
from guichet.deadlines import french_datetime
from guichet.signing.cms import InvalidSeal, SealVerifier, sign_detached
from guichet.signing.keys import agency_certificates

DOCUMENT_TYPE = "guichet.journal.checkpoint"
PREFIX = "checkpoint-"
SIGNATURE_SUFFIX = ".p7s"
FORMATS = {"zip": "application/zip", "json": "application/json"}


@dataclass(frozen=True)
class Checkpoint:
    name: str
    created_at: dt.datetime
    entry_count: int
    last_entry_id: int
    head_hash: str
    requested_by: str

    @property
    def when(self) -> str:
        """« 29 novembre 2026 à 2 h 00 », Paris time, for messages."""
        return french_datetime(self.created_at)


@dataclass(frozen=True)
class Rejected:
    """A checkpoint file whose seal does not hold: its content is not to be believed."""

    name: str
    reason: str


class CheckpointWriteError(ApplicationError):
    pass


def directory() -> Path:
    return Path(settings.GUICHET_JOURNAL_CHECKPOINT_DIR)


BUCKET_PREFIX = "journal-checkpoints/"


def in_bucket() -> bool:
    return getattr(settings, "GUICHET_STORAGE", "disk") == "s3"


def bucket_name() -> str:
    return settings.GUICHET_JOURNAL_CHECKPOINT_BUCKET or settings.AWS_STORAGE_BUCKET_NAME


def location(folder: Path | None = None) -> str:
    """Where the checkpoints are, for messages: the folder, or the bucket's prefix."""
    if folder is None and in_bucket():
        return f"s3://{bucket_name()}/{BUCKET_PREFIX}"
    return str(folder or directory())


class _Folder:
    """Checkpoint files in a directory (today's disk backend, or a copy fetched elsewhere)."""

    def __init__(self, path: Path):
        self.path = path

    def names(self) -> list[str]:
        if not self.path.is_dir():
            return []
        return [entry.name for entry in os.scandir(self.path)]

    def read(self, name: str) -> bytes:
        return (self.path / name).read_bytes()


class _Bucket:
    """Checkpoint objects under Object Lock: each name is read from its first version, the one
    written (and locked) by `write`; delete markers and later versions are ignored."""

    def __init__(self):
        from guichet.files.storage import files_storage

        self.client = files_storage().connection.meta.client
        self.bucket = bucket_name()
        self._first: dict[str, str] | None = None

    def first_versions(self) -> dict[str, str]:
        if self._first is None:
            self._first = {}
            pages = self.client.get_paginator("list_object_versions").paginate(
                Bucket=self.bucket, Prefix=BUCKET_PREFIX
            )
            for page in pages:
                # Each key's versions are listed newest first: the last one seen is the first
                # written (LastModified, to the second, cannot tell apart two of one second).
                for version in page.get("Versions", []):
                    self._first[version["Key"][len(BUCKET_PREFIX) :]] = version["VersionId"]
        return self._first

    def names(self) -> list[str]:
        return list(self.first_versions())

    def read(self, name: str) -> bytes:
        version = self.first_versions().get(name)
        if version is None:
            raise FileNotFoundError(name)
        answer = self.client.get_object(
            Bucket=self.bucket, Key=BUCKET_PREFIX + name, VersionId=version
        )
        with answer["Body"] as body:
            return body.read()

    def write_once(self, name: str, data: bytes) -> None:
        retain_until = timezone.now() + dt.timedelta(
            days=settings.GUICHET_JOURNAL_CHECKPOINT_RETENTION_DAYS
        )
        self.client.put_object(
            Bucket=self.bucket,
            Key=BUCKET_PREFIX + name,
            Body=data,
            ContentType="application/octet-stream",
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=retain_until,
            ChecksumAlgorithm="SHA256",
            IfNoneMatch="*",
        )


def _source(folder: Path | None):
    if folder is None and in_bucket():
        return _Bucket()
    return _Folder(folder or directory())


def document(
    *, entry_count: int, last_entry_id: int, head_hash: str, created_at: dt.datetime, by: str
) -> bytes:
    """The exact bytes that are signed and stored."""
    content = {
        "type": DOCUMENT_TYPE,
        "version": 1,
        "site": base_url(),
        "created_at": created_at.astimezone(dt.UTC).isoformat(),
        "entry_count": entry_count,
        "last_entry_id": last_entry_id,
        "head_hash": head_hash,
        "requested_by": by,
    }
    return (json.dumps(content, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def write(*, entry_count: int, last_entry_id: int, head_hash: str, by: str) -> Checkpoint:
    """Seals and stores a checkpoint; the signature is in place before the document, so that
    a listed document always has one."""
    created_at = timezone.now()
    data = document(
        entry_count=entry_count,
        last_entry_id=last_entry_id,
        head_hash=head_hash,
        created_at=created_at,
        by=by,
    )
    signature = sign_detached(data)
    name = f"{PREFIX}{created_at.astimezone(dt.UTC):%Y%m%dT%H%M%S.%fZ}.json"
    if in_bucket():
        _write_to_bucket(name, data, signature)
        return _parse(name, data)
    folder = directory()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_once(folder, name + SIGNATURE_SUFFIX, signature)
        _write_once(folder, name, data)
    except OSError as error:
        raise CheckpointWriteError(
            _(
                "Le point de contrôle n'a pas pu être écrit dans {folder} ({error}) : vérifiez "
                "que ce dossier existe et que l'application peut y créer des fichiers "
                "(GUICHET_JOURNAL_CHECKPOINT_DIR)."
            ).format(folder=folder, error=error.strerror or error)
        ) from error
    return _parse(name, data)


def _write_to_bucket(name: str, data: bytes, signature: bytes) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    store = _Bucket()
    try:
        store.write_once(name + SIGNATURE_SUFFIX, signature)
        store.write_once(name, data)
    except (BotoCoreError, ClientError) as error:
        raise CheckpointWriteError(
            _(
                "Le point de contrôle n'a pas pu être écrit dans {where} ({error}) : vérifiez "
                "que ce compartiment existe, qu'il a été créé avec le verrouillage d'objets "
                "(Object Lock) et que l'application peut y écrire "
                "(GUICHET_JOURNAL_CHECKPOINT_BUCKET)."
            ).format(where=location(), error=error)
        ) from error


def _write_once(folder: Path, name: str, data: bytes) -> None:
    """Written in full under a fresh temporary name, then linked into place: never a partial
    file under the final name, never a replaced one (link fails if the name exists)."""
    temporary = folder / f".{name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, folder / name)
    finally:
        temporary.unlink(missing_ok=True)
    directory_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)


def names(folder: Path | None = None, *, source=None) -> list[str]:
    """The checkpoint documents in time order (their names sort by time)."""
    source = source or _source(folder)
    return sorted(
        name for name in source.names() if name.startswith(PREFIX) and name.endswith(".json")
    )


def load(
    name: str, verifier: SealVerifier, folder: Path | None = None, *, source=None
) -> Checkpoint | Rejected:
    """The checkpoint if its seal holds, else why not."""
    source = source or _source(folder)
    try:
        data = source.read(name)
        signature = source.read(name + SIGNATURE_SUFFIX)
    except FileNotFoundError:
        return Rejected(name, _("sa signature est absente"))
    try:
        verifier.verify(data, signature)
    except InvalidSeal as error:
        return Rejected(name, str(error))
    try:
        return _parse(name, data)
    except (ValueError, KeyError, TypeError):
        # Signed by us yet unreadable: a format this version does not know.
        return Rejected(name, _("son contenu n'est pas un point de contrôle lisible"))


def load_all(
    folder: Path | None = None, *, latest: int | None = None
) -> list[Checkpoint | Rejected]:
    source = _source(folder)
    selected = names(source=source)
    if latest is not None:
        selected = selected[-latest:]
    if not selected:
        return []  # no certificate needed to find nothing
    verifier = SealVerifier()
    return [load(name, verifier, source=source) for name in selected]


def _parse(name: str, data: bytes) -> Checkpoint:
    content = json.loads(data)
    if content.get("type") != DOCUMENT_TYPE or content.get("version") != 1:
        raise ValueError("not a checkpoint")
    entry_count, last_entry_id = content["entry_count"], content["last_entry_id"]
    if not isinstance(entry_count, int) or not isinstance(last_entry_id, int):
        raise TypeError("counts are integers")
    return Checkpoint(
        name=name,
        created_at=dt.datetime.fromisoformat(content["created_at"]),
        entry_count=entry_count,
        last_entry_id=last_entry_id,
        head_hash=str(content["head_hash"]),
        requested_by=str(content.get("requested_by", "")),
    )


# Exports: every checkpoint with its signature, as they are on disk, for the auditor.

README = """Points de contrôle scellés du journal d'audit de Guichet
=======================================================

Chaque point de contrôle atteste, à sa date, le nombre d'entrées du journal (entry_count),
le numéro de la dernière (last_entry_id) et l'empreinte de celle-ci (head_hash, scellée par
la clé du journal).
Le fichier .json est signé (CMS détaché, CAdES) par le certificat de cachet de l'agence ;
la signature est dans le fichier .json.p7s du même nom.

Vérifier un point de contrôle sans Guichet, avec le certificat de l'autorité qui a émis le
cachet de l'agence (ca.pem), obtenu de l'agence elle-même — une copie du certificat de cachet et
de sa chaîne est jointe (certificats-agence.pem) pour identification :

    openssl cms -verify -binary -inform DER -purpose any -CAfile ca.pem \\
        -in FICHIER.json.p7s -content FICHIER.json -out /dev/null

« CMS Verification successful » : le fichier n'a pas été modifié depuis sa signature.
Comparez ensuite entry_count, last_entry_id et head_hash avec l'export du journal
(python manage.py verify_journal le fait pour tous les points de contrôle).
"""


def chunks(fmt: str, folder: Path | None = None) -> Iterator[bytes]:
    return zip_chunks(folder) if fmt == "zip" else json_chunks(folder)


def _files(folder: Path | None) -> Iterator[tuple[str, bytes, bytes]]:
    source = _source(folder)
    for name in names(source=source):
        data = source.read(name)
        try:
            signature = source.read(name + SIGNATURE_SUFFIX)
        except FileNotFoundError:
            signature = b""
        yield name, data, signature


def json_chunks(folder: Path | None = None) -> Iterator[bytes]:
    yield b"["
    for i, (name, data, signature) in enumerate(_files(folder)):
        item = {
            "name": name,
            "document": data.decode(),
            "signature": base64.b64encode(signature).decode(),
        }
        yield (b"," if i else b"") + json.dumps(item, ensure_ascii=False).encode()
    yield b"]\n"


class _Sink:
    """An unseekable file for zipfile, emptied after each member so the zip streams."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_chunks(folder: Path | None = None) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("LISEZMOI.txt", README)
        archive.writestr("certificats-agence.pem", _agency_pem())
        yield sink.drain()
        for name, data, signature in _files(folder):
            archive.writestr(name, data)
            if signature:
                archive.writestr(name + SIGNATURE_SUFFIX, signature)
            yield sink.drain()
    yield sink.drain()


def _agency_pem() -> bytes:
    certificate, chain = agency_certificates()
    return b"".join(cert.public_bytes(Encoding.PEM) for cert in [certificate, *chain])


# Backups (issue 23 §4): the checkpoints as kept, and putting them back into an empty place.


@dataclass(frozen=True)
class Kept:
    """A checkpoint's two files as they are kept, read or not by a seal."""

    name: str
    document: bytes
    signature: bytes  # empty when it is missing

    @property
    def last_entry_id(self) -> int | None:
        """The last journal entry it attests; None when its content is unreadable."""
        try:
            return _parse(self.name, self.document).last_entry_id
        except (ValueError, KeyError, TypeError):
            return None


def kept(folder: Path | None = None) -> Iterator[Kept]:
    """Every checkpoint document with its signature, in time order, as stored: in `folder`, else
    where the platform keeps them (the folder, or the bucket under Object Lock)."""
    for name, data, signature in _files(folder):
        yield Kept(name, data, signature)


def is_checkpoint_name(name: str) -> bool:
    return (
        name.startswith(PREFIX)
        and name.endswith(".json")
        and "/" not in name
        and "\\" not in name
        and ".." not in name
    )


def put_back(name: str, document: bytes, signature: bytes, folder: Path | None = None) -> bool:
    """A checkpoint from a backup written back, write-once as `write` does (signature first):
    True when written; False when it is already there with the same bytes (a write-once store
    keeps its checkpoints through a disaster); CheckpointWriteError when a different file
    holds its name."""
    if not is_checkpoint_name(name):
        raise CheckpointWriteError(
            _("« {name} » n'est pas un nom de point de contrôle.").format(name=name)
        )
    if folder is None and in_bucket():
        return _put_back_in_bucket(name, document, signature)
    folder = folder or directory()
    existing = folder / name
    if existing.exists():
        if existing.read_bytes() == document:
            return False
        raise CheckpointWriteError(_already_there(name, str(folder)))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if signature and not (folder / (name + SIGNATURE_SUFFIX)).exists():
            _write_once(folder, name + SIGNATURE_SUFFIX, signature)
        _write_once(folder, name, document)
    except OSError as error:
        raise CheckpointWriteError(
            _("Le point de contrôle {name} n'a pas pu être écrit dans {folder} ({error}).").format(
                name=name, folder=folder, error=error.strerror or error
            )
        ) from error
    return True


def _already_there(name: str, where: str) -> str:
    return _(
        "Un autre point de contrôle porte déjà le nom {name} dans {folder} : il n'est pas remplacé."
    ).format(name=name, folder=where)


def _put_back_in_bucket(name: str, document: bytes, signature: bytes) -> bool:
    """As `put_back`, into the bucket under Object Lock: a name already there (its first version
    is the one that counts) is left as it is."""
    from botocore.exceptions import BotoCoreError, ClientError

    store = _Bucket()
    present = store.first_versions()
    if name in present:
        if store.read(name) == document:
            return False
        raise CheckpointWriteError(_already_there(name, location()))
    try:
        if signature and name + SIGNATURE_SUFFIX not in present:
            store.write_once(name + SIGNATURE_SUFFIX, signature)
        store.write_once(name, document)
    except (BotoCoreError, ClientError) as error:
        raise CheckpointWriteError(
            _("Le point de contrôle {name} n'a pas pu être écrit dans {where} ({error}).").format(
                name=name, where=location(), error=error
            )
        ) from error
    return True
