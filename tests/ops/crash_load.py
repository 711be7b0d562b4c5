"""The crash loop's parts (issue 23 §3): the world it works on, the mixed load it sends through
a web node's API, and the invariants it checks with the operators' own commands.

The load never asserts that a request succeeds: a request cut by a SIGKILL of its node fails,
and is counted. What must hold is checked on the data, by `verify_journal --transitions`,
`verify_files` and the queue's rows."""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.ops.platform import Platform

REQUEST_TIMEOUT = 30
DOCUMENT_TASKS = (
    "guichet.certificates.tasks.produce_certificate_pdf",
    "guichet.certificates.tasks.seal_minister_notice",
    "guichet.committee.tasks.produce_decision_letter",
    "guichet.conventions.tasks.prepare_convention",
    "guichet.conventions.tasks.seal_convention",
    "guichet.evidence.tasks.issue_acknowledgment",
)

# Run once the demo is loaded (through the services, as the pages do): a session of the collège
# today, its agenda filled (the dossiers waiting for a decision) and its members present, so that
# the load can record and sign off decisions through the API. Prints the world as JSON.
SETUP = """
import json
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from guichet.accounts.models import User
from guichet.accounts.terms import accept_terms, current_terms, has_accepted
from guichet.applications.models import Application
from guichet.certificates.models import Certificate
from guichet.committee import services
from guichet.committee.models import AgendaItem, CommitteeSession

admin = User.objects.get(email="admin@guichet.local")
college = User.objects.get(email="college@guichet.local")
today = timezone.localdate()
terms = current_terms()
for user in User.objects.all():  # each demo user accepts the terms of use, as on their page
    if terms and not has_accepted(user, terms):
        with transaction.atomic():
            accept_terms(user=user, terms=terms)
with transaction.atomic():
    session = CommitteeSession.objects.filter(date=today).first() or services.create_session(
        by=admin, date=today, members=[{"user": college.pk}, {"user": admin.pk}]
    )
    services.fill_agenda(by=admin, session=session)
    services.set_presence(session, by=admin, present_ids=[m.pk for m in session.members.all()])
print(json.dumps({
    "applications": [
        {"pk": a.pk, "status": a.status, "code": a.referential_version.referential.code}
        for a in Application.objects.select_related("referential_version__referential").order_by("pk")
    ],
    "certificates": [
        {"number": c.number, "status": c.status} for c in Certificate.objects.order_by("number")
    ],
    "session": session.pk,
    "agenda": list(
        AgendaItem.objects.filter(session=session, moved_to__isnull=True).values_list(
            "application_id", flat=True
        )
    ),
    "password": (settings.VAR_DIR / "demo-password").read_text().strip(),
    "totp_secret": (settings.VAR_DIR / "demo-totp-secret").read_text().strip(),
}))
"""

# What the queue and the generated documents say once the workers have drained (issue 23 §3:
# « no queued task is lost or done twice in effect »). Prints JSON.
TASKS_CHECK = """
import json
from collections import Counter
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from guichet.common.tasks import expected_documents
from guichet.journal.models import JournalEntry

statuses = Counter(DBTaskResult.objects.values_list("status", flat=True))
failed = list(
    DBTaskResult.objects.filter(status="FAILED").values_list("task_path", "exception_class_path")
)
missing = {entry.task.module_path: [list(a) for a in entry.missing()] for entry in expected_documents()}
twice = []
for action, key in (("certificate.pdf", "revision"), ("committee.letter", None)):
    seen = Counter(
        (e.object_id, (e.after or {}).get(key) if key else None)
        for e in JournalEntry.objects.filter(action=action).only("object_id", "after")
    )
    twice += [[action, *k, n] for k, n in seen.items() if n > 1]
print(json.dumps({
    "statuses": statuses,
    "failed": failed,
    "missing": {path: rows for path, rows in missing.items() if rows},
    "twice": twice,
}))
"""

