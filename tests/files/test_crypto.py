"""Encryption at rest of sensitive proofs (R-EVD-3): AES-GCM in chunks, wrapped keys."""

import io
import os

import pytest

from guichet.files import crypto


def encrypt(data: bytes, chunk: int = 1000) -> tuple[bytes, bytes]:
    key = os.urandom(32)
    out = io.BytesIO()
    encryptor = crypto.Encryptor(key, out)
    for i in range(0, len(data), chunk):
        encryptor.update(data[i : i + chunk])
    encryptor.finish()
    return key, out.getvalue()


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 25_000])
def test_r_evd_3_round_trip_in_chunks(size):
    data = os.urandom(size)
    key, sealed = encrypt(data)
    assert size < 16 or data not in sealed
    assert b"".join(crypto.decrypt_chunks(key, io.BytesIO(sealed))) == data


def test_r_evd_3_altered_truncated_or_extended_files_are_refused():
    key, sealed = encrypt(os.urandom(5000))
    altered = bytearray(sealed)
    altered[40] ^= 1
    for bad in (bytes(altered), sealed[:-1020], sealed + b"x"):
        with pytest.raises(crypto.DecryptionError):
            b"".join(crypto.decrypt_chunks(key, io.BytesIO(bad)))
    # Dropping whole trailing records is caught too: the last record is marked as such.
    first_record_end = 12 + 4 + 1000 + 16
    with pytest.raises(crypto.DecryptionError):
        b"".join(crypto.decrypt_chunks(key, io.BytesIO(sealed[:first_record_end])))


def test_r_evd_3_file_keys_are_wrapped_by_the_master_key(settings):
    key, wrapped = crypto.new_file_key()
    assert crypto.unwrap(wrapped) == key
    settings.GUICHET_MASTER_KEY = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap(wrapped)
