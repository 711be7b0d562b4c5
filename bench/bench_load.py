"""Bench: load at realistic volume (issue 24 §1).

On PostgreSQL (a fresh database beside the one DATABASE_URL names, dropped at the end; with any
other DATABASE_URL the bench says so and writes nothing): the demo's coherent dossiers
(`load_demo`, whose users it signs in as), then the volume in bulk (`_load_data.py`: 1,000
organisations, 10,000 applications in every state, 100,000 stored files, 10,000 certificates with
their revisions, a year of journal). Then gunicorn as in production (GUICHET_ENV=production,
DEBUG off, WhiteNoise over `collectstatic`, WEB_CONCURRENCY sync workers, loopback only) is
driven by a threaded client at increasing concurrency, family by family; the public rate limits
stay on (each simulated visitor has its own X-Forwarded-For address, TRUSTED_PROXY_COUNT=1).

Why a threaded http.client and not locust: one process, nothing to install, no gevent beside the
server on a 2-core machine, and the same code signs in through the real pages (CSRF, TOTP).
Each request opens its connection (gunicorn's sync workers close it after each answer).

Bounded: LEVELS × families × SECONDS, then the single-endpoint runs of the goals; the server is
stopped and the database dropped whatever happens. BENCH_LOAD_SECONDS and BENCH_LOAD_LEVELS
change the durations and levels; BENCH_LOAD_DASHBOARD the dossiers the dashboard is timed at."""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(ROOT), str(BENCH_DIR)]

LEVELS = [int(n) for n in os.environ.get("BENCH_LOAD_LEVELS", "1,5,10,20,40").split(",")]
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "4"))
GOAL_SECONDS = float(os.environ.get("BENCH_LOAD_GOAL_SECONDS", "5"))
GOAL_USERS = int(os.environ.get("BENCH_LOAD_GOAL_USERS", "4"))
DASHBOARD_DOSSIERS = int(os.environ.get("BENCH_LOAD_DASHBOARD", "100000"))
WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", "4"))
UPLOAD_BYTES = 1024 * 1024
TIMEOUT = 60


def goal(name: str, measured: str, target: str, ok: bool) -> None:
    """As `_setup.goal` (not imported: `_setup` sets up a SQLite database)."""
    print(f"GOAL | {name} | {measured} | {target} | {'OK' if ok else 'ABOVE GOAL'}", flush=True)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return f"{os.cpu_count()} cores, {model}, {mem_kib / 1024**2:.0f} GiB RAM"


# --- the database -------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(url: str):
    """A fresh database beside the one `url` names (DATABASE_URL), dropped at the end."""
    from tests.ops.platform import postgres_database

    with postgres_database(prefix="guichet_load") as database_url:
        yield database_url


