"""The public register of certificates and its open data (R-PUB-1): what the page, the API,
the CSV and JSON exports and the feed read.

The register shows every certificate ever issued with its current state — withdrawn and
expired ones stay, marked — and only what the certificate itself states publicly: its number,
product, version, modules, holder company, referential, dates, state and the ground of a
withdrawal. Never a person, an email address, the operator's contact details or the form of
the application.

The exports are streamed from `values_list(...).iterator()`: their memory does not grow with
the register. Each version of the register is written once, into a file that later downloads
get. Their ETag and Last-Modified come from two index reads (how many certificates, the latest
`updated_at`), so that a client that already has the current file gets 304 for that alone."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import NoReverseMatch, get_urlconf, reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

from guichet.certificates.models import (
    Certificate,
    CertificateRevision,
    CertificateTransition,
    Kind,
    RevisionKind,
    Status,
    WithdrawalGround,
)
from guichet.certificates.standing import STATE_LABELS, STATES, Standing
from guichet.certificates.verification import reservation_details
from guichet.common.links import absolute_url
from guichet.deadlines import french_date
from guichet.files.storage import files_storage, keep, open_stream, upload_temp_dir
from guichet.referentials.models import Referential

PAGE_SIZE = 50
# Rows written per chunk of a streamed export: few enough to keep memory small, enough that
# the server does not write the answer one row at a time.
EXPORT_CHUNK_ROWS = 500
# Rows the database hands over per fetch (server-side cursor on PostgreSQL).
EXPORT_FETCH_ROWS = 2000
ORDER = ("-issued_on", "-id")  # newest first

# The Table Schema's version: bumped when a field is added, renamed or changes meaning.
# 1.1.0: `valid_until` is never a day to come for a withdrawn or expired certificate (the last day
# it was valid); `withdrawal_notified_on`, `withdrawal_effective_on` and `status_summary` added.
# 1.2.0: `under_reservation` and `reservations` (R-DEC-2) added.
# 1.3.0: `state` and `state_label` (« retrait notifié » before a notified withdrawal's day) added.
SCHEMA_VERSION = "1.3.0"
SCHEMA_CREATED = "2026-11-29"
SCHEMA_MODIFIED = "2026-12-07"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
FILENAME = "registre-certificats"

LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}


# --- Reading the register --------------------------------------------------------------------


def register(*, q: str = "", referential: str = "", status: str = "", kind: str = "") -> QuerySet:
    """The register's certificates, newest first, filtered: `q` searches the product, the
    holder company and the number; the others are exact codes."""
    queryset = Certificate.objects.public().order_by(*ORDER)
    q = q.strip()
    if q:
        queryset = queryset.filter(
            Q(product_name__icontains=q) | Q(company_name__icontains=q) | Q(number__icontains=q)
        )
    if referential:
        queryset = queryset.filter(referential_code=referential)
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def referential_filter_choices() -> list[tuple[str, str]]:
    codes = Referential.objects.values_list("code", flat=True)
    return [("", "Tous les référentiels"), *((code, code) for code in codes)]


class RegisterFilterForm(forms.Form):
    """The register's search and filters, for the page (GET form) and the API (query
    parameters): a wrong value is refused with a French message, never silently dropped."""

    q = forms.CharField(
        label="Rechercher",
        help_text="Produit, titulaire ou numéro de certificat",
        required=False,
        max_length=100,
        error_messages={"max_length": "Saisissez au plus %(limit_value)d caractères."},
    )
    referential = forms.ChoiceField(
        label="Référentiel",
        required=False,
        error_messages={
            "invalid_choice": "Référentiel inconnu « %(value)s » : indiquez le code d'un "
            "référentiel (DMN, TLC…)."
        },
    )
    status = forms.ChoiceField(
        label="État",
        required=False,
        choices=[("", "Tous les états"), *Status.choices],
        error_messages={
            "invalid_choice": "État inconnu « %(value)s » : choisissez parmi "
            + ", ".join(Status.values)
            + "."
        },
    )
    kind = forms.ChoiceField(
        label="Nature",
        required=False,
        choices=[("", "Toutes les natures"), *Kind.choices],
        error_messages={
            "invalid_choice": "Nature inconnue « %(value)s » : choisissez parmi "
            + ", ".join(Kind.values)
            + "."
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read when shown or when a referential is asked for, not for every API call.
        self.fields["referential"].choices = referential_filter_choices

    def queryset(self) -> QuerySet:
        data = self.cleaned_data if self.is_valid() else {}
        return register(
            q=data.get("q", ""),
            referential=data.get("referential", ""),
            status=data.get("status", ""),
            kind=data.get("kind", ""),
        )


# --- The verification page's address ----------------------------------------------------------


def verification_path() -> str:
    """An address template of a certificate's public verification page (`{number}` to fill).
    The page is `certificates:verify` (issue 13 §1); its literal address while it is not
    there."""
    return _verification_path(get_urlconf() or settings.ROOT_URLCONF)


@functools.cache
def _verification_path(urlconf: str) -> str:
    # Once per URLconf: a reverse() that fails walks every pattern.
    marker = "CC-NUMERO-0000-0000"
    try:
        path = reverse("certificates:verify", args=[marker], urlconf=urlconf)
    except NoReverseMatch:
        path = f"/certificats/{marker}/"
    return path.replace(marker, "{number}")


def verification_link() -> str:
    """The same, absolute (exports, feed, emails)."""
    return absolute_url(verification_path())


def verification_url(number: str) -> str:
    return verification_link().format(number=number)


# --- Open data: the Table Schema and the rows -------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    title: str
    description: str
    example: str
    required: bool = False
    enum: tuple[str, ...] = ()
    format: str = ""
    unique: bool = False
    pattern: str = ""

    def as_schema(self) -> dict:
        data = {
            "name": self.name,
            "type": self.type,
            "title": self.title,
            "description": self.description,
            "example": self.example,
        }
        if self.format:
            data["format"] = self.format
        constraints: dict = {"required": self.required}
        if self.unique:
            constraints["unique"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.pattern:
            constraints["pattern"] = self.pattern
        data["constraints"] = constraints
        return data


def _labels(choices) -> str:
    return " ; ".join(f"{value} : {label}" for value, label in choices)


FIELDS: tuple[Field, ...] = (
    Field(
        "number",
        "string",
        "Numéro du certificat",
        "Numéro unique du certificat de conformité : CC-<référentiel>-<année de délivrance>-<rang "
        "dans l'année>.",
        "CC-DMN-2027-0001",
        required=True,
        unique=True,
        pattern=r"^CC-[A-Z0-9]+-[0-9]{4}-[0-9]{4,}$",
    ),
    Field(
        "status",
        "string",
        "État (code)",
        f"État actuel du certificat : {_labels(Status.choices)}.",
        Status.VALID.value,
        required=True,
        enum=tuple(Status.values),
    ),
    Field(
        "status_label",
        "string",
        "État",
        "Libellé de l'état actuel du certificat.",
        str(Status.VALID.label),
        required=True,
        enum=tuple(str(label) for label in Status.labels),
    ),
    Field(
        "kind",
        "string",
        "Nature du certificat",
        f"{_labels(Kind.choices)} (téléconsultation, 2024 : il expire le 31 décembre 2024).",
        Kind.STANDARD.value,
        required=True,
        enum=tuple(Kind.values),
    ),
    Field(
        "referential",
        "string",
        "Référentiel",
        "Code du référentiel de l'agence auquel le produit est certifié conforme : DMN "
        "(dispositifs médicaux numériques), TLC (téléconsultation).",
        "DMN",
        required=True,
    ),
    Field(
        "referential_version",
        "string",
        "Version du référentiel",
        "Version du référentiel à laquelle le produit est certifié conforme.",
        "1.2.2",
        required=True,
    ),
    Field(
        "product",
        "string",
        "Produit",
        "Nom commercial du produit certifié.",
        "TéléSuivi",
        required=True,
    ),
    Field(
        "version",
        "string",
        "Version du produit",
        "Version du produit couverte par le certificat.",
        "3.2",
        required=True,
    ),
    Field(
        "modules",
        "string",
        "Modules",
        "Modules du produit couverts par le certificat, chacun « nom version », séparés par "
        "« ; » (dans l'export JSON : une liste d'objets {name, version}).",
        "Portail web 3.2 ; App iOS 3.2.1",
    ),
    Field(
        "company",
        "string",
        "Titulaire",
        "Raison sociale de l'entreprise titulaire du certificat.",
        "Télésanté",
        required=True,
    ),
    Field(
        "company_id",
        "string",
        "Identifiant du titulaire",
        "SIREN (9 chiffres) du titulaire, ou son numéro de TVA intracommunautaire s'il est "
        "établi hors de France.",
        "732829320",
    ),
    Field(
        "issued_on",
        "date",
        "Délivré le",
        "Date de délivrance du certificat (AAAA-MM-JJ).",
        "2027-03-04",
        required=True,
    ),
    Field(
        "valid_until",
        "date",
        "Valable jusqu'au",
        "Dernier jour de validité du certificat (AAAA-MM-JJ) : la fin de la période de validité "
        "en cours, celle de la convention (5 ans), reconduite tacitement à son terme sauf "
        "résiliation ; la veille de la prise d'effet d'un retrait notifié ; pour un certificat "
        "retiré ou expiré, le dernier jour où il était valable (jamais une date à venir).",
        "2032-03-03",
        required=True,
    ),
    Field(
        "status_changed_on",
        "date",
        "État depuis le",
        "Date du dernier changement d'état (la délivrance pour un certificat toujours valide).",
        "2027-03-04",
    ),
    Field(
        "status_reason",
        "string",
        "Motif",
        "Motif du dernier changement d'état (suspension, retrait…), tel que l'agence le publie.",
        "",
    ),
    Field(
        "withdrawal_ground",
        "string",
        "Fondement du retrait (code)",
        f"Pour un certificat retiré : {_labels(WithdrawalGround.choices)}.",
        "",
        enum=tuple(WithdrawalGround.values),
    ),
    Field(
        "withdrawal_ground_label",
        "string",
        "Fondement du retrait",
        "Libellé du fondement du retrait.",
        "",
    ),
    Field(
        "url",
        "string",
        "Page de vérification",
        "Adresse de la page publique de vérification du certificat (état, historique, PDF).",
        "https://guichet.esante.gouv.fr/certificats/CC-DMN-2027-0001/",
        required=True,
        format="uri",
    ),
    # Added in 1.1.0, after the fields of 1.0.0 (whose positions in the CSV do not change).
    Field(
        "withdrawal_notified_on",
        "date",
        "Retrait notifié le",
        "Pour un certificat retiré, ou dont le retrait est notifié : date où l'agence a décidé "
        "et notifié le retrait (AAAA-MM-JJ).",
        "",
    ),
    Field(
        "withdrawal_effective_on",
        "date",
        "Retrait effectif le",
        "Date où le retrait a pris effet ; pour un retrait notifié à effet différé (six mois au "
        "plus, CSP R. 1470-9), date où il prendra effet : le certificat reste valable jusqu'à "
        "la veille (AAAA-MM-JJ).",
        "",
    ),
    Field(
        "status_summary",
        "string",
        "État en clair",
        "L'état du certificat en une phrase, avec ses dates : « Valide jusqu'au 3 mars 2032. », "
        "« Suspendu depuis le 1er juin 2027. », « Retiré le 1er juillet 2027, avec effet immédiat "
        "— <fondement>. », « Expiré le 4 mars 2032. »",
        "Valide jusqu'au 3 mars 2032.",
        required=True,
    ),
    # Added in 1.2.0 (R-DEC-2, TLC guide §5.4).
    Field(
        "under_reservation",
        "boolean",
        "Sous réserve",
        "Vrai pour un certificat en vigueur (valide ou suspendu) attribué sous réserve dont "
        "une réserve au moins n'est pas levée (téléconsultation, guide TLC §5.4).",
        "false",
        required=True,
    ),
    Field(
        "reservations",
        "string",
        "Réserves",
        "Les réserves d'une attribution sous réserve, chacune « texte — à lever au plus tard "
        "le AAAA-MM-JJ — état » (à lever, levée, non levée à l'échéance), séparées par « ; » "
        "(dans l'export JSON : une liste d'objets {text, deadline, status, status_label, "
        "lifted_on, failed_on}).",
        "Fournir le rapport de test d'intrusion — à lever au plus tard le 2027-09-04 — à lever",
    ),
    # Added in 1.3.0 (R-CRT-5, CSP R. 1470-9): the state every output shows.
    Field(
        "state",
        "string",
        "État affiché (code)",
        "L'état tel que le montrent les pages, l'API et le flux : celui de `status`, ou "
        "« withdrawal_notified » (retrait notifié) pour un certificat en vigueur dont le retrait "
        "prendra effet à la date `withdrawal_effective_on`.",
        Status.VALID.value,
        required=True,
        enum=STATES,
    ),
    Field(
        "state_label",
        "string",
        "État affiché",
        "Libellé de l'état affiché : « Retrait notifié » avant que le retrait prenne effet.",
        str(Status.VALID.label),
        required=True,
        enum=STATE_LABELS,
    ),
)
FIELD_NAMES = tuple(field.name for field in FIELDS)

# What a row is read from: one tuple per certificate, no model instance.
COLUMNS = (
    "number",
    "status",
    "kind",
    "referential_code",
    "referential_version__number",
    "product_name",
    "product_version",
    "modules",
    "company_name",
    "company_id",
    "issued_on",
    "valid_until",
    "status_changed_on",
    "status_reason",
    "withdrawal_ground",
    "withdrawal_notified_on",
    "withdrawal_effective_on",
    "reservations",
    "decision_id",
)


def open_data_schema(
    *,
    name: str,
    title: str,
    description: str,
    url: str,
    resources: str,
    fields,
    created: str,
    modified: str,
    version: str,
) -> dict:
    """A Table Schema (frictionless, as schema.data.gouv.fr publishes them) of one of the
    agency's open data, whose page, CSV, JSON and schema are the URL names `url`, `url-csv`,
    `url-json` and `url-schema`: French titles and descriptions, types, constraints."""
    return {
        "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
        "name": name,
        "title": title,
        "description": description,
        "countryCode": "FR",
        "homepage": absolute_url(reverse(url)),
        "path": absolute_url(reverse(f"{url}-schema")),
        "resources": [
            {
                "title": f"{resources} au format {kind.upper()}",
                "path": absolute_url(reverse(f"{url}-{kind}")),
            }
            for kind in ("csv", "json")
        ],
        "created": created,
        "lastModified": modified,
        "version": version,
        "contributors": [
            {
                "title": "Agence du numérique en santé",
                "organisation": "Agence du numérique en santé",
                "role": "author",
            }
        ],
        "licenses": [LICENCE],
        "missingValues": [""],
        "fields": [field.as_schema() for field in fields],
    }


def table_schema() -> dict:
    """The Table Schema of the register's open data."""
    return {
        **open_data_schema(
            name="registre-certificats-conformite",
            title="Registre des certificats de conformité de l'Agence du numérique en santé",
            description="Chaque certificat de conformité délivré par l'Agence du numérique en "
            "santé à un produit numérique en santé (dispositifs médicaux numériques, "
            "téléconsultation), avec son état actuel : les certificats suspendus, retirés ou "
            "expirés restent listés, avec la date et le motif de leur état. Une ligne par "
            "certificat, du plus récent au plus ancien.",
            url="certificates:register",
            resources="Registre",
            fields=FIELDS,
            created=SCHEMA_CREATED,
            modified=SCHEMA_MODIFIED,
            version=SCHEMA_VERSION,
        ),
        "primaryKey": "number",
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def row_maker():
    """A function from a tuple of COLUMNS to an open-data row (FIELDS, in order), with JSON
    values: modules as a list of {name, version}, dates as ISO strings, None for no value.
    What does not change from row to row (labels, the verification address) is read once."""
    statuses = {value: str(label) for value, label in Status.choices}
    grounds = {value: str(label) for value, label in WithdrawalGround.choices}
    link = verification_link()

    def make(values: tuple, reservations=()) -> dict:
        """`reservations`: those of the row's decision (`reservations_by_decision`)."""
        (
            number,
            status,
            kind,
            referential,
            referential_version,
            product,
            version,
            modules,
            company,
            company_id,
            issued_on,
            valid_until,
            status_changed_on,
            status_reason,
            withdrawal_ground,
            withdrawal_notified_on,
            withdrawal_effective_on,
            standing_reservations,
            _decision_id,
        ) = values
        standing = Standing(
            status=status,
            issued_on=issued_on,
            term_end=valid_until,
            status_since=status_changed_on,
            withdrawal_ground=withdrawal_ground or "",
            withdrawal_notified_on=withdrawal_notified_on,
            withdrawal_effective_on=withdrawal_effective_on,
        )
        return {
            "number": number,
            "status": status,
            "status_label": statuses.get(status, status),
            "kind": kind,
            "referential": referential,
            "referential_version": referential_version,
            "product": product,
            "version": version,
            "modules": [
                {"name": m.get("name", ""), "version": m.get("version", "")} for m in modules or []
            ],
            "company": company,
            "company_id": company_id,
            "issued_on": _iso(issued_on),
            "valid_until": _iso(standing.last_valid_day),
            "status_changed_on": _iso(status_changed_on),
            "status_reason": status_reason,
            "withdrawal_ground": withdrawal_ground or None,
            "withdrawal_ground_label": grounds.get(withdrawal_ground) or None,
            "url": link.format(number=number),
            "withdrawal_notified_on": _iso(withdrawal_notified_on),
            "withdrawal_effective_on": _iso(withdrawal_effective_on),
            "status_summary": standing.summary,
            "under_reservation": bool(standing_reservations) and not standing.is_ended,
            "reservations": reservation_details(reservations),
            "state": standing.state,
            "state_label": standing.state_label,
        }

    return make


def reservations_by_decision(decision_ids) -> dict[int, list]:
    """The reservations of these decisions (R-DEC-2), in one query whatever their number (run
    for none too, so that a page reads as many queries whatever it holds)."""
    from guichet.committee.models import Reservation

    found: dict[int, list] = {}
    ids = sorted({pk for pk in decision_ids if pk})
    for reservation in Reservation.objects.filter(decision_id__in=ids).order_by(
        "decision_id", "position"
    ):
        found.setdefault(reservation.decision_id, []).append(reservation)
    return found


def made_rows(tuples, make=None) -> list[dict]:
    """Open-data rows of a batch of COLUMNS tuples, their reservations read in one query."""
    make = make or row_maker()
    tuples = list(tuples)
    found = reservations_by_decision(values[-1] for values in tuples)
    return [make(values, found.get(values[-1], ())) for values in tuples]


def reservations_text(reservations: list[dict]) -> str:
    return " ; ".join(
        f"{r['text']} — à lever au plus tard le {r['deadline']} — {r['status_label'].lower()}"
        for r in reservations
    )


def values(queryset: QuerySet) -> QuerySet:
    """The register's rows as tuples of COLUMNS (no model instance), in its order."""
    return queryset.values_list(*COLUMNS)


class PagedValues:
    """The register's rows for a paginator: counted on the certificates alone (no join), read
    as tuples of COLUMNS page by page."""

    ordered = True

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        return values(self.queryset)[index]


def rows(queryset: QuerySet | None = None) -> Iterator[dict]:
    """Every certificate of `queryset` (the whole register by default) as an open-data row,
    streamed from the database."""
    queryset = Certificate.objects.order_by(*ORDER) if queryset is None else queryset
    make = row_maker()
    batch: list[tuple] = []
    for row in values(queryset).iterator(chunk_size=EXPORT_FETCH_ROWS):
        batch.append(row)
        if len(batch) >= EXPORT_FETCH_ROWS:
            yield from made_rows(batch, make)
            batch = []
    yield from made_rows(batch, make)


def modules_text(modules: list[dict]) -> str:
    return " ; ".join(f"{m['name']} {m['version']}".strip() for m in modules)


def csv_chunks(queryset: QuerySet | None = None) -> Iterator[bytes]:
    """UTF-8, comma-separated (data.gouv.fr), a header of the schema's field names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIELD_NAMES)
    for i, row in enumerate(rows(queryset), start=1):
        row["modules"] = modules_text(row["modules"])
        row["reservations"] = reservations_text(row["reservations"])
        row["under_reservation"] = "true" if row["under_reservation"] else "false"
        writer.writerow(["" if row[name] is None else row[name] for name in FIELD_NAMES])
        if i % EXPORT_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def json_chunks(queryset: QuerySet | None = None) -> Iterator[bytes]:
    """A JSON array of rows (the schema's fields, in its order)."""
    parts = ["["]
    for i, row in enumerate(rows(queryset)):
        parts.append(("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False))
        if len(parts) >= EXPORT_CHUNK_ROWS:
            yield "".join(parts).encode()
            parts = []
    parts.append("\n]\n")
    yield "".join(parts).encode()


CHUNKS = {"csv": csv_chunks, "json": json_chunks}


# --- The exports' files -----------------------------------------------------------------------
# The whole register costs seconds to write at 100,000 certificates (every row read and
# formatted), and anyone may download it at any time: each version of the register is written
# once, while it is streamed to its first client, into a file of the storage named after its
# ETag (storage.files_storage(), under exports/: shared by every web node, on disk or in the
# bucket); the next clients get that file, streamed from the storage. A new version of the
# register has a new ETag, hence a new file; the older ones are then removed. REGISTER_EXPORT_DIR,
# when set, keeps them in that folder instead (a storage of its own, still through the API).


def export_storage() -> Storage:
    configured = getattr(settings, "REGISTER_EXPORT_DIR", "")
    return FileSystemStorage(location=configured) if configured else files_storage()


def export_dir() -> str:
    """The exports' folder in `export_storage()` ("" when REGISTER_EXPORT_DIR is its root)."""
    return "" if getattr(settings, "REGISTER_EXPORT_DIR", "") else "exports"


def export_path(fmt: str, etag: str) -> str:
    """The name, in `export_storage()`, of the file of the register's version `etag`."""
    name = f"{FILENAME}-{etag.strip(chr(34))}.{fmt}"
    return f"{export_dir()}/{name}" if export_dir() else name


def written_while_streamed(fmt: str, target: str) -> Iterator[bytes]:
    """The register in `fmt`, streamed from the database and written meanwhile to a temporary
    file on the node's local disk, then stored under `target` in one call once complete (a
    reader sees the whole file or none), the files of older versions then removed. A download
    cut short leaves nothing."""
    folder = upload_temp_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, part = tempfile.mkstemp(dir=folder, prefix=".", suffix=f".{fmt}.part")
    storage = export_storage()
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in CHUNKS[fmt]():
                out.write(chunk)
                yield chunk
        try:
            keep(target, part, storage)
        except FileExistsError:
            pass  # another client's download stored the same version first
    finally:
        Path(part).unlink(missing_ok=True)
    prefix = export_dir()
    _folders, names = storage.listdir(prefix)
    for name in names:
        older = f"{prefix}/{name}" if prefix else name
        if name.startswith(f"{FILENAME}-") and name.endswith(f".{fmt}") and older != target:
            storage.delete(older)


# --- Conditional requests --------------------------------------------------------------------


@dataclass(frozen=True)
class ExportState:
    count: int
    latest: dt.datetime | None

    def etag(self, fmt: str) -> str:
        """Changes whenever a certificate is issued or changes (its `updated_at`), and with
        the representation (format, schema version, the site's address in the `url`s)."""
        latest = self.latest.isoformat() if self.latest else "-"
        seed = f"{fmt}|{SCHEMA_VERSION}|{settings.GUICHET_BASE_URL}|{self.count}|{latest}"
        return quote_etag(hashlib.sha256(seed.encode()).hexdigest()[:32])


def export_state() -> ExportState:
    """How many certificates, and the latest change of one: two queries that each read an
    index only (one aggregate of both would read the whole table: 1.3 ms instead of 0.2 ms at
    10,000 certificates on SQLite)."""
    # One round trip, each scalar subquery still reading its index only.
    table = connection.ops.quote_name(Certificate._meta.db_table)
    column = connection.ops.quote_name(Certificate._meta.get_field("updated_at").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {table}), (SELECT MAX({column}) FROM {table})"
        )
        count, latest = cursor.fetchone()
    if isinstance(latest, str):  # SQLite answers the text it stores
        latest = dt.datetime.fromisoformat(latest)
    if latest is not None and timezone.is_naive(latest):
        latest = timezone.make_aware(latest, dt.UTC)
    return ExportState(count=count, latest=latest)


def export_response(request: HttpRequest, fmt: str) -> HttpResponse:
    """The whole register as CSV or JSON, streamed; 304 when the client's copy is current
    (If-None-Match, If-Modified-Since)."""
    state = export_state()
    etag = state.etag(fmt)
    modified = int(state.latest.timestamp()) if state.latest else None
    response = get_conditional_response(request, etag=etag, last_modified=modified)
    if response is None:
        target = export_path(fmt, etag)
        try:
            stream, size = open_stream(target, export_storage())
            response = FileResponse(stream, content_type=FORMATS[fmt])
            response["Content-Length"] = str(size)
        except FileNotFoundError:
            response = StreamingHttpResponse(
                written_while_streamed(fmt, target), content_type=FORMATS[fmt]
            )
        disposition = "attachment" if fmt == "csv" else "inline"
        response["Content-Disposition"] = f'{disposition}; filename="{FILENAME}.{fmt}"'
    response["ETag"] = etag
    if modified is not None:
        response["Last-Modified"] = http_date(modified)
    # Anyone may keep a copy; it asks again (cheaply: 304) before using it.
    response["Cache-Control"] = "public, no-cache"
    response["Link"] = (
        f'<{absolute_url(reverse("certificates:register-schema"))}>; rel="describedby"; '
        'type="application/schema+json"'
    )
    return response


# --- Changes of the register: the feed and the emails -----------------------------------------

# Revisions announced as such: issuance and what changes the register's row without a change
# of state. A change of state is announced from the transition log (CertificateTransition),
# whether or not the lifecycle writes a revision for it.
# What the register announces (its feed, its subscribers' emails) beside the changes of state:
# the public facts the verification page shows.
ANNOUNCED_REVISIONS = (
    RevisionKind.ISSUED,
    RevisionKind.RENEWED,
    RevisionKind.VERSION_UPDATED,
    RevisionKind.RESERVATIONS_LIFTED,
    RevisionKind.WITHDRAWAL_SCHEDULED,
    RevisionKind.WITHDRAWAL_CANCELLED,
    RevisionKind.RENEWAL_STOPPED,
    RevisionKind.RENEWAL_RESTORED,
)
STATE_CHANGES = {
    Status.VALID: "Rétablissement",
    Status.SUSPENDED: "Suspension",
    Status.WITHDRAWN: "Retrait",
    Status.EXPIRED: "Expiration",
}


@dataclass(frozen=True)
class Change:
    """One change of the register: an issuance, a change of state, a renewal, a new version.
    `state` is the certificate's state the change brought (a transition's target, a revision's
    status) and `on` its day: an entry says what happened then, not what is true today."""

    key: str  # unique: "revision-12", "transition-34"
    at: dt.datetime
    label: str  # « Délivrance », « Suspension »…
    certificate: Certificate
    state: str = ""
    on: dt.date | None = None

    @property
    def title(self) -> str:
        c = self.certificate
        return f"{self.label} — {c.number} — {c.product_name} {c.product_version}"

    @property
    def summary(self) -> str:
        c = self.certificate
        standing = Standing.of(c)
        day = self.on or timezone.localdate(self.at)
        text = (
            f"{self.label} du certificat {c.number} : {c.product_name} {c.product_version} "
            f"({c.company_name}), référentiel {c.referential_code}, le {french_date(day)}."
        )
        if self.state in Status.values and self.state != c.status:
            # Since then, another change: the entry says what it brought, then where it stands.
            then = Status(self.state).label.lower()
            now = standing.summary.rstrip(".")
            return f"{text[:-1]} ({then} à cette date). Depuis : {now[:1].lower()}{now[1:]}."
        if standing.withdrawal_scheduled or self.state == Status.SUSPENDED:
            now = standing.summary.rstrip(".")
            return f"{text} {now}."
        if not standing.is_ended and c.renewal_stopped_on:
            return f"{text} {standing.summary.rstrip('.')}, non reconduit à son terme."
        return f"{text} {standing.summary}"


def transition_label(source: str, target: str) -> str:
    if target == Status.VALID and source == Status.SUSPENDED:
        return "Levée de la suspension"
    return STATE_CHANGES.get(target, "Changement d'état")


def changes(limit: int = 50) -> list[Change]:
    """The latest changes of the register, newest first: two queries whatever its size."""
    revisions = (
        CertificateRevision.objects.filter(kind__in=ANNOUNCED_REVISIONS)
        .select_related("certificate")
        .order_by("-at", "-id")[:limit]
    )
    transitions = (
        CertificateTransition.objects.exclude(source=F("target"))
        .select_related("certificate")
        .order_by("-at", "-id")[:limit]
    )
    found = [
        Change(
            f"revision-{r.pk}", r.at, r.get_kind_display(), r.certificate, r.status, r.effective_on
        )
        for r in revisions
    ] + [
        Change(
            f"transition-{t.pk}",
            t.at,
            transition_label(t.source, t.target),
            t.certificate,
            t.target,
            timezone.localdate(t.at),
        )
        for t in transitions
    ]
    found.sort(key=lambda change: change.at, reverse=True)
    return found[:limit]
