"""The collège's pages (R-DEC-1, R-DEC-2, R-ACT-1): the sessions list and a session's page read
a constant number of queries; decisions are recorded and signed off there with a confirmation,
a refusal keeps what was typed; an instructor reads but does not decide (403); an applicant
finds nothing (404)."""

import datetime as dt
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.applications.workflow import actions
from guichet.committee import services
from guichet.committee.models import AgendaItem, CommitteeSession, Decision
from tests.committee.committee_world import finished, session_on, small_dmn
from tests.conftest import committed
from tests.instruction.instruction_world import on

pytestmark = pytest.mark.django_db


@pytest.fixture
def dmn_small(catalogue):
    return small_dmn()


def queries(client, url, user) -> int:
    """The queries of a page, read by `user` signed in now (the clock may have travelled), once
    the session's first request and the versions' indexes are behind."""
    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_r_dec_1_the_sessions_list_reads_a_constant_number_of_queries(client, committee_member):
    url = reverse("committee:sessions")
    with on(dt.date(2027, 3, 1)):
        services.generate_sessions(by=committee_member, weekday=3, weeks=1)
    with on(dt.date(2027, 3, 20)):
        services.create_session(by=committee_member, date=dt.date(2027, 3, 25))
        few = queries(client, url, committee_member)
    with on(dt.date(2027, 3, 1)):
        services.generate_sessions(by=committee_member, weekday=1, weeks=12)
    with on(dt.date(2027, 3, 20)):
        services.create_session(by=committee_member, date=dt.date(2027, 3, 26))
        many = queries(client, url, committee_member)
        page = text(client.get(url))
    assert CommitteeSession.objects.count() == 15
    assert few == many
    assert "jeudi 25 mars 2027" in page and "Séances tenues ou passées" in page


def test_r_dec_1_a_session_page_reads_a_constant_number_of_queries(
    client, dmn_small, applicant, instructor, committee_member
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(
            dt.date(2027, 3, 4),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Dr Dupont", "body": "cnda"}],
        )
        finished(dmn_small, applicant=applicant, instructor=instructor)
    url = reverse("committee:session", args=[session.pk])
    with on(dt.date(2027, 3, 4)):
        one = queries(client, url, committee_member)
    with on(dt.date(2027, 3, 2)):
        finished(dmn_small, applicant=applicant, instructor=instructor, non_conforme=1)
        finished(dmn_small, applicant=applicant, instructor=instructor)
        services.add_members(session, by=committee_member, members=[{"user": instructor.pk}])
    with on(dt.date(2027, 3, 4)):
        services.record_decision(
            by=committee_member,
            session=session,
            application=session.agenda.last().application,
            outcome="granted",
            votes_for=2,
        )
        three = queries(client, url, committee_member)
    assert session.agenda.count() == 3
    assert one == three


def test_r_act_1_an_applicant_finds_nothing_on_the_committee_pages_and_an_instructor_cannot_decide(
    client, dmn_small, applicant, instructor, committee_member
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(
            dt.date(2027, 3, 4), by=committee_member, members=[{"user": committee_member.pk}]
        )
        application = finished(dmn_small, applicant=applicant, instructor=instructor)
    member = session.members.get()
    urls = [
        reverse("committee:sessions"),
        reverse("committee:session-create"),
        reverse("committee:sessions-generate"),
        reverse("committee:session", args=[session.pk]),
        reverse("committee:agenda-fill", args=[session.pk]),
        reverse("committee:members-add", args=[session.pk]),
        reverse("committee:presence", args=[session.pk]),
        reverse("committee:member-remove", args=[session.pk, member.pk]),
        reverse("committee:decision-record", args=[session.pk, application.pk]),
        reverse("committee:agenda-move", args=[session.pk, application.pk]),
        reverse("committee:decision-sign-off", args=[1]),
        reverse("committee:appeal", args=[application.pk]),
    ]
    client.force_login(applicant)
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"outcome": "granted", "reason": "x"}).status_code == 404, url
    client.force_login(instructor)
    assert client.get(reverse("committee:session", args=[session.pk])).status_code == 200
    with on(dt.date(2027, 3, 4)):
        client.force_login(instructor)
        response = client.post(
            reverse("committee:decision-record", args=[session.pk, application.pk]),
            {"outcome": "granted", "votes_for": "1", "action": "sign_off", "confirm": "on"},
        )
    assert response.status_code == 403
    assert not Decision.objects.exists()
    application.refresh_from_db()
    assert application.status == "instruction_finished"


