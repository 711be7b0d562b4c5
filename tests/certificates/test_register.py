# ruff: noqa: F811 (the world fixture imported from register_world)
"""The public register (R-PUB-1): every certificate ever issued, newest first, with its current
state, searchable and filtered, on a page and in the API, without an account; never an
applicant's private data; a constant number of queries whatever its size."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.certificates import register
from guichet.certificates.models import Certificate
from guichet.deadlines import french_date
from tests.certificates.register_world import world  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/registre/"
API = "/api/v1/register/"


def text(response) -> str:
    return html.unescape(response.content.decode())


def rows(page: str) -> list[str]:
    """The register's table rows, as text without tags."""
    if "<tbody>" not in page:
        return []
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("<tr>")[1:]]


def count_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_r_pub_1_the_register_lists_every_certificate_newest_first_with_its_state(client, world):
    first = world.issue()
    reserved = world.issue(holder=world.b, version=world.tlc, outcome="granted_with_reservations")
    last = world.issue()
    world.suspend(first)
    world.withdraw(reserved)
    assert client.get(reverse("certificates:register")).request["PATH_INFO"] == REGISTER
    page = text(client.get(REGISTER))
    listed = rows(page)
    assert [row.split()[0] for row in listed] == [last.number, reserved.number, first.number]
    assert listed[1].startswith(
        f"{reserved.number} {reserved.product_name} {reserved.product_version} Autre "
        f"TLC {world.tlc.number} Retiré"
    )
    # A withdrawn certificate says when and why, and shows no validity date to come.
    assert listed[1].endswith(
        "Retiré Le 1er juillet 2027, avec effet immédiat Faute (article 16) : informations du "
        "dossier inexactes Motif : Informations du dossier inexactes 11 mars 2027 Plus valable "
        "depuis le 1er juillet 2027"
    )
    assert french_date(reserved.valid_until) not in listed[1]
    assert "Suspendu Depuis le 1er juin 2027" in listed[2]
    assert listed[0].endswith(f"Valide 18 mars 2027 Jusqu'au {french_date(last.valid_until)}")
    for certificate in (first, reserved, last):
        assert f'href="/certificats/{certificate.number}/"' in page
    assert 'fr-badge--error">Retiré' in page and 'fr-badge--warning">Suspendu' in page
    assert "3 certificats" in page


