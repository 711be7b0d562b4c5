"""Several nodes at once (issue 23 §2): two web nodes on two ports, two workers and two
schedulers, each started from the Procfile's entry (« read by the tests as the truth of how the
processes start »), over one PostgreSQL database and one S3 bucket (moto_server) and nothing
else shared: no process sees another's memory. One platform for the module (tests/ops/platform.py),
its world built once by tests/ops/cluster_world.py; the nodes are reached over HTTP only, as a
browser or an API client reaches them (tests/ops/cluster_client.py).

Marker `cluster`: not in `make test`; `make cluster` and `.ci/run` run it on PostgreSQL. No
timed assertion: what depends on another process is polled until a deadline, then asserted."""

from __future__ import annotations

import collections
import concurrent.futures
import hashlib
import html
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import pytest
import requests

from tests.ops import cluster_client as http
from tests.ops.cluster_world import parse
from tests.ops.platform import Platform, Process, running_platform

pytestmark = pytest.mark.cluster

SCHEDULER_INTERVAL = 2  # seconds between two passes of each scheduler
DEADLINE = 120  # seconds, for anything another process does
RECORDED_RUNS = 20
TASK_RESULTS = "django_tasks_database_dbtaskresult"


@dataclass
class Cluster:
    platform: Platform
    world: dict
    a: Process
    b: Process
    applicant_token: str

    def sql(self, query: str, *params) -> list[tuple]:
        with psycopg.connect(self.platform.env["DATABASE_URL"], connect_timeout=10) as db:
            cursor = db.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def api(self, token: str | None = None) -> requests.Session:
        return http.api_client(token or self.applicant_token)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_platform(
        tmp_path_factory.mktemp("cluster"), GUICHET_SCHEDULER_INTERVAL=str(SCHEDULER_INTERVAL)
    ) as platform:
        built = platform.manage(
            "shell", "-c", "from tests.ops.cluster_world import build_and_print; build_and_print()"
        )
        world = parse(built.stdout)
        # B in one process: a cache in a process's memory would answer all of B's requests.
        a = platform.start("web", "web-a")
        b = platform.start("web", "web-b", WEB_CONCURRENCY="1")
        assert a.port != b.port
        for name in ("worker-1", "worker-2"):
            platform.start("worker", name)
        for name in ("scheduler-1", "scheduler-2"):
            platform.start("scheduler", name)
        yield Cluster(platform, world, a, b, http.api_token(a.url, world["applicant"]))


def eventually(check: Callable[[], object], what: str, deadline: float = DEADLINE):
    """Polls `check` until it answers something true; fails after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > end:
            pytest.fail(f"not within {deadline} s: {what}")
        time.sleep(0.5)


def settle(passes: int = 3) -> None:
    """Leaves every scheduler `passes` passes more, in which a duplicate would appear."""
    time.sleep(passes * SCHEDULER_INTERVAL + 1)


# --- 1. Sessions ---------------------------------------------------------------------------


def test_cluster_a_login_made_on_node_a_is_valid_on_node_b(cluster):
    """Issue 23 §2: « a login made on node A is valid on node B » — the session is in the
    database, not in a node's memory; and a logout on B ends it on A too."""
    on_a = http.page_login(cluster.a.url, cluster.world["applicant"])
    on_b = requests.Session()
    on_b.cookies.update(on_a.cookies)

    profile = on_b.get(cluster.b.url + http.PROFILE_PATH, allow_redirects=False, timeout=60)
    assert profile.status_code == 200, profile.status_code
    assert cluster.world["applicant"] in profile.text
    anonymous = requests.get(cluster.b.url + http.PROFILE_PATH, allow_redirects=False, timeout=60)
    assert anonymous.status_code == 302 and http.LOGIN_PATH in anonymous.headers["Location"]

    logout_page = on_b.get(cluster.b.url + "/compte/deconnexion/", timeout=60)
    logout = on_b.post(
        cluster.b.url + "/compte/deconnexion/",
        data={"csrfmiddlewaretoken": http.csrf_token(logout_page.text)},
        headers={"Referer": cluster.b.url + "/compte/deconnexion/"},
        allow_redirects=False,
        timeout=60,
    )
    assert logout.status_code == 302, logout.status_code
    after = on_a.get(cluster.a.url + http.PROFILE_PATH, allow_redirects=False, timeout=60)
    assert after.status_code == 302, "the session ended on B is still open on A"