def environment(database_url: str, var: Path) -> dict[str, str]:
    """What the server and this process share; the server adds GUICHET_ENV=production."""
    from guichet.signing.keys import generate_local_keys

    p12, password = generate_local_keys(var / "keys")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH_DIR)]),
        "DATABASE_URL": database_url,
        "GUICHET_VAR_DIR": str(var),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "GUICHET_JOURNAL_KEY": secrets.token_urlsafe(32),
        "GUICHET_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "GUICHET_SIGNING_P12": str(p12),
        "GUICHET_SIGNING_P12_PASSWORD": password.decode(),
        "GUICHET_STORAGE": "disk",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUICHET_BASE_URL": "https://127.0.0.1",
        "TRUSTED_PROXY_COUNT": "1",
        "WEB_CONCURRENCY": str(WORKERS),
        "LOG_LEVEL": "WARNING",
        "GUICHET_REQUEST_LOG_LEVEL": "WARNING",
        "TASKS_LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def build_data(var: Path) -> dict:
    """The demo, then the volume; returns what the client needs."""
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Writing only: the server's connections keep PostgreSQL's default.
        cursor.execute("SET synchronous_commit TO off")
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("load_demo", stdout=quiet)
    print(f"migrated, demo loaded: {time.perf_counter() - started:.0f} s", flush=True)

    import _load_data as data
    from rest_framework.authtoken.models import Token

    from guichet.accounts.models import Role, User
    from guichet.accounts.terms import accept_terms, current_terms
    from guichet.applications.models import Application, Status
    from guichet.certificates.models import Certificate, CertificateRevision
    from guichet.certificates.pdf import produce_revision_pdf
    from guichet.common.errors import ApplicationError
    from guichet.demo.accounts import demo_password, demo_totp_secret
    from guichet.evidence.models import EvidenceFile
    from guichet.evidence.services import upload_target
    from guichet.instruction.clockstate import sweep
    from guichet.referentials.selectors import version_index

    step = time.perf_counter()
    for revision in CertificateRevision.objects.order_by("id"):
        produce_revision_pdf(revision.pk)
    sealed = CertificateRevision.objects.exclude(pdf=None).order_by("id").first()
    print(f"the demo's certificate PDFs sealed: {time.perf_counter() - step:.0f} s", flush=True)

    instructor = User.objects.get(email="instructeur@guichet.local")
    accept_terms(user=instructor, terms=current_terms())  # as at the first visit
    timings = {}
    step = time.perf_counter()
    casts = data.organisations(instructor)
    ids = data.applications(casts)
    timings["organisations and applications"] = time.perf_counter() - step
    step = time.perf_counter()
    data.stored_files(ids, var / "files", instructor.pk)
    timings["stored files"] = time.perf_counter() - step
    step = time.perf_counter()
    data.certificates(casts, sealed.pdf_id, sealed.pdf_sha256, instructor.pk)
    timings["certificates"] = time.perf_counter() - step
    step = time.perf_counter()
    data.journal_year(instructor.pk)
    timings["journal"] = time.perf_counter() - step
    step = time.perf_counter()
    sweep()
    timings["clocks swept"] = time.perf_counter() - step
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        "volume written: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
        + f"; {Application.objects.count():,} applications, "
        f"{Certificate.objects.count():,} certificates",
        flush=True,
    )

    # The applicant: the Responsable habilité of the demo's dossier whose evidence is open
    # (TLC, admissible: no convention first), with a proof open for an upload.
    evidence, proof = None, None
    for candidate in Application.objects.filter(status=Status.ADMISSIBLE).order_by("id"):
        owner = User.objects.get(organisation=candidate.organisation, role=Role.APPLICANT_ADMIN)
        for proof_id in version_index(candidate.referential_version).requirement_of_proof:
            try:
                upload_target(by=owner, application=candidate, proof_id=proof_id)
            except ApplicationError:
                continue
            evidence, proof, applicant = candidate, proof_id, owner
            break
        if evidence is not None:
            break
    if evidence is None:
        raise RuntimeError("no demo dossier open for an upload")
    accept_terms(user=applicant, terms=current_terms())
    mine = (
        Application.objects.filter(organisation=applicant.organisation)
        .exclude(status__in=[Status.DRAFT, Status.ADMISSIBLE])
        .order_by("-id")
        .first()
    )
    in_instruction = (
        Application.objects.filter(status=Status.IN_INSTRUCTION, organisation__isnull=False)
        .filter(reference__startswith="DMN")
        .order_by("id")
        .first()
    )
    verdict = (
        EvidenceFile.objects.filter(application=in_instruction, replaced_at=None)
        .order_by("id")
        .values_list("proof_id", flat=True)
        .first()
    )
    numbers = list(
        Certificate.objects.filter(number__regex=r"-\d{6}$").values_list("number", flat=True)
    )
    return {
        "password": demo_password(),
        "totp": demo_totp_secret(),
        "token": Token.objects.create(user=applicant).key,
        "applicant": applicant.email,
        "instructor": instructor.email,
        "evidence_application": evidence.pk,
        "proof": proof,
        "instruction_application": in_instruction.pk,
        "applicant_application": (mine or evidence).pk,
        "verdict_proof": verdict,
        "numbers": numbers,
    }


def grow_for_dashboard(total: int) -> float:
    """Open and decided dossiers up to `total` (as bench_dashboard.py), swept; the seconds taken."""
    from _open_dossiers import build, build_decided
    from django.db import connection

    from guichet.accounts.models import Organisation, User
    from guichet.applications.models import Application, Product
    from guichet.instruction.clockstate import sweep

    started = time.perf_counter()
    missing = total - Application.objects.count()
    if missing <= 0:
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    organisation = Organisation.objects.create(name="Banc du tableau de bord", siren="999999990")
    people = {
        "organisation": organisation,
        "instructor": User.objects.get(email="instructeur@guichet.local"),
        "product": Product.objects.create(organisation=organisation, name="Produit du banc"),
    }
    decided = round(missing * 0.3)
    build(missing - decided, people=people)
    build_decided(decided, people=people)
    sweep()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


