# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""The TLC exceptional certificate (R-CRT-4): from 2024-07-01, the domains INS, Pro Santé
Connect, Annuaire santé, PGSSI-S and administration conforme plus the commitment; it expires on
2024-12-31 whatever happens (the sweep expires it the day after)."""

import datetime as dt
import html

import pytest
from django.urls import reverse

from guichet.applications.workflow import transition
from guichet.certificates import exceptional
from guichet.certificates.models import Certificate, Kind, RevisionKind, Status
from guichet.certificates.sweep import sweep
from guichet.committee import services as committee
from guichet.committee.selectors import agenda_rows
from guichet.common.errors import ApplicationError
from guichet.instruction.proofs import applicable_proofs
from guichet.instruction.verdicts import set_proof_verdicts
from tests.certificates.life_world import (  # noqa: F401
    EXCEPTIONAL_SECTIONS,
    exceptional_tlc,
    notices,
    told,
)
from tests.certificates.world import on
from tests.committee.committee_world import decide, session_on
from tests.conftest import committed
from tests.instruction.instruction_world import in_instruction

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier(catalogue, applicant, instructor):
    """A TLC dossier in instruction in June 2024, its five required sections conforme and
    its SEC section not judged yet."""
    version = exceptional_tlc()
    with on(dt.date(2024, 6, 10)):
        application = in_instruction(version, applicant=applicant, instructor=instructor)
        proofs = applicable_proofs(application)
        with committed():
            set_proof_verdicts(
                application,
                by=instructor,
                opinions={
                    pk: ("conforme", "")
                    for pk, proof in proofs.items()
                    if proof.section.code in EXCEPTIONAL_SECTIONS
                },
            )
    application.refresh_from_db()
    return application


def members(committee_member) -> list[dict]:
    return [{"user": committee_member.pk}, {"name": "Mme Martin", "body": "cnam"}]


def to_the_college(dossier, instructor, committee_member, day: dt.date):
    """The instruction finished, the dossier goes to the session of `day` (created now)."""
    session = session_on(day, by=committee_member, members=members(committee_member))
    with committed():
        transition(dossier, "finish_instruction", by=instructor)
    dossier.refresh_from_db()
    assert dossier.status == "instruction_finished"
    return session


def test_r_crt_4_granted_by_the_college_from_july_2024_and_expired_on_december_31(
    dossier, applicant, instructor, committee_member, notices, client
):
    """TLC guide §5.4: « un certificat de conformité peut être fourni par l'ANS à compter du
    1er juillet 2024 » — « Ce certificat expire en tout état de cause le 31 décembre 2024 »;
    « un collège technique décide de l'attribution »."""
    with on(dt.date(2024, 6, 28)):
        exceptional.record_commitment(dossier, by=applicant)
        june = to_the_college(dossier, instructor, committee_member, dt.date(2024, 6, 30))
    with on(dt.date(2024, 6, 30)), pytest.raises(ApplicationError, match="1er juillet 2024"):
        decide(june, dossier, by=committee_member, outcome="exceptional")
    assert not Certificate.objects.exists()

    with on(dt.date(2024, 7, 10)):
        july = session_on(
            dt.date(2024, 7, 15), by=committee_member, members=members(committee_member)
        )
        committee.fill_agenda(by=committee_member, session=july)
    with on(dt.date(2024, 7, 15)):
        decision = decide(july, dossier, by=committee_member, outcome="exceptional")
    certificate = Certificate.objects.get(application=dossier)
    assert certificate.kind == Kind.EXCEPTIONAL and certificate.decision == decision
    assert certificate.number == "CC-TLC-2024-0001"
    assert (certificate.issued_on, certificate.valid_until) == (
        dt.date(2024, 7, 15),
        dt.date(2024, 12, 31),
    )
    assert dossier.status == "in_instruction"  # the instruction goes on for the other sections
    # Its session's agenda is behind it: the page no longer says it waits for the collège.
    client.force_login(instructor)
    page = html.unescape(
        client.get(reverse("applications:detail", args=[dossier.pk])).content.decode()
    )
    assert (
        "Inscrit à l'ordre du jour" not in page and "Attribution du certificat exceptionnel" in page
    )

    assert sweep(today=dt.date(2024, 12, 31)).expired == 0
    certificate.refresh_from_db()
    assert certificate.status == Status.VALID
    report = sweep(today=dt.date(2025, 1, 1))
    certificate.refresh_from_db()
    assert report.expired == 1 and report.renewed == 0
    assert certificate.status == Status.EXPIRED
    assert certificate.status_changed_on == dt.date(2025, 1, 1)
    assert "31 décembre 2024" in certificate.status_reason
    assert certificate.revisions.get(number=2).kind == RevisionKind.EXPIRED
    assert told(notices, certificate, "expiration")