# --- 2. Files ------------------------------------------------------------------------------


def first_document(api: requests.Session, node: Process, application: int) -> str:
    """The first document the admissibility form offers (it takes several files)."""
    documents = api.get(f"{node.url}/api/v1/applications/{application}/documents/", timeout=60)
    return documents.json()[0]["item"]


def test_cluster_a_file_uploaded_through_a_downloads_through_b_with_the_same_sha256(cluster):
    """Issue 23 §2: « a file uploaded through A downloads through B with the same SHA-256 » —
    the file is in the shared bucket (over one 8 MiB part: a multipart upload), and B checks
    who asks before it serves it."""
    draft = cluster.world["upload_draft"]
    api = cluster.api()
    item = first_document(api, cluster.a, draft)
    content = http.pdf("envoyé par A", size=9 * 1024 * 1024)
    sha256 = hashlib.sha256(content).hexdigest()

    sent = http.upload(api, cluster.a.url, draft, item, content)
    assert sent.status_code == 201, sent.text
    stored = sent.json()[0]
    assert stored["sha256"] == sha256 and stored["size"] == len(content)

    listed = api.get(f"{cluster.b.url}/api/v1/applications/{draft}/documents/", timeout=60)
    files = {f["id"]: f for d in listed.json() for f in d["files"]}
    assert files[stored["id"]]["sha256"] == sha256
    assert http.download_sha256(api, cluster.b.url, draft, stored["id"]) == sha256
    anonymous = requests.get(
        f"{cluster.b.url}/api/v1/applications/{draft}/files/{stored['id']}", timeout=60
    )
    assert anonymous.status_code in (401, 403) and sha256 not in anonymous.text


# --- 3. What B shows after A acts ------------------------------------------------------------


def test_cluster_a_transition_fired_on_a_is_what_b_shows_at_once(cluster):
    """Issue 23 §2: « a transition fired on A is what B shows at once (no per-process cache
    serves an old page: the register's page cache and any other cache are shared or keyed on
    shared state) ». An application submitted through A is submitted on B's API and page; a
    certificate suspended through A is suspended in B's register page and in its export, whose
    file B had written in the shared storage just before (named after the register's ETag, read
    from the database), and lifted through B it is valid again in A's."""
    application = cluster.world["ready_drafts"][0]
    api = cluster.api()
    detail = f"/api/v1/applications/{application}/"
    assert api.get(cluster.b.url + detail, timeout=60).json()["status"] == "draft"

    submitted = api.post(f"{cluster.a.url}/api/v1/applications/{application}/submit", timeout=60)
    assert submitted.status_code == 200, submitted.text
    assert api.get(cluster.b.url + detail, timeout=60).json()["status"] == "submitted"
    browser = http.page_login(cluster.a.url, cluster.world["applicant"])
    page = browser.get(f"{cluster.b.url}/candidatures/{application}/", timeout=60)
    assert page.status_code == 200
    assert "Recevabilité en cours d'examen" in html.unescape(page.text)

    number = cluster.world["certificate"]

    def register_on(node: Process) -> tuple[str, str, str]:
        """The certificate's state in the node's export, the export's ETag, and the state the
        node's register page shows in the certificate's row."""
        export = requests.get(node.url + "/register.json", timeout=60)
        assert export.status_code == 200, export.status_code
        (row,) = [r for r in export.json() if r["number"] == number]
        page = html.unescape(requests.get(node.url + "/registre/", timeout=60).text)
        shown = re.search(
            rf">{re.escape(number)}</a>.*?fr-badge--\w+\">([^<]+)</p>", page, re.DOTALL
        )
        assert shown, f"{number} not in the register's page"
        return row["status"], export.headers["ETag"], shown.group(1)

    status, etag_before, shown = register_on(cluster.b)  # B writes this version's file
    assert (status, shown) == ("valid", "Valide")
    staff = cluster.api(http.api_token(cluster.a.url, cluster.world["instructor"], staff=True))
    suspended = staff.post(
        f"{cluster.a.url}/api/v1/certificates/{number}/transitions/suspend",
        json={"reason": "Faille de sécurité signalée par l'ANSSI."},
        timeout=60,
    )
    assert suspended.status_code == 200, suspended.text
    status, etag_after, shown = register_on(cluster.b)
    assert (status, shown) == ("suspended", "Suspendu") and etag_after != etag_before
    stale = requests.get(
        cluster.b.url + "/register.json", headers={"If-None-Match": etag_before}, timeout=60
    )
    assert stale.status_code == 200, "B said its old copy of the register was current"

    lifted = staff.post(
        f"{cluster.b.url}/api/v1/certificates/{number}/transitions/reinstate",
        json={"reason": "Correctif déployé et vérifié."},
        timeout=60,
    )
    assert lifted.status_code == 200, lifted.text
    status, _etag, shown = register_on(cluster.a)
    assert (status, shown) == ("valid", "Valide")