# --- the server ---------------------------------------------------------------------------


class Server:
    def __init__(self, env: dict[str, str], var: Path):
        from _processes import free_port

        self.port = free_port()
        self.env = {**env, "GUICHET_ENV": "production", "DEBUG": "false", "PORT": str(self.port)}
        done = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode:
            raise RuntimeError(f"collectstatic: {done.stderr[-2000:]}")
        self.log = open(var / "gunicorn.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "guichet.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(WORKERS),
                "--timeout",
                "120",
                "--backlog",
                "2048",
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "gunicorn stopped: " + (var / "gunicorn.log").read_text()[-2000:]
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn does not listen")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self.log.close()


# --- the client ---------------------------------------------------------------------------

_addresses = iter(range(1, 10**9))
_address_lock = threading.Lock()


def new_address() -> str:
    """A distinct client address (10.x.y.z): the proxy's X-Forwarded-For for one visitor."""
    with _address_lock:
        n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes


@dataclass
class Browser:
    """One simulated client: its address and cookies; `fresh_address` gives every request a new
    address (anonymous visitors: one lookup each, far below the limits per address)."""

    port: int
    address: str = field(default_factory=new_address)
    cookies: dict = field(default_factory=dict)
    token: str = ""
    fresh_address: bool = False

    def request(self, method: str, path: str, body: bytes = b"", headers=None) -> Answer:
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            # As the TLS proxy in front of the site says (SECURE_PROXY_SSL_HEADER).
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": new_address() if self.fresh_address else self.address,
            **(headers or {}),
        }
        if method == "POST" and "Origin" not in headers:
            headers["Origin"] = f"https://127.0.0.1:{self.port}"
            headers["Referer"] = headers["Origin"] + path
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, content)

    def form(self, path: str, fields: dict) -> Answer:
        page = self.request("GET", path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if not match:
            raise RuntimeError(f"no CSRF token on {path} ({page.status})")
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": match.group(1).decode(), **fields}
        ).encode()
        origin = f"https://127.0.0.1:{self.port}"
        return self.request(
            "POST",
            path,
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": origin + path,
            },
        )

    def sign_in(self, email: str, password: str, totp_secret: str | None = None) -> None:
        answer = self.form("/compte/connexion/", {"login": email, "password": password})
        location = answer.headers.get("location", "")
        if totp_secret and "double-authentification" in location:
            from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

            if time.time() % 30 > 27:  # the server accepts the current window only
                time.sleep(30 - time.time() % 30 + 0.1)
            code = format_hotp_value(hotp_value(totp_secret, int(time.time()) // 30))
            answer = self.form(urllib.parse.urlsplit(location).path, {"code": code})
            location = answer.headers.get("location", "")
        check = self.request("GET", "/mon-travail/")
        signed_in = check.status == 200 or (
            check.status == 302 and not check.headers.get("location", "").startswith("/compte/")
        )
        if answer.status != 302 or not signed_in:
            raise RuntimeError(
                f"{email} not signed in: {answer.status} → {location!r}, /mon-travail/ "
                f"{check.status} → {check.headers.get('location')!r}"
            )


def multipart(content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="preuve.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@dataclass
class Step:
    """One request a simulated user makes: its name (for the figures) and how."""

    name: str
    method: str
    path: object  # a string, or a callable returning one (a random certificate…)
    body: object = None  # a callable returning (bytes, content type)
    expect: tuple = (200,)
    page: bool = True  # counts for the pages' goals (an upload does not)
    etags: dict | None = None  # path → ETag: sent as If-None-Match

    def run(self, browser: Browser) -> tuple[bool, int]:
        path = self.path() if callable(self.path) else self.path
        headers, body = {}, b""
        if self.etags is not None:
            headers["If-None-Match"] = self.etags[path]
        if self.body is not None:
            body, content_type = self.body()
            headers["Content-Type"] = content_type
        answer = browser.request(self.method, path, body, headers)
        return answer.status in self.expect, answer.status


@dataclass
class Results:
    samples: list = field(default_factory=list)  # (step name, seconds, ok, status)
    seconds: float = 0.0

    def of(self, names=None) -> list:
        return [s for s in self.samples if names is None or s[0] in names]


def drive(users: int, seconds: float, make_browser, steps: list[Step]) -> Results:
    """`users` threads, each its browser, cycling through `steps` until `seconds` have passed."""
    results = Results()
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def user(n: int) -> None:
        browser = make_browser()
        i = n
        local = []
        while time.perf_counter() < stop_at:
            step = steps[i % len(steps)]
            i += 1
            started = time.perf_counter()
            try:
                ok, status = step.run(browser)
            except Exception:  # noqa: BLE001 (an error counted, the user goes on)
                ok, status = False, 0
            local.append((step.name, time.perf_counter() - started, ok, status))
        with lock:
            results.samples += local

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + TIMEOUT + 10)
    results.seconds = time.perf_counter() - started
    return results


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Figures:
    count: int
    errors: int
    rate: float
    p50: float
    p95: float
    p99: float
    statuses: dict

    @classmethod
    def of(cls, samples: list, seconds: float) -> Figures:
        times = [s[1] * 1000 for s in samples]
        statuses: dict = {}
        for s in samples:
            if not s[2]:
                statuses[s[3]] = statuses.get(s[3], 0) + 1
        return cls(
            count=len(samples),
            errors=sum(1 for s in samples if not s[2]),
            rate=len(samples) / seconds if seconds else 0.0,
            p50=percentile(times, 0.50),
            p95=percentile(times, 0.95),
            p99=percentile(times, 0.99),
            statuses=statuses,
        )

    def line(self) -> str:
        errors = f"{self.errors}" + (f" {self.statuses}" if self.statuses else "")
        return (
            f"{self.rate:7.1f} req/s  p50 {self.p50:6.1f}  p95 {self.p95:6.1f}  "
            f"p99 {self.p99:6.1f} ms  errors {errors}"
        )


# --- the run ------------------------------------------------------------------------------


def families(info: dict, floor_path: str) -> dict[str, tuple]:
    import random

    numbers = info["numbers"]
    upload_body = b"%PDF-1.4\n" + os.urandom(UPLOAD_BYTES - 9)

    def number() -> str:
        return random.choice(numbers)

    def upload():
        return multipart(upload_body)

    def verdict():
        # The session's CSRF secret stands for the form's token; one proof judged conforme.
        form = {
            "csrfmiddlewaretoken": SESSIONS["instructor"]["csrftoken"],
            f"verdict-{info['verdict_proof']}": "conforme",
            f"comment-{info['verdict_proof']}": "",
        }
        return urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"

    app, evidence = info["instruction_application"], info["evidence_application"]
    public = [
        Step("home", "GET", "/"),
        Step("register page", "GET", "/registre/"),
        Step("register API", "GET", "/api/v1/register/"),
        Step("verification page", "GET", lambda: f"/certificats/{number()}/"),
        Step("verification API", "GET", lambda: f"/api/v1/certificates/{number()}"),
        Step("register.csv", "GET", "/register.csv"),
        Step("register feed", "GET", "/registre/flux.atom"),
    ]
    applicants = [
        Step("application page", "GET", f"/candidatures/{info['applicant_application']}/"),
        Step("evidence page", "GET", f"/candidatures/{evidence}/preuves/"),
        Step(
            "1 MiB upload",
            "POST",
            f"/api/v1/applications/{evidence}/evidence/{info['proof']}/files",
            body=upload,
            expect=(201,),
            page=False,
        ),
    ]
    instructors = [
        Step("queue", "GET", "/agence/instruction/"),
        Step("instruction page", "GET", f"/candidatures/{app}/instruction/"),
        Step(
            "verdict",
            "POST",
            f"/candidatures/{app}/instruction/avis/",
            body=verdict,
            expect=(302,),
        ),
    ]
    agency = [Step("dashboard", "GET", "/agence/tableau-de-bord/")]
    floor = [Step("static file (floor)", "GET", floor_path)]
    return {
        "floor": (floor, "anonymous"),
        "public": (public, "anonymous"),
        "applicants": (applicants, "applicant"),
        "instructors": (instructors, "instructor"),
        "agency": (agency, "instructor"),
    }


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "bench_load needs PostgreSQL: set DATABASE_URL to a PostgreSQL database (the bench "
            "creates a fresh database beside it and drops it at the end). Nothing was written."
        )
        return 0
    started = time.perf_counter()
    var = Path(tempfile.mkdtemp(prefix="guichet-load-"))
    server = None
    try:
        with fresh_database(url) as database_url:
            env = environment(database_url, var)
            os.environ.update(env)
            os.environ["GUICHET_ENV"] = "development"  # load_demo refuses production
            os.environ["DJANGO_SETTINGS_MODULE"] = "guichet.settings"
            import django

            django.setup()
            info = build_data(var)
            from django.db import connection

            floor_files(var, info)
            connection.close()
            server = Server(env, var)
            print(
                f"gunicorn: {WORKERS} sync workers, production settings, on 127.0.0.1:"
                f"{server.port}; data built in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            run(server.port, info, var)
            step = time.perf_counter()
            grown = grow_for_dashboard(DASHBOARD_DOSSIERS)
            connection.close()
            dashboard_at_scale(server.port, info, grown, time.perf_counter() - step)
            server.stop()
            server = None
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(var, ignore_errors=True)
    print(f"bench_load took {time.perf_counter() - started:.0f} s")
    return 0


SESSIONS: dict[str, dict] = {}


def sessions(port: int, info: dict) -> None:
    applicant = Browser(port)
    applicant.sign_in(info["applicant"], info["password"])
    instructor = Browser(port)
    instructor.sign_in(info["instructor"], info["password"], info["totp"])
    SESSIONS["applicant"] = dict(applicant.cookies)
    SESSIONS["instructor"] = dict(instructor.cookies)


def browser_for(port: int, who: str, info: dict):
    def make() -> Browser:
        if who == "anonymous":
            return Browser(port, fresh_address=True)
        token = info["token"] if who == "applicant" else ""
        return Browser(port, cookies=dict(SESSIONS[who]), token=token)

    return make


FLOORS = {
    # the answer, and the file beside the static files that holds its bytes
    "verification page": ("/certificats/{}/", "verification.html"),
    "verification API": ("/api/v1/certificates/{}", "verification.json"),
    "register API": ("/api/v1/register/", "register-page.json"),
    "register.csv": ("/register.csv", "register.csv"),
    "register.json": ("/register.json", "register.json"),
}


def floor_files(var: Path, info: dict) -> None:
    """Static files holding the same bytes as the public answers (rendered once in this process,
    before the server starts), served by WhiteNoise from STATIC_ROOT: each answer's floor is a
    file of its own size, through the same gunicorn and middleware."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_FOR=new_address())
    folder = var / "static" / "banc"
    folder.mkdir(parents=True, exist_ok=True)
    for path, name in FLOORS.values():
        response = client.get(path.format(info["numbers"][0]), secure=True)
        assert response.status_code == 200, (path, response.status_code)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        (folder / name).write_bytes(content)


def run(port: int, info: dict, var: Path) -> None:
    sessions(port, info)
    floor_path = "/static/banc/" + FLOORS["verification page"][1]
    plan = families(info, floor_path)
    # Warm every worker (imports, first queries).
    for steps, who in plan.values():
        drive(WORKERS, 1.0, browser_for(port, who, info), steps)
    table: dict[str, dict[int, Figures]] = {name: {} for name in plan}
    by_step: dict[str, dict[int, Figures]] = {}
    errors = 0
    for users in LEVELS:
        for name, (steps, who) in plan.items():
            results = drive(users, SECONDS, browser_for(port, who, info), steps)
            table[name][users] = Figures.of(results.samples, results.seconds)
            errors += table[name][users].errors
            for step in steps:
                by_step.setdefault(step.name, {})[users] = Figures.of(
                    results.of({step.name}), results.seconds
                )
            pages = [s.name for s in steps if s.page]
            by_step.setdefault(f"{name} pages", {})[users] = Figures.of(
                results.of(set(pages)), results.seconds
            )
        print(f"  {users} users done", flush=True)
    print(f"\nPer family, {SECONDS:.0f} s per level (ms; req/s of the family's requests):")
    for name, levels in table.items():
        print(f"{name}:")
        for users, figures in levels.items():
            print(f"  {users:3d} users  {figures.line()}")
        above = next((u for u, f in levels.items() if f.p95 > 500), None)
        print(
            "  p95 passes 500 ms at "
            + (f"{above} users" if above else f"none of the levels (up to {LEVELS[-1]} users)")
        )
    print("\nPer request, at each level (p95 ms / req/s):")
    for name, levels in by_step.items():
        cells = "  ".join(f"{u}: {f.p95:.0f}/{f.rate:.0f}" for u, f in levels.items())
        print(f"  {name:22s} {cells}")

    goals(port, info, floor_path, by_step, errors)


def single(port: int, info: dict, step: Step, who: str = "anonymous", users: int = GOAL_USERS):
    results = drive(users, GOAL_SECONDS, browser_for(port, who, info), [step])
    return Figures.of(results.samples, results.seconds)


RESULTS: dict = {}


def goals(port: int, info: dict, floor_path: str, by_step: dict, errors: int) -> None:
    import random

    numbers = info["numbers"]
    print(f"\nSingle-request runs, {GOAL_USERS} users, {GOAL_SECONDS:.0f} s each:")
    for name, (pattern, floor_name) in FLOORS.items():
        ratio_goal, fast = (0.5, True) if name.startswith("verification") else (0.8, False)
        floor = single(port, info, Step(f"{name} floor", "GET", f"/static/banc/{floor_name}"))
        if "{}" in pattern:
            path = lambda pattern=pattern: pattern.format(random.choice(numbers))  # noqa: E731
        else:
            path = pattern
        figures = single(port, info, Step(name, "GET", path))
        errors += figures.errors + floor.errors
        RESULTS[name] = (figures, floor)
        ratio = figures.rate / floor.rate
        size = (Path(os.environ["GUICHET_VAR_DIR"]) / "static" / "banc" / floor_name).stat().st_size
        print(f"  {name:20s} {figures.line()}")
        print(f"  {'  its floor':20s} {floor.line()}  (a static file of {size:,} bytes)")
        measured = f"{figures.rate:.0f} req/s ({ratio:.2f}× floor {floor.rate:.0f} req/s)"
        target = f"≥ {ratio_goal}× floor"
        ok = ratio >= ratio_goal
        if fast:
            measured += f", p95 {figures.p95:.1f} ms"
            target += ", p95 < 20 ms"
            ok = ok and figures.p95 < 20
        goal(f"load: {name} at {GOAL_USERS} users", measured, target, ok)
        if fast:
            errors += kept_and_revalidated(port, info, name, pattern, floor)
    for family in ("applicants", "instructors"):
        figures = by_step[f"{family} pages"].get(20)
        if figures is None:
            continue
        goal(
            f"load: {family}' pages at 20 users",
            f"p95 {figures.p95:.0f} ms ({figures.rate:.0f} req/s)",
            "p95 < 150 ms",
            figures.p95 < 150,
        )
    RESULTS["errors"] = errors


POPULAR = 100


def kept_and_revalidated(port: int, info: dict, name: str, pattern: str, floor) -> int:
    """For information: the same lookups over POPULAR certificates only (their answers kept
    by every worker after the first round), then with the ETag each client holds (304)."""
    import random

    paths = [pattern.format(number) for number in info["numbers"][:POPULAR]]
    browser = Browser(port, fresh_address=True)
    etags = {}
    for _ in range(WORKERS + 1):  # every worker gets each one at least once, most likely
        for path in paths:
            etags[path] = browser.request("GET", path).headers.get("etag", "")
    errors = 0
    for label, step in (
        (f"{POPULAR} popular, kept", Step(name, "GET", lambda: random.choice(paths))),
        (
            f"{POPULAR} popular, 304",
            Step(name, "GET", lambda: random.choice(paths), expect=(304,), etags=etags),
        ),
    ):
        figures = single(port, info, step)
        errors += figures.errors
        print(f"    {label:18s} {figures.line()}  ({figures.rate / floor.rate:.2f}× its floor)")
    return errors


def dashboard_at_scale(port: int, info: dict, grown: float, seconds: float) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM applications_application")
        total = cursor.fetchone()[0]
    connection.close()
    browser = Browser(port, cookies=dict(SESSIONS["instructor"]))
    times, statuses = [], []
    for _ in range(6):
        begun = time.perf_counter()
        answer = browser.request("GET", "/agence/tableau-de-bord/")
        times.append((time.perf_counter() - begun) * 1000)
        statuses.append(answer.status)
    times = times[1:]  # the first reads the new figures' plan
    median = statistics.median(times)
    print(
        f"\ndashboard at {total:,} dossiers ({grown:.0f} s to write and sweep the dossiers "
        f"added): {', '.join(f'{t:.0f}' for t in times)} ms, statuses {set(statuses)}"
    )
    goal(
        f"load: dashboard at {total:,} dossiers",
        f"median {median:.0f} ms (one user)",
        "< 300 ms",
        median < 300 and set(statuses) == {200},
    )
    errors = RESULTS.get("errors", 0) + sum(1 for s in statuses if s != 200)
    goal("load: errors over the whole run", f"{errors}", "0", errors == 0)


if __name__ == "__main__":
    sys.exit(main())
