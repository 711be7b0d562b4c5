# ruff: noqa: F811 (the world fixture imported from register_world)
"""The register's open data (R-PUB-1): the whole register as CSV and JSON, at the site's root and
under /api/v1/, streamed, described by a Table Schema (data.gouv.fr conventions), with an ETag
and a Last-Modified that conditional requests honour."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import RequestFactory

from guichet.certificates import register
from guichet.certificates.models import Certificate, Kind, Status
from guichet.certificates.views_register import export
from guichet.deadlines import french_date
from guichet.files.storage import upload_temp_dir
from tests.certificates.register_world import world  # noqa: F401

pytestmark = pytest.mark.django_db

SCHEMAS = ("/register/schema.json", "/schema.json", "/api/v1/register/schema.json")


def body(response) -> bytes:
    assert response.streaming, "an export is streamed"
    # Read to its end, the test client closes the response (and the export's file).
    return b"".join(response.streaming_content)


def get(client, url, **extra):
    """A download read to its end (its headers are what the test looks at)."""
    response = client.get(url, **extra)
    if response.streaming:
        body(response)
    return response


def csv_rows(response) -> tuple[list[str], list[dict]]:
    reader = csv.reader(io.StringIO(body(response).decode("utf-8"), newline=""))
    header, *lines = list(reader)
    return header, [dict(zip(header, line, strict=True)) for line in lines]


@pytest.fixture
def issued(world):
    """Three certificates: valid (DMN, holder A), withdrawn (TLC, holder B), suspended (DMN, A);
    listed newest first."""
    valid = world.issue()
    withdrawn = world.issue(holder=world.b, version=world.tlc)
    suspended = world.issue()
    world.withdraw(withdrawn)
    world.suspend(suspended)
    return [suspended, withdrawn, valid]


def test_r_pub_1_the_csv_lists_every_certificate_issued_with_its_state(client, issued):
    response = client.get("/register.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="registre-certificats.csv"' in response["Content-Disposition"]
    header, rows = csv_rows(response)
    assert header == list(register.FIELD_NAMES)
    assert [row["number"] for row in rows] == [c.number for c in issued]
    suspended, withdrawn, valid = rows
    assert (withdrawn["status"], withdrawn["status_label"]) == ("withdrawn", "Retiré")
    assert (suspended["status"], suspended["status_label"]) == ("suspended", "Suspendu")
    certificate = issued[2]
    assert valid == {
        "number": certificate.number,
        "status": "valid",
        "status_label": "Valide",
        "kind": "standard",
        "referential": "DMN",
        "referential_version": certificate.referential_version.number,
        "product": certificate.product_name,
        "version": certificate.product_version,
        "modules": "Web 1.0",
        "company": "Télésanté",
        "company_id": "732829320",
        "issued_on": "2027-03-04",
        "valid_until": certificate.valid_until.isoformat(),
        "status_changed_on": "2027-03-04",
        "status_reason": "",
        "withdrawal_ground": "",
        "withdrawal_ground_label": "",
        "url": f"http://127.0.0.1:8000/certificats/{certificate.number}/",
        "withdrawal_notified_on": "",
        "withdrawal_effective_on": "",
        "status_summary": f"Valide jusqu'au {french_date(certificate.valid_until)}.",
        "under_reservation": "false",
        "reservations": "",
        "state": "valid",
        "state_label": "Valide",
    }
    assert body(client.get("/api/v1/register.csv")) == body(client.get("/register.csv"))


def test_r_pub_1_the_json_export_holds_the_same_rows_as_the_api(client, api, issued):
    response = client.get("/register.json")
    assert response["Content-Type"] == "application/json"
    content = body(response)
    exported = json.loads(content)
    assert [row["number"] for row in exported] == [c.number for c in issued]
    assert [list(row) for row in exported] == [list(register.FIELD_NAMES)] * 3
    assert exported == api.get("/api/v1/register/").json()["results"]
    assert exported[1]["status"] == Status.WITHDRAWN and exported[1]["modules"] == [
        {"name": "Web", "version": "1.0"}
    ]
    assert body(client.get("/api/v1/register.json")) == content
    assert json.loads(body(client.get("/register.json", HTTP_ACCEPT="text/csv"))) == exported


def test_r_pub_1_the_table_schema_follows_the_data_gouv_conventions(client, api, catalogue):
    schemas = [client.get(url) for url in SCHEMAS]
    assert all(r.status_code == 200 and r["Content-Type"] == "application/json" for r in schemas)
    schema = schemas[0].json()
    assert all(r.json() == schema for r in schemas)
    assert schema["primaryKey"] == "number"
    assert schema["licenses"] == [register.LICENCE] and schema["licenses"][0]["name"] == (
        "etalab-2.0"
    )
    assert schema["title"].startswith("Registre des certificats de conformité")
    for key in ("description", "homepage", "path", "version", "contributors", "created"):
        assert schema[key], key
    assert schema["homepage"].endswith("/registre/")
    assert schema["path"].endswith("/register/schema.json")
    assert [field["name"] for field in schema["fields"]] == list(register.FIELD_NAMES)
    types = {field["name"]: field["type"] for field in schema["fields"]}
    assert {name for name, kind in types.items() if kind == "date"} == {
        "issued_on",
        "valid_until",
        "status_changed_on",
        "withdrawal_notified_on",
        "withdrawal_effective_on",
    }
    for field in schema["fields"]:
        assert field["title"] and field["description"] and "required" in field["constraints"]
    fields = {field["name"]: field for field in schema["fields"]}
    assert fields["status"]["constraints"]["enum"] == ["valid", "suspended", "withdrawn", "expired"]
    assert fields["kind"]["constraints"]["enum"] == Kind.values
    assert fields["number"]["constraints"] == {
        "required": True,
        "unique": True,
        "pattern": "^CC-[A-Z0-9]+-[0-9]{4}-[0-9]{4,}$",
    }


def test_r_pub_1_the_csv_validates_against_its_schema(client, issued, world):
    world.expire(world.issue(holder=world.b))
    schema = client.get("/register/schema.json").json()
    header, rows = csv_rows(client.get("/register.csv"))
    fields = schema["fields"]
    assert header == [field["name"] for field in fields]
    missing = schema["missingValues"]
    for row in rows:
        for field in fields:
            value, constraints = row[field["name"]], field["constraints"]
            if value in missing:
                assert not constraints["required"], (field["name"], row["number"])
                continue
            if field["type"] == "date":
                dt.date.fromisoformat(value)
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
            if "enum" in constraints:
                assert value in constraints["enum"], (field["name"], value)
            if "pattern" in constraints:
                assert re.fullmatch(constraints["pattern"], value)
            if field.get("format") == "uri":
                assert re.fullmatch(r"https?://\S+", value)
    keys = [row[schema["primaryKey"]] for row in rows]
    assert len(keys) == len(set(keys)) == Certificate.objects.count() == 4
    assert {row["status"] for row in rows} == {"valid", "suspended", "withdrawn", "expired"}


@pytest.mark.parametrize("url", ["/register.csv", "/register.json", "/api/v1/register.csv"])
def test_r_pub_1_an_export_answers_304_while_the_register_is_unchanged(client, world, url):
    first = world.issue()
    response = client.get(url)
    body(response)
    etag, modified = response["ETag"], response["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # A certificate issued changes the ETag: the old copy is sent again in full.
    world.issue(holder=world.b)
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert first.number in body(changed).decode()
    # So does a change of state (the certificate's `updated_at`).
    world.suspend(first)
    suspended = client.get(url, HTTP_IF_NONE_MATCH=changed["ETag"])
    assert suspended.status_code == 200 and suspended["ETag"] != changed["ETag"]
    assert "suspended" in body(suspended).decode()


def test_r_pub_1_the_csv_and_the_json_have_their_own_etag(client, world):
    world.issue()
    assert get(client, "/register.csv")["ETag"] != get(client, "/register.json")["ETag"]
    assert get(client, "/register.csv")["ETag"] == get(client, "/api/v1/register.csv")["ETag"]


def test_r_pub_1_an_export_reads_a_constant_number_of_queries(
    client, world, django_assert_num_queries
):
    world.issue()

    def read():
        # The state (how many certificates, the latest change: one query), then the rows in one
        # streamed query and their reservations (R-DEC-2) in one per batch of rows; the next
        # download of the same version reads the state only (its file).
        with django_assert_num_queries(3):
            first = body(client.get("/register.csv"))
        with django_assert_num_queries(1):
            assert body(client.get("/register.csv")) == first
        etag = get(client, "/register.json")["ETag"]
        with django_assert_num_queries(1):  # a current copy: the state only
            assert client.get("/register.json", HTTP_IF_NONE_MATCH=etag).status_code == 304

    read()
    world.issue(holder=world.b, version=world.tlc)
    world.issue()
    read()


def test_r_pub_1_each_version_of_the_register_is_written_once_then_served_from_its_file(
    client, world, settings, tmp_path
):
    settings.REGISTER_EXPORT_DIR = str(tmp_path / "exports")
    first = world.issue()
    response = client.get("/register.csv")
    assert not (tmp_path / "exports").exists()  # written as the download streams
    content = body(response)
    (written,) = (tmp_path / "exports").iterdir()
    assert written.read_bytes() == content and response["ETag"].strip('"') in written.name
    again = client.get("/register.csv")
    assert again.streaming and again["Content-Length"] == str(len(content))
    assert body(again) == content
    # A change: a new file for the new version, the old one removed once it is complete.
    world.suspend(first)
    changed = body(client.get("/register.csv"))
    (rewritten,) = (tmp_path / "exports").iterdir()
    assert rewritten != written and rewritten.read_bytes() == changed != content
    assert b"suspended" in changed


def test_r_pub_1_a_download_cut_short_leaves_no_file(client, world, settings, tmp_path):
    settings.REGISTER_EXPORT_DIR = str(tmp_path / "exports")
    world.issue()
    # The view itself, as a WSGI server runs it (the test client would close the response by
    # its own wrapper).
    response = export(RequestFactory().get("/register.json"), fmt="json")
    next(iter(response.streaming_content))  # the client goes away after the first chunk
    # The server closes the response; the test's database connection is kept, as the test
    # client keeps it.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    # Nothing stored, and the local temporary file it was being written to is gone.
    assert not (tmp_path / "exports").exists()
    assert list(upload_temp_dir().iterdir()) == []
    assert json.loads(body(client.get("/register.json")))[0]["status"] == "valid"


def test_r_pub_1_the_empty_register_exports_its_header(client, catalogue):
    header, rows = csv_rows(client.get("/register.csv"))
    assert header == list(register.FIELD_NAMES) and rows == []
    assert json.loads(body(client.get("/register.json"))) == []
    assert "Last-Modified" not in get(client, "/register.csv")
