"""The dashboard's page and CSV exports: who may see them (R-ACT-1), what the CSV holds, and
a number of queries that does not grow with the dossiers."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.accounts.models import Role
from guichet.certificates.lifecycle import act
from guichet.certificates.models import Certificate
from guichet.committee.models import CommitteeSession
from tests.certificates.world import certified
from tests.conftest import make_staff
from tests.dashboard.world import complete, decided, request_information
from tests.instruction.instruction_world import on, small_version

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 1)
D = dt.date
PAGE = "dashboard:index"


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())  # the BOM: spreadsheet programs read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def dmn_small(catalogue):
    return small_version("DMN")


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.COMMITTEE, Role.SUPPORT, Role.AGENCY_ADMIN])
def test_r_act_1_every_agency_role_sees_the_dashboard(client, role):
    client.force_login(make_staff(f"{role}@agence.test", role))
    response = client.get(reverse(PAGE))
    assert response.status_code == 200
    assert "<h1>Tableau de bord</h1>" in response.content.decode()
    assert client.get(reverse("dashboard:export", args=["etats"])).status_code == 200
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse(PAGE)}"' in home  # in the navigation


def test_r_act_1_an_applicant_finds_no_dashboard(client, applicant):
    client.force_login(applicant)
    assert client.get(reverse(PAGE)).status_code == 404
    assert client.get(reverse("dashboard:export", args=["etats"])).status_code == 404
    assert f'href="{reverse(PAGE)}"' not in client.get(reverse("home")).content.decode()


def test_r_act_1_an_anonymous_visitor_is_sent_to_sign_in(client):
    for url in (reverse(PAGE), reverse("dashboard:export", args=["etats"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_an_unknown_table_is_not_found(client, instructor):
    client.force_login(instructor)
    response = client.get(reverse("dashboard:export", args=["inconnu"]))
    assert response.status_code == 404


def test_the_states_table_exports_as_csv_with_french_headers_and_a_bom(
    client, applicant, instructor, dmn_small
):
    cast = {"applicant": applicant, "instructor": instructor}
    complete(dmn_small, cast, D(2027, 2, 1))
    complete(dmn_small, cast, D(2027, 2, 2), assign=True)
    client.force_login(instructor)
    response = client.get(reverse("dashboard:export", args=["etats"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="tableau-de-bord-etats-'
    )
    rows = csv_rows(response)
    assert rows[0] == ["État", "DMN", "TLC", "Total"]
    by_state = {row[0]: row[1:] for row in rows[1:]}
    assert by_state["Dossier complet — en attente d'instruction"] == ["1", "0", "1"]
    assert by_state["En instruction"] == ["1", "0", "1"]
    assert by_state["Brouillon"] == ["0", "0", "0"]
    assert rows[-1] == ["Total", "2", "0", "2"]


def test_a_list_of_dossiers_exports_every_row_with_iso_dates(
    client, applicant, instructor, dmn_small
):
    cast = {"applicant": applicant, "instructor": instructor}
    late = complete(dmn_small, cast, D(2026, 12, 21))  # deadline 19 February 2027
    stopped = complete(dmn_small, cast, D(2027, 1, 20), assign=True)
    request_information(stopped, cast, D(2027, 1, 29))
    with on(TODAY):
        client.force_login(instructor)
        overdue = csv_rows(client.get(reverse("dashboard:export", args=["delais-depasses"])))
        long_stops = csv_rows(client.get(reverse("dashboard:export", args=["suspendus-20-jours"])))
    assert overdue[0] == [
        "Référence",
        "Produit",
        "Entreprise",
        "Référentiel",
        "État",
        "Échéance",
        "Jours restants",
        "Suspendu depuis le",
        "Jours de suspension",
        "Motif de la suspension",
    ]
    assert overdue[1:] == [
        [
            late.reference,
            f"{late.product.name} 1.0",
            late.organisation.name,
            late.referential_version.label,
            "Dossier complet — en attente d'instruction",
            "2027-02-19",
            "-10",
            "",
            "",
            "",
        ]
    ]
    assert [row[0] for row in long_stops[1:]] == [stopped.reference]
    assert long_stops[1][5:9] == ["", "51", "2027-01-29", "31"]
    assert long_stops[1][9].startswith("Délai suspendu depuis le 29 janvier 2027")


def test_the_page_shows_a_part_of_a_long_list_and_its_csv_all_of_it(
    client, applicant, instructor, dmn_small, monkeypatch
):
    from guichet.dashboard import tables

    monkeypatch.setattr(tables, "LIST_LIMIT", 1)
    cast = {"applicant": applicant, "instructor": instructor}
    first = complete(dmn_small, cast, D(2026, 12, 20))
    second = complete(dmn_small, cast, D(2026, 12, 21))
    with on(TODAY):
        client.force_login(instructor)
        body = client.get(reverse(PAGE)).content.decode()
        exported = csv_rows(client.get(reverse("dashboard:export", args=["delais-depasses"])))
    overdue = body[body.index("Délai dépassé</h3>") : body.index("plus de 20 jours</h3>")]
    assert first.reference in overdue and second.reference not in overdue
    assert "les 1 plus urgents sur 2" in overdue
    assert "Télécharger ce tableau complet (2 dossiers) au format CSV" in overdue
    assert [row[0] for row in exported[1:]] == [first.reference, second.reference]


def grow_certificates(size, dmn, cast, committee_member):
    """`size` certificates of each kind the certificates' part lists (issue 22 §5), reached by
    the acts: a term ending within 90 days of TODAY (issued in 2022), an open formal notice,
    a withdrawal notified to take effect later."""
    agency = cast["instructor"]
    for _ in range(size):
        # One session a certificate: each on a day of its own.
        later = dt.timedelta(days=Certificate.objects.count())
        certified(dmn, committee_member=committee_member, day=D(2022, 3, 10) + later, **cast)
        noticed, scheduled = (
            certified(dmn, committee_member=committee_member, day=D(2027, 1, 4) + later + n, **cast)
            for n in (dt.timedelta(days=1), dt.timedelta(days=2))
        )
        with on(TODAY - dt.timedelta(days=5)):
            act(
                noticed,
                "give_formal_notice",
                by=agency,
                reason="Non-conformités relevées au contrôle.",
                kind="non_conformity",
                deadline=TODAY + dt.timedelta(days=30),
            )
            act(
                scheduled,
                "withdraw",
                by=agency,
                reason="Le produit n'est plus conforme.",
                ground="fault_not_conforme",
                effective_on=TODAY + dt.timedelta(days=60),
            )


def grow(size, dmn, cast, committee_member):
    """`size` dossiers of each kind the figures read: due this week, overdue, stopped for
    more than 20 days, decided by the collège (each at a session of its own); and `size`
    certificates of each kind its certificates' part reads."""
    grow_certificates(size, dmn, cast, committee_member)
    for _ in range(size):
        complete(dmn, cast, D(2027, 1, 5))
        complete(dmn, cast, D(2026, 12, 21))
        stopped = complete(dmn, cast, D(2027, 1, 20), assign=True)
        request_information(stopped, cast, D(2027, 1, 29))
        decided(
            dmn,
            cast,
            complete_on=D(2026, 10, 1),
            decided_on=D(2026, 11, 10) + dt.timedelta(days=CommitteeSession.objects.count()),
            committee=committee_member,
        )


def test_the_page_makes_the_same_number_of_queries_at_two_sizes(
    client, applicant, instructor, committee_member, dmn_small
):
    cast = {"applicant": applicant, "instructor": instructor}
    counts = []
    for size in (1, 2):  # 1, then 3 of each
        grow(size, dmn_small, cast, committee_member)
        with on(TODAY):
            client.force_login(instructor)
            client.get(reverse(PAGE))
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse(PAGE))
        assert response.status_code == 200
        counts.append(len(queries))
    # 18 on this branch: the session, the user, the terms of use (the account gate); the
    # referentials, the states (GROUP BY), the risks (one filtered count, three lists); the
    # dossiers decided over 12 months, their versions, their transition log; the sessions;
    # the certificates: two counts (terms and withdrawals, open notices), the GROUP BY per
    # state, three lists.
    assert counts[0] == counts[1], counts
    body = response.content.decode()
    assert "Aucune mise en demeure en cours." not in body
    assert "Aucun retrait notifié à effet différé." not in body
    assert "Aucun certificat n'arrive à la fin de sa période de validité" not in body