# --- 4. Schedulers and workers -----------------------------------------------------------------


def periodic_tasks(cluster) -> list[str]:
    """The registered periodic tasks, as the operators list them."""
    listed = cluster.platform.manage("run_periodic", "--list").stdout
    return sorted(line.split(" — ")[0] for line in listed.splitlines() if " — " in line)


def enqueued(cluster, paths: list[str]) -> collections.Counter:
    rows = cluster.sql(
        f"SELECT task_path FROM {TASK_RESULTS} WHERE task_path = ANY(%s)",  # noqa: S608
        paths,
    )
    return collections.Counter(path for (path,) in rows)


def scheduler_logs(cluster) -> collections.Counter:
    """How many times the schedulers' logs say they enqueued each task, both added up."""
    said = collections.Counter()
    for name in ("scheduler-1", "scheduler-2"):
        for line in cluster.platform.processes[name].log.read_text().splitlines():
            if line.startswith("Mise en file : ") and line.endswith(")"):
                said[line.rsplit("(", 1)[1][:-1]] += 1
    return said


def finished(cluster, path_condition: str, params) -> list[tuple]:
    """(status, worker ids) of the results, once none of them waits or runs any more."""

    def done():
        rows = cluster.sql(
            f"SELECT status, worker_ids FROM {TASK_RESULTS} WHERE {path_condition}",  # noqa: S608
            *params,
        )
        return rows if all(s not in ("READY", "RUNNING") for s, _w in rows) else None

    return eventually(done, "the workers finish the queued tasks")