def test_r_crt_4_the_college_cannot_grant_it_without_the_sections_conforme_the_commitment_or_after_the_period(
    dossier, applicant, instructor, committee_member
):
    with on(dt.date(2024, 7, 2)):
        assert "n'a pas encore pris l'engagement" in exceptional.decision_refusal(dossier)
        # Without the commitment, the instruction finishes on every proof (SEC has none yet).
        with pytest.raises(ApplicationError, match="1 preuve sans avis"):
            transition(dossier, "finish_instruction", by=instructor)
        with pytest.raises(ApplicationError, match="Responsable habilité"):
            exceptional.record_commitment(dossier, by=instructor)
        exceptional.record_commitment(dossier, by=applicant)
        with pytest.raises(ApplicationError, match="déjà pris"):
            exceptional.record_commitment(dossier, by=applicant)
        # A proof of a required section judged non conforme: not the exceptional certificate.
        proofs = applicable_proofs(dossier)
        ins = next(pk for pk, p in proofs.items() if p.section.code == "INS")
        with committed():
            set_proof_verdicts(
                dossier, by=instructor, opinions={ins: ("non_conforme", "INSi absent.")}
            )
        assert "Toutes les preuves de ces sections" in exceptional.decision_refusal(dossier)
        session = to_the_college(dossier, instructor, committee_member, dt.date(2024, 7, 4))
    with on(dt.date(2024, 7, 4)):
        with pytest.raises(ApplicationError, match="Toutes les preuves de ces sections"):
            decide(session, dossier, by=committee_member, outcome="exceptional")
        # The agenda says why, beside the outcome.
        row = next(r for r in agenda_rows(session) if r.application.pk == dossier.pk)
        offered = {value: why for value, _, why in row.outcomes}
        assert "Toutes les preuves de ces sections" in offered["exceptional"]
        assert "preuve" in offered["granted"]  # neither the plain attribution
    with on(dt.date(2025, 1, 2)):
        assert "a pris fin le 31 décembre 2024" in exceptional.decision_refusal(dossier)
    assert not Certificate.objects.exists()


def test_r_crt_4_the_standard_certificate_replaces_the_exceptional_one(
    dossier, applicant, instructor, committee_member
):
    from guichet.conventions.services import sign_convention
    from tests.conftest import PASSWORD

    with on(dt.date(2024, 7, 10)):
        exceptional.record_commitment(dossier, by=applicant)
        session = to_the_college(dossier, instructor, committee_member, dt.date(2024, 7, 15))
    with on(dt.date(2024, 7, 15)):
        decide(session, dossier, by=committee_member, outcome="exceptional")
    provisional = Certificate.objects.get(application=dossier, kind=Kind.EXCEPTIONAL)
    with on(dt.date(2024, 10, 1)):
        # Now every proof counts: SEC has no verdict yet.
        with pytest.raises(ApplicationError, match="1 preuve sans avis"):
            transition(dossier, "finish_instruction", by=instructor)
        rest = [pk for pk, p in applicable_proofs(dossier).items() if p.section.code == "SEC"]
        with committed():
            set_proof_verdicts(
                dossier, by=instructor, opinions={pk: ("conforme", "") for pk in rest}
            )
        with committed():
            sign_convention(by=applicant, application=dossier, password=PASSWORD)
        october = to_the_college(dossier, instructor, committee_member, dt.date(2024, 10, 3))
    with on(dt.date(2024, 10, 3)):
        decide(october, dossier, by=committee_member)
    standard = Certificate.objects.get(application=dossier, kind=Kind.STANDARD)
    assert standard.number == "CC-TLC-2024-0002"
    provisional.refresh_from_db()
    assert provisional.status == Status.EXPIRED
    assert provisional.status_changed_on == dt.date(2024, 10, 3)
    assert provisional.status_reason == "Remplacé par le certificat de conformité CC-TLC-2024-0002."


