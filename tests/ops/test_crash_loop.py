"""The crash loop (issue 23 §3): « start the processes, run a mixed load (uploads, answers to
information requests, transitions, a committee decision with its letter, an import, a sweep),
SIGKILL a web node, a worker or a scheduler at a random moment, restart it, repeat (at least 30
kills across the kinds). After each restart the invariants hold and are checked by commands the
operators also have:
- `verify_journal` passes and every state change has its transition log row and journal entry;
- `verify_files` passes: every stored file has its object with its recorded size and SHA-256;
  objects without a row (an upload cut short) are listed and removed after a grace period by a
  periodic purge, never by a request;
- no queued task is lost or done twice in effect: a worker killed while sealing a PDF leaves a
  task that is picked up again (a task left « running » by a dead worker is recovered after a
  timeout), and the document exists once;
- the clocks after a killed sweep equal those of an uninterrupted one.
Print the figures (kills, operations, invariants checked, violations: goal 0). »

The processes are the Procfile's (tests/ops/platform.py) over PostgreSQL and a moto_server
bucket. Bounded in count (GUICHET_CRASH_KILLS) and in time (GUICHET_CRASH_SECONDS); the random
moments come from a seed that is printed (GUICHET_CRASH_SEED replays it). Run by `make crash`."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time

import dj_database_url
import pytest
from psycopg import sql

from tests.ops.crash_load import (
    ADMIN,
    APPLICANT,
    DOCUMENT_TASKS,
    INSTRUCTOR,
    OTHER_APPLICANT,
    Api,
    Checks,
    Load,
    Tally,
    check_journal_and_files,
    prepare_world,
    tasks_state,
)
from tests.ops.platform import ROOT, connect, running_platform

pytestmark = pytest.mark.crash

KILLS = int(os.environ.get("GUICHET_CRASH_KILLS", 30))  # at least, across the three kinds
LOOP_SECONDS = float(os.environ.get("GUICHET_CRASH_SECONDS", 200))  # the loop's time bound
CHECK_EVERY = int(os.environ.get("GUICHET_CRASH_CHECK_EVERY", 6))  # kills between two checks
SWEEP_KILLS = int(os.environ.get("GUICHET_CRASH_SWEEP_KILLS", 3))
DRAIN_SECONDS = 120  # the queue empties, stale tasks recovered, orphans purged, within this
LARGEST_UPLOAD = 3 * 1024**2

ENVIRONMENT = {
    "GUICHET_SCHEDULER_INTERVAL": "1",
    # A task left « running » by a killed worker is queued again after 6 s…
    "GUICHET_TASK_STALE_MINUTES": "0.1",
    # …an object without its row is purged 30 s after it was written…
    "GUICHET_UPLOAD_GRACE_HOURS": str(30 / 3600),
    # …by the maintenance the scheduler queues every few seconds (production: 10 min, 1 h).
    "GUICHET_PERIODIC_EVERY": (
        "recover_stale_tasks=3,repair_documents=5,purge_upload_leftovers=10"
    ),
    "WEB_CONCURRENCY": "2",
}
# The queue's own maintenance, queued every few seconds by the scheduler.
MAINTENANCE = (
    "guichet.common.tasks.recover_stale_tasks",
    "guichet.common.tasks.repair_documents",
    "guichet.files.tasks.purge_upload_leftovers",
)
KINDS = {"web": "web-a", "worker": "worker-1", "scheduler": "scheduler-1"}


def task_counts(url: str, *, exclude: tuple[str, ...] = ()) -> dict[str, int]:
    with connect(url) as db:
        return dict(
            db.execute(
                "SELECT status, count(*) FROM django_tasks_database_dbtaskresult "
                "WHERE NOT task_path = ANY(%s) GROUP BY status",
                [list(exclude)],
            ).fetchall()
        )


def running_document_tasks(url: str) -> list[str]:
    with connect(url) as db:
        return [
            str(row[0])
            for row in db.execute(
                "SELECT id FROM django_tasks_database_dbtaskresult "
                "WHERE status = 'RUNNING' AND task_path = ANY(%s)",
                [list(DOCUMENT_TASKS)],
            )
        ]


def task_status(url: str, ids: list[str]) -> dict[str, str]:
    with connect(url) as db:
        return {
            str(pk): status
            for pk, status in db.execute(
                "SELECT id, status FROM django_tasks_database_dbtaskresult WHERE id::text = ANY(%s)",
                [ids],
            )
        }


def clocks(url: str) -> dict:
    """What a sweep decides, for every application: its state, its stored clock, the reminders
    sent and the transitions logged (without their instant)."""
    with connect(url) as db:
        return {
            "clocks": db.execute(
                "SELECT a.id, a.status, c.deadline, c.running, c.paused_reason, "
                "c.frozen_days_left, c.flags, c.computed_on, c.next_check, c.paused_since "
                "FROM applications_application a "
                "LEFT JOIN instruction_clockstate c ON c.application_id = a.id ORDER BY a.id"
            ).fetchall(),
            "reminders": db.execute(
                "SELECT request_id, kind FROM instruction_reminder ORDER BY request_id, kind"
            ).fetchall(),
            "transitions": db.execute(
                "SELECT application_id, name, source, target, reason "
                "FROM applications_applicationtransition ORDER BY id"
            ).fetchall(),
        }


def database_copy(url: str, name: str) -> str:
    """`CREATE DATABASE name TEMPLATE <url's database>` (nothing may be connected to it)."""
    source = dj_database_url.parse(url)["NAME"]
    with connect(os.environ["DATABASE_URL"]) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(source)
            )
        )
    return url.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    with connect(os.environ["DATABASE_URL"]) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def sweep_process(env: dict, day: dt.date, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "sweep_deadlines", "--today", day.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def run_sweep(env: dict, day: dt.date, log_path) -> None:
    with open(log_path, "ab") as log:
        process = sweep_process(env, day, log)
        assert process.wait(timeout=180) == 0, log_path.read_text()


def test_crash_loop_kills_web_worker_and_scheduler_and_nothing_is_left_half_done(tmp_path):
    seed = int(os.environ.get("GUICHET_CRASH_SEED", random.SystemRandom().randrange(10**6)))
    print(f"\nCrash loop: seed {seed} (GUICHET_CRASH_SEED={seed} replays it)", flush=True)
    rng = random.Random(seed)
    started = time.monotonic()
    phases: dict[str, float] = {}
    kills: dict[str, int] = {kind: 0 for kind in KINDS}
    document_kills: list[list[str]] = []  # the document tasks running at each worker kill
    checks = Checks()
    tally = Tally()

    with running_platform(tmp_path, **ENVIRONMENT) as platform:
        url = platform.env["DATABASE_URL"]
        platform.manage("load_demo", timeout=400)
        world = prepare_world(platform)
        export = tmp_path / "dmn.xlsx"
        platform.manage(
            "export_referential", "--referential", "DMN", "--version", "V1.2.2", str(export)
        )
        phases["setup"] = time.monotonic() - started

        for kind, name in KINDS.items():
            platform.start(kind, name)
        api = Api(platform, KINDS["web"])
        for email in (APPLICANT, OTHER_APPLICANT):
            api.log_in(email, world, agency=False)
        for email in (INSTRUCTOR, ADMIN):
            api.log_in(email, world, agency=True)
        load = Load(
            api=api,
            world=world,
            platform=platform,
            tally=tally,
            seed=seed,
            largest_upload=LARGEST_UPLOAD,
            export=export,
        )
        load.start()

        # --- the loop: a SIGKILL at a random moment, a restart, now and then the checks --------
        loop_started = time.monotonic()
        order = [kind for kind in KINDS for _ in range(KILLS // 3 + 1)]
        rng.shuffle(order)
        background: list[threading.Thread] = []
        uploads = platform.var / "files" / "tmp"  # the web node's temporary uploads
        parts_seen = 0
        killed = 0
        for kind in order:
            if killed >= KILLS or time.monotonic() - loop_started > LOOP_SECONDS:
                break
            time.sleep(rng.uniform(1.0, 4.0))
            name = KINDS[kind]
            running = []
            if kind == "worker" and rng.random() < 0.6:
                # While it seals a PDF: wait (a little) for a document task to be running.
                deadline = time.monotonic() + 10
                while not running and time.monotonic() < deadline:
                    running = running_document_tasks(url)
                    time.sleep(0.1)
                time.sleep(rng.uniform(0, 0.4))
            if kind == "worker":
                running = running_document_tasks(url)
            platform.processes[name].kill()
            kills[kind] += 1
            killed += 1
            if running:
                document_kills.append(running)
            if kind == "web":
                parts_seen = max(parts_seen, len(list(uploads.glob("*.part"))))
            print(
                f"  kill {killed:>2} {name:<12} at {time.monotonic() - started:6.1f} s"
                + (f" (sealing: {len(running)} document task(s))" if running else ""),
                flush=True,
            )
            platform.restart(name)
            if running or killed % CHECK_EVERY == 0:
                busy = [thread for thread in background if thread.is_alive()]
                if busy and not running:
                    continue  # the previous check still runs; the next round checks
                for thread in busy:  # after a worker killed while sealing: always checked
                    thread.join(240)
                thread = threading.Thread(
                    target=check_journal_and_files,
                    args=(platform, checks, f"after kill {killed} ({name})"),
                    daemon=True,
                )
                thread.start()
                background.append(thread)
        phases["loop"] = time.monotonic() - loop_started
        load.join(timeout=REQUEST_JOIN_TIMEOUT)
        for thread in background:
            thread.join(240)

        # --- drained: nothing running or waiting, orphans purged ---------------------------------
        drain_started = time.monotonic()
        for name, process in platform.processes.items():
            assert process.alive(), f"{name} died on its own: {process.log.read_text()[-2000:]}"
        while time.monotonic() - drain_started < DRAIN_SECONDS:
            waiting = task_counts(url, exclude=MAINTENANCE)
            parts = list(uploads.glob("*.part"))
            if not waiting.get("READY") and not waiting.get("RUNNING") and not parts:
                if check_journal_and_files(platform, checks, "drained") == 0:
                    break
            time.sleep(3)
        else:
            checks.violation(
                f"not drained in {DRAIN_SECONDS} s: tasks {task_counts(url)}, "
                f"{len(list(uploads.glob('*.part')))} .part file(s), "
                f"{check_journal_and_files(platform, checks, 'not drained')} object(s) without row"
            )
        # The scheduler stopped, the worker finishes the maintenance it had queued.
        platform.processes[KINDS["scheduler"]].stop()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            counts = task_counts(url)
            if not counts.get("READY") and not counts.get("RUNNING"):
                break
            time.sleep(1)
        phases["drain"] = time.monotonic() - drain_started

        state = tasks_state(platform)
        checks.count("tasks")
        if state["statuses"].get("RUNNING") or state["statuses"].get("READY"):
            checks.violation(f"tasks left: {state['statuses']}")
        if state["failed"]:
            checks.violation(f"failed tasks: {state['failed']}")
        if state["missing"]:
            checks.violation(f"documents missing: {state['missing']}")
        if state["twice"]:
            checks.violation(f"documents made twice: {state['twice']}")
        interrupted = [pk for running in document_kills for pk in running]
        if interrupted:
            statuses = task_status(url, interrupted)
            checks.count("interrupted document tasks")
            unfinished = {pk: s for pk, s in statuses.items() if s != "SUCCESSFUL"}
            if unfinished:
                checks.violation(f"document tasks interrupted and not done again: {unfinished}")
        recovered = sum(
            process.log.read_text(errors="replace").count("remise en file")
            for process in platform.processes.values()
            if process.kind == "worker"
        )

        # --- the sweep: killed, rerun, equal to an uninterrupted one -----------------------------
        sweep_started = time.monotonic()
        platform.stop_all()
        day = dt.date.today() + dt.timedelta(days=120)
        reference_name = f"{dj_database_url.parse(url)['NAME']}_reference"
        reference_url = database_copy(url, reference_name)
        try:
            before = clocks(url)
            t0 = time.monotonic()
            run_sweep({**platform.env, "DATABASE_URL": reference_url}, day, tmp_path / "sweep.log")
            reference_seconds = time.monotonic() - t0
            expected = clocks(reference_url)
            assert expected != before, "the reference sweep changed nothing: a useless comparison"
            landed = []
            for _ in range(SWEEP_KILLS):
                with open(tmp_path / "sweep.log", "ab") as log:
                    process = sweep_process(platform.env, day, log)
                    time.sleep(rng.uniform(0.3, 0.9) * reference_seconds)
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=30)
                after_kill = clocks(url)
                landed.append(
                    "before its effects"
                    if after_kill == before
                    else "after all its effects"
                    if after_kill == expected
                    else "midway"
                )
            run_sweep(platform.env, day, tmp_path / "sweep.log")
            checks.count("clocks after a killed sweep")
            actual = clocks(url)
            for part in ("clocks", "reminders", "transitions"):
                if actual[part] != expected[part]:
                    differing = set(actual[part]) ^ set(expected[part])
                    checks.violation(f"sweep: {part} differ: {sorted(differing, key=str)[:10]}")
        finally:
            drop_database(reference_name)
        for name in KINDS.values():
            platform.restart(name)
        check_journal_and_files(platform, checks, "after the sweep")
        phases["sweep"] = time.monotonic() - sweep_started

    total = time.monotonic() - started
    outcomes = tally.by_outcome()
    print("\n=== Crash loop ===")
    print(
        f"seed {seed}; {total:.0f} s in all: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in phases.items())
    )
    print(f"kills: {sum(kills.values())} ({', '.join(f'{k} {v}' for k, v in kills.items())})")
    print(
        f"worker kills while a document task ran: {len(document_kills)} "
        f"({len(interrupted)} task(s)); tasks queued again by the stale-task recovery: {recovered}"
    )
    print(
        f"sweep kills: {SWEEP_KILLS} ({', '.join(landed)}); reference sweep {reference_seconds:.1f} s"
    )
    print(
        f"operations: {outcomes.get('done', 0)} done, {outcomes.get('refused', 0)} refused, "
        f"{outcomes.get('failed', 0)} failed (node killed)"
    )
    for key, n in sorted(tally.counts.items()):
        print(f"  {key}: {n}")
    print(f".part uploads left by a killed web node, seen at once: {parts_seen}")
    for kind, shown in tally.refusals.items():
        print(f"  first refusals of « {kind} »: {shown}")
    print(
        f"objects without a row seen at once (purged by the periodic purge): {checks.orphans_seen}"
    )
    print(f"invariants checked: {sum(checks.checked.values())} ({dict(checks.checked)})")
    print(f"violations: {len(checks.violations)}")
    for violation in checks.violations:
        print(f"  - {violation}")
    assert sum(kills.values()) >= KILLS, f"{kills}: the time bound came first"
    assert not [k for k in tally.counts if k.startswith("load-error")], "the load itself failed"
    assert checks.violations == []


REQUEST_JOIN_TIMEOUT = 120
