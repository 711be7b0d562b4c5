"""The load bench's volume (issue 24 §1), written in bulk on PostgreSQL beside the demo's coherent
dossiers (`load_demo`, whose users the bench signs in as): a bench, not a test — the states are
written directly, as `_open_dossiers.py` does, since going through the workflow would take hours.

- 1,000 organisations, each with its Responsable habilité (one password hash for all) and product;
- 10,000 applications, 10 per organisation, in every state: 5 open under instruction and 3
  decided by the collège through `_open_dossiers` (their transition log, journal entries,
  sessions, agenda and decisions), 2 in the other states (draft … archived) as bare rows;
- 100,000 stored files: their rows (COPY), 10 admissibility documents per application, and one
  small object (1 KiB) each on disk under the bench's files root;
- 10,000 certificates (each with its own granted application row, as bench_register.py) and
  their revisions (1 to 3), the PDF of every revision being one real sealed certificate PDF of the
  demo, reused, so that the verification page and API show a SHA-256;
- a year of journal: 1,000 entries a day over the last 365 days (COPY)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from pathlib import Path

from _open_dossiers import build, build_decided
from django.db import connection, transaction
from django.utils import timezone

ORGANISATIONS = 1000
APPLICATIONS_PER_ORGANISATION = 10  # 5 open + 3 decided + 2 in the other states
FILES = 100_000
CERTIFICATES = 10_000
JOURNAL_DAYS, JOURNAL_PER_DAY = 365, 1000
OTHER_STATES = [
    "draft",
    "submitted",
    "to_fix",
    "admissible",
    "not_admissible",
    "silently_accepted",
    "abandoned",
    "archived",
]
ITEMS = [
    "notified_body_certificate",
    "hds_declaration",
    "ce_declaration",
    "hds_host_certificate",
    "gdpr_declaration",
    "functional_documentation",
]
# Of every 100 certificates (as bench_register.py): written directly in these states.
CERTIFICATE_STATES = {"withdrawn": 4, "suspended": 2, "expired": 6}


# The columns the bench writes into applications_application (COPY), in this order.
APPLICATION_COLUMNS = [
    "id",
    "reference",
    "organisation_id",
    "product_id",
    "product_version",
    "referential_version_id",
    "pathway_id",
    "status",
    "form",
    "answers",
    "profiles",
    "is_group",
    "group_members",
    "created_at",
    "updated_at",
    "review_round",
    "decision_reasons",
]


def copy(table: str, columns: list[str], rows) -> None:
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
            for row in rows:
                out.write_row(row)


def next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return cursor.fetchone()[0] + 1


def reset_sequences(*tables: str) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )


def organisations(instructor) -> list[dict]:
    from django.contrib.auth.hashers import make_password

    from guichet.accounts.models import Organisation, Role, User
    from guichet.applications.models import Product

    orgs = Organisation.objects.bulk_create(
        Organisation(name=f"Éditeur {i:04d}", siren=f"{300000000 + i * 7:09d}")
        for i in range(ORGANISATIONS)
    )
    password = make_password("banc-de-charge-" + uuid.uuid4().hex)
    User.objects.bulk_create(
        User(
            email=f"responsable{i:04d}@editeur.test",
            username=f"responsable{i:04d}@editeur.test",
            password=password,
            role=Role.APPLICANT_ADMIN,
            organisation=organisation,
        )
        for i, organisation in enumerate(orgs)
    )
    products = Product.objects.bulk_create(
        Product(organisation=organisation, name=f"Produit de {organisation.name}")
        for organisation in orgs
    )
    return [
        {"organisation": o, "product": p, "instructor": instructor}
        for o, p in zip(orgs, products, strict=True)
    ]


def applications(casts: list[dict]) -> list[int]:
    """10 per organisation; returns the ids of every application written."""
    from guichet.referentials.models import Pathway, ReferentialVersion

    first = next_id("applications_application")
    today = timezone.localdate()
    for cast in casts:
        build(5, people=cast, today=today)
        build_decided(3, people=cast, today=today)
    versions = {
        code: ReferentialVersion.objects.filter(referential__code=code).order_by("-id").first()
        for code in ("DMN", "TLC")
    }
    pathways = {
        code: Pathway.objects.filter(referential__code=code).order_by("position").first()
        for code in ("DMN", "TLC")
    }
    pk = next_id("applications_application")
    now = timezone.now()
    rows = []
    for n, cast in enumerate(casts):
        for k in range(2):
            code = "TLC" if (n + k) % 3 == 0 else "DMN"
            status = OTHER_STATES[(2 * n + k) % len(OTHER_STATES)]
            rows.append(
                (
                    pk,
                    f"CHG-{pk:07d}",
                    cast["organisation"].pk,
                    cast["product"].pk,
                    str(pk),
                    versions[code].pk,
                    pathways[code].pk,
                    status,
                    "{}",
                    "{}",
                    "[]",
                    False,
                    "[]",
                    now - dt.timedelta(days=(n * 7 + k) % 365),
                    now,
                    0,
                    "",
                )
            )
            pk += 1
    copy(
        "applications_application",
        APPLICATION_COLUMNS,
        rows,
    )
    reset_sequences("applications_application")
    return list(range(first, pk))


def stored_files(application_ids: list[int], files_root: Path, uploader_id: int) -> None:
    """FILES stored files: rows, a 1 KiB object each on disk, 10 admissibility documents per
    application."""
    content = os.urandom(1024)
    sha256 = hashlib.sha256(content).hexdigest()
    now = timezone.now()
    files, documents, folders = [], [], set()
    for i in range(FILES):
        file_id = uuid.uuid4()
        path = f"{file_id.hex[:2]}/{file_id.hex}"
        folder = files_root / file_id.hex[:2]
        if folder not in folders:
            folder.mkdir(parents=True, exist_ok=True)
            folders.add(folder)
        (files_root / path).write_bytes(content)
        files.append(
            (file_id, path, f"piece-{i}.pdf", 1024, sha256, "application/pdf", False, "", now)
        )
        files[-1] += (uploader_id,)
        application = application_ids[i % len(application_ids)]
        documents.append((ITEMS[i % len(ITEMS)], now, application, file_id, "1.0"))
    copy(
        "files_storedfile",
        [
            "id",
            "path",
            "original_name",
            "size",
            "sha256",
            "content_type",
            "encrypted",
            "wrapped_key",
            "uploaded_at",
            "uploaded_by_id",
        ],
        files,
    )
    copy(
        "applications_admissibilitydocument",
        ["item", "created_at", "application_id", "file_id", "names_version"],
        documents,
    )


def certificates(casts: list[dict], pdf_id, pdf_sha256: str, by_id: int) -> None:
    """CERTIFICATES certificates, each with its granted application and 1 to 3 revisions."""
    from guichet.certificates.models import Certificate
    from guichet.referentials.models import Pathway, ReferentialVersion

    versions = {
        code: ReferentialVersion.objects.filter(referential__code=code).order_by("-id").first()
        for code in ("DMN", "TLC")
    }
    pathways = {
        code: Pathway.objects.filter(referential__code=code).order_by("position").first()
        for code in ("DMN", "TLC")
    }
    today = timezone.localdate()
    now = timezone.now()
    first_application = next_id("applications_application")
    applications, certificates = [], []
    for i in range(CERTIFICATES):
        application_id = first_application + i
        code = "TLC" if i % 10 < 3 else "DMN"
        cast = casts[i % len(casts)]
        issued_on = today - dt.timedelta(days=(CERTIFICATES - i) * 2190 // CERTIFICATES)
        version = f"c{i}"
        applications.append(
            (
                application_id,
                f"CRT-{application_id:07d}",
                cast["organisation"].pk,
                cast["product"].pk,
                version,
                versions[code].pk,
                pathways[code].pk,
                "granted",
                "{}",
                "{}",
                "[]",
                False,
                "[]",
                now,
                now,
                0,
                "",
            )
        )
        certificate = Certificate(
            number=f"CC-{code}-{issued_on.year}-{i + 1:06d}",
            referential_code=code,
            year=issued_on.year,
            sequence=i + 1,
            application_id=application_id,
            organisation=cast["organisation"],
            referential_version=versions[code],
            company_name=cast["organisation"].name,
            company_id=cast["organisation"].siren,
            operator_contact="contact@editeur.test",
            product_name=cast["product"].name,
            product_version=version,
            modules=[{"name": "Web", "version": "1.0"}],
            profiles=[{"code": "general", "label": "Général"}],
            issued_on=issued_on,
            term_start=issued_on,
            valid_until=issued_on + dt.timedelta(days=5 * 365),
            status_changed_on=issued_on,
            pdf_id=pdf_id,
            pdf_sha256=pdf_sha256,
        )
        share = i % 100
        # A bench only: the state written directly (bulk_create skips the model's save).
        if share < CERTIFICATE_STATES["withdrawn"]:
            certificate.status = "withdrawn"
            certificate.withdrawal_ground = "holder_termination"
            certificate.status_reason = "Retrait notifié par l'agence."
        elif share < CERTIFICATE_STATES["withdrawn"] + CERTIFICATE_STATES["suspended"]:
            certificate.status = "suspended"
            certificate.status_reason = "Non-conformité constatée lors d'un contrôle."
        elif share < sum(CERTIFICATE_STATES.values()):
            certificate.status = "expired"
        certificate.revision = 1 + (certificate.status != "valid") + (i % 7 == 0)
        certificates.append(certificate)
    with transaction.atomic():
        copy(
            "applications_application",
            APPLICATION_COLUMNS,
            applications,
        )
        reset_sequences("applications_application")
        created = Certificate.objects.bulk_create(certificates, batch_size=2000)
    kinds = {"valid": "issued", "withdrawn": "withdrawn", "suspended": "suspended"}
    revisions = []
    for certificate in created:
        for number in range(1, certificate.revision + 1):
            last = number == certificate.revision
            kind = "issued" if number == 1 else "version_updated"
            status = "valid"
            if last and number > 1 and certificate.status in kinds:
                kind, status = kinds[certificate.status], certificate.status
            elif last and certificate.status == "expired":
                kind, status = "expired", "expired"
            revisions.append(
                (
                    number,
                    kind,
                    "" if number == 1 else "Changement de banc d'essai.",
                    certificate.issued_on + dt.timedelta(days=number - 1),
                    now,
                    status,
                    "{}",
                    pdf_sha256,
                    by_id,
                    certificate.pk,
                    pdf_id,
                )
            )
    copy(
        "certificates_certificaterevision",
        [
            "number",
            "kind",
            "reason",
            "effective_on",
            "at",
            "status",
            "snapshot",
            "pdf_sha256",
            "by_id",
            "certificate_id",
            "pdf_id",
        ],
        revisions,
    )


def journal_year(actor_id: int) -> None:
    now = timezone.now()
    rows = []
    previous = "0" * 64
    for day in range(JOURNAL_DAYS):
        for n in range(JOURNAL_PER_DAY):
            at = now - dt.timedelta(days=JOURNAL_DAYS - day, seconds=n * 80)
            digest = hashlib.sha256(f"{day}-{n}".encode()).hexdigest()
            rows.append(
                (
                    at,
                    "instructeur@guichet.local",
                    "instructor",
                    "",
                    "application.view",
                    "applications.application",
                    str(n),
                    str(n),
                    json.dumps({"banc": n}),
                    "",
                    previous,
                    digest,
                    actor_id,
                    "",
                )
            )
            previous = digest
    copy(
        "journal_journalentry",
        [
            "created_at",
            "actor_email",
            "actor_role",
            "organisation",
            "action",
            "object_type",
            "object_id",
            "application_id",
            "after",
            "request_id",
            "previous_hash",
            "hash",
            "actor_id",
            "key_id",
        ],
        rows,
    )
