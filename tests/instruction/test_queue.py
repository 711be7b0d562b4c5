"""The instruction queue (R-CLK-1, R-CLK-9): the dossiers from complete onwards, in the order
their evidence became complete, each with its deadline as a date, the days left and the reason
when the clock is stopped; filters; a constant number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from guichet.accounts.models import Role
from guichet.applications.workflow import transition
from guichet.instruction import verdicts
from guichet.instruction.models import ClockState
from guichet.instruction.queue import instruction_queue
from tests.conftest import make_staff
from tests.instruction.instruction_world import (
    complete_dossier,
    in_instruction,
    on,
    proof_ids,
    small_version,
)
from tests.workflow import ApplicationFactory

pytestmark = pytest.mark.django_db

QUEUE_API = "/api/v1/instruction/queue"


@pytest.fixture
def dmn_small(catalogue):
    return small_version("DMN")


@pytest.fixture
def tlc_small(catalogue):
    return small_version("TLC")


def references(response) -> list[str]:
    return [row["reference"] for row in response.json()["results"]]


def page_order(client, references_, **params) -> list[str]:
    body = client.get(reverse("instruction:queue"), params).content.decode()
    found = [(body.index(ref), ref) for ref in references_ if ref in body]
    return [ref for _, ref in sorted(found)]


def test_r_clk_1_queue_lists_dossiers_from_complete_onwards_in_completion_order(
    client, api, applicant, instructor, dmn_small, tlc_small
):
    cast = {"applicant": applicant, "instructor": instructor}
    with on(dt.date(2027, 1, 12)):
        third = complete_dossier(dmn_small, **cast)
    with on(dt.date(2027, 1, 10)):
        first = in_instruction(tlc_small, **cast)
    with on(dt.date(2027, 1, 11)):
        second = in_instruction(dmn_small, **cast)
        verdicts.set_proof_verdicts(
            second, by=instructor, opinions={pk: ("conforme", "") for pk in proof_ids(second)}
        )
        transition(second, "finish_instruction", by=instructor)
    with on(dt.date(2027, 1, 13)):
        fourth = complete_dossier(dmn_small, **cast)
    # Admissible, its evidence not complete yet: not in the queue.
    admissible = ApplicationFactory(
        applicant=applicant,
        instructor=instructor,
        referential=tlc_small,
        state="admissible",
        profiles=["general"],
    )
    expected = [first.reference, second.reference, third.reference, fourth.reference]
    assert [a.reference for a in instruction_queue(instructor)] == expected
    assert [a.status for a in instruction_queue(instructor)] == [
        "in_instruction",
        "instruction_finished",
        "complete",
        "complete",
    ]
    with on(dt.date(2027, 1, 20)):
        client.force_login(instructor)
        assert page_order(client, [*expected, admissible.reference]) == expected
        api.force_authenticate(instructor)
        assert references(api.get(QUEUE_API)) == expected


def test_r_clk_9_each_row_gives_its_deadline_as_a_date_and_the_days_left(
    client, api, applicant, instructor, dmn_small, tlc_small
):
    cast = {"applicant": applicant, "instructor": instructor}
    with on(dt.date(2026, 12, 20)):
        late = in_instruction(dmn_small, **cast)  # DMN: 60 days → 18 February 2027
    with on(dt.date(2027, 1, 10)):
        dmn = complete_dossier(dmn_small, **cast)  # → 11 March 2027
        tlc = complete_dossier(tlc_small, **cast)  # TLC: 6 months → 10 July 2027
    with on(dt.date(2027, 3, 1)):
        client.force_login(instructor)
        body = client.get(reverse("instruction:queue")).content.decode()
        api.force_authenticate(instructor)
        rows = {row["reference"]: row for row in api.get(QUEUE_API).json()["results"]}
    assert "18 février 2027" in body and "dépassé de 11 jours" in body
    assert "11 mars 2027" in body and "10 jours restants" in body
    assert "10 juillet 2027" in body and "131 jours restants" in body
    assert rows[late.reference] | {"flags": None} == rows[late.reference] | {
        "deadline": "2027-02-18",
        "days_left": -11,
        "running": True,
        "paused_reason": None,
        "flags": None,
    }
    assert rows[late.reference]["flags"] == ["overdue"]
    assert rows[late.reference]["lead_instructor"]["email"] == instructor.email
    assert (rows[dmn.reference]["deadline"], rows[dmn.reference]["days_left"]) == ("2027-03-11", 10)
    assert (rows[tlc.reference]["deadline"], rows[tlc.reference]["days_left"]) == (
        "2027-07-10",
        131,
    )
    assert rows[dmn.reference]["lead_instructor"] is None
    assert rows[tlc.reference]["state"] == "complete"


def test_r_clk_9_a_stopped_clock_shows_its_reason_and_keeps_its_days(
    client, api, applicant, instructor, dmn_small
):
    with on(dt.date(2027, 1, 10)):
        application = in_instruction(dmn_small, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 1, 20)):  # DMN guide §5.2: the request stops the clock
        transition(
            application,
            "request_information",
            by=instructor,
            text="Précisez la procédure d'authentification.",
        )
    with on(dt.date(2027, 1, 25)):
        client.force_login(instructor)
        body = client.get(reverse("instruction:queue")).content.decode()
        api.force_authenticate(instructor)
        (row,) = api.get(QUEUE_API).json()["results"]
    reason = (
        "Délai suspendu depuis le 20 janvier 2027 : demande d'information en attente de réponse."
    )
    # 11 March 2027 + the 5 days stopped so far; days left frozen at the stop's 50.
    assert row | {"flags": []} == row | {
        "deadline": "2027-03-16",
        "days_left": 50,
        "running": False,
        "paused_reason": reason,
        "state": "information_requested",
    }
    assert escape(reason) in body and "16 mars 2027" in body and "50 jours restants" in body


def test_r_clk_1_filters_by_referential_pathway_state_assignee_and_flags(
    client, api, applicant, instructor, dmn_small, tlc_small
):
    other = make_staff("autre-instructeur@agence.test", Role.INSTRUCTOR)
    cast = {"applicant": applicant, "instructor": instructor}
    with on(dt.date(2027, 1, 10)):
        mine = in_instruction(dmn_small, **cast)
        theirs = in_instruction(tlc_small, **cast, lead=other)
        waiting = complete_dossier(dmn_small, **cast)
    # Standing for the daily sweep, which keeps each dossier's clock state: one overdue, one
    # stopped; the filters read these rows.
    for application, flags, running, reason in (
        (mine, ",overdue,", True, ""),
        (theirs, "", False, "Délai suspendu depuis le 5 janvier 2027 : pièces manquantes."),
        (waiting, "", True, ""),
    ):
        ClockState.objects.update_or_create(
            application=application,
            defaults={
                "flags": flags,
                "running": running,
                "paused_reason": reason,
                "computed_on": dt.date(2027, 1, 10),
            },
        )
    api.force_authenticate(instructor)
    client.force_login(instructor)
    cases = [
        ({"referential": "DMN"}, [mine, waiting]),
        ({"referential": "tlc"}, [theirs]),
        ({"pathway": "teleconsultation"}, [theirs]),
        ({"state": "complete"}, [waiting]),
        ({"assignee": "none"}, [waiting]),
        ({"assignee": "me"}, [mine]),
        ({"assignee": str(other.pk)}, [theirs]),
        ({"flag": "overdue"}, [mine]),
        ({"flag": "stopped"}, [theirs]),
        ({"flag": "no_answer_30"}, []),
        ({"referential": "DMN", "assignee": "none"}, [waiting]),
    ]
    everyone = [mine.reference, theirs.reference, waiting.reference]
    for params, expected in cases:
        expected = [a.reference for a in expected]
        response = api.get(QUEUE_API, params)
        assert response.status_code == 200, response.content
        assert references(response) == expected, params
        assert page_order(client, everyone, **params) == expected, params


def test_r_clk_1_an_unknown_filter_value_is_refused_with_the_choices(
    client, api, instructor, catalogue
):
    api.force_authenticate(instructor)
    response = api.get(QUEUE_API, {"state": "draft", "flag": "en-retard"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert set(problem["errors"]) == {"state", "flag"}
    assert "Valeur inconnue « en-retard »" in problem["errors"]["flag"][0]
    client.force_login(instructor)
    page = client.get(reverse("instruction:queue"), {"assignee": "quelqu'un"})
    assert page.status_code == 400
    assert "Valeur inconnue « quelqu&#x27;un »" in page.content.decode()


def test_r_clk_4_a_dossier_left_30_days_without_answer_goes_to_the_end_of_the_queue(
    api, applicant, instructor, dmn_small
):
    cast = {"applicant": applicant, "instructor": instructor}
    with on(dt.date(2027, 1, 10)):
        silent = in_instruction(dmn_small, **cast)
    with on(dt.date(2027, 1, 11)):
        later = in_instruction(dmn_small, **cast)
    # Standing for the daily sweep: the request to `silent` unanswered for 30 days (DMN §5.2).
    ClockState.objects.update_or_create(
        application=silent,
        defaults={
            "flags": ",no_answer_10,no_answer_20,no_answer_30,",
            "computed_on": dt.date.today(),
        },
    )
    assert [a.pk for a in instruction_queue(instructor)] == [later.pk, silent.pk]


def queries(call) -> int:
    call()
    with CaptureQueriesContext(connection) as captured:
        response = call()
        assert response.status_code == 200
    return len(captured)


def test_r_clk_1_queue_queries_do_not_grow_with_the_dossiers(
    client, api, applicant, instructor, dmn_small, tlc_small
):
    cast = {"applicant": applicant, "instructor": instructor}
    client.force_login(instructor)
    api.force_authenticate(instructor)
    counts = []
    for size in (3, 30):
        while len(instruction_queue(instructor)) < size:
            version = (dmn_small, tlc_small)[len(instruction_queue(instructor)) % 2]
            if len(instruction_queue(instructor)) % 3:
                complete_dossier(version, **cast)
            else:
                in_instruction(version, **cast)
        counts.append(
            (
                queries(lambda: client.get(reverse("instruction:queue"))),
                queries(lambda: api.get(QUEUE_API)),
            )
        )
    assert counts[0] == counts[1]


def test_r_act_1_the_queue_is_the_agencys(client, api, applicant, catalogue):
    client.force_login(applicant)
    assert client.get(reverse("instruction:queue")).status_code == 403
    api.force_authenticate(applicant)
    response = api.get(QUEUE_API)
    assert response.status_code == 403 and response.json()["detail"] == "Réservé à l'agence."