def test_r_dec_2_the_session_page_records_then_signs_off_with_a_confirmation(
    client, dmn_small, applicant, instructor, committee_member
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(
            dt.date(2027, 3, 4),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Dr Dupont", "body": "cnda"}],
        )
        failing = finished(dmn_small, applicant=applicant, instructor=instructor, non_conforme=1)
        passing = finished(dmn_small, applicant=applicant, instructor=instructor)
    page_url = reverse("committee:session", args=[session.pk])
    # The application page's action leads to the session page of the dossier.
    (grant,) = [a for a in actions(passing, committee_member) if a["transition"].name == "grant"]
    assert grant["url"] == f"{page_url}#dossier-{passing.pk}"
    with on(dt.date(2027, 3, 4)):
        client.force_login(committee_member)
        page = text(client.get(page_url))
        assert (
            "Impossible : La certification ne s'attribue que si chaque preuve applicable est conforme"
            in page
        )
        # Refused: the page again, what was typed kept, the reason shown, nothing recorded.
        typed = "Le collège souhaite attribuer malgré tout."
        response = client.post(
            reverse("committee:decision-record", args=[session.pk, failing.pk]),
            {"outcome": "granted", "reasons": typed, "votes_for": "2", "action": "record"},
        )
        assert response.status_code == 409
        body = text(response)
        assert typed in body and "1 preuve sur 3 ne l'est pas (1 non conforme)" in body
        assert not Decision.objects.exists()
        # Signing off without the confirmation: refused, nothing recorded.
        response = client.post(
            reverse("committee:decision-record", args=[session.pk, passing.pk]),
            {"outcome": "granted", "votes_for": "2", "action": "sign_off"},
        )
        assert response.status_code == 400 and "Cochez la case pour confirmer" in text(response)
        assert not Decision.objects.exists()
        # Recorded, then signed off with the confirmation.
        response = client.post(
            reverse("committee:decision-record", args=[session.pk, passing.pk]),
            {"outcome": "granted", "votes_for": "2", "action": "record"},
            follow=True,
        )
        assert "Décision enregistrée sur" in text(response)
        decision = Decision.objects.get()
        assert "Arrêter la décision" in text(client.get(page_url))
        with committed():
            response = client.post(
                reverse("committee:decision-sign-off", args=[decision.pk]),
                {"confirm": "on"},
                follow=True,
            )
        assert "Décision arrêtée sur" in text(response)
        # Put off to the next session, with its reason.
        session_on(dt.date(2027, 3, 11), by=committee_member)
        response = client.post(
            reverse("committee:agenda-move", args=[session.pk, failing.pk]),
            {"reason": "Avis de l'instructeur attendu."},
            follow=True,
        )
        assert "Dossier reporté à la séance du 11 mars 2027" in text(response)
    passing.refresh_from_db()
    decision.refresh_from_db()
    assert passing.status == "granted" and decision.letter_id is not None
    assert AgendaItem.objects.get(session=session, application=failing).moved_reason == (
        "Avis de l'instructeur attendu."
    )
    # Once decided, the agency's page offers the decision on appeal, not the decision buttons.
    assert not [a for a in actions(passing, committee_member) if a["transition"].form]
    client.force_login(committee_member)
    page = text(client.get(reverse("applications:detail", args=[passing.pk])))
    assert "Enregistrer une décision sur recours" in page
    assert "Attribuer la certification" not in page
    # The applicant's page: the decision and its letter.
    client.force_login(applicant)
    page = text(client.get(reverse("applications:detail", args=[passing.pk])))
    assert "Attribution de la certification" in page
    assert reverse("applications:file", args=[passing.pk, decision.letter_id]) in page


def test_r_dec_1_sessions_are_created_and_generated_from_the_sessions_page(
    client, committee_member
):
    with on(dt.date(2027, 3, 1)):
        client.force_login(committee_member)
        response = client.post(
            reverse("committee:sessions-generate"), {"weekday": "3", "weeks": "2"}, follow=True
        )
        assert "2 séances créées : 4 mars 2027, 11 mars 2027." in text(response)
        response = client.post(
            reverse("committee:session-create"),
            {"date": "2027-03-04", "agents": [str(committee_member.pk)]},
            follow=True,
        )
        assert "Une séance du collège est déjà prévue le 4 mars 2027" in text(response)
        response = client.post(
            reverse("committee:session-create"),
            {"date": "2027-03-05", "agents": [str(committee_member.pk)]},
            follow=True,
        )
        assert "Séance du 5 mars 2027 créée" in text(response)
        response = client.post(reverse("committee:session-create"), {"date": "demain"}, follow=True)
        assert "Date de la séance invalide" in text(response)
    assert CommitteeSession.objects.count() == 3
