"""The public list « Candidatures en cours » and its open data (R-PUB-2)."""

import csv
import io
import json

import pytest
from django.urls import reverse

from guichet.applications import review
from guichet.applications.services import save_draft, submit
from guichet.certificates import in_progress
from tests.certificates.world import certified, small_dmn, small_tlc
from tests.workflow import ApplicationFactory, fill, walk

pytestmark = pytest.mark.django_db

EXPORTS = (
    "/applications-in-progress.csv",
    "/applications-in-progress.json",
    "/api/v1/applications-in-progress.csv",
    "/api/v1/applications-in-progress.json",
)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def consenting(version, state, *, applicant, instructor, consent=True, planned="2027-03-31"):
    """An application walked to `state`, its admissibility form saying whether the planned date
    may be published."""
    application = ApplicationFactory(
        referential=version, applicant=applicant, instructor=instructor
    )
    fill(application, applicant)
    form = {**application.form, "publish_planned_date": consent, "planned_complete_date": planned}
    save_draft(by=applicant, application=application, data={"form": form})
    if state != "draft":
        submit(by=applicant, application=application)
    return walk(application, state, applicant=applicant, instructor=instructor)


def names(client, url="/api/v1/applications-in-progress/"):
    return [
        (row["product"], row["planned_complete_date"]) for row in client.get(url).json()["results"]
    ]


def test_r_pub_2_consenting_applications_in_progress_are_published(
    client, instructor, applicant, committee_member
):
    """Both guides §4.2: « Autorisation (ou non) de l'éditeur d'utilisation par l'ANS de la date
    prévisionnelle de dépôt de dossier de preuves complet pour publication ». Only consenting
    applicants' applications in progress are listed, with the product, the referential and that
    date; a draft (not filed), a refusal of consent, an ended or a certified application are
    not."""
    dmn, tlc = small_dmn(), small_tlc()
    submitted = consenting(
        dmn, "submitted", applicant=applicant, instructor=instructor, planned="2027-05-01"
    )
    complete = consenting(
        tlc, "complete", applicant=applicant, instructor=instructor, planned="2027-02-01"
    )
    consenting(dmn, "complete", applicant=applicant, instructor=instructor, consent=False)
    consenting(dmn, "draft", applicant=applicant, instructor=instructor)
    ended = consenting(dmn, "submitted", applicant=applicant, instructor=instructor)
    review.decide(
        by=instructor, application=ended, decision="not_admissible", reasons="Hors champ."
    )
    certificate = certified(
        dmn, applicant=applicant, instructor=instructor, committee_member=committee_member
    )
    assert certificate.application.form["publish_planned_date"] is True

    # The soonest planned date first.
    expected = [
        (complete.product.name, "2027-02-01"),
        (submitted.product.name, "2027-05-01"),
    ]
    assert names(client) == expected
    row = client.get("/api/v1/applications-in-progress/").json()["results"][0]
    assert row == {
        "product": complete.product.name,
        "version": complete.product_version,
        "referential": "TLC",
        "referential_version": tlc.number,
        "planned_complete_date": "2027-02-01",
    }

    page = client.get(reverse("certificates:in-progress"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Candidatures en cours" in text
    assert "2 candidatures en cours publiées" in text
    assert f"{submitted.product.name} {submitted.product_version}" in text
    assert "1er mai 2027" in text
    assert certificate.product_name not in text
    for person in ("Dominique Durand", "camille@telesante.fr", applicant.email):
        assert person not in text

    csv_rows = list(csv.DictReader(io.StringIO(body(client.get(EXPORTS[0])).decode())))
    assert [(r["product"], r["planned_complete_date"]) for r in csv_rows] == expected
    assert list(csv_rows[0]) == list(in_progress.FIELD_NAMES)
    for url in EXPORTS[1::2]:
        rows = json.loads(body(client.get(url)))
        assert [(r["product"], r["planned_complete_date"]) for r in rows] == expected
    for url in EXPORTS[::2]:
        assert client.get(url)["Content-Type"].startswith("text/csv")


def test_r_pub_2_the_list_leaves_when_the_application_ends(client, applicant, instructor):
    """« Un dossier de preuves est dit « complet » si toutes les preuves ont été fournies » (§4.2):
    the date stays published while the dossier is in progress, and leaves with its end."""
    application = consenting(small_dmn(), "submitted", applicant=applicant, instructor=instructor)
    assert len(names(client)) == 1
    review.decide(
        by=instructor, application=application, decision="not_admissible", reasons="Hors champ."
    )
    assert names(client) == []
    assert "Aucune candidature publiée" in client.get("/candidatures-en-cours/").content.decode()
    assert json.loads(body(client.get("/applications-in-progress.json"))) == []


def test_r_pub_2_linked_from_the_register_and_described_by_a_schema(client, db):
    """« pour publication » (§4.2): the list is public, linked from the register and the
    navigation, its open data described like the register's."""
    register = client.get("/registre/").content.decode()
    assert 'href="/candidatures-en-cours/"' in register
    schema = client.get("/applications-in-progress/schema.json").json()
    assert [f["name"] for f in schema["fields"]] == list(in_progress.FIELD_NAMES)
    assert client.get("/api/v1/applications-in-progress/schema.json").json() == schema
    assert client.post("/candidatures-en-cours/").status_code == 405
    assert client.get("/api/v1/applications-in-progress/?page=0").status_code == 400


def test_r_pub_2_query_counts_do_not_grow_with_data(
    client, applicant, instructor, django_assert_num_queries
):
    """The page and the exports read a constant number of queries."""
    version = small_dmn()

    def read():
        with django_assert_num_queries(2):  # the count, the page's rows
            client.get("/candidatures-en-cours/")
        with django_assert_num_queries(2):
            client.get("/api/v1/applications-in-progress/")
        for url in EXPORTS:
            with django_assert_num_queries(1):  # the rows, streamed
                body(client.get(url))

    consenting(version, "submitted", applicant=applicant, instructor=instructor)
    read()
    for _ in range(3):
        consenting(version, "submitted", applicant=applicant, instructor=instructor)
    read()
    assert len(names(client)) == 4
