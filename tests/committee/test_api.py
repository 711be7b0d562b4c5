"""The collège's API (R-DEC-1, R-DEC-2, R-ACT-1): sessions listed and created by the agency,
a session with its agenda, decisions recorded and signed off; an applicant finds nothing
there (404), an agent outside the collège may read but not decide (403)."""

import datetime as dt

import pytest

from guichet.committee.models import CommitteeSession, Decision
from tests.committee.committee_world import finished, session_on, small_dmn
from tests.instruction.instruction_world import on

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/committee/sessions/"


@pytest.fixture
def dmn_small(catalogue):
    return small_dmn()


def test_r_dec_1_the_agency_lists_and_creates_sessions_and_applicants_find_nothing(
    api, committee_member, instructor, applicant
):
    with on(dt.date(2027, 3, 1)):
        api.force_authenticate(committee_member)
        created = api.post(
            SESSIONS,
            {
                "date": "2027-03-04",
                "members": [
                    {"user": committee_member.pk},
                    {"name": "Dr Claire Dupont", "body": "cnda"},
                ],
            },
            format="json",
        )
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["date"] == "2027-03-04" and body["status"] == "planned"
        assert sorted((m["name"], m["body"]) for m in body["members"]) == sorted(
            [(committee_member.get_full_name(), "ans"), ("Dr Claire Dupont", "cnda")]
        )
        again = api.post(SESSIONS, {"date": "2027-03-04"}, format="json")
        assert again.status_code == 409
        assert again["Content-Type"] == "application/problem+json"
        bad = api.post(
            SESSIONS,
            {"date": "2027-03-11", "members": [{"name": "X", "body": "ars"}]},
            format="json",
        )
        assert bad.status_code == 400 and "Organisme inconnu" in bad.json()["detail"]
        both = api.post(
            SESSIONS,
            {"date": "2027-03-11", "members": [{"user": instructor.pk, "name": "X"}]},
            format="json",
        )
        assert both.status_code == 400
        # An instructor reads, does not create.
        api.force_authenticate(instructor)
        listed = api.get(SESSIONS).json()
        assert listed["count"] == 1 and listed["results"][0]["date"] == "2027-03-04"
        refused = api.post(SESSIONS, {"date": "2027-03-11"}, format="json")
        assert refused.status_code == 403
        assert "un instructeur ne décide pas seul" in refused.json()["detail"]
        # An applicant finds nothing; a method no operation takes is a 405 for everyone.
        api.force_authenticate(applicant)
        session_id = body["id"]
        for url, posted in (
            (SESSIONS, 404),
            (f"{SESSIONS}{session_id}", 405),
            (f"{SESSIONS}{session_id}/decisions", 404),
        ):
            assert api.get(url).status_code in (404, 405)
            assert api.post(url, {"date": "2027-03-11"}, format="json").status_code == posted
        api.force_authenticate(None)
        assert api.get(SESSIONS).status_code == 401
    assert CommitteeSession.objects.count() == 1


