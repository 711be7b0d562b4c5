"""R-DEC-2 (TLC guide §5.4): « Le SI de téléconsultation n'est pas conforme à toutes les
exigences obligatoires du référentiel : non attribution de la certification de conformité ou
attribution de la certification de conformité sous réserve. » The attribution « sous réserve »
is for a dossier with non-conformities; it lists them as reservations, each with its deadline
(by default six months, within the certificate's life); the convention is signable for it."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from guichet.committee.models import Reservation
from guichet.common.errors import ApplicationError
from guichet.conventions.models import Convention
from guichet.conventions.services import sign_convention
from tests.committee.committee_world import decide, finished, session_on, small_dmn, small_tlc
from tests.conftest import PASSWORD, committed
from tests.instruction.instruction_world import on, proof_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def tlc_small(catalogue):
    return small_tlc()


@pytest.fixture
def seated(committee_member):
    return [{"user": committee_member.pk}, {"name": "Dr Claire Dupont", "body": "cnda"}]


def _reaching_the_college(version, *, applicant, instructor, non_conforme=2, sign=True):
    with committed():
        application = finished(
            version, applicant=applicant, instructor=instructor, non_conforme=non_conforme
        )
    if sign:
        with committed():
            sign_convention(by=applicant, application=application, password=PASSWORD)
    return application


def test_r_dec_2_a_tlc_dossier_with_non_conformities_is_granted_under_reservations(
    client, tlc_small, applicant, instructor, committee_member, seated
):
    """TLC guide §5.4: the system « n'est pas conforme à toutes les exigences obligatoires » —
    « attribution de la certification de conformité sous réserve ». The convention is sent for
    signature when the dossier reaches the collège with non-conformities (TLC guide §5.3);
    the collège's page proposes each non-conforme proof as a reservation with a deadline; the
    letter, the email and the certificate list them."""
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = _reaching_the_college(
            tlc_small, applicant=applicant, instructor=instructor, sign=False
        )
        convention = Convention.objects.get(application=application)
        assert convention.is_ready and not convention.is_signed  # signable before the collège
        with committed():
            sign_convention(by=applicant, application=application, password=PASSWORD)
    non_conforme = proof_ids(application)[-2:]
    with on(dt.date(2027, 3, 4)):
        client.force_login(committee_member)
        page = client.get(reverse("committee:session", args=[session.pk])).content.decode()
        # Proposed: the two non-conforme proofs, each with six months by default.
        assert page.count('name="reservation_text"') == 2
        assert page.count('name="reservation_deadline" value="2027-09-04"') == 2
        for pk in non_conforme:
            assert f'name="reservation_proof" value="{pk}"' in page
        assert "Le rapport ne couvre pas l&#x27;exigence." in page
        # The attribution without reservation stays refused, and says the way.
        with pytest.raises(ApplicationError) as plain:
            decide(session, application, by=committee_member, outcome="granted")
        assert "l'attribution sous réserve liste les non-conformités" in plain.value.message
        response = client.post(
            reverse("committee:decision-record", args=[session.pk, application.pk]),
            {
                "outcome": "granted_with_reservations",
                "reasons": "",
                "reservation_text": ["Fournir le rapport complet.", "Corriger la procédure."],
                "reservation_deadline": ["2027-06-30", ""],
                "reservation_proof": [str(pk) for pk in non_conforme],
                "reservations": "Publier la politique de sauvegarde.",
                "votes_for": "2",
                "votes_against": "0",
                "abstentions": "0",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        decision = application.decisions.get()
        with committed():
            from guichet.committee import services

            services.sign_off(decision, by=committee_member)
    decision.refresh_from_db()
    application.refresh_from_db()
    assert application.status == "granted_with_reservations"
    rows = list(decision.reservation_items.values_list("text", "deadline", "proof_id"))
    assert rows == [
        ("Fournir le rapport complet.", dt.date(2027, 6, 30), non_conforme[0]),
        ("Corriger la procédure.", dt.date(2027, 9, 4), non_conforme[1]),
        ("Publier la politique de sauvegarde.", dt.date(2027, 9, 4), None),
    ]
    assert decision.certificate.reservations == [text for text, _, _ in rows]
    notice = next(m for m in mail.outbox if "a rendu sa décision" in m.body)
    assert "assortie de 3 réserves" in notice.body
    assert "Fournir le rapport complet. — à lever au plus tard le 30 juin 2027" in notice.body


def test_r_dec_2_reservation_deadlines_and_proofs_are_checked(
    tlc_small, applicant, instructor, committee_member, seated
):
    """Each reservation « with its deadline »: after the decision, within the certificate's
    life (the convention's term, 5 years), the refusal naming the bound; a proof named must
    be one of the dossier's; an attribution « sous réserve » needs the convention signed."""
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = _reaching_the_college(
            tlc_small, applicant=applicant, instructor=instructor, sign=False
        )
    with on(dt.date(2027, 3, 4)):
        with pytest.raises(ApplicationError) as unsigned:
            decide(
                session,
                application,
                by=committee_member,
                outcome="granted_with_reservations",
                reservations=["Fournir le rapport."],
            )
        assert "La convention doit être signée avant le collège" in unsigned.value.message
        with committed():
            sign_convention(by=applicant, application=application, password=PASSWORD)
        cases = [
            ({"text": "A", "deadline": dt.date(2027, 3, 4)}, "après celle-ci"),
            ({"text": "A", "deadline": "2032-03-04"}, "valable jusqu'au 3 mars 2032"),
            ({"text": "A", "deadline": "demain"}, "AAAA-MM-JJ"),
            ({"text": "A", "proof": 999_999}, "n'est pas une preuve applicable"),
        ]
        for reservation, words in cases:
            with pytest.raises(ApplicationError) as refused:
                decide(
                    session,
                    application,
                    by=committee_member,
                    outcome="granted_with_reservations",
                    reservations=[reservation],
                )
            assert refused.value.extra["status"] == 400 and words in refused.value.message
        assert not Reservation.objects.exists() and not application.decisions.exists()
        decision = decide(
            session,
            application,
            by=committee_member,
            outcome="granted_with_reservations",
            reservations=[{"text": "Fournir le rapport.", "deadline": "2032-03-03"}],
        )
    assert decision.reservation_items.get().deadline == dt.date(2032, 3, 3)


def test_r_dec_2_no_reservation_where_the_version_has_no_such_outcome(
    catalogue, applicant, instructor, committee_member, seated
):
    """The outcome is data of the version (`decision_outcomes`): a version without the
    attribution « sous réserve » sends no convention to a dossier with non-conformities, and
    its collège page proposes no reservation."""
    version = small_dmn()
    with on(dt.date(2027, 3, 1)):
        session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = _reaching_the_college(
            version, applicant=applicant, instructor=instructor, sign=False
        )
    assert not Convention.objects.filter(application=application).exists()
    with on(dt.date(2027, 3, 4)):
        session = application.agenda_items.get().session
        with pytest.raises(ApplicationError) as refused:
            decide(
                session,
                application,
                by=committee_member,
                outcome="granted_with_reservations",
                reservations=["Fournir le rapport."],
            )
    assert "n'est pas une décision possible" in refused.value.message
