"""Encryption at rest of sensitive files (R-EVD-3): AES-256-GCM in chunks, each file with its
own key, wrapped (RFC 3394) by the master key from the environment. Streamed both ways: a
chunk at a time is in memory. Each record authenticates its index and whether it is the last,
so a reordered or truncated file is refused."""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"GCH1"
_LENGTH = struct.Struct(">I")


class DecryptionError(Exception):
    pass


def _decoded(raw: str, name: str) -> bytes:
    try:
        key = base64.b64decode(raw, validate=True)
    except (ValueError, TypeError):
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} : 32 octets encodés en base64 attendus.")
    return key


def master_key() -> bytes:
    """The key that wraps every new file key."""
    return _decoded(settings.GUICHET_MASTER_KEY, "GUICHET_MASTER_KEY")


def previous_master_keys() -> list[bytes]:
    """The keys replaced by a rotation, still read until every file key is wrapped again
    (`manage.py rotate_master_key`)."""
    return [
        _decoded(raw, "GUICHET_MASTER_PREVIOUS_KEYS")
        for raw in getattr(settings, "GUICHET_MASTER_PREVIOUS_KEYS", [])
    ]


def key_id(key: bytes) -> str:
    """A key's public name in messages: the start of its SHA-256, never the key."""
    import hashlib

    return hashlib.sha256(key).hexdigest()[:12]


def new_file_key() -> tuple[bytes, str]:
    key = AESGCM.generate_key(bit_length=256)
    return key, base64.b64encode(aes_key_wrap(master_key(), key)).decode()


def unwrap_with(wrapped: str) -> tuple[bytes, bytes]:
    """The file key and the master key that unwrapped it: the current one, else a previous one
    (RFC 3394 checks its integrity: a wrong key is refused, never a wrong file key returned)."""
    data = base64.b64decode(wrapped)
    for candidate in (master_key(), *previous_master_keys()):
        try:
            return aes_key_unwrap(candidate, data), candidate
        except (InvalidUnwrap, ValueError):
            continue
    raise DecryptionError("clé du fichier illisible avec les clés maîtresses configurées")


def unwrap(wrapped: str) -> bytes:
    try:
        return unwrap_with(wrapped)[0]
    except (ValueError, TypeError) as exc:  # not base64
        raise DecryptionError("clé du fichier illisible") from exc


def rewrap(wrapped: str) -> str | None:
    """The file key wrapped again under the current master key; None when it already is."""
    key, under = unwrap_with(wrapped)
    if under == master_key():
        return None
    return base64.b64encode(aes_key_wrap(master_key(), key)).decode()


def _aad(index: int, last: bool) -> bytes:
    return struct.pack(">I?", index, last)


class Encryptor:
    """Feed plaintext chunks; writes header and records to `out`. One chunk is held back so
    that the last record can be marked as such."""

    def __init__(self, key: bytes, out: BinaryIO):
        self.aead = AESGCM(key)
        self.prefix = os.urandom(8)
        self.out = out
        self.index = 0
        self.pending: bytes | None = None
        out.write(MAGIC + self.prefix)

    def _write(self, chunk: bytes, last: bool) -> None:
        nonce = self.prefix + struct.pack(">I", self.index)
        sealed = self.aead.encrypt(nonce, chunk, _aad(self.index, last))
        self.out.write(_LENGTH.pack(len(sealed)) + sealed)
        self.index += 1

    def update(self, chunk: bytes) -> None:
        if self.pending is not None:
            self._write(self.pending, last=False)
        self.pending = bytes(chunk)

    def finish(self) -> None:
        self._write(self.pending or b"", last=True)
        self.pending = None


def decrypt_chunks(key: bytes, source: BinaryIO) -> Iterator[bytes]:
    header = source.read(len(MAGIC) + 8)
    if len(header) != len(MAGIC) + 8 or not header.startswith(MAGIC):
        raise DecryptionError("en-tête du fichier chiffré absent")
    prefix, aead, index = header[len(MAGIC) :], AESGCM(key), 0
    while True:
        raw = source.read(_LENGTH.size)
        if len(raw) != _LENGTH.size:
            raise DecryptionError("fichier chiffré tronqué")
        (length,) = _LENGTH.unpack(raw)
        sealed = source.read(length)
        if len(sealed) != length:
            raise DecryptionError("fichier chiffré tronqué")
        nonce = prefix + struct.pack(">I", index)
        for last in (False, True):
            try:
                chunk = aead.decrypt(nonce, sealed, _aad(index, last))
            except InvalidTag:
                continue
            break
        else:
            raise DecryptionError("fichier chiffré altéré")
        yield chunk
        index += 1
        if last:
            if source.read(1):
                raise DecryptionError("données après la fin du fichier chiffré")
            return
