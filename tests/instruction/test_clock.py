"""The legal clock as people see it (R-CLK-2, R-CLK-9): the clock API and the application
page's panel, for the applicant and the agency, and the clock's state kept by the workflow.
Dates are counted from today: the transition log is dated now in tests."""

import datetime as dt
import html

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from guichet.applications.clock import as_of
from guichet.deadlines import french_date
from guichet.instruction.clockstate import refresh
from guichet.instruction.models import ClockState
from tests.instruction.clock_steps import (
    answer_information,
    assign,
    days,
    request_information,
    request_missing_items,
    today,
)
from tests.instruction.instruction_world import small_shipped
from tests.workflow import ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dmn(catalogue):
    """A small DMN version with the shipped process settings (instruction_world.small_shipped):
    these tests read the clock and the states, not the catalogue's content."""
    return small_shipped("DMN")


@pytest.fixture
def tlc(catalogue):
    return small_shipped("TLC")


@pytest.fixture
def dmn_complete(applicant, instructor, dmn):
    return ApplicationFactory(
        referential=dmn, state="complete", applicant=applicant, instructor=instructor
    )


@pytest.fixture
def tlc_complete(applicant, instructor, tlc):
    return ApplicationFactory(
        referential=tlc, state="complete", applicant=applicant, instructor=instructor
    )


def clock_api(api, user, application):
    api.force_authenticate(user)
    return api.get(f"/api/v1/applications/{application.pk}/clock")


def page(client, user, application) -> str:
    client.force_login(user)
    response = client.get(reverse("applications:detail", args=[application.pk]))
    return html.unescape(response.content.decode())


def test_r_clk_2_dmn_deadline_is_60_days_after_the_acknowledgment_on_the_page_and_api(
    api, client, applicant, instructor, dmn_complete
):
    deadline = today() + dt.timedelta(days=60)
    expected = {
        "deadline": deadline.isoformat(),
        "days_left": 60,
        "running": True,
        "paused_reason": None,
        "flags": [],
    }
    for user in (applicant, instructor):
        response = clock_api(api, user, dmn_complete)
        assert response.status_code == 200 and response.json() == expected
        assert f"Décision attendue au plus tard le {french_date(deadline)} (J-60)." in page(
            client, user, dmn_complete
        )
    state = ClockState.objects.get(application=dmn_complete)  # written with `complete`
    assert (state.deadline, state.running, state.flags) == (deadline, True, "")


def test_r_clk_2_tlc_deadline_is_6_months_after_the_complete_dossier_on_the_page_and_api(
    api, client, applicant, instructor, tlc_complete
):
    deadline = today() + relativedelta(months=6)
    body = clock_api(api, applicant, tlc_complete).json()
    assert body["deadline"] == deadline.isoformat()
    assert body["days_left"] == (deadline - today()).days and body["running"] is True
    assert clock_api(api, instructor, tlc_complete).json() == body
    text = page(client, applicant, tlc_complete)
    assert f"Décision attendue au plus tard le {french_date(deadline)}" in text
    assert "silence vaut acceptation" in text  # the policy in words, on the page


def test_r_clk_9_a_stopped_clock_shows_its_reason_and_the_days_left_at_resumption(
    api, client, applicant, instructor, dmn_complete
):
    assign(dmn_complete, instructor)
    request = request_information(dmn_complete, instructor)
    since = french_date(today())
    reason = f"Délai suspendu depuis le {since} : demande d'information en attente de réponse."
    with as_of(days(12)):
        body = clock_api(api, applicant, dmn_complete).json()
        applicant_page = page(client, applicant, dmn_complete)
        agency_page = page(client, instructor, dmn_complete)
    # 12 days stopped: the deadline moved by 12 days, the days left stay at 60.
    assert body == {
        "deadline": (today() + dt.timedelta(days=72)).isoformat(),
        "days_left": 60,
        "running": False,
        "paused_reason": reason,
        "flags": ["no_answer_10"],
    }
    assert (
        f"Délai suspendu depuis le {since} : demande d'information en attente de réponse "
        "(il reste 60 jours à la reprise)." in applicant_page
    )
    assert f"au plus tard le {french_date(days(72))}" in applicant_page
    assert "la place du dossier dans la file d'instruction n'est plus garantie" in applicant_page
    assert "Sans réponse depuis 10 jours</p>" not in applicant_page  # badges: agency only
    assert "Sans réponse depuis 10 jours</p>" in agency_page
    assert "le dossier peut être dépriorisé" in agency_page
    # The answer restarts the clock: the state the queue reads follows the transition.
    answer_information(dmn_complete, applicant, request)
    state = ClockState.objects.get(application=dmn_complete)
    assert (state.running, state.paused_reason, state.frozen_days_left) == (True, "", None)
    assert state.deadline == today() + dt.timedelta(days=60)  # answered the same day


def test_r_clk_9_an_overdue_clock_says_by_how_many_days(api, client, applicant, dmn_complete):
    with as_of(days(63)):
        body = clock_api(api, applicant, dmn_complete).json()
        text = page(client, applicant, dmn_complete)
    assert (body["days_left"], body["running"], body["flags"]) == (-3, True, ["overdue"])
    assert (
        f"Délai dépassé de 3 jours : la décision était attendue au plus tard le {french_date(days(60))}."
        in text
    )


def test_r_clk_9_tlc_missing_items_stop_the_clock_until_they_come(
    api, client, applicant, instructor, tlc_complete
):
    assign(tlc_complete, instructor)
    request_missing_items(tlc_complete, instructor, due=days(60))
    body = clock_api(api, applicant, tlc_complete).json()
    assert (body["deadline"], body["days_left"], body["running"]) == (None, None, False)
    assert body["paused_reason"] == (
        f"Délai suspendu depuis le {french_date(today())} : pièces manquantes attendues, à "
        f"fournir avant le {french_date(days(60))}. Le délai de 6 mois repart à leur réception."
    )
    assert "Le délai de 6 mois repart à leur réception." in page(client, applicant, tlc_complete)
    state = ClockState.objects.get(application=tlc_complete)
    assert (state.deadline, state.running) == (None, False)


def test_the_clock_is_refused_to_another_organisation_and_to_anonymous(
    api, client, stranger, dmn_complete
):
    response = clock_api(api, stranger, dmn_complete)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    api.force_authenticate(None)
    assert api.get(f"/api/v1/applications/{dmn_complete.pk}/clock").status_code in (401, 403)


def test_no_clock_panel_before_the_dossier_is_complete(client, applicant, dmn_application):
    text = page(client, applicant, dmn_application)
    assert "Délai de décision" not in text
    body = clock_api(APIClient(), applicant, dmn_application).json()
    assert body == {
        "deadline": None,
        "days_left": None,
        "running": False,
        "paused_reason": None,
        "flags": [],
    }


def test_the_clock_state_is_written_only_when_something_changed(dmn_complete):
    state = ClockState.objects.get(application=dmn_complete)
    with CaptureQueriesContext(connection) as queries:
        refresh(dmn_complete)
    assert not [q for q in queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    refresh(dmn_complete, days(61))  # overdue: the flag is new
    state.refresh_from_db()
    assert (state.flags, state.computed_on) == (",overdue,", days(61))
