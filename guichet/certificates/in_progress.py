"""The public list « Candidatures en cours » and its open data (R-PUB-2): for each application
in progress whose applicant consented to it on the admissibility form, the product, the
referential and the planned date of a complete evidence file.

Both guides §4.2 ask for « La date prévisionnelle de dépôt d'un dossier de preuves complet » and
the « Autorisation (ou non) de l'éditeur d'utilisation par l'ANS de la date prévisionnelle de
dépôt de dossier de preuves complet pour publication ». The consent covers that date: the list
shows nothing else of the application (no company, no person, no state of the instruction).

An application is listed from its submission (a draft is not filed yet) until it ends: not
admissible, abandoned, archived, decided or silently accepted (a certificate then shows in the
register instead)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator

from django.db.models import F, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse

from guichet.applications.models import CLOSED_STATES, DECIDED_STATES, Application, Status
from guichet.certificates.register import Field, open_data_schema
from guichet.common.links import absolute_url

PAGE_SIZE = 50
EXPORT_FETCH_ROWS = 2000
FILENAME = "candidatures-en-cours"
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
SCHEMA_VERSION = "1.0.0"
SCHEMA_CREATED = "2027-01-15"

# The admissibility form's keys (applications/admissibility.py, both referentials).
PLANNED_DATE = "planned_complete_date"
CONSENT = "publish_planned_date"

# Filed and not ended: from submission to the committee's decision (or the silence that
# accepts, R-CLK-7).
ENDED_STATES = (*CLOSED_STATES, *DECIDED_STATES, Status.SILENTLY_ACCEPTED)
IN_PROGRESS_STATES = tuple(
    status for status in Status if status != Status.DRAFT and status not in ENDED_STATES
)

FIELDS: tuple[Field, ...] = (
    Field(
        "product",
        "string",
        "Produit",
        "Nom commercial du produit candidat.",
        "TéléSuivi",
        required=True,
    ),
    Field(
        "version",
        "string",
        "Version du produit",
        "Version du produit présentée à la certification.",
        "3.2",
        required=True,
    ),
    Field(
        "referential",
        "string",
        "Référentiel",
        "Code du référentiel de l'agence visé par la candidature : DMN (dispositifs médicaux "
        "numériques), TLC (téléconsultation).",
        "DMN",
        required=True,
    ),
    Field(
        "referential_version",
        "string",
        "Version du référentiel",
        "Version du référentiel visée par la candidature.",
        "1.2.2",
        required=True,
    ),
    Field(
        "planned_complete_date",
        "date",
        "Date prévisionnelle du dossier de preuves complet",
        "Date à laquelle le candidat prévoit d'avoir déposé toutes les preuves demandées "
        "(AAAA-MM-JJ), publiée avec son autorisation (guides de dépôt, §4.2). Donnée à titre "
        "informatif.",
        "2027-03-31",
    ),
)
FIELD_NAMES = tuple(field.name for field in FIELDS)

COLUMNS = (
    "product__name",
    "product_version",
    "referential_version__referential__code",
    "referential_version__number",
    "planned",
)


def applications_in_progress() -> QuerySet:
    """The applications the list publishes: in progress, and whose applicant consented; the
    soonest planned date first (those without a date last)."""
    return (
        Application.objects.filter(status__in=IN_PROGRESS_STATES, **{f"form__{CONSENT}": True})
        .annotate(planned=KeyTextTransform(PLANNED_DATE, "form"))
        .order_by(F("planned").asc(nulls_last=True), "product__name", "product_version", "id")
    )


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):  # a draft's answer that was never validated
        return None


class Row(dict):
    """One published application: the schema's fields, and the planned date as a date for
    the page."""

    @property
    def planned_on(self) -> dt.date | None:
        return _date(self["planned_complete_date"])


def make_row(values: tuple) -> Row:
    product, version, referential, referential_version, planned = values
    planned_on = _date(planned)
    return Row(
        product=product,
        version=version,
        referential=referential,
        referential_version=referential_version,
        planned_complete_date=planned_on.isoformat() if planned_on else None,
    )


class PagedRows:
    """The list's rows for a paginator: counted on the applications alone, read as tuples page
    by page (two queries whatever the number of applications)."""

    ordered = True

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        found = self.queryset.values_list(*COLUMNS)[index]
        if isinstance(index, slice):
            return [make_row(values) for values in found]
        return make_row(found)


def rows(queryset: QuerySet | None = None) -> Iterator[Row]:
    queryset = applications_in_progress() if queryset is None else queryset
    for values in queryset.values_list(*COLUMNS).iterator(chunk_size=EXPORT_FETCH_ROWS):
        yield make_row(values)


def csv_chunks() -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIELD_NAMES)
    for row in rows():
        writer.writerow(["" if row[name] is None else row[name] for name in FIELD_NAMES])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()


def json_chunks() -> Iterator[bytes]:
    yield b"["
    for i, row in enumerate(rows()):
        yield (("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False)).encode()
    yield b"\n]\n"


CHUNKS = {"csv": csv_chunks, "json": json_chunks}


def export_response(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every published application as CSV or JSON, streamed (one query)."""
    response = StreamingHttpResponse(CHUNKS[fmt](), content_type=FORMATS[fmt])
    disposition = "attachment" if fmt == "csv" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{FILENAME}.{fmt}"'
    response["Cache-Control"] = "public, no-cache"
    response["Link"] = (
        f'<{absolute_url(reverse("certificates:in-progress-schema"))}>; rel="describedby"; '
        'type="application/schema+json"'
    )
    return response


def table_schema() -> dict:
    """The Table Schema of the list's open data (as the register's)."""
    return open_data_schema(
        name="candidatures-en-cours",
        title="Candidatures en cours de certification à l'Agence du numérique en santé",
        description="Les candidatures à un certificat de conformité déposées et pas encore "
        "décidées dont le candidat a autorisé la publication de la date prévisionnelle de dépôt "
        "d'un dossier de preuves complet : le produit, le référentiel et cette date. Une ligne "
        "par candidature, de la date la plus proche à la plus lointaine.",
        url="certificates:in-progress",
        resources="Candidatures en cours",
        fields=FIELDS,
        created=SCHEMA_CREATED,
        modified=SCHEMA_CREATED,
        version=SCHEMA_VERSION,
    )