def test_cluster_each_periodic_task_runs_once_per_period_across_two_schedulers(cluster):
    """Issue 23 §2: « each periodic task (sweeps, checkpoints, renewals) runs once per period
    across the two schedulers » — each task's row in `PeriodicRun` is locked with SKIP LOCKED
    by the scheduler that enqueues it (guichet/common/periodic.py). Two periods: the one the
    schedulers found at their start, and the next, once every task's last run is moved a week
    back (the longest period), as if a week had passed."""
    for name in ("scheduler-1", "scheduler-2"):
        assert cluster.platform.processes[name].alive(), name
    paths = periodic_tasks(cluster)
    # The issue's « sweeps, checkpoints, renewals » (the certificates' sweep renews) among them.
    assert {
        "guichet.instruction.tasks.sweep_deadlines",
        "guichet.certificates.sweep.sweep_certificates",
        "guichet.journal.tasks.checkpoint_journal",
    } <= set(paths)

    eventually(lambda: set(enqueued(cluster, paths)) == set(paths), "a first period enqueued")
    settle()
    assert enqueued(cluster, paths) == {path: 1 for path in paths}

    cluster.sql(
        "UPDATE common_periodicrun SET last_enqueued_at = last_enqueued_at - interval '8 days'"
    )
    eventually(lambda: all(n >= 2 for n in enqueued(cluster, paths).values()), "a second period")
    settle()
    assert enqueued(cluster, paths) == {path: 2 for path in paths}
    # Each enqueuing said by the one scheduler that made it.
    assert scheduler_logs(cluster) == {path: 2 for path in paths}
    results = finished(cluster, "task_path = ANY(%s)", [paths])
    assert len(results) == 2 * len(paths)
    assert all(len(workers) == 1 for _status, workers in results), results
    assert {status for status, _w in results} == {"SUCCESSFUL"}, results


def test_cluster_each_queued_task_runs_exactly_once_across_two_workers(cluster):
    """Issue 23 §2: « each queued task runs exactly once across the two workers » — 20 tasks
    queued at once (tests/ops/tasks.py, each writing its id and its worker's process id), each
    run once, by one worker, and both workers took part."""
    runs = cluster.platform.var / "recorded-runs.txt"
    cluster.platform.manage(
        "shell",
        "-c",
        "from django.db import transaction\n"
        "from tests.ops.tasks import record_run\n"
        "with transaction.atomic():\n"
        f"    for i in range({RECORDED_RUNS}):\n"
        f"        record_run.enqueue(f'run-{{i}}', {str(runs)!r}, 0.5)\n",
    )
    results = finished(cluster, "task_path = %s", ["tests.ops.tasks.record_run"])
    assert len(results) == RECORDED_RUNS
    assert {status for status, _w in results} == {"SUCCESSFUL"}, results
    assert all(len(workers) == 1 for _status, workers in results), results
    lines = [line.split() for line in runs.read_text().splitlines()]
    assert collections.Counter(run for run, _pid in lines) == {
        f"run-{i}": 1 for i in range(RECORDED_RUNS)
    }
    assert len({pid for _run, pid in lines}) == 2, "one worker did everything"
    assert len({w for _s, workers in results for w in workers}) == 2


# --- 5. A node stopped while it serves -----------------------------------------------------------


@dataclass
class Sent:
    node: str
    kind: str  # "upload" | "submit" | "read"
    target: int
    sha256: str = ""
    status: int | None = None
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def send(call: Callable[[], requests.Response], sent: Sent) -> Sent:
    try:
        sent.status = call().status_code
    except requests.RequestException as exc:
        sent.error = type(exc).__name__
    return sent