def test_r_pub_1_the_register_never_shows_private_data(client, api, world):
    certificate = world.issue()
    world.issue(holder=world.b, version=world.tlc)
    world.suspend(certificate)
    application = certificate.application
    private = [
        world.a.email,
        world.b.email,
        world.instructor.email,
        world.committee_member.email,
        world.agency_admin.email,
        application.form["contact_email"],
        application.form["contact_name"],
        application.form["contact_phone"],
        application.reference,
    ]
    assert certificate.operator_contact  # stated on the certificate, not in the register
    outputs = {}
    for url in (
        REGISTER,
        API,
        "/register.csv",
        "/register.json",
        "/api/v1/register.csv",
        "/registre/flux.atom",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        outputs[url] = html.unescape(body.decode())
    for url, body in outputs.items():
        assert certificate.number in body, url
        for value in private:
            assert value not in body, f"{url} shows {value}"
    (row,) = [r for r in api.get(API).json()["results"] if r["number"] == certificate.number]
    assert set(row) == set(register.FIELD_NAMES)


def test_r_pub_1_the_register_searches_product_company_and_number_and_filters(client, api, world):
    dmn = world.issue()
    tlc = world.issue(holder=world.b, version=world.tlc)
    other = world.issue()
    world.suspend(other)

    def numbers(query: str) -> list[str]:
        page = [row.split()[0] for row in rows(text(client.get(f"{REGISTER}?{query}")))]
        listed = [r["number"] for r in api.get(f"{API}?{query}").json()["results"]]
        assert page == listed, query
        return listed

    assert numbers(f"q={dmn.product_name}") == [dmn.number]
    assert numbers("q=autre") == [tlc.number]  # the company, whatever the case
    assert numbers("q=TLC-2027") == [tlc.number]
    assert numbers("referential=DMN") == [other.number, dmn.number]
    assert numbers("status=suspended") == [other.number]
    assert numbers("status=valid&referential=DMN") == [dmn.number]
    assert numbers("kind=exceptional") == []
    assert numbers("q=T%C3%A9l%C3%A9sant%C3%A9&status=valid") == [dmn.number]


def test_r_pub_1_a_wrong_filter_is_refused_in_french(client, api, world):
    world.issue()
    page = client.get(f"{REGISTER}?status=radie&referential=XYZ")
    assert page.status_code == 200
    assert "État inconnu « radie »" in text(page) and "Référentiel inconnu « XYZ »" in text(page)
    for query, field, detail in (
        ("status=radie", "status", "État inconnu « radie » : choisissez parmi valid"),
        ("referential=XYZ", "referential", "Référentiel inconnu « XYZ »"),
        ("kind=special", "kind", "Nature inconnue « special »"),
        ("q=" + "x" * 101, "q", "Saisissez au plus 100 caractères."),
        ("page_size=0", "page_size", "Indiquez un nombre entier de 1 à 500"),
    ):
        response = api.get(f"{API}?{query}")
        assert response.status_code == 400, query
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert detail in body["detail"] and field in body["errors"], body
    assert api.get(f"{API}?page=9").status_code == 404


def test_r_pub_1_the_register_is_paginated_by_fifty(client, api, world, monkeypatch):
    certificates = [world.issue() for _ in range(3)]
    assert register.PAGE_SIZE == 50
    monkeypatch.setattr(register, "PAGE_SIZE", 2)
    page = text(client.get(f"{REGISTER}?referential=DMN&page=2"))
    assert [row.split()[0] for row in rows(page)] == [certificates[0].number]
    assert "Page précédente" in page and "?referential=DMN&page=1" in page
    listed = api.get(f"{API}?page_size=2").json()
    assert listed["count"] == 3 and len(listed["results"]) == 2
    assert listed["next"].endswith(f"{API}?page=2&page_size=2") and listed["previous"] is None


def test_r_pub_1_the_register_reads_a_constant_number_of_queries(client, world):
    world.issue()
    one_page, one_api = count_queries(client, REGISTER), count_queries(client, API)
    world.withdraw(world.issue(holder=world.b, version=world.tlc))
    world.suspend(world.issue())
    world.issue(holder=world.b)
    assert Certificate.objects.count() == 4
    assert count_queries(client, REGISTER) == one_page
    assert count_queries(client, API) == one_api
    # The page: referential codes, the count, the page's certificates, their reservations
    # (R-DEC-2), the subscription form's referentials and companies.
    assert one_page == 6
    # The register's state (one query): the page itself is kept for that state; on a change,
    # the count and the page's rows besides.
    assert one_api == 1


def test_r_pub_1_the_register_says_in_french_when_it_is_empty(client, catalogue):
    page = text(client.get(REGISTER))
    assert "Aucun certificat pour le moment" in page and "0 certificat" in page
    assert "<table" not in page


def test_r_pub_1_a_search_without_result_says_so(client, world):
    world.issue()
    page = text(client.get(f"{REGISTER}?q=introuvable"))
    assert "Aucun certificat ne correspond à votre recherche" in page
    assert "Effacer les filtres" in page


def test_r_pub_1_everyone_finds_the_register_in_the_navigation(client, world):
    world.issue()
    link = f'<a class="fr-nav__link" href="{REGISTER}"'
    assert link in client.get("/").content.decode()
    client.login(email=world.a.email, password=PASSWORD)
    assert link in client.get("/").content.decode()
    assert 'href="/registre/" aria-current="page">Registre' in client.get(REGISTER).content.decode()


def test_r_pub_1_the_register_api_is_public_and_ignores_a_token(api, world):
    world.issue()
    listed = api.get(API, HTTP_AUTHORIZATION="Token nimporte-quoi")
    assert listed.status_code == 200
    assert set(listed.json()) == {"count", "next", "previous", "results"}
    assert api.post(API, {}).status_code == 405


def test_r_pub_1_an_api_page_is_written_once_per_state_of_the_register_and_has_its_etag(api, world):
    """The same page while the register is unchanged (a conditional request gets 304); a
    suspension changes its ETag and what it says."""
    certificate = world.issue()
    first = api.get(API)
    etag = first["ETag"]
    assert first.json()["results"][0]["status"] == "valid"
    assert api.get(API, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api.get(API + "?status=valid")["ETag"] != etag  # each page its own
    world.suspend(certificate)
    changed = api.get(API, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["results"][0]["status"] == "suspended"


def _inlined(node, components):
    """The OpenAPI 3.0 schema as plain JSON Schema: references inlined, `nullable` as a type."""
    if isinstance(node, list):
        return [_inlined(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _inlined(components[node["$ref"].rsplit("/", 1)[-1]], components)
    inlined = {key: _inlined(value, components) for key, value in node.items()}
    if inlined.pop("nullable", False) and "type" in inlined:
        inlined["type"] = [inlined["type"], "null"]
    return inlined


def test_r_pub_1_the_api_rows_are_those_its_openapi_schema_describes(api, world):
    from jsonschema import Draft7Validator

    world.withdraw(world.issue(holder=world.b, version=world.tlc))
    world.suspend(world.issue())
    world.issue()
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"][API]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "q",
        "referential",
        "status",
        "kind",
        "page",
        "page_size",
    }
    assert "400" in operation["responses"]
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]
    validator = Draft7Validator(_inlined(page, schema["components"]["schemas"]))
    listed = api.get(API).json()
    assert listed["count"] == 3
    validator.validate(listed)
    for path in ("/api/v1/register.csv", "/api/v1/register.json"):
        responses = schema["paths"][path]["get"]["responses"]
        assert "304" in responses and "200" in responses