def test_r_crt_4_the_pages_take_the_commitment_and_the_college_grants_it(
    dossier, client, applicant, instructor, committee_member, mailoutbox
):
    from django.urls import reverse

    page = reverse("applications:detail", args=[dossier.pk])
    with on(dt.date(2024, 7, 10)):
        client.force_login(applicant)
        assert "Prendre l'engagement" in client.get(page).content.decode()
        client.post(
            reverse("certificates:exceptional-commit", args=[dossier.pk]), {"confirm": "on"}
        )
        client.force_login(instructor)
        body = client.get(page).content.decode()
        assert "Engagement pris le" in body
        assert "le collège technique attribue le certificat exceptionnel" in body
        assert "Le collège peut l'attribuer dès sa prochaine séance." in body
        session = to_the_college(dossier, instructor, committee_member, dt.date(2024, 7, 15))
    with on(dt.date(2024, 7, 15)):
        client.force_login(committee_member)
        agenda = client.get(reverse("committee:session", args=[session.pk])).content.decode()
        assert "Attribution du certificat exceptionnel" in agenda
        answer = client.post(
            reverse("committee:decision-record", args=[session.pk, dossier.pk]),
            {
                "outcome": "exceptional",
                "votes_for": "1",
                "votes_against": "0",
                "abstentions": "0",
                "action": "sign_off",
                "confirm": "on",
            },
            follow=True,
        )
    assert "Décision arrêtée" in answer.content.decode()
    certificate = Certificate.objects.get(application=dossier)
    assert certificate.kind == Kind.EXCEPTIONAL and certificate.valid_until == dt.date(2024, 12, 31)
    decision = certificate.decision
    assert decision.outcome == "exceptional" and decision.signed_off_at is not None
    assert "certificat exceptionnel" in decision.get_outcome_display()


def test_r_crt_4_once_the_window_has_closed_the_page_shows_only_certificates_granted(
    dossier, client, applicant, instructor, committee_member
):
    """TLC guide §5.4: the exceptional certificate « peut être fourni par l'ANS à compter du
    1er juillet 2024 » and « expire en tout état de cause le 31 décembre 2024 »: two years
    later, a TLC application's page no longer says « Le candidat n'a pas encore pris
    l'engagement » nor offers the commitment; one that was granted an exceptional certificate
    still lists it, without the window's explanations (issue 22 §3)."""
    from django.urls import reverse

    from tests.instruction.instruction_world import in_instruction

    page = reverse("applications:detail", args=[dossier.pk])
    with on(dt.date(2024, 7, 10)):
        version = dossier.referential_version
        other = in_instruction(version, applicant=applicant, instructor=instructor)
        client.force_login(instructor)
        assert "Le candidat n'a pas encore pris l'engagement." in client.get(page).content.decode()
        exceptional.record_commitment(dossier, by=applicant)
        session = to_the_college(dossier, instructor, committee_member, dt.date(2024, 7, 15))
    with on(dt.date(2024, 7, 15)):
        decide(session, dossier, by=committee_member, outcome="exceptional")
    granted = Certificate.objects.get(application=dossier, kind=Kind.EXCEPTIONAL)

    with on(dt.date(2026, 7, 10)):
        for who in (instructor, applicant):
            client.force_login(who)
            closed = client.get(reverse("applications:detail", args=[other.pk]))
            body = closed.content.decode()
            assert closed.status_code == 200
            assert 'id="certificat-exceptionnel"' not in body
            assert "pas encore pris l'engagement" not in body
            assert "Prendre l'engagement" not in body
            listed = client.get(page).content.decode()
            assert 'id="certificat-exceptionnel"' in listed and granted.number in listed
            assert "le collège technique peut attribuer un certificat exceptionnel" not in listed
    assert exceptional.open_period(other) is None
    with on(dt.date(2024, 12, 31)):
        assert exceptional.open_period(other) is not None
