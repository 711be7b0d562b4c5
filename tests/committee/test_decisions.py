"""The collège's decisions (R-DEC-2, R-ACT-1): granted only if every applicable proof is
conforme, refused with reasons, TLC granted with reservations; recorded, then signed off — the
application's transition — and final: only an appeal outcome that names it may follow. A grant
calls the certificate's hook, which records that a certificate is due."""

import datetime as dt

import pytest

from guichet.accounts.models import Role
from guichet.applications.models import ApplicationTransition
from guichet.applications.workflow import WORKFLOW
from guichet.certificates.models import Certificate
from guichet.committee import services
from guichet.committee.models import Decision, SignedOff
from guichet.common.errors import ApplicationError
from guichet.journal.models import JournalEntry
from tests.committee.committee_world import decide, finished, session_on, small_dmn, small_tlc
from tests.conftest import make_staff
from tests.instruction.instruction_world import on

pytestmark = pytest.mark.django_db

PARTNER = {"name": "Dr Claire Dupont", "body": "cnda"}


@pytest.fixture
def dmn_small(catalogue):
    return small_dmn()


@pytest.fixture
def tlc_small(catalogue):
    return small_tlc()


@pytest.fixture
def seated(committee_member):
    """Members of every session of these tests: a member of the collège and a partner."""
    return [{"user": committee_member.pk}, PARTNER]


def refusal(exc) -> tuple[int, str]:
    return exc.value.extra.get("status"), exc.value.message


