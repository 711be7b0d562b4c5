"""The dashboard's certificates (issue 22 §5): per state and referential, the exceptional ones
apart; the terms ending in the next 90 days and what ends them; the open formal notices, the
overdue first; the withdrawals notified to take effect later. Each list has its CSV, and each
certificate's state reads as everywhere else (certificates.standing)."""

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.urls import reverse

from guichet.certificates import term_end
from guichet.certificates.lifecycle import act
from guichet.certificates.models import Kind
from guichet.certificates.sweep import sweep
from tests.certificates.world import certified, on, small_dmn
from tests.conftest import committed

pytestmark = pytest.mark.django_db

D = dt.date
PAGE = "dashboard:index"
# Issued on 4 March 2027, the convention signed on 1 March: the term runs to 29 February 2032.
ISSUED = D(2027, 3, 4)
VIEWED = D(2032, 1, 15)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def text(body: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def section(body: str, start: str, end: str | None = None) -> str:
    found = body[body.index(start) :]
    return found[: found.index(end)] if end else found


@pytest.fixture
def cast(catalogue, applicant, instructor, committee_member, agency_admin):
    return {
        "applicant": applicant,
        "instructor": instructor,
        "committee_member": committee_member,
        "admin": agency_admin,
    }


def issue(cast, version, day=ISSUED):
    with committed():
        return certified(
            version,
            applicant=cast["applicant"],
            instructor=cast["instructor"],
            committee_member=cast["committee_member"],
            day=day,
        )


def life(cast) -> dict:
    """One certificate in each situation the dashboard follows, reached by the acts."""
    dmn = small_dmn()
    names = ["renewed", "stopped", "noticed", "withdrawn", "scheduled"]
    found = {name: issue(cast, dmn, ISSUED + dt.timedelta(days=i)) for i, name in enumerate(names)}
    admin = cast["admin"]
    with on(D(2031, 11, 2)), committed():
        act(found["stopped"], "stop_renewal", by=admin, reason="Fin du service.")
        act(
            found["noticed"],
            "give_formal_notice",
            by=admin,
            reason="Les traces d'accès ne sont plus conservées.",
            kind="non_conformity",
            deadline=D(2031, 12, 15),
            suspend=True,
        )
        act(
            found["renewed"],
            "give_formal_notice",
            by=admin,
            reason="La politique de sécurité n'est pas à jour.",
            kind="non_conformity",
            deadline=D(2032, 3, 1),
        )
    with on(D(2031, 12, 1)), committed():
        act(
            found["withdrawn"],
            "withdraw",
            by=admin,
            reason="Le produit n'est plus conforme.",
            ground="fault_not_conforme",
        )
        act(
            found["scheduled"],
            "withdraw",
            by=admin,
            reason="Le produit n'est plus conforme.",
            ground="fault_not_conforme",
            effective_on=D(2032, 2, 1),
        )
    for certificate in found.values():
        certificate.refresh_from_db()
    return found


def test_r_crt_5_the_dashboard_follows_the_certificates_states_terms_notices_and_withdrawals(
    client, cast
):
    """R-CRT-2: « valable pour la durée de la convention, 5 ans, reconduit tacitement »;
    CSP R. 1470-9: « une mise en demeure … dans un délai qui ne peut excéder six mois » and a
    withdrawal whose effect the agency may defer « dans la limite de six mois »."""
    found = life(cast)
    with on(VIEWED):
        client.force_login(cast["instructor"])
        body = client.get(reverse(PAGE)).content.decode()
        exports = {
            slug: csv_rows(client.get(reverse("dashboard:export", args=[slug])))
            for slug in (
                "certificats",
                "certificats-echeances-90-jours",
                "mises-en-demeure",
                "retraits-notifies",
            )
        }
    page = text(section(body, "<h2>Certificats</h2>"))

    # By state: the withdrawal to come leaves its certificate valid until the day before.
    assert exports["certificats"][0] == ["État", "DMN", "TLC", "Certificats exceptionnels", "Total"]
    by_state = {row[0]: row[1:] for row in exports["certificats"][1:]}
    assert by_state["Valide"] == ["3", "0", "0", "3"]
    assert by_state["Suspendu"] == ["1", "0", "0", "1"]
    assert by_state["Retiré"] == ["1", "0", "0", "1"]
    assert by_state["Expiré"] == ["0", "0", "0", "0"]
    assert by_state["Total"] == ["5", "0", "0", "5"]
    assert 'id="chart-certificates-title"' in body

    # Terms ending within 90 days, the nearest first, with what the sweep will do; the one
    # withdrawn on 1 February 2032 is not renewed on 1 March.
    terms = exports["certificats-echeances-90-jours"]
    assert terms[0][4:] == [
        "État",
        "Fin de la période de validité",
        "Jours restants",
        "À l'échéance",
    ]
    by_number = {row[0]: row for row in terms[1:]}
    assert set(by_number) == {found[n].number for n in ("renewed", "stopped", "noticed")}
    renewed, stopped = by_number[found["renewed"].number], by_number[found["stopped"].number]
    assert renewed[5:7] == ["2032-02-29", "45"]
    assert renewed[7] == "Reconduction tacite le 1er mars 2032"
    assert stopped[7].startswith("Expiration le ")
    assert stopped[7].endswith("(non-reconduction notifiée le 2 novembre 2031)")
    assert by_number[found["noticed"].number][4].startswith("Suspendu depuis le 2 novembre 2031")
    assert "Reconduction tacite le 1er mars 2032" in page

    # Open notices: the overdue one first, its days given as overdue.
    notices = exports["mises-en-demeure"]
    assert [row[0] for row in notices[1:]] == [found["noticed"].number, found["renewed"].number]
    assert notices[1][4:9] == [
        "Mise en demeure de corriger des non-conformités",
        "2031-11-02",
        "2031-12-15",
        "-31",
        "oui",
    ]
    assert "dépassé de 31 jours" in page and "Mises en demeure en cours" in page

    # The withdrawal to come, with its date of effect, in the words of every other output.
    withdrawals = exports["retraits-notifies"]
    assert withdrawals[1][0] == found["scheduled"].number
    assert withdrawals[1][4:7] == ["2031-12-01", "2032-02-01", "17"]
    assert withdrawals[1][8] == (
        "Retrait notifié, effectif le 1er février 2032 (notifié le 1er décembre 2031) : valide "
        "jusqu'au 31 janvier 2032 — Faute (article 16) : le produit n'est pas ou plus conforme "
        "aux exigences"
    )
    assert "Retrait notifié, effectif le 1er février 2032" in page
    withdrawn_link = reverse("certificates:agency-detail", args=[found["scheduled"].number])
    assert f'href="{withdrawn_link}"' in body

    # What was announced is what the sweep does.
    with committed():
        report = sweep(today=D(2032, 3, 5))
    assert report.problems == []
    assert (report.renewed, report.withdrawn) == (2, 1)  # the suspended one is renewed too
    assert report.expired == 1
    with on(D(2032, 3, 5)):
        client.force_login(cast["instructor"])
        states = csv_rows(client.get(reverse("dashboard:export", args=["certificats"])))
    by_state = {row[0]: row[-1] for row in states[1:]}
    assert (by_state["Valide"], by_state["Retiré"], by_state["Expiré"]) == ("1", "2", "1")


def test_the_certificates_lists_say_when_there_is_nothing_to_follow(client, cast):
    client.force_login(cast["instructor"])
    page = text(client.get(reverse(PAGE)).content.decode())
    assert "Aucun certificat n'arrive à la fin de sa période de validité dans les 90 jours." in page
    assert "Aucune mise en demeure en cours." in page
    assert "Aucun retrait notifié à effet différé." in page


def test_r_act_1_an_applicant_finds_no_certificates_export(client, applicant):
    client.force_login(applicant)
    for slug in ("certificats", "mises-en-demeure", "retraits-notifies"):
        assert client.get(reverse("dashboard:export", args=[slug])).status_code == 404


def test_r_crt_4_an_exceptional_certificate_is_announced_to_expire_whatever_happens():
    """TLC guide §5.4: « Ce certificat expire en tout état de cause le 31 décembre 2024 »;
    R-CRT-2: the others are « reconduit tacitement » unless their renewal was stopped."""
    end = D(2024, 12, 31)
    assert term_end.words(kind=Kind.EXCEPTIONAL, valid_until=end, renewal_stopped_on=None) == (
        "Expiration le 1er janvier 2025 (certificat exceptionnel : il expire à sa date de fin "
        "en tout état de cause)"
    )
    assert term_end.outcome(kind=Kind.STANDARD, renewal_stopped_on=None) == term_end.RENEWAL
    assert term_end.outcome(kind=Kind.STANDARD, renewal_stopped_on=end) == term_end.EXPIRY
