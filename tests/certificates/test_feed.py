# ruff: noqa: F811 (the world fixture imported from register_world)
"""The register's Atom feed (R-PUB-1): issuances and changes of state, newest first, each
entry linking to the certificate's verification page; announced on the register's page."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from tests.certificates.register_world import world  # noqa: F401

pytestmark = pytest.mark.django_db

FEED = "/registre/flux.atom"
ATOM = {"atom": "http://www.w3.org/2005/Atom"}


def entries(client) -> tuple[ET.Element, list[dict]]:
    response = client.get(FEED)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    return root, [
        {
            "title": entry.findtext("atom:title", namespaces=ATOM),
            "link": entry.find("atom:link", ATOM).get("href"),
            "id": entry.findtext("atom:id", namespaces=ATOM),
            "updated": entry.findtext("atom:updated", namespaces=ATOM),
            "summary": entry.findtext("atom:summary", namespaces=ATOM),
        }
        for entry in root.findall("atom:entry", ATOM)
    ]


def test_r_pub_1_the_feed_lists_issuances_then_a_suspension_newest_first(client, world):
    first = world.issue(day=dt.date(2027, 3, 4))
    second = world.issue(holder=world.b, version=world.tlc, day=dt.date(2027, 3, 11))
    root, before = entries(client)
    assert root.findtext("atom:title", namespaces=ATOM) == (
        "Registre des certificats de conformité — derniers changements"
    )
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert [entry["title"] for entry in before] == [
        f"Délivrance — {second.number} — {second.product_name} {second.product_version}",
        f"Délivrance — {first.number} — {first.product_name} {first.product_version}",
    ]

    world.suspend(first, day=dt.date(2027, 6, 1), reason="Faille de sécurité")
    _, after = entries(client)
    assert [entry["title"].split(" — ")[:2] for entry in after] == [
        ["Suspension", first.number],
        ["Délivrance", second.number],
        ["Délivrance", first.number],
    ]
    suspension = after[0]
    assert suspension["link"] == f"http://127.0.0.1:8000/certificats/{first.number}/"
    assert suspension["updated"].startswith("2027-06-01T")
    assert "Suspension du certificat" in suspension["summary"]
    assert "le 1er juin 2027. Suspendu depuis le 1er juin 2027" in suspension["summary"]
    assert len({entry["id"] for entry in after}) == 3  # an id per change, not per certificate

    world.withdraw(second, day=dt.date(2027, 7, 1))
    _, latest = entries(client)
    assert latest[0]["title"].startswith(f"Retrait — {second.number}")


def test_r_pub_1_the_register_page_announces_its_feed(client, catalogue):
    page = client.get("/registre/").content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" '
        'title="Registre des certificats — derniers changements" href="/registre/flux.atom">'
    ) in page


def test_r_pub_1_the_feed_reads_a_constant_number_of_queries(
    client, world, django_assert_num_queries
):
    world.issue()
    with django_assert_num_queries(2):  # the latest revisions, the latest changes of state
        entries(client)
    world.suspend(world.issue(holder=world.b))
    world.issue()
    with django_assert_num_queries(2):
        _, listed = entries(client)
    assert len(listed) == 4
