"""TLC silent acceptance acted on by the collège (R-CLK-7, CSP R. 1470-4): a dossier the sweep
marked accepted by silence goes to the next session's agenda as « acceptée tacitement » and gets
a granted decision dated at the deadline that ran out, with that ground in its letter."""

import datetime as dt
import subprocess

import pytest
from django.urls import reverse

from guichet.applications.workflow import transition
from guichet.committee import services
from guichet.committee.models import AgendaItem
from guichet.common.errors import ApplicationError
from guichet.files.services import verified_chunks
from guichet.instruction.clockstate import sweep
from tests.committee.committee_world import decide, session_on, small_tlc
from tests.conftest import committed
from tests.instruction.instruction_world import complete_dossier, on

pytestmark = pytest.mark.django_db


@pytest.fixture
def tlc_small(catalogue):
    return small_tlc()


def letter_text(decision, tmp_path) -> str:
    path = tmp_path / "lettre.pdf"
    path.write_bytes(b"".join(verified_chunks(decision.letter)))
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_r_clk_7_a_tlc_dossier_silent_past_its_deadline_ends_granted_at_the_deadline_date(
    client, tlc_small, applicant, instructor, committee_member, tmp_path
):
    # Complete on 11 January 2027: the agency has until 11 July 2027 (6 months, R-CLK-2).
    with on(dt.date(2027, 1, 11)):
        application = complete_dossier(tlc_small, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 1, 12)):
        transition(application, "assign", by=instructor, lead=instructor)
    with on(dt.date(2027, 7, 1)):
        session = session_on(
            dt.date(2027, 7, 15),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "M. Petit", "body": "cnam"}],
        )
    with on(dt.date(2027, 7, 11)), committed():
        assert sweep(today=dt.date(2027, 7, 11)).silently_accepted == 0  # the last day, in time
    with on(dt.date(2027, 7, 12)), committed():
        assert sweep(today=dt.date(2027, 7, 12)).silently_accepted == 1
    application.refresh_from_db()
    assert application.status == "silently_accepted"
    # On the next session's agenda, shown « acceptée tacitement ».
    item = AgendaItem.objects.get(application=application)
    assert item.session == session
    client.force_login(committee_member)
    page = client.get(reverse("committee:session", args=[session.pk])).content.decode()
    assert "Acceptée tacitement" in page and "expiré le 11 juillet 2027" in page

    with on(dt.date(2027, 7, 15)):
        # Silence is acceptance of the request as made: neither a refusal nor reservations.
        with pytest.raises(ApplicationError) as refused:
            services.record_decision(
                by=committee_member,
                session=session,
                application=application,
                outcome="refused",
                reasons="Trop tard pour refuser ?",
            )
        assert refused.value.extra["status"] == 409
        assert "Refuser la certification" in refused.value.message
        with pytest.raises(ApplicationError) as reserved:
            services.record_decision(
                by=committee_member,
                session=session,
                application=application,
                outcome="granted_with_reservations",
                reservations=["Une réserve."],
            )
        assert reserved.value.message == (
            "Le silence gardé au terme du délai vaut acceptation de la demande (R-CLK-7) : la "
            "décision est une attribution, sans réserve."
        )
        # No proof was ever judged and no convention sent: the grant is the law's, not R-DEC-2's.
        decision = decide(session, application, by=committee_member, votes_for=0)
    assert application.status == "granted"
    assert (decision.outcome, decision.ground, decision.decided_on) == (
        "granted",
        "silent_acceptance",
        dt.date(2027, 7, 11),
    )
    # The certificate is issued on the day the decision is signed off; no convention was
    # signed, so its term runs 5 years from then (R-CRT-2).
    certificate = decision.certificate
    assert (certificate.issued_on, certificate.valid_until) == (
        dt.date(2027, 7, 15),
        dt.date(2032, 7, 14),
    )
    text = letter_text(decision, tmp_path)
    assert "Acceptation tacite" in text
    assert "Le délai légal de décision a expiré le 11 juillet 2027" in " ".join(text.split())
    assert "R. 1470-4" in text and "Voies et délais de recours" in text


def test_r_clk_7_a_dossier_still_in_time_is_not_accepted_by_silence(
    tlc_small, applicant, instructor, committee_member
):
    with on(dt.date(2027, 1, 11)):
        application = complete_dossier(tlc_small, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 7, 11)):
        session = session_on(dt.date(2027, 7, 15), by=committee_member)
        assert services.fill_agenda(by=committee_member, session=session) == []
    application.refresh_from_db()
    assert application.status == "complete"
