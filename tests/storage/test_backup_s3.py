"""Backups and restores over object storage (issue 23 §4, with §1): `backup` reads every stored
object and the checkpoints from the bucket, `restore` writes them into an empty bucket — the
checkpoints under Object Lock again — and the restored platform's `verify_journal` and
`verify_files` pass and its register's CSV is the same, byte for byte. On SQLite in `make test`,
on PostgreSQL in `.ci/run`, against a real S3 (moto_server)."""

from __future__ import annotations

import json
import uuid

import pytest

from guichet.files.models import StoredFile
from guichet.journal import checkpoints
from tests.moto import CREDENTIALS, REGION
from tests.storage.conftest import keys
from tests.test_backup import (  # noqa: F401  (certified_world: a fixture)
    CHECKS,
    _call,
    _register_csv,
    certified_world,
    empty_database,
    manage,
    run,
    target_environment,
)

pytestmark = [pytest.mark.storage]


@pytest.fixture
def certified_in_bucket(s3, certified_world):  # noqa: F811
    """tests/test_backup.py's certified dossier and checkpoint, all in the bucket (the `s3`
    fixture comes first)."""
    return certified_world


def bucket_environment(database_url, var_dir, moto_endpoint, s3_client) -> tuple[dict, str]:
    """Another platform over a new, empty bucket (Object Lock enabled, as the platform's is)."""
    bucket = f"guichet-restored-{uuid.uuid4().hex[:8]}"
    s3_client.create_bucket(
        Bucket=bucket,
        ObjectLockEnabledForBucket=True,
        CreateBucketConfiguration={"LocationConstraint": REGION},
    )
    env = target_environment(database_url, var_dir)
    env.update(
        GUICHET_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_ENDPOINT_URL=moto_endpoint,
        AWS_S3_REGION_NAME=REGION,
        AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
        GUICHET_JOURNAL_CHECKPOINT_BUCKET="",
    )
    return env, bucket


def test_backup_round_trip_over_object_storage_keeps_objects_checkpoints_and_register(
    certified_in_bucket, s3, s3_client, moto_endpoint, client, tmp_path
):
    """R-AUD-1: « Every state change and every document is recorded in an append-only,
    timestamped journal […] that an auditor can export and verify »; R-EVD-2: « every file is
    kept with its SHA-256, size, type, uploader and time ». Issue 23 §4: « A round trip on
    SQLite and on PostgreSQL (with moto) is tested: after restore, `verify_journal` and
    `verify_files` pass, and the register's CSV is identical byte for byte. »"""
    register = _register_csv(client)
    assert certified_in_bucket.number.encode() in register
    stored = sorted(StoredFile.objects.values_list("path", flat=True))
    assert len(stored) >= 3
    locked = keys(s3_client, s3, checkpoints.BUCKET_PREFIX)
    assert len(locked) == 2  # the checkpoint and its signature

    backup = tmp_path / "sauvegarde"
    _call("backup", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    assert sorted(p["name"] for p in manifest["parts"] if p["kind"] == "object") == stored
    saved = [p["name"] for p in manifest["parts"] if p["kind"] == "checkpoint"]
    assert [checkpoints.BUCKET_PREFIX + name for name in saved] == locked[:1]

    with empty_database(tmp_path) as database_url:
        env, bucket = bucket_environment(
            database_url, tmp_path / "restored", moto_endpoint, s3_client
        )
        restored = manage("restore", str(backup), env=env)
        assert restored.returncode == 0, restored.stderr.decode()
        assert "1 point de contrôle" in restored.stdout.decode()

        # Every object where the platform reads it, the checkpoints locked again.
        assert keys(s3_client, bucket, "files/") == sorted(f"files/{name}" for name in stored)
        assert keys(s3_client, bucket, checkpoints.BUCKET_PREFIX) == locked
        head = s3_client.head_object(Bucket=bucket, Key=locked[0])
        assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"]
        assert not (tmp_path / "restored" / "files").exists()  # nothing on the disk

        checked = run(["-c", CHECKS], env)
        assert checked.returncode == 0, checked.stderr.decode()
        output, csv = checked.stdout.split(b"\n--register.csv--\n")
        assert "Journal intègre" in output.decode()
        assert "conforme à 1 point de contrôle scellé" in output.decode()
        assert "tous correspondent à leur dépôt" in output.decode()
        assert csv == register


def test_restore_refuses_a_bucket_that_holds_objects(
    certified_in_bucket, s3, s3_client, moto_endpoint, tmp_path
):
    """An empty database over the bucket of a running platform is refused before anything is
    written (exit 2, in French): a restore never mixes with live objects."""
    backup = tmp_path / "sauvegarde"
    _call("backup", str(backup))
    with empty_database(tmp_path) as database_url:
        env, _ = bucket_environment(database_url, tmp_path / "occupied", moto_endpoint, s3_client)
        env["AWS_STORAGE_BUCKET_NAME"] = s3  # the live one
        before = keys(s3_client, s3)
        refused = manage("restore", str(backup), env=env)
        assert refused.returncode == 2
        assert "Le stockage des fichiers cible n'est pas vide" in refused.stderr.decode()
        assert keys(s3_client, s3) == before