def test_cluster_sigterm_on_node_a_while_requests_run(cluster):
    """Issue 23 §2: « stopping node A (SIGTERM) while requests run: B answers them all;
    in-flight requests on A finish or fail cleanly, never half done ». Two slow uploads are in
    A's two workers when A gets SIGTERM (the host's stop, to the whole process group), more
    uploads and submissions wait for A; B gets uploads and reads meanwhile. Then, through B and
    the database: each request A answered has its whole effect (the file listed with its
    SHA-256 and downloadable, the application submitted with its transition log row and its
    journal entry), each request A did not answer has none; B answered everything;
    `verify_journal` and `verify_files` pass."""
    draft, api = cluster.world["upload_draft"], cluster.api()
    applications = cluster.world["ready_drafts"][1:]
    item = first_document(api, cluster.b, draft)
    files_url = f"/api/v1/applications/{draft}/documents/{item}/files"

    def slow_upload(node: Process, tag: str) -> tuple[Sent, Callable, threading.Event]:
        content = http.pdf(tag, size=2 * 1024 * 1024)
        body = http.SlowMultipart(f"{tag}.pdf", content, slices=10, pause=0.25)
        sent = Sent(node.name, "upload", draft, hashlib.sha256(content).hexdigest())
        headers = {"Content-Type": body.content_type}

        def call():
            return api.post(node.url + files_url, data=body, headers=headers, timeout=60)

        return sent, call, body.started

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=24)
    futures = []
    # In A's two workers first, still arriving when A is told to stop.
    in_flight = [slow_upload(cluster.a, f"A en cours {i}") for i in range(2)]
    for sent, call, _started in in_flight:
        futures.append(pool.submit(send, call, sent))
    for _sent, _call, started in in_flight:
        assert started.wait(30), "the upload did not start"
    # Waiting for A behind them, and B's share.
    for i in range(2):
        sent, call, _ = slow_upload(cluster.a, f"A en attente {i}")
        futures.append(pool.submit(send, call, sent))
    for application in applications:
        sent = Sent("web-a", "submit", application)
        url = f"{cluster.a.url}/api/v1/applications/{application}/submit"
        futures.append(pool.submit(send, lambda url=url: api.post(url, timeout=60), sent))
    for i in range(3):
        sent, call, _ = slow_upload(cluster.b, f"B {i}")
        futures.append(pool.submit(send, call, sent))
    for application in [*applications, draft] * 2:
        sent = Sent("web-b", "read", application)
        url = f"{cluster.b.url}/api/v1/applications/{application}/"
        futures.append(pool.submit(send, lambda url=url: api.get(url, timeout=60), sent))

    cluster.a.signal(signal.SIGTERM)
    assert cluster.a.popen.wait(timeout=60) == 0, cluster.a.log.read_text()[-3000:]
    outcomes = [future.result(timeout=120) for future in futures]
    pool.shutdown()

    on_a = [o for o in outcomes if o.node == "web-a"]
    on_b = [o for o in outcomes if o.node == "web-b"]
    assert all(o.succeeded for o in on_b), [o for o in on_b if not o.succeeded]
    finished_in_flight = [o for o in on_a[:2] if o.succeeded]
    assert finished_in_flight == on_a[:2], f"in-flight uploads cut: {on_a[:2]}"
    for o in on_a:  # a refusal (4xx) would be neither done nor cut: not expected here
        assert o.succeeded or o.status is None or o.status >= 500, o

    listed = api.get(f"{cluster.b.url}/api/v1/applications/{draft}/documents/", timeout=60)
    kept = {f["sha256"]: f for d in listed.json() for f in d["files"]}
    for o in [o for o in outcomes if o.kind == "upload"]:
        if o.succeeded:
            assert o.sha256 in kept, f"answered 201 but not kept: {o}"
            file_id = kept[o.sha256]["id"]
            assert http.download_sha256(api, cluster.b.url, draft, file_id) == o.sha256
        else:
            assert o.sha256 not in kept, f"half done: failed but kept: {o}"

    for o in [o for o in outcomes if o.kind == "submit"]:
        status = api.get(f"{cluster.b.url}/api/v1/applications/{o.target}/", timeout=60).json()[
            "status"
        ]
        logged = cluster.sql(
            "SELECT count(*) FROM applications_applicationtransition "
            "WHERE application_id = %s AND name = 'submit'",
            o.target,
        )[0][0]
        journaled = cluster.sql(
            "SELECT count(*) FROM journal_journalentry "
            "WHERE application_id = %s AND action = 'application.submit'",
            str(o.target),
        )[0][0]
        expected = (1, 1) if o.succeeded else (0, 0)
        assert (status == "submitted", logged, journaled) == (o.succeeded, *expected), o

    cluster.platform.manage("verify_journal")
    cluster.platform.manage("verify_files")
    # How the stop fell, for whoever runs it with -s.
    print("web-a:", collections.Counter(str(o.status or o.error) for o in on_a))
    print("web-b:", collections.Counter(str(o.status or o.error) for o in on_b))
    cluster.a = cluster.platform.restart("web-a")
