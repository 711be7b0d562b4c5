"""The agency's dashboard (issue 12 §3): its figures on a small world whose every count is
known, the deadlines at risk as R-CLK-9 shows a deadline, and its charts."""

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from guichet.accounts.models import Role
from guichet.committee import services as committee
from guichet.committee.models import AgendaItem
from guichet.dashboard import selectors
from guichet.instruction.models import ClockState
from tests.conftest import make_staff
from tests.dashboard.world import (
    complete,
    decide,
    decided,
    finish,
    request_information,
)
from tests.factories import OrganisationFactory, UserFactory
from tests.instruction.instruction_world import on, small_version

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 1)
D = dt.date


@pytest.fixture(scope="module")
def cast(module_db):
    """The applicant, the instructor and the collège's member, for the whole module."""
    organisation = OrganisationFactory(name="Télésanté", siren="732829320")
    return {
        "applicant": UserFactory(email="resp@telesante.fr", organisation=organisation),
        "instructor": make_staff("instructeur@agence.test", Role.INSTRUCTOR),
        "committee_member": make_staff("college@agence.test", Role.COMMITTEE),
    }


@pytest.fixture
def applicant(cast):
    return cast["applicant"]


@pytest.fixture
def instructor(cast):
    return cast["instructor"]


@pytest.fixture
def committee_member(cast):
    return cast["committee_member"]


@pytest.fixture(scope="module")
def world(cast):
    """Built once for the module (module_db), each test's changes rolled back after it.
    On 1 March 2027 (DMN: 60 days, stops added; TLC: 6 months):

    - A DMN complete 5 Jan 2027 → deadline 6 Mar: due this week;
    - B DMN complete 21 Dec 2026 → deadline 19 Feb: overdue by 10 days;
    - C DMN complete 20 Jan, request 29 Jan: stopped 31 days, 51 days left at resumption;
    - D DMN complete 9 Feb, request 19 Feb: stopped 10 days (not at risk);
    - K DMN complete 1 Dec 2026, request 5 Feb: overdue by 6 days when it stopped, stopped
      24 days (in both lists);
    - E TLC complete 1 Dec 2026 → deadline 1 Jun 2027 (not at risk);
    - F DMN complete 1 Oct 2026, granted 10 Nov (40 days; deadline 30 Nov: in time);
    - G DMN complete 1 Sep 2026, request 11 Sep answered 1 Oct (20 days: deadline 31 Oct
      → 20 Nov), refused 20 Nov (80 days: in time, on its last day);
    - H TLC complete 1 Jun 2026, granted 1 Dec (183 days; deadline 1 Dec: in time);
    - J DMN complete 1 Aug 2026, granted 15 Dec (136 days; deadline 30 Sep: late);
    - I DMN complete 1 Oct 2025, granted 10 Jan 2026, refused on appeal 1 Apr 2026: its
      first decision is older than 12 months — not counted.
    """
    committee_member = cast["committee_member"]
    dmn, tlc = small_version("DMN"), small_version("TLC")
    cast = {"applicant": cast["applicant"], "instructor": cast["instructor"]}
    world = {
        "A": complete(dmn, cast, D(2027, 1, 5)),
        "B": complete(dmn, cast, D(2026, 12, 21)),
        "C": complete(dmn, cast, D(2027, 1, 20), assign=True),
        "D": complete(dmn, cast, D(2027, 2, 9), assign=True),
        "K": complete(dmn, cast, D(2026, 12, 1), assign=True),
        "E": complete(tlc, cast, D(2026, 12, 1)),
    }
    request_information(world["C"], cast, D(2027, 1, 29))
    request_information(world["D"], cast, D(2027, 2, 19))
    request_information(world["K"], cast, D(2027, 2, 5))
    decisions = {"committee": committee_member}
    world |= {
        "F": decided(
            dmn, cast, complete_on=D(2026, 10, 1), decided_on=D(2026, 11, 10), **decisions
        ),
        "G": decided(
            dmn,
            cast,
            complete_on=D(2026, 9, 1),
            decided_on=D(2026, 11, 20),
            name="refuse",
            stop=(D(2026, 9, 11), D(2026, 10, 1)),
            **decisions,
        ),
        "H": decided(tlc, cast, complete_on=D(2026, 6, 1), decided_on=D(2026, 12, 1), **decisions),
        "J": decided(dmn, cast, complete_on=D(2026, 8, 1), decided_on=D(2026, 12, 15), **decisions),
        "I": decided(dmn, cast, complete_on=D(2025, 10, 1), decided_on=D(2026, 1, 10), **decisions),
    }
    world["I"] = decide(world["I"], committee_member, D(2026, 4, 1), "refuse")  # the appeal
    return world


