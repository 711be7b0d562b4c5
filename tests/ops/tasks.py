"""A task for the cluster test (issue 23 §2): each run appends its id and its worker's process
id to a file (O_APPEND: whole lines from concurrent workers), so that the test sees how many
times each queued task ran, and where."""

from __future__ import annotations

import os
import time

from django_tasks import task


@task()
def record_run(run_id: str, path: str, pause: float = 0.0) -> int:
    time.sleep(pause)  # long enough for the other worker to take the next one meanwhile
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, f"{run_id} {os.getpid()}\n".encode())
    finally:
        os.close(fd)
    return os.getpid()
