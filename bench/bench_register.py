"""Bench: the public register (issue 13 §4, R-PUB-1).

1. The register's JSON API page (`/api/v1/register/`, 50 rows) at 10,000 certificates, and the
   whole register as CSV (`/register.csv`) at 100,000, each against a bare Django view that
   returns the same bytes, rendered beforehand and held in memory (the floor), both served over
   HTTP by one gunicorn sync worker (`_register_server.py`, `_register_urls.py`); best of N, a new connection per
   request. Throughput ratio; goal ≥ 0.5× the floor. The CSV is timed as its clients get it
   (its file written by an earlier download of the same version of the register); the first
   download after a change, which writes the file while it streams, is printed beside.
2. The CSV export's peak memory at 10,000 then 100,000 certificates: the worker's VmHWM
   (reset through /proc/<pid>/clear_refs) during a download that writes its file while it
   streams. Goal « flat »: the peak at 100,000 less than 20 % above the peak at 10,000.
3. The page and the API page read the same number of SQL queries at both sizes.

The certificates are written in bulk (a bench, not a test: issuing 100,000 through the collège
would take hours): one application row each (raw INSERT), then `bulk_create` of the
certificates, whose state starts as « valid »; a share of them are written directly as
withdrawn, suspended or expired (see `STATES`), which only a bench may do."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import _setup  # noqa: E402,F401,I001  (must come before anything Django)
from _processes import free_port, status_kib, worker_pid  # noqa: E402

from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
)
from django.utils import timezone  # noqa: E402

SIZES = (10_000, 100_000)
RUNS = {"api": 30, "csv": 10, "csv first": 3}
GOAL_RATIO = 0.5
GOAL_GROWTH = 0.20
COMPANIES = 200
CHUNK = 5000
# Of every 100 certificates: written directly in these states (the others stay valid).
STATES = {"withdrawn": 4, "suspended": 2, "expired": 6}
GROUNDS = ["fraud", "fault_not_conforme", "holder_termination"]


def cast() -> dict:
    from guichet.accounts.models import Organisation
    from guichet.applications.models import Product
    from guichet.referentials.models import Pathway, ReferentialVersion

    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"Éditeur {i:03d}", siren=f"{100000000 + i * 7:09d}")
        for i in range(COMPANIES)
    )
    products = Product.objects.bulk_create(
        Product(organisation=organisation, name=f"Produit de {organisation.name}")
        for organisation in organisations
    )
    return {
        "organisations": organisations,
        "products": products,
        "versions": {
            code: ReferentialVersion.objects.filter(referential__code=code).order_by("-id").first()
            for code in ("DMN", "TLC")
        },
        "pathways": {
            code: Pathway.objects.filter(referential__code=code).order_by("position").first()
            for code in ("DMN", "TLC")
        },
    }


def grow(total: int, people: dict) -> None:
    """Certificates up to `total`, each with its application, issued over the last 6 years."""
    from guichet.certificates.models import Certificate

    start = Certificate.objects.count()
    today = timezone.localdate()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM applications_application")
        first_application = cursor.fetchone()[0] + 1
    for begin in range(start, total, CHUNK):
        applications, certificates = [], []
        for i in range(begin, min(begin + CHUNK, total)):
            application_id = first_application + i - start
            code = "TLC" if i % 10 < 3 else "DMN"
            organisation = people["organisations"][i % COMPANIES]
            product = people["products"][i % COMPANIES]
            issued_on = today - dt.timedelta(days=(total - i) * 2190 // total)
            version = f"{i // COMPANIES + 1}.0"  # one application per product and version
            applications.append(
                (
                    application_id,
                    f"REG-{application_id:07d}",
                    organisation.pk,
                    product.pk,
                    version,
                    people["versions"][code].pk,
                    people["pathways"][code].pk,
                    "granted",
                    now,
                    now,
                    now,
                )
            )
            year = issued_on.year
            certificate = Certificate(
                number=f"CC-{code}-{year}-{i + 1:06d}",
                referential_code=code,
                year=year,
                sequence=i + 1,
                application_id=application_id,
                organisation=organisation,
                referential_version=people["versions"][code],
                company_name=organisation.name,
                company_id=organisation.siren,
                operator_contact="contact@exemple.fr",
                product_name=product.name,
                product_version=version,
                modules=[{"name": "Web", "version": "1.0"}, {"name": "Mobile", "version": "2.1"}],
                profiles=[{"code": "general", "label": "Général"}],
                issued_on=issued_on,
                term_start=issued_on,
                valid_until=issued_on + dt.timedelta(days=5 * 365),
                status_changed_on=issued_on,
            )
            # A bench only: the state is written directly (bulk_create skips the model's save,
            # which refuses a state outside the workflow), to have withdrawn, suspended and
            # expired certificates among the 100,000 without firing their transitions.
            share = i % 100
            if share < STATES["withdrawn"]:
                certificate.status = "withdrawn"
                certificate.withdrawal_ground = GROUNDS[i % len(GROUNDS)]
                certificate.status_reason = "Retrait notifié par l'agence."
            elif share < STATES["withdrawn"] + STATES["suspended"]:
                certificate.status = "suspended"
                certificate.status_reason = "Non-conformité constatée lors d'un contrôle."
            elif share < sum(STATES.values()):
                certificate.status = "expired"
            certificates.append(certificate)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO applications_application (id, reference, organisation_id, "
                    "product_id, product_version, referential_version_id, pathway_id, status, "
                    "form, answers, profiles, is_group, group_members, created_at, updated_at, "
                    "review_round, decision_reasons, evidence_complete_at) VALUES (%s, %s, %s, "
                    "%s, %s, %s, %s, %s, '{}', '{}', '[]', false, '[]', %s, %s, 0, '', %s)",
                    applications,
                )
            Certificate.objects.bulk_create(certificates, batch_size=1000)


def fetch(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def queries(client: Client, url: str) -> int:
    fetch(client, url)
    with CaptureQueriesContext(connection) as captured:
        fetch(client, url)
    return len(captured)


def forget_exports() -> None:
    """The register's export files removed: the next download writes its file again, as the
    first download after a change of the register does."""
    from guichet.certificates.register import export_dir, export_storage

    storage, folder = export_storage(), export_dir()
    for name in storage.listdir(folder)[1]:
        storage.delete(f"{folder}/{name}" if folder else name)


class Server:
    """One gunicorn sync worker serving the bench's database, with the bare views."""

    def __init__(self, bare_dir: Path):
        self.port = free_port()
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="_register_server",
            BENCH_BARE_DIR=str(bare_dir),
            PYTHONPATH=os.pathsep.join([str(BENCH_DIR.parent), str(BENCH_DIR)]),
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "guichet.wsgi",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                "1",
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        self.worker = worker_pid(self.process.pid)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

    def get(self, url: str) -> bytes:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        conn.request("GET", url)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status == 200, (url, response.status, body[:200])
        return body

    def best(self, url: str, runs: int, *, before=None) -> float:
        self.get(url)  # the first request of the worker reads a few things once
        fastest = float("inf")
        for _ in range(runs):
            if before is not None:
                before()
            started = time.perf_counter()
            self.get(url)
            fastest = min(fastest, time.perf_counter() - started)
        return fastest

    def export_peak(self, url: str) -> tuple[int, int, int]:
        """The worker's RSS (KiB) before a download whose file is written while it streams
        (the costlier way), its peak during it, and the bytes sent; a first such download
        loads what the export needs, so that the second one measures the export itself."""
        forget_exports()
        self.get(url)
        forget_exports()
        Path(f"/proc/{self.worker}/clear_refs").write_text("5")  # resets VmHWM to VmRSS
        before = status_kib(self.worker, "VmRSS")
        size = len(self.get(url))
        return before, status_kib(self.worker, "VmHWM"), size

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def against_floor(server: Server, name: str, url: str, runs: int, size: int) -> None:
    content = server.get(url)
    floor = server.best(f"/bare/{name}/", runs)
    real = server.best(url, runs)
    ratio = floor / real
    print(
        f"GET {url} at {size:,} certificates ({len(content) / 1e6:.2f} MB): {real * 1000:.1f} ms;"
        f" bare view, same bytes: {floor * 1000:.1f} ms (best of {runs}, over HTTP)"
    )
    if name == "csv":
        # For information: the first download after a change writes the file while it streams.
        first = server.best(url, RUNS["csv first"], before=forget_exports)
        print(
            f"  the first download after a change of the register (its file written while it "
            f"streams): {first * 1000:.0f} ms (best of {RUNS['csv first']}), {len(content) / first / 1e6:.1f} MB/s "
            f"({floor / first:.2f}× floor)"
        )
    _setup.goal(
        f"GET {url} at {size:,} certificates",
        f"{len(content) / real / 1e6:.1f} MB/s ({ratio:.2f}× floor)",
        f"≥ {GOAL_RATIO}× floor",
        ratio >= GOAL_RATIO,
    )