def test_r_dec_2_decisions_through_the_api_refusal_with_its_reason_then_signed_off(
    api, dmn_small, applicant, instructor, committee_member, stranger
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(
            dt.date(2027, 3, 4),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Mme Martin", "body": "cnam"}],
        )
        failing = finished(dmn_small, applicant=applicant, instructor=instructor, non_conforme=2)
        passing = finished(dmn_small, applicant=applicant, instructor=instructor)
    url = f"{SESSIONS}{session.pk}/decisions"
    api.force_authenticate(committee_member)
    with on(dt.date(2027, 3, 4)):
        detail = api.get(f"{SESSIONS}{session.pk}").json()
        assert [row["application"] for row in detail["agenda"]] == [failing.pk, passing.pk]
        first = detail["agenda"][0]
        assert first["verdicts"] == {
            "total": 3,
            "conforme": 1,
            "non_conforme": 2,
            "a_preciser": 0,
            "missing": 0,
        }
        assert first["outcomes"]["granted"].endswith(
            "2 preuves sur 3 ne le sont pas (2 non conformes)."
        )
        assert first["outcomes"]["refused"] == ""
        refused = api.post(url, {"application": failing.pk, "outcome": "granted"}, format="json")
        assert refused.status_code == 409
        assert refused.json()["detail"] == (
            "La certification ne s'attribue que si chaque preuve applicable est conforme "
            "(R-DEC-2) : 2 preuves sur 3 ne le sont pas (2 non conformes)."
        )
        no_reasons = api.post(url, {"application": failing.pk, "outcome": "refused"}, format="json")
        assert no_reasons.status_code == 400
        assert not Decision.objects.exists()
        recorded = api.post(
            url,
            {"application": passing.pk, "outcome": "granted", "votes_for": 2},
            format="json",
        )
        assert recorded.status_code == 201 and recorded.json()["signed_off_at"] is None
        signed = api.post(
            url,
            {"application": passing.pk, "outcome": "granted", "votes_for": 2, "sign_off": True},
            format="json",
        )
        assert signed.status_code == 200, signed.content
        body = signed.json()
        assert body["signed_off_at"] is not None and body["decided_on"] == "2027-03-04"
        assert body["certificate"].startswith("CC-") and body["votes_for"] == 2
        # The instructor does not decide; an applicant, even its own dossier's, finds nothing.
        api.force_authenticate(instructor)
        assert (
            api.post(
                url,
                {"application": failing.pk, "outcome": "refused", "reasons": "Non."},
                format="json",
            ).status_code
            == 403
        )
        for user in (applicant, stranger):
            api.force_authenticate(user)
            assert (
                api.post(
                    url,
                    {"application": failing.pk, "outcome": "refused", "reasons": "Non."},
                    format="json",
                ).status_code
                == 404
            )
    passing.refresh_from_db()
    failing.refresh_from_db()
    assert (passing.status, failing.status) == ("granted", "instruction_finished")
    assert Decision.objects.count() == 1


def test_r_act_1_another_organisation_finds_no_decision(
    api, dmn_small, applicant, instructor, committee_member, stranger
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(
            dt.date(2027, 3, 4), by=committee_member, members=[{"user": committee_member.pk}]
        )
        application = finished(dmn_small, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 3, 4)):
        api.force_authenticate(committee_member)
        api.post(
            f"{SESSIONS}{session.pk}/decisions",
            {"application": application.pk, "outcome": "granted", "votes_for": 1, "sign_off": True},
            format="json",
        )
    api.force_authenticate(stranger)
    for url in (
        f"/api/v1/applications/{application.pk}/decision",
        f"/api/v1/applications/{application.pk}/decision.pdf",
    ):
        assert api.get(url).status_code == 404
    api.force_authenticate(applicant)
    assert api.get(f"/api/v1/applications/{application.pk}/decision").status_code == 200


def test_r_dec_1_a_session_read_by_the_api_makes_the_same_queries_whatever_its_grants(
    api, dmn_small, applicant, instructor, committee_member
):
    """Each granted decision of the agenda names its certificate, read in the agenda's
    queries (no query per decision)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.committee.committee_world import decide

    with on(dt.date(2027, 3, 1)):
        session = session_on(
            dt.date(2027, 3, 4),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Mme Martin", "body": "cnam"}],
        )
        dossiers = [finished(dmn_small, applicant=applicant, instructor=instructor) for _ in "abc"]
    api.force_authenticate(committee_member)
    counts = []
    with on(dt.date(2027, 3, 4)):
        for batch in (dossiers[:1], dossiers[1:]):
            for application in batch:
                decide(session, application, by=committee_member)
            with CaptureQueriesContext(connection) as queries:
                response = api.get(f"{SESSIONS}{session.pk}")
            assert response.status_code == 200
            counts.append(len(queries))
    granted = [row["decision"]["certificate"] for row in response.json()["agenda"]]
    assert all(number and number.startswith("CC-DMN-") for number in granted)
    assert counts[0] == counts[1], counts