def test_r_dec_2_granting_with_a_non_conforme_proof_is_refused_with_the_reason(
    dmn_small, applicant, instructor, committee_member, seated
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = finished(
            dmn_small, applicant=applicant, instructor=instructor, non_conforme=1
        )
    assert application.agenda_items.get().session == session  # put on the next session
    with on(dt.date(2027, 3, 4)):
        with pytest.raises(ApplicationError) as refused:
            decide(session, application, by=committee_member, outcome="granted")
        assert refusal(refused) == (
            409,
            "La certification ne s'attribue que si chaque preuve applicable est conforme "
            "(R-DEC-2) : 1 preuve sur 3 ne l'est pas (1 non conforme).",
        )
        assert not Decision.objects.exists()
        # The workflow says the same to every page that asks (the application's actions).
        why = WORKFLOW.refusal(application, WORKFLOW.get("grant"), committee_member)
        assert why.message == refused.value.message
        # Refused, with its reasons: possible, and final once signed off.
        decision = decide(
            session,
            application,
            by=committee_member,
            outcome="refused",
            reasons="L'exigence S2 1 n'est pas satisfaite : le rapport ne la couvre pas.",
        )
    assert application.status == "refused"
    assert (decision.outcome, decision.decided_on) == ("refused", dt.date(2027, 3, 4))
    assert not Certificate.objects.exists()
    assert decision.signed_off_by == committee_member and decision.is_signed_off
    log = ApplicationTransition.objects.filter(application=application).last()
    assert (log.name, log.source, log.target, log.by) == (
        "refuse",
        "instruction_finished",
        "refused",
        committee_member,
    )
    assert log.reason.startswith("L'exigence S2 1")
    assert not JournalEntry.objects.filter(action="certificate.issue").exists()


def test_r_dec_2_a_signed_off_grant_moves_the_dossier_and_issues_its_certificate(
    dmn_small, applicant, instructor, committee_member, seated
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = finished(dmn_small, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 3, 4)):
        recorded = decide(session, application, by=committee_member, sign_off=False)
        assert application.status == "instruction_finished"  # recorded, not yet final
        assert not recorded.is_signed_off and not Certificate.objects.exists()
        # Corrected before the sign-off: the same decision, updated.
        corrected = decide(
            session, application, by=committee_member, sign_off=False, reasons="Dossier complet."
        )
        assert corrected.pk == recorded.pk and Decision.objects.count() == 1
        decision = services.sign_off(corrected, by=committee_member)
    application.refresh_from_db()
    decision.refresh_from_db()
    assert application.status == "granted"
    assert (decision.decided_on, decision.ground) == (dt.date(2027, 3, 4), "instruction")
    assert decision.certificate.application == application
    assert decision.members_present == [
        {"id": m.pk, "name": m.name, "body": m.body} for m in session.members.order_by("body")
    ]
    issued = JournalEntry.objects.get(action="certificate.issue")
    assert issued.after["number"] == decision.certificate.number
    granted = JournalEntry.objects.get(action="committee.grant")
    assert granted.after["certificate"] == decision.certificate.number
    assert granted.after["decision"] == decision.pk
    session.refresh_from_db()
    assert session.status == "held"


def test_r_dec_2_a_signed_off_decision_is_never_edited_only_followed_by_an_appeal_outcome(
    dmn_small, applicant, instructor, committee_member, seated
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = finished(dmn_small, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 3, 4)):
        decision = decide(session, application, by=committee_member)
        decision.reasons = "Changé après coup."
        with pytest.raises(SignedOff):
            decision.save()
        with pytest.raises(SignedOff):
            Decision.objects.filter(pk=decision.pk).update(outcome="refused")
        with pytest.raises(SignedOff):
            decision.delete()
        with pytest.raises(SignedOff):
            services.sign_off(decision, by=committee_member)
        with pytest.raises(ApplicationError) as again:
            decide(session, application, by=committee_member, outcome="refused", reasons="Non.")
        assert refusal(again)[0] == 409
        assert (
            "une décision arrêtée n'est suivie que d'une décision sur recours"
            in again.value.message
        )
    decision.refresh_from_db()
    assert (decision.outcome, decision.reasons) == ("granted", "")

    with on(dt.date(2027, 4, 20)):
        with pytest.raises(ApplicationError) as no_reason:
            services.record_appeal_decision(
                by=committee_member, application=application, outcome="refused", reasons=" "
            )
        assert refusal(no_reason)[0] == 400
        appeal = services.record_appeal_decision(
            by=committee_member,
            application=application,
            outcome="refused",
            reasons="Recours d'un tiers reçu le 2 avril 2027 : le produit n'est pas celui audité.",
        )
        assert (appeal.previous, appeal.ground, appeal.decided_on) == (
            decision,
            "appeal",
            dt.date(2027, 4, 20),
        )
        services.sign_off(appeal, by=committee_member)
    application.refresh_from_db()
    assert application.status == "refused"
    assert list(application.decisions.order_by("id").values_list("outcome", "previous")) == [
        ("granted", None),
        ("refused", decision.pk),
    ]


def test_r_dec_2_tlc_grants_with_reservations_listed_and_dmn_has_no_such_outcome(
    dmn_small, tlc_small, applicant, instructor, committee_member, seated
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        dmn_dossier = finished(dmn_small, applicant=applicant, instructor=instructor)
        tlc_dossier = finished(tlc_small, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 3, 4)):
        with pytest.raises(ApplicationError) as dmn:
            decide(
                session,
                dmn_dossier,
                by=committee_member,
                outcome="granted_with_reservations",
                reservations=["Mettre à jour la PGSSI."],
            )
        assert refusal(dmn) == (
            409,
            "« Attribution de la certification sous réserve » n'est pas une décision possible "
            f"pour {dmn_small.label} : « Attribution de la certification », « Non-attribution "
            "de la certification ».",
        )
        with pytest.raises(ApplicationError) as unlisted:
            decide(session, tlc_dossier, by=committee_member, outcome="granted_with_reservations")
        assert refusal(unlisted) == (
            400,
            "Une attribution sous réserve liste ses réserves, une par ligne.",
        )
        with pytest.raises(ApplicationError) as stray:
            decide(session, tlc_dossier, by=committee_member, reservations=["Une réserve."])
        assert refusal(stray)[0] == 400
        decision = decide(
            session,
            tlc_dossier,
            by=committee_member,
            outcome="granted_with_reservations",
            reservations=[" Publier la politique de sauvegarde. ", "", "Corriger le flux DMP."],
        )
    assert decision.reservations == ["Publier la politique de sauvegarde.", "Corriger le flux DMP."]
    assert tlc_dossier.status == "granted_with_reservations"
    assert decision.certificate.reservations == decision.reservations


def test_r_dec_2_tlc_grant_needs_the_convention_signed_before_the_committee(
    tlc_small, applicant, instructor, committee_member, seated
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = finished(tlc_small, applicant=applicant, instructor=instructor, sign=False)
    with on(dt.date(2027, 3, 4)):
        with pytest.raises(ApplicationError) as unsigned:
            decide(session, application, by=committee_member)
    assert refusal(unsigned) == (
        409,
        "La convention doit être signée avant le collège (R-CONV-2) : elle attend la signature "
        "du Responsable habilité.",
    )


def test_r_dec_2_a_decision_is_signed_off_in_session_by_a_majority_of_those_present(
    dmn_small, applicant, instructor, committee_member, seated
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = finished(dmn_small, applicant=applicant, instructor=instructor)
        early = decide(session, application, by=committee_member, sign_off=False)
        with pytest.raises(ApplicationError) as not_yet:
            services.sign_off(early, by=committee_member)
        assert refusal(not_yet) == (
            409,
            "La séance du 4 mars 2027 n'a pas encore eu lieu : la décision s'arrête en séance, à "
            "partir de ce jour-là.",
        )
    with on(dt.date(2027, 3, 4)):
        with pytest.raises(ApplicationError) as too_many:
            decide(session, application, by=committee_member, votes_for=3)
        assert refusal(too_many) == (
            400,
            "3 voix pour 2 membres présents : corrigez le vote ou la présence.",
        )
        tied = decide(
            session, application, by=committee_member, votes_for=1, votes_against=1, sign_off=False
        )
        with pytest.raises(ApplicationError) as not_adopted:
            services.sign_off(tied, by=committee_member)
        assert refusal(not_adopted)[1] == (
            "La décision n'est pas adoptée : 1 voix pour, 1 contre. Corrigez le vote ou la "
            "décision."
        )
    application.refresh_from_db()
    assert application.status == "instruction_finished"


def test_r_act_1_an_instructor_alone_cannot_decide(
    dmn_small, applicant, instructor, committee_member, agency_admin, seated
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member, members=seated)
        application = finished(dmn_small, applicant=applicant, instructor=instructor)
    support = make_staff("support2@agence.test", Role.SUPPORT)
    with on(dt.date(2027, 3, 4)):
        for agent in (instructor, support):
            with pytest.raises(ApplicationError) as refused:
                decide(session, application, by=agent)
            assert refusal(refused) == (
                403,
                "Réservé au collège technique (ses membres) et à l'administrateur de l'agence : "
                "un instructeur ne décide pas seul.",
            )
        with pytest.raises(ApplicationError) as no_session:
            services.create_session(by=instructor, date=dt.date(2027, 3, 11))
        assert refusal(no_session)[0] == 403
        # The agency's administrator records the collège's decision.
        decide(session, application, by=agency_admin)
    application.refresh_from_db()
    assert application.status == "granted"
