"""A real S3 for the storage tests (issue 23 §1): `moto_server` (moto[server], a test
dependency) started on a free loopback port as a subprocess, once per test process, and stopped
at the end; each test gets a bucket of its own, created with Object Lock enabled (as the
platform's bucket is in production: the journal's checkpoints are locked in it), and the
settings of GUICHET_STORAGE=s3 with django-storages' own names. No moto_server: the tests fail,
they are never skipped."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest

from guichet.settings import storages_for

START_TIMEOUT, STOP_TIMEOUT = 30, 10
CREDENTIALS = {"aws_access_key_id": "guichet-test", "aws_secret_access_key": "guichet-test"}
REGION = "eu-west-3"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def moto_server_command() -> str:
    beside = Path(sys.executable).parent / "moto_server"
    found = str(beside) if beside.exists() else shutil.which("moto_server")
    if not found:
        pytest.fail(
            "moto_server is not installed: the storage tests need it (pip install -e '.[test]' "
            "installs moto[server]).",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    """The endpoint of a running moto_server; stopped (SIGTERM, then SIGKILL) at the end."""
    command = moto_server_command()
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [command, "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"moto_server exited: {log.read_text()[-2000:]}", pytrace=False)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not listen within {START_TIMEOUT} s")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=STOP_TIMEOUT)


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
