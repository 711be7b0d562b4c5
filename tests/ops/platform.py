"""The platform as a public service runs it (issue 23 §2, §3): processes started from the
Procfile's entries (web nodes with gunicorn, workers, schedulers), over one PostgreSQL database of
their own and one S3 bucket (moto_server), sharing nothing else — no process sees another's
memory, only the database and the bucket. Used by the cluster test and the crash loop (markers
`cluster` and `crash`, run by `.ci/run` on PostgreSQL, not by `make test`).

Every subprocess and every wait has a timeout: a test that uses this never hangs."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import dj_database_url
import psycopg
import pytest
from psycopg import sql

from tests.moto import CREDENTIALS, REGION, free_port, running_moto_server, wait_listening

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "Procfile"
START_TIMEOUT, STOP_TIMEOUT, COMMAND_TIMEOUT = 60, 30, 300


def procfile() -> dict[str, str]:
    """The Procfile's entries, by name."""
    found = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            found[name.strip()] = command.strip()
    return found


def connect(url: str):
    """An autocommit psycopg connection to the PostgreSQL database `url` names."""
    config = dj_database_url.parse(url)
    return psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"],
        dbname=config["NAME"],
        autocommit=True,
        connect_timeout=10,
    )


@contextlib.contextmanager
def postgres_database(prefix: str = "guichet_ops") -> Iterator[str]:
    """A fresh PostgreSQL database beside the one DATABASE_URL names, dropped at the end; its URL.
    Fails (never skips) when DATABASE_URL is not PostgreSQL: several processes over one database
    is what these tests prove, and SQLite is `make run`'s single machine."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.fail(
            "These tests run several processes over one PostgreSQL: set DATABASE_URL to a "
            "PostgreSQL database (.ci/run does; see docs/exploitation.md).",
            pytrace=False,
        )
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = connect(url)
    try:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()


@dataclass
class Process:
    """One running Procfile entry: its name (`web-a`, `worker-1`…), kind, port and log."""

    name: str
    kind: str
    popen: subprocess.Popen
    log: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, signum: int) -> None:
        """To the whole process group: a gunicorn master and its workers, as a machine's crash."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.popen.wait(timeout=STOP_TIMEOUT)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then SIGKILL after `timeout`; the exit code."""
        if self.alive():
            self.signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.popen.returncode


@dataclass
class Platform:
    """The environment every process of one platform shares, and the processes started in it."""

    env: dict[str, str]
    var: Path
    bucket: str
    s3_endpoint: str
    processes: dict[str, Process] = field(default_factory=dict)

    def s3(self):
        return boto3.client("s3", endpoint_url=self.s3_endpoint, region_name=REGION, **CREDENTIALS)

    def manage(self, *args: str, timeout: float = COMMAND_TIMEOUT, check: bool = True):
        """`python manage.py …` as an operator runs it, in this platform's environment."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            pytest.fail(
                f"manage.py {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done

    def start(self, kind: str, name: str | None = None, **extra_env: str) -> Process:
        """Starts the Procfile's entry `kind` as its own process group; a web node on a free port
        is returned once it listens."""
        name = name or kind
        port = free_port() if kind == "web" else None
        env = {**self.env, **extra_env}
        if port:
            env["PORT"] = str(port)
        log = self.var / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as output:
            popen = subprocess.Popen(
                ["bash", "-c", "exec " + procfile()[kind]],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        process = Process(name=name, kind=kind, popen=popen, log=log, port=port)
        self.processes[name] = process
        if port:
            wait_listening(port, popen, log, START_TIMEOUT)
        return process

    def restart(self, name: str) -> Process:
        old = self.processes[name]
        return self.start(old.kind, name)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.alive():
                process.signal(signal.SIGTERM)
        for process in self.processes.values():
            process.stop()


@contextlib.contextmanager
def running_platform(tmp_path: Path, **extra_env: str) -> Iterator[Platform]:
    """A migrated platform (the Procfile's `release`) over a fresh PostgreSQL database and a fresh
    bucket with Object Lock, its processes stopped and its database dropped at the end. Start the
    processes with `platform.start("web", "web-a")`."""
    var = tmp_path / "var"
    var.mkdir()
    with (
        postgres_database() as database_url,
        running_moto_server(tmp_path / "moto_server.log") as endpoint,
    ):
        bucket = f"guichet-{uuid.uuid4().hex[:12]}"
        venv_bin = str(Path(sys.executable).parent)
        env = {
            **os.environ,
            "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "GUICHET_VAR_DIR": str(var),
            "GUICHET_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": endpoint,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "SECRET_KEY": "cluster-" + uuid.uuid4().hex,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "WEB_CONCURRENCY": "2",
            "TASKS_LOG_LEVEL": "INFO",
            **extra_env,
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        platform = Platform(env=env, var=var, bucket=bucket, s3_endpoint=endpoint)
        platform.s3().create_bucket(
            Bucket=bucket,
            ObjectLockEnabledForBucket=True,
            CreateBucketConfiguration={"LocationConstraint": REGION},
        )
        # The release phase, as the host runs it before the new processes start.
        release = shlex.split(procfile()["release"])
        assert release[:2] == ["python", "manage.py"]
        platform.manage(*release[2:])
        try:
            yield platform
        finally:
            platform.stop_all()