def test_dossiers_per_state_and_referential(world):
    counts = selectors.state_counts()
    column = {code: i for i, code in enumerate(counts.referentials)}
    by_state = {
        row.status.value: (row.counts[column["DMN"]], row.counts[column["TLC"]], row.total)
        for row in counts.rows
    }
    assert {state: figures for state, figures in by_state.items() if figures[2]} == {
        "complete": (2, 1, 3),  # A, B; E
        "information_requested": (3, 0, 3),  # C, D, K
        "granted": (2, 1, 3),  # F, J; H
        "refused": (2, 0, 2),  # G, I
    }
    assert counts.total == 11
    assert [row.status.value for row in counts.rows][:2] == ["draft", "submitted"]


def test_r_clk_9_deadlines_at_risk_read_the_clock_state(world):
    with on(TODAY):
        counts = selectors.risk_counts(TODAY)
        lists = {
            kind: [a.reference for a in selectors.risk_list(kind, TODAY)]
            for kind in selectors.RISKS
        }
    ref = {name: application.reference for name, application in world.items()}
    assert counts == {"week": 1, "overdue": 2, "stopped": 2}
    assert lists == {
        "week": [ref["A"]],
        "overdue": [ref["B"], ref["K"]],  # running late first, then stopped late
        "stopped": [ref["C"], ref["K"]],  # the oldest stop first
    }
    assert ClockState.objects.get(application=world["C"]).paused_since == D(2027, 1, 29)
    # D, stopped on 19 February, is listed once stopped for more than 20 days: on 12 March
    # (21 days), not on 11 March (20 days).
    assert world["D"].reference in [
        a.reference for a in selectors.risk_list("stopped", D(2027, 3, 12))
    ]
    assert world["D"].reference not in [
        a.reference for a in selectors.risk_list("stopped", D(2027, 3, 11))
    ]


def test_r_clk_9_the_page_gives_each_deadline_at_risk_as_a_date_with_the_days_left(
    client, instructor, world
):
    with on(TODAY):
        client.force_login(instructor)
        body = html.unescape(client.get(reverse("dashboard:index")).content.decode())
    assert "Chiffres au 1er mars 2027" in body
    week = section(body, "Échéance dans les 7 jours</h3>", "<h3>")
    assert world["A"].reference in week and "6 mars 2027" in week and "5 jours restants" in week
    assert reverse("instruction:page", args=[world["A"].pk]) in week
    overdue = section(body, "Délai dépassé</h3>", "<h3>")
    assert "19 février 2027" in overdue and "dépassé de 10 jours" in overdue
    assert "dépassé de 6 jours à la reprise" in overdue  # K, stopped after its deadline
    stopped = section(body, "Délai suspendu depuis plus de 20 jours</h3>", "<h2>")
    assert "51 jours restants à la reprise" in stopped  # C
    assert "29 janvier 2027" in stopped and "<td>31</td>" in stopped
    assert (
        "Délai suspendu depuis le 29 janvier 2027 : demande d'information en attente de réponse."
        in stopped
    )
    assert world["D"].reference not in stopped


def test_instruction_time_median_and_90th_percentile_over_the_last_12_months(world):
    found = selectors.decided_in_window(TODAY)
    days = {item.application_id: item.days for item in found}
    assert days == {world["F"].pk: 40, world["G"].pk: 80, world["H"].pk: 183, world["J"].pk: 136}
    rows = {row.label: row for row in selectors.timeliness(found, ["DMN", "TLC"]).rows}
    assert (rows["DMN"].decided, rows["DMN"].median, rows["DMN"].p90) == (3, 80, 136)
    assert (rows["TLC"].decided, rows["TLC"].median, rows["TLC"].p90) == (1, 183, 183)
    assert (rows["Ensemble"].decided, rows["Ensemble"].median, rows["Ensemble"].p90) == (
        4,
        108,
        183,
    )
    buckets = dict(selectors.timeliness(found, ["DMN", "TLC"]).buckets)
    assert buckets == {
        "30 jours ou moins": 0,
        "31 à 60 jours": 1,
        "61 à 90 jours": 1,
        "91 à 120 jours": 0,
        "121 à 180 jours": 1,
        "plus de 180 jours": 1,
    }


