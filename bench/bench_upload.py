"""Uploads through the real endpoint (R-EVD-2, R-EVD-3): a 1 GiB file posted to a gunicorn
worker, plain (admissibility document) and encrypted (sensitive TLC proof), on both storages
(issue 23 §1): on disk (GUICHET_STORAGE=disk), and in an S3 bucket (GUICHET_STORAGE=s3, a
moto_server this bench starts on loopback; multipart upload).

Floor: `sha256sum` of the same file. Goals: upload ≤ 1.5× the floor (on disk; to S3 the
figure is printed, moto_server keeping the parts in its own process); the worker's peak RSS
growth during the upload < 50 MiB on both. BENCH_UPLOAD_MIB changes the size (default 1024);
BENCH_UPLOAD_BACKENDS=disk or s3 runs one."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup  # noqa: E402,F401,I001  (must come before anything Django)
from _processes import free_port, status_kib, worker_pid  # noqa: E402

from django.db import transaction  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from guichet.accounts.models import Organisation, Role, User  # noqa: E402
from guichet.applications.models import Application, Status  # noqa: E402
from guichet.applications import review  # noqa: E402
from guichet.applications.services import (  # noqa: E402
    create_application,
    save_draft,
    save_product,
    submit,
)
from guichet.demo.applications import TLC_PROFILES, _documents, _form, _review_all  # noqa: E402
from guichet.referentials.models import ExpectedProof  # noqa: E402
from guichet.referentials.selectors import get_version  # noqa: E402

SIZE_MIB = int(os.environ.get("BENCH_UPLOAD_MIB", "1024"))
BACKENDS = os.environ.get("BENCH_UPLOAD_BACKENDS", "disk,s3").split(",")
CHUNK = 1024 * 1024
GOAL_TIME, GOAL_RSS_MIB = 1.5, 50


def fixtures():
    with transaction.atomic():
        organisation = Organisation.objects.create(name="Bench SAS", siren="732829320")
        user = User.objects.create_user(
            email="bench@bench.fr",
            password="x" * 20,
            role=Role.APPLICANT_ADMIN,
            organisation=organisation,
        )
        token = Token.objects.create(user=user).key
        dmn, tlc = get_version("DMN", "1.2.2"), get_version("TLC", "1.4.2")
        product = save_product(by=user, name="Bench", modules=[{"name": "Web", "version": "1"}])
        draft = create_application(
            by=user,
            product=product,
            product_version="1",
            referential_version=dmn,
            pathway_code="nom_de_marque",
        )
        tlc_app = create_application(
            by=user,
            product=product,
            product_version="1",
            referential_version=tlc,
            pathway_code="teleconsultation",
        )
        # Admissible the way users make it (the state is the workflow's to write): the demo's
        # complete form and documents, submitted, every item judged conforme.
        save_draft(
            by=user,
            application=tlc_app,
            data={"form": _form("TLC", organisation, product, "1"), "profiles": TLC_PROFILES},
        )
        _documents(tlc_app, user)
        submit(by=user, application=tlc_app)
        tlc_app.refresh_from_db()
        instructor = User.objects.create_user(
            email="instructeur@bench.fr", password="x" * 20, role=Role.INSTRUCTOR
        )
        _review_all(tlc_app, instructor)
        review.decide(by=instructor, application=tlc_app, decision="admissible")
        assert Application.objects.get(pk=tlc_app.pk).status == Status.ADMISSIBLE
        sensitive = ExpectedProof.objects.filter(scenario__version=tlc, sensitive=True).first()
    return token, draft.pk, tlc_app.pk, sensitive.pk


def make_file(path: Path) -> None:
    block = os.urandom(CHUNK)
    with open(path, "wb") as out:
        out.write(b"%PDF-1.4\n" + block[9:])
        for _ in range(SIZE_MIB - 1):
            out.write(block)


def upload(port: int, token: str, url: str, path: Path) -> tuple[float, int, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + path.stat().st_size + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    start = time.perf_counter()
    conn.putrequest("POST", url)
    conn.putheader("Authorization", f"Token {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    conn.send(head)
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            conn.send(chunk)
    conn.send(tail)
    response = conn.getresponse()
    body = response.read().decode(errors="replace")
    return time.perf_counter() - start, response.status, body[:200]


def size_label() -> str:
    return f"{SIZE_MIB // 1024} GiB" if SIZE_MIB % 1024 == 0 else f"{SIZE_MIB} MiB"


class MotoServer:
    """A moto_server on a free loopback port, with a bucket (Object Lock enabled, as the
    platform's); stopped with a timeout."""

    def __init__(self, var: Path):
        import boto3

        self.port = free_port()
        self.log = open(var / "moto_server.log", "wb")  # noqa: SIM115 (closed in stop)
        command = Path(sys.executable).parent / "moto_server"
        self.process = subprocess.Popen(
            [str(command), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self.port)
        self.env = {
            "GUICHET_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "guichet-bench",
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.port}",
            "AWS_S3_REGION_NAME": "eu-west-3",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
        }
        boto3.client(
            "s3",
            endpoint_url=self.env["AWS_S3_ENDPOINT_URL"],
            region_name="eu-west-3",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        ).create_bucket(
            Bucket="guichet-bench",
            ObjectLockEnabledForBucket=True,
            CreateBucketConfiguration={"LocationConstraint": "eu-west-3"},
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        self.log.close()


def wait_for(port: int) -> None:
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


def run_backend(backend: str, extra_env: dict, token, draft, tlc_app, proof, data, floor, var):
    port = free_port()
    env = dict(os.environ, GUICHET_UPLOAD_MAX_BYTES=str(4 * 1024**3), **extra_env)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "guichet.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--timeout",
            "900",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        worker = worker_pid(server.pid)
        wait_for(port)
        small = var / "warm-up.pdf"
        small.write_bytes(b"%PDF-1.4\n" + os.urandom(4096))
        # Warms the worker, the storage's client included (boto3 is imported on first use).
        upload(port, token, f"/api/v1/applications/{draft}/documents/gdpr_declaration/files", small)
        for label, url in (
            (
                "plain document",
                f"/api/v1/applications/{draft}/documents/functional_documentation/files",
            ),
            ("encrypted proof", f"/api/v1/applications/{tlc_app}/evidence/{proof}/files"),
        ):
            Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset the peak RSS
            baseline = status_kib(worker, "VmRSS")
            seconds, status, body = upload(port, token, url, data)
            peak = status_kib(worker, "VmHWM")
            growth = (peak - baseline) / 1024
            ratio = seconds / floor
            timed = backend == "disk"  # to moto_server the time is moto's, not ours
            verdict_time = (
                ("within goal" if ratio <= GOAL_TIME else "ABOVE GOAL") if timed else "figure"
            )
            verdict_rss = "within goal" if growth < GOAL_RSS_MIB else "ABOVE GOAL"
            print(
                f"{backend}, {label}: HTTP {status}, {seconds:.2f} s = {ratio:.2f}× floor "
                f"({verdict_time}); peak RSS growth {growth:.1f} MiB "
                f"(goal < {GOAL_RSS_MIB} MiB, {verdict_rss})"
            )
            if status != 201:
                print(f"  response: {body}")
            _setup.goal(
                f"upload {size_label()} to {backend}, {label}: RSS growth < {GOAL_RSS_MIB} MiB",
                f"RSS +{growth:.0f} MiB, {seconds:.2f} s ({ratio:.2f}× floor)",
                f"RSS < {GOAL_RSS_MIB} MiB" + (f", ≤ {GOAL_TIME}× floor" if timed else ""),
                status == 201 and growth < GOAL_RSS_MIB and (ratio <= GOAL_TIME if timed else True),
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    token, draft, tlc_app, proof = fixtures()
    var = Path(os.environ["GUICHET_VAR_DIR"])
    data = var / "bench-upload.pdf"
    make_file(data)
    floor_start = time.perf_counter()
    subprocess.run(["sha256sum", str(data)], check=True, capture_output=True)
    floor = time.perf_counter() - floor_start
    print(f"File: {SIZE_MIB} MiB. Floor (sha256sum): {floor:.2f} s")
    if "disk" in BACKENDS:
        run_backend("disk", {}, token, draft, tlc_app, proof, data, floor, var)
    if "s3" in BACKENDS:
        moto = MotoServer(var)
        try:
            run_backend("s3", moto.env, token, draft, tlc_app, proof, data, floor, var)
        finally:
            moto.stop()


if __name__ == "__main__":
    main()
