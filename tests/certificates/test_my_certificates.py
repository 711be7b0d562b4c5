# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""« Mes certificats » (issue 22 §2, R-CRT-2, R-CRT-5, R-ACT-1): the holder's list of its
organisation's certificates — state in the one sentence every output says, next dates (term,
next check, a formal notice's deadline), the current sealed PDF —, linked from its navigation;
its query count does not grow with the data; another organisation's certificates never show."""

import datetime as dt
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.certificates.lifecycle import act
from tests.certificates.life_world import issued, life_dmn
from tests.certificates.world import on

pytestmark = pytest.mark.django_db

URL = reverse("certificates:mine")


def text(response) -> str:
    return html.unescape(response.content.decode())


def queries(client) -> int:
    client.get(URL)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_r_crt_2_my_certificates_lists_each_state_next_dates_and_documents(
    catalogue, people, client, member, stranger, instructor, applicant
):
    """DMN guide §6: « valable durant toute la durée de la convention soit 5 ans, renouvelable
    à chaque échéance par tacite reconduction »; CSP R. 1470-9: a formal notice « dans un délai
    qu'il fixe ». The holder reads, for each of its certificates, its state, what comes next
    and when, and downloads its sealed PDF; the other organisation's certificate is absent."""
    version = life_dmn()
    renewed = issued(version, signed=dt.date(2027, 1, 10), day=dt.date(2027, 3, 4), **people)
    stopped = issued(version, signed=dt.date(2027, 1, 10), day=dt.date(2027, 3, 11), **people)
    other = issued(
        version,
        signed=dt.date(2027, 1, 10),
        day=dt.date(2027, 3, 18),
        **{**people, "applicant": stranger},
    )
    with on(dt.date(2027, 6, 1)):
        act(stopped, "stop_renewal", by=applicant, reason="Fin de commercialisation.")
        act(
            renewed,
            "give_formal_notice",
            by=instructor,
            reason="Flux INS.",
            kind="non_conformity",
            deadline=dt.date(2027, 9, 1),
        )
        client.force_login(member)
        page = text(client.get(URL))
    for certificate in (renewed, stopped):
        certificate.refresh_from_db()
        assert certificate.number in page
        assert certificate.standing.summary in page
    assert other.number not in page
    assert "2 certificats" in page
    assert "Reconduction tacite le 10 janvier 2032" in page
    assert "Expiration le 10 janvier 2032" in page
    assert "Mise en demeure : répondre au plus tard le 1er septembre 2027" in page
    assert reverse("certificates:manage", args=[renewed.number]) in page
    assert (
        reverse("applications:file", args=[renewed.application_id, renewed.pdf_id]) in page
        if renewed.pdf_id
        else "PDF en préparation" in page
    )
    assert f'href="{URL}"' in page and "Mes certificats" in page  # the holder's navigation


def test_r_act_1_my_certificates_reads_a_constant_number_of_queries_and_only_ones_own(
    catalogue, people, client, member, stranger, instructor
):
    version = life_dmn()
    issued(version, signed=dt.date(2027, 1, 10), day=dt.date(2027, 3, 4), **people)
    with on(dt.date(2027, 6, 1)):
        client.force_login(member)
        one = queries(client)
    for day in (dt.date(2027, 3, 11), dt.date(2027, 3, 18)):
        issued(version, signed=dt.date(2027, 1, 10), day=day, **people)
    with on(dt.date(2027, 6, 1)):
        client.force_login(member)
        three = queries(client)
        page = text(client.get(URL))
        assert "3 certificats" in page
        client.force_login(stranger)
        outsider = text(client.get(URL))
        client.force_login(instructor)
        agency = client.get(URL)
        client.logout()
        anonymous = client.get(URL)
    assert one == three
    assert "0 certificat" in outsider and "CC-DMN" not in outsider
    assert "pas encore de certificat" in outsider
    assert agency.status_code == 302 and agency["Location"] == reverse("certificates:agency-list")
    assert anonymous.status_code == 302 and "connexion" in anonymous["Location"]
