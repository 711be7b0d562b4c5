"""A real S3 for the tests (issue 23): `moto_server` (moto[server], a test dependency) started on
a free loopback port as a subprocess and stopped at the end. Never skipped: without moto_server
the tests that need it fail."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

START_TIMEOUT, STOP_TIMEOUT = 30, 10
CREDENTIALS = {"aws_access_key_id": "guichet-test", "aws_secret_access_key": "guichet-test"}
REGION = "eu-west-3"


def free_port() -> int:
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


def wait_listening(port: int, process: subprocess.Popen, log: Path, timeout: float) -> None:
    """Waits until something listens on 127.0.0.1:port; fails if `process` exits first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited: {log.read_text()[-3000:]}", pytrace=False)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"nothing listens on {port} within {timeout} s: {log.read_text()[-3000:]}"
                )
            time.sleep(0.1)


def stop(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@contextlib.contextmanager
def running_moto_server(log: Path) -> Iterator[str]:
    """Yields the endpoint of a moto_server writing its log to `log`; or the one `.ci/run`
    started and named in GUICHET_TEST_S3_ENDPOINT (every test makes buckets of its own)."""
    given = os.environ.get("GUICHET_TEST_S3_ENDPOINT")
    if given:
        yield given
        return
    port = free_port()
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [moto_server_command(), "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        wait_listening(port, server, log, START_TIMEOUT)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)