ORPHANS = re.compile(r"(\d+) objets? stockés? sans ligne")


@dataclass
class World:
    applications: list[dict]
    certificates: list[dict]
    session: int
    agenda: list[int]
    password: str
    totp_secret: str

    def applications_in(self, *statuses: str) -> list[int]:
        return [a["pk"] for a in self.applications if a["status"] in statuses]


def prepare_world(platform: Platform) -> World:
    done = platform.manage("shell", "-c", SETUP)
    return World(**json.loads(done.stdout.strip().splitlines()[-1]))


class Tally:
    """Thread-safe counts: operations done, refused by the domain (a 4xx answer), failed (no
    answer or a 5xx: their node was killed)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.counts: Counter = Counter()
        self.refusals: dict[str, list[str]] = {}  # the first refusals of each kind, to read

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n

    def outcome(self, kind: str, response: requests.Response | None) -> bool:
        if response is None or response.status_code >= 500:
            self.add(f"{kind}:failed")
            return False
        if response.status_code >= 400:
            self.add(f"{kind}:refused")
            with self._lock:
                shown = self.refusals.setdefault(kind, [])
                if len(shown) < 2:
                    shown.append(f"{response.status_code} {response.text[:200]}")
            return False
        self.add(f"{kind}:done")
        return True

    def by_outcome(self) -> dict[str, int]:
        totals: Counter = Counter()
        for key, n in self.counts.items():
            if ":" in key:
                totals[key.rsplit(":", 1)[1]] += n
        return dict(totals)


class Api:
    """The API of the platform's web node `node` (its port changes at each restart)."""

    def __init__(self, platform: Platform, node: str):
        self.platform, self.node = platform, node
        self.tokens: dict[str, str] = {}

    @property
    def base(self) -> str:
        return self.platform.processes[self.node].url + "/api/v1/"

    def call(self, method: str, path: str, *, as_: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if as_:
            headers["Authorization"] = f"Token {self.tokens[as_]}"
        try:
            return requests.request(
                method, self.base + path, headers=headers, timeout=REQUEST_TIMEOUT, **kwargs
            )
        except (requests.RequestException, KeyError):  # cut by the kill (or no node yet)
            return None

    def log_in(self, email: str, world: World, *, agency: bool) -> None:
        """A token for `email`; agency staff add the TOTP code of the demo's shared secret."""
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            payload = {"email": email, "password": world.password}
            if agency:
                if time.time() % 30 > 27:
                    time.sleep(3.5)
                payload["otp"] = format_hotp_value(
                    hotp_value(world.totp_secret, int(time.time()) // 30)
                )
            answer = self.call("POST", "auth/token", json=payload)
            if answer is not None and answer.status_code == 200:
                self.tokens[email] = answer.json()["token"]
                return
            time.sleep(2 if answer is None else 31 - time.time() % 30)
        raise AssertionError(f"no token for {email}")


APPLICANT = "responsable@telesante-demo.fr"
OTHER_APPLICANT = "responsable@sante-connectee-demo.fr"
INSTRUCTOR = "instructeur@guichet.local"
ADMIN = "admin@guichet.local"


def upload_body(rng: random.Random, *, largest: int) -> tuple[str, bytes]:
    """A text file (an allowed type) of a random size up to `largest` bytes."""
    size = rng.randint(20_000, largest)
    return f"piece-{secrets.token_hex(4)}.txt", secrets.token_hex(size // 2).encode()


@dataclass
class Load:
    """The mixed load, one thread per kind of work, until `stop` is set."""

    api: Api
    world: World
    platform: Platform
    tally: Tally
    seed: int
    largest_upload: int
    export: Path
    stop: threading.Event = field(default_factory=threading.Event)
    owners: dict[int, str] = field(default_factory=dict)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for index, work in enumerate(
            (self.exchanges, self.certificates, self.documents, self.operator)
        ):
            thread = threading.Thread(
                target=self._run, args=(work, random.Random(self.seed + index)), daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def join(self, timeout: float) -> None:
        self.stop.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in self.threads), "load threads still run"

    def _run(self, work, rng: random.Random) -> None:
        while not self.stop.is_set():
            try:
                work(rng)
            except Exception as error:  # a bug of the load itself: counted, shown at the end
                self.tally.add(f"load-error:{type(error).__name__}: {error}"[:200])
                time.sleep(0.5)

    def pause(self, rng: random.Random, low: float = 0.1, high: float = 0.6) -> None:
        self.stop.wait(rng.uniform(low, high))

    # --- information requests: asked, answered with files (uploads, transitions, clocks) --------

    def applicant_of(self, pk: int) -> str:
        if pk not in self.owners:
            for email in (APPLICANT, OTHER_APPLICANT):
                answer = self.api.call("GET", f"applications/{pk}/", as_=email)
                if answer is not None and answer.status_code == 200:
                    self.owners[pk] = email
                    break
            else:
                return APPLICANT
        return self.owners[pk]

    def exchanges(self, rng: random.Random) -> None:
        pk = rng.choice(self.world.applications_in("in_instruction", "information_requested"))
        applicant = self.applicant_of(pk)
        listed = self.api.call("GET", f"applications/{pk}/information-requests/", as_=INSTRUCTOR)
        if listed is None or listed.status_code != 200:
            self.tally.outcome("read", listed)
            return self.pause(rng)
        rows = listed.json()
        rows = rows.get("results", rows) if isinstance(rows, dict) else rows
        open_request = next((row for row in rows if not row.get("answer")), None)
        if open_request is None:
            asked = self.api.call(
                "POST",
                f"applications/{pk}/information-requests/",
                as_=INSTRUCTOR,
                json={"text": f"Précisez le point {secrets.token_hex(3)} de votre dossier."},
            )
            self.tally.outcome("information request", asked)
            return self.pause(rng)
        for _ in range(rng.randint(0, 2)):
            name, body = upload_body(rng, largest=self.largest_upload)
            sent = self.api.call(
                "POST",
                f"applications/{pk}/information-requests/{open_request['id']}/files",
                as_=applicant,
                files={"file": (name, body, "text/plain")},
            )
            self.tally.outcome("upload (information request)", sent)
        answered = self.api.call(
            "POST",
            f"applications/{pk}/information-requests/{open_request['id']}/answer",
            as_=applicant,
            json={"text": "Voici les précisions demandées."},
        )
        self.tally.outcome("answer", answered)
        self.pause(rng)

    # --- certificates: suspended and reinstated (a sealed PDF per revision); the decisions -----

    def certificates(self, rng: random.Random) -> None:
        for pk in list(self.world.agenda):
            self.decide(pk)
        cycling = [c for c in self.world.certificates if c["status"] in ("valid", "suspended")]
        certificate = rng.choice(cycling)
        name = "suspend" if certificate["status"] == "valid" else "reinstate"
        fired = self.api.call(
            "POST",
            f"certificates/{certificate['number']}/transitions/{name}",
            as_=ADMIN,
            json={"reason": "Contrôle en cours (boucle d'arrêts brutaux)."},
        )
        if self.tally.outcome(f"certificate {name}", fired):
            certificate["status"] = fired.json()["status"]
        elif fired is not None and fired.status_code == 409:
            # Our guess was stale (the answer to the last try was cut): the other way.
            certificate["status"] = "suspended" if name == "suspend" else "valid"
        self.pause(rng, 0.1, 0.5)

    def decide(self, pk: int) -> None:
        """The collège's decision on a dossier of today's session, signed off: its letter is
        sealed by the worker. Done once; a failed try is tried again."""
        status = next(a["status"] for a in self.world.applications if a["pk"] == pk)
        payload = {"application": pk, "sign_off": True}
        if status == "silently_accepted":
            payload |= {"outcome": "granted"}
        else:
            payload |= {
                "outcome": "refused",
                "reasons": "Les preuves de l'exigence de sécurité ne sont pas conformes.",
                "votes_for": 2,
                "votes_against": 0,
            }
        answer = self.api.call(
            "POST", f"committee/sessions/{self.world.session}/decisions", as_=ADMIN, json=payload
        )
        if self.tally.outcome("committee decision", answer) or (
            answer is not None and answer.status_code < 500 and "arrêtée" in answer.text
        ):
            self.world.agenda.remove(pk)

    # --- admissibility documents on drafts (larger uploads) ------------------------------------

    def documents(self, rng: random.Random) -> None:
        pk = rng.choice(self.world.applications_in("draft"))
        applicant = self.applicant_of(pk)
        listed = self.api.call("GET", f"applications/{pk}/documents/", as_=applicant)
        if listed is None or listed.status_code != 200:
            self.tally.outcome("read", listed)
            return self.pause(rng)
        items = [row["item"] for row in listed.json()]
        if not items:
            return self.pause(rng, 1, 2)
        name, body = upload_body(rng, largest=self.largest_upload * 2)
        sent = self.api.call(
            "POST",
            f"applications/{pk}/documents/{rng.choice(items)}/files",
            as_=applicant,
            files={"file": (name, body, "text/plain")},
        )
        self.tally.outcome("upload (admissibility document)", sent)
        self.pause(rng)

    # --- the operator: an import, the sweeps ----------------------------------------------------

    def operator(self, rng: random.Random) -> None:
        self.pause(rng, 2, 6)
        if self.stop.is_set():
            return
        done = sum(n for key, n in self.tally.counts.items() if key.startswith("import_"))
        command = (
            "import"
            if not done
            else rng.choice(["import", "sweep_deadlines", "sweep_certificates"])
        )
        if command == "import":
            args = [
                "import_referential",
                "--referential",
                "DMN",
                "--version",
                f"9.{rng.randint(0, 99)}.{rng.randint(0, 999)}",
                "--draft",
                str(self.export),
            ]
        else:
            args = [command]
        done = self.platform.manage(*args, check=False, timeout=120)
        self.tally.add(f"{args[0]}:{'done' if done.returncode == 0 else 'refused'}")
        if done.returncode != 0:
            self.tally.add(f"operator-output:{args[0]}: {(done.stderr or done.stdout)[-160:]}")


# --- the invariants, by the operators' commands ---------------------------------------------------


@dataclass
class Checks:
    checked: Counter = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    orphans_seen: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def violation(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)
        print(f"VIOLATION: {text}", flush=True)

    def count(self, name: str) -> None:
        with self.lock:
            self.checked[name] += 1


def check_journal_and_files(platform: Platform, checks: Checks, when: str) -> int:
    """`verify_journal --transitions` and `verify_files`, as the operator runs them after a
    restart (in parallel: both only read). Returns the number of objects without a row that
    `verify_files` listed (uploads cut short, for the purge)."""
    results = {}

    def run(name, *args):
        results[name] = platform.manage(*args, check=False, timeout=180)

    threads = [
        threading.Thread(target=run, args=("journal", "verify_journal", "--transitions")),
        threading.Thread(target=run, args=("files", "verify_files")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(200)
    for name, done in results.items():
        checks.count(f"verify_{name}")
        if done.returncode != 0:
            checks.violation(f"{when}: verify_{name} → {done.returncode}: {done.stderr[-1500:]}")
    found = ORPHANS.search(results["files"].stdout) if "files" in results else None
    orphans = int(found.group(1)) if found else 0
    with checks.lock:
        checks.orphans_seen = max(checks.orphans_seen, orphans)
    return orphans


def tasks_state(platform: Platform) -> dict:
    done = platform.manage("shell", "-c", TASKS_CHECK)
    return json.loads(done.stdout.strip().splitlines()[-1])