def main() -> None:
    setup_test_environment()
    # One connection for the whole run, so that the queries are counted (see bench_dashboard).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    people = cast()
    client = Client()
    bare_dir = Path(os.environ["GUICHET_VAR_DIR"]) / "bare"
    bare_dir.mkdir()
    memory, counts = {}, {}
    for size in SIZES:
        started = time.perf_counter()
        grow(size, people)
        print(f"{size:,} certificates written in {time.perf_counter() - started:.1f} s")
        counts[size] = (queries(client, "/registre/"), queries(client, "/api/v1/register/"))
        # The floor's bytes: the same answers, rendered beforehand.
        (bare_dir / "api").write_bytes(fetch(client, "/api/v1/register/"))
        (bare_dir / "csv").write_bytes(fetch(client, "/register.csv"))
        connection.close()  # the server reads the same SQLite file
        server = Server(bare_dir)
        try:
            # A fresh worker: the floor's bytes are not held in memory yet.
            memory[size] = server.export_peak("/register.csv")
            if size == SIZES[0]:
                against_floor(server, "api", "/api/v1/register/", RUNS["api"], size)
            if size == SIZES[-1]:
                against_floor(server, "csv", "/register.csv", RUNS["csv"], size)
        finally:
            server.stop()
    (small_page, small_api), (large_page, large_api) = counts[SIZES[0]], counts[SIZES[-1]]
    print(
        f"SQL queries: page /registre/ {small_page} → {large_page}, "
        f"API page {small_api} → {large_api} ({SIZES[0]:,} → {SIZES[-1]:,} certificates)"
    )
    _setup.goal(
        f"register page and API queries at {SIZES[0]:,} and {SIZES[-1]:,}",
        f"{small_page} → {large_page} and {small_api} → {large_api} queries",
        "same number of queries",
        (small_page, small_api) == (large_page, large_api),
    )
    for size, (before, peak, content) in memory.items():
        print(
            f"register.csv at {size:,} certificates ({content / 1e6:.1f} MB, its file written "
            f"while it streams): the worker's peak RSS {peak / 1024:.1f} MiB "
            f"({before / 1024:.1f} MiB before, +{(peak - before) / 1024:.1f} MiB)"
        )
    small, large = memory[SIZES[0]][1], memory[SIZES[-1]][1]
    growth = large / small - 1
    _setup.goal(
        f"register.csv peak RSS {SIZES[0]:,} → {SIZES[-1]:,}",
        f"{small / 1024:.1f} → {large / 1024:.1f} MiB ({growth:+.0%})",
        f"flat (< {GOAL_GROWTH:.0%} growth)",
        growth < GOAL_GROWTH,
    )


if __name__ == "__main__":
    main()
