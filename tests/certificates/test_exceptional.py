# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""The TLC exceptional certificate (R-CRT-4): from 2024-07-01, the domains INS, Pro Santé
Connect, Annuaire santé, PGSSI-S and administration conforme plus the commitment; it expires on
2024-12-31 whatever happens (the sweep expires it the day after)."""

import datetime as dt

import pytest

from guichet.certificates import exceptional
from guichet.certificates.models import Certificate, Kind, RevisionKind, Status
from guichet.certificates.sweep import sweep
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


def test_r_crt_4_issued_from_july_2024_with_the_commitment_and_expired_on_december_31(
    dossier, applicant, instructor, notices
):
    with on(dt.date(2024, 6, 28)):
        assert "n'a pas encore pris l'engagement" not in (
            exceptional.issue_refusal(dossier, instructor) or ""
        )
        exceptional.record_commitment(dossier, by=applicant)
    with on(dt.date(2024, 6, 30)), pytest.raises(ApplicationError, match="1er juillet 2024"):
        exceptional.issue_exceptional(dossier, by=instructor)
    assert not Certificate.objects.exists()

    with on(dt.date(2024, 7, 15)):
        certificate = exceptional.issue_exceptional(dossier, by=instructor)
    assert certificate.kind == Kind.EXCEPTIONAL and certificate.decision is None
    assert certificate.number == "CC-TLC-2024-0001"
    assert (certificate.issued_on, certificate.valid_until) == (
        dt.date(2024, 7, 15),
        dt.date(2024, 12, 31),
    )
    dossier.refresh_from_db()
    assert dossier.status == "in_instruction"  # the instruction goes on

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


def test_r_crt_4_refused_without_the_sections_conforme_the_commitment_or_after_the_period(
    dossier, applicant, instructor
):
    with on(dt.date(2024, 7, 2)):
        with pytest.raises(ApplicationError, match="n'a pas encore pris l'engagement"):
            exceptional.issue_exceptional(dossier, by=instructor)
        with pytest.raises(ApplicationError, match="Responsable habilité"):
            exceptional.record_commitment(dossier, by=instructor)
        exceptional.record_commitment(dossier, by=applicant)
        with pytest.raises(ApplicationError, match="déjà pris"):
            exceptional.record_commitment(dossier, by=applicant)
        # A proof of a required section judged non conforme: not yet.
        proofs = applicable_proofs(dossier)
        ins = next(pk for pk, p in proofs.items() if p.section.code == "INS")
        with committed():
            set_proof_verdicts(
                dossier, by=instructor, opinions={ins: ("non_conforme", "INSi absent.")}
            )
        with pytest.raises(ApplicationError, match="Toutes les preuves de ces sections"):
            exceptional.issue_exceptional(dossier, by=instructor)
        with committed():
            set_proof_verdicts(dossier, by=instructor, opinions={ins: ("conforme", "")})
        with pytest.raises(ApplicationError, match="revient à l'administrateur"):
            exceptional.issue_exceptional(dossier, by=applicant)
    with (
        on(dt.date(2025, 1, 2)),
        pytest.raises(ApplicationError, match="a pris fin le 31 décembre 2024"),
    ):
        exceptional.issue_exceptional(dossier, by=instructor)
    assert not Certificate.objects.exists()


def test_r_crt_4_the_standard_certificate_replaces_the_exceptional_one(
    dossier, applicant, instructor, committee_member
):
    from guichet.applications.workflow import transition
    from guichet.conventions.services import sign_convention
    from tests.committee.committee_world import decide, session_on
    from tests.conftest import PASSWORD

    with on(dt.date(2024, 7, 15)):
        exceptional.record_commitment(dossier, by=applicant)
        provisional = exceptional.issue_exceptional(dossier, by=instructor)
    with on(dt.date(2024, 10, 1)):
        session = session_on(
            dt.date(2024, 10, 3),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Mme Martin", "body": "cnam"}],
        )
        rest = [pk for pk, p in applicable_proofs(dossier).items() if p.section.code == "SEC"]
        with committed():
            set_proof_verdicts(
                dossier, by=instructor, opinions={pk: ("conforme", "") for pk in rest}
            )
        with committed():
            sign_convention(by=applicant, application=dossier, password=PASSWORD)
        transition(dossier, "finish_instruction", by=instructor)
    with on(dt.date(2024, 10, 3)):
        decide(session, dossier, by=committee_member)
    standard = Certificate.objects.get(application=dossier, kind=Kind.STANDARD)
    assert standard.number == "CC-TLC-2024-0002"
    provisional.refresh_from_db()
    assert provisional.status == Status.EXPIRED
    assert provisional.status_changed_on == dt.date(2024, 10, 3)
    assert provisional.status_reason == "Remplacé par le certificat de conformité CC-TLC-2024-0002."


def test_r_crt_4_the_application_page_takes_the_commitment_and_offers_the_issuance(
    dossier, client, applicant, instructor
):
    from django.urls import reverse

    page = reverse("applications:detail", args=[dossier.pk])
    with on(dt.date(2024, 7, 15)):
        client.force_login(applicant)
        assert "Prendre l'engagement" in client.get(page).content.decode()
        client.post(
            reverse("certificates:exceptional-commit", args=[dossier.pk]), {"confirm": "on"}
        )
        client.force_login(instructor)
        body = client.get(page).content.decode()
        assert "Délivrer le certificat exceptionnel" in body and "Engagement pris le" in body
        client.post(reverse("certificates:exceptional-issue", args=[dossier.pk]), {"confirm": "on"})
    certificate = Certificate.objects.get(application=dossier)
    assert certificate.kind == Kind.EXCEPTIONAL and certificate.valid_until == dt.date(2024, 12, 31)