def test_share_decided_within_the_legal_deadline_as_it_stood_on_the_day_of_the_decision(world):
    found = {item.application_id: item for item in selectors.decided_in_window(TODAY)}
    assert found[world["G"].pk].deadline == D(2026, 11, 20)  # 31 Oct + 20 stopped days
    assert found[world["H"].pk].deadline == D(2026, 12, 1)
    assert found[world["J"].pk].deadline == D(2026, 9, 30)
    assert {pk for pk, item in found.items() if not item.in_time} == {world["J"].pk}
    rows = {
        row.label: row for row in selectors.timeliness(list(found.values()), ["DMN", "TLC"]).rows
    }
    assert (rows["DMN"].in_time, rows["DMN"].late) == (2, 1)
    assert rows["TLC"].share_in_time == 100
    assert rows["Ensemble"].share_in_time == 75


def test_committee_throughput_per_held_session(applicant, instructor, committee_member, world):
    """The world's sessions (one dossier decided at each) and two more: on 5 January 2027 L
    and M are on the agenda, L is put off to 12 January and decided there; a session planned
    after today is not counted, nor the one of January 2026 (older than 12 months)."""
    cast = {"applicant": applicant, "instructor": instructor}
    dmn = world["F"].referential_version
    late, decided_then = (complete(dmn, cast, D(2026, 12, 20), assign=True) for _ in range(2))
    with on(D(2027, 1, 5)):
        for day in (D(2027, 1, 5), D(2027, 1, 12)):
            committee.create_session(by=committee_member, date=day, members=[{"user": instructor}])
    finish(late, cast, D(2027, 1, 5))
    finish(decided_then, cast, D(2027, 1, 5))
    with on(D(2027, 1, 5)):
        committee.move_to_next_session(
            AgendaItem.objects.get(application=late), by=committee_member, reason="Avis attendu"
        )
    decide(decided_then, committee_member, D(2027, 1, 5))
    decide(late, committee_member, D(2027, 1, 12))
    with on(TODAY):
        committee.create_session(by=committee_member, date=D(2027, 3, 10))
    rows = selectors.session_throughput(TODAY)
    assert [(row.date, row.agenda, row.decided, row.moved) for row in rows] == [
        (D(2026, 11, 10), 1, 1, 0),
        (D(2026, 11, 20), 1, 1, 0),
        (D(2026, 12, 1), 1, 1, 0),
        (D(2026, 12, 15), 1, 1, 0),
        (D(2027, 1, 5), 2, 1, 1),
        (D(2027, 1, 12), 1, 1, 0),
    ]


def test_the_page_draws_each_figure_as_svg_with_its_table_and_no_inline_style(
    client, instructor, world
):
    with on(TODAY):
        client.force_login(instructor)
        response = client.get(reverse("dashboard:index"))
    body = response.content.decode()
    assert response.status_code == 200
    charts = re.findall(r"<svg [^>]*>.*?</svg>", body, flags=re.S)
    assert len(charts) == 6  # the certificates' too (issue 22 §5)
    for chart in charts:
        assert 'role="img"' in chart and "<title id=" in chart and "<desc id=" in chart
    assert "Dossiers par état et par référentiel</title>" in body
    assert "Dossiers reportés à une séance suivante</th>" in body
    assert not re.search(r"\sstyle\s*=", body), "an inline style would break the CSP"
    assert "<style" not in body and "<script>" not in body
    assert "style-src 'self'" in response["Content-Security-Policy"]
    # Each table has its CSV.
    for slug in (
        "etats",
        "echeances",
        "echeances-7-jours",
        "delais-depasses",
        "college",
        "certificats",
        "certificats-echeances-90-jours",
        "mises-en-demeure",
        "retraits-notifies",
    ):
        assert reverse("dashboard:export", args=[slug]) in body


def section(body: str, start: str, end: str) -> str:
    after = body[body.index(start) + len(start) :]
    return after[: after.index(end)] if end in after else after


def test_instruction_times_are_kept_until_the_next_decision_and_never_stale(
    world, cast, django_assert_max_num_queries
):
    """The instruction times read every dossier decided in the year (2 s at 100,000 dossiers,
    issue 24 §1): kept in the shared cache, asked again once a new decision is recorded — the
    page never shows figures older than the last decision."""
    dmn = small_version("DMN")
    first = selectors.kept_timeliness(TODAY, ["DMN", "TLC"])
    assert {row.label: row.decided for row in first.rows}["Ensemble"] == 4
    with django_assert_max_num_queries(2):  # the last decision, the cache
        assert selectors.kept_timeliness(TODAY, ["DMN", "TLC"]) == first
    decided(
        dmn,
        {"applicant": cast["applicant"], "instructor": cast["instructor"]},
        complete_on=D(2027, 1, 2),
        decided_on=D(2027, 2, 25),
        committee=cast["committee_member"],
    )
    after = selectors.kept_timeliness(TODAY, ["DMN", "TLC"])
    assert {row.label: row.decided for row in after.rows}["Ensemble"] == 5
