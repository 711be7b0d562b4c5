"""A real S3 for the storage tests (issue 23 §1): `moto_server` (moto[server], a test
dependency) started on a free loopback port as a subprocess, once per test process, and stopped
at the end; each test gets a bucket of its own, created with Object Lock enabled (as the
platform's bucket is in production: the journal's checkpoints are locked in it), and the
settings of GUICHET_STORAGE=s3 with django-storages' own names. No moto_server: the tests fail,
they are never skipped."""

from __future__ import annotations

import uuid

import boto3
import pytest

from guichet.settings import storages_for
from tests.moto import CREDENTIALS, REGION, running_moto_server


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    """The endpoint of a running moto_server; stopped (SIGTERM, then SIGKILL) at the end."""
    with running_moto_server(tmp_path_factory.mktemp("moto") / "moto_server.log") as endpoint:
        yield endpoint


@pytest.fixture
def s3_client(moto_endpoint):
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION, **CREDENTIALS)


@pytest.fixture
def s3(settings, moto_endpoint, s3_client):
    """GUICHET_STORAGE=s3 for this test, in a fresh bucket with Object Lock; the bucket's name."""
    bucket = f"guichet-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(
        Bucket=bucket,
        ObjectLockEnabledForBucket=True,
        CreateBucketConfiguration={"LocationConstraint": REGION},
    )
    settings.GUICHET_STORAGE = "s3"
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_S3_ENDPOINT_URL = moto_endpoint
    settings.AWS_S3_REGION_NAME = REGION
    settings.AWS_ACCESS_KEY_ID = CREDENTIALS["aws_access_key_id"]
    settings.AWS_SECRET_ACCESS_KEY = CREDENTIALS["aws_secret_access_key"]
    settings.GUICHET_JOURNAL_CHECKPOINT_BUCKET = ""
    settings.STORAGES = {**settings.STORAGES, **storages_for("s3")}
    return bucket


def keys(client, bucket: str, prefix: str = "") -> list[str]:
    listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def content(client, bucket: str, key: str) -> bytes:
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()
