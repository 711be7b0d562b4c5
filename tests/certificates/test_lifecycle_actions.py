# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""The agency's acts on a certificate (R-CRT-5 … R-CRT-8, R-CRT-1's next check): formal notices
of at most six months with or without suspension, their closing, withdrawals on their grounds
(fraud and non-conformity only after a notice's deadline), deferred withdrawals, controls with
their report, the DMN strike-off request, the TLC approval and FINESS number."""

import datetime as dt
import io

import pytest

from guichet.certificates.lifecycle import FINESS_EXAMPLES, act, check_finess
from guichet.certificates.models import (
    Control,
    NoticeKind,
    RevisionKind,
    Status,
    StrikeOffGround,
    WithdrawalGround,
)
from guichet.certificates.sweep import sweep
from guichet.common.errors import ApplicationError
from guichet.files.uploads import upload_from_stream
from guichet.journal.models import JournalEntry
from tests.certificates.life_world import issued, life_dmn, life_tlc, notices, told  # noqa: F401
from tests.certificates.world import on
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2027, 3, 4)


@pytest.fixture
def tlc_certificate(catalogue, people):
    return issued(life_tlc(), signed=dt.date(2027, 2, 1), day=ISSUED, **people)


@pytest.fixture
def dmn_certificate(catalogue, people):
    # One collège session a day: the DMN dossier is decided a week after the TLC one.
    return issued(life_dmn(), signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 11), **people)


def test_r_crt_5_a_formal_notice_gives_at_most_six_months(tlc_certificate, instructor):
    with on(dt.date(2027, 6, 1)):
        with pytest.raises(ApplicationError, match="ne peut excéder six mois") as refused:
            act(
                tlc_certificate,
                "give_formal_notice",
                by=instructor,
                reason="Le flux INS n'est plus conforme.",
                kind=NoticeKind.NON_CONFORMITY,
                deadline=dt.date(2027, 12, 2),
            )
        assert refused.value.extra["status"] == 400
        assert "jusqu'au 1er décembre 2027" in refused.value.message
        assert not tlc_certificate.formal_notices.exists()
        act(
            tlc_certificate,
            "give_formal_notice",
            by=instructor,
            reason="Le flux INS n'est plus conforme.",
            kind=NoticeKind.NON_CONFORMITY,
            deadline=dt.date(2027, 12, 1),
        )
    notice = tlc_certificate.formal_notices.get()
    assert (notice.issued_on, notice.deadline, notice.suspends) == (
        dt.date(2027, 6, 1),
        dt.date(2027, 12, 1),
        False,
    )
    tlc_certificate.refresh_from_db()
    assert tlc_certificate.status == Status.VALID


def test_r_crt_5_suspended_until_fixed_then_the_suspension_is_lifted(
    tlc_certificate, instructor, notices
):
    with on(dt.date(2027, 6, 1)):
        act(
            tlc_certificate,
            "give_formal_notice",
            by=instructor,
            reason="Le flux INS n'est plus conforme.",
            kind=NoticeKind.NON_CONFORMITY,
            deadline=dt.date(2027, 9, 1),
            suspend=True,
        )
    tlc_certificate.refresh_from_db()
    assert tlc_certificate.status == Status.SUSPENDED
    assert tlc_certificate.status_changed_on == dt.date(2027, 6, 1)
    assert tlc_certificate.status_reason == (
        "Jusqu'à la correction de non-conformités, à la suite d'une mise en demeure (article "
        "R. 1470-9 du code de la santé publique)."
    )
    assert tlc_certificate.revisions.get(number=2).kind == RevisionKind.SUSPENDED
    (email,) = told(notices, tlc_certificate, "mise en demeure")
    assert "au plus tard le 1er septembre 2027" in email.body
    assert told(notices, tlc_certificate, "suspension")

    with on(dt.date(2027, 7, 15)):
        act(
            tlc_certificate,
            "close_formal_notice",
            by=instructor,
            reason="Le correctif 2.1 rétablit le flux.",
            fixed=True,
        )
    tlc_certificate.refresh_from_db()
    notice = tlc_certificate.formal_notices.get()
    assert (notice.closed_on, notice.fixed) == (dt.date(2027, 7, 15), True)
    assert tlc_certificate.status == Status.VALID
    assert tlc_certificate.status_changed_on == dt.date(2027, 7, 15)
    assert [r.kind for r in tlc_certificate.revisions.order_by("number")] == [
        RevisionKind.ISSUED,
        RevisionKind.SUSPENDED,
        RevisionKind.REINSTATED,
    ]
    with pytest.raises(ApplicationError, match="Aucune mise en demeure n'est en cours"):
        act(tlc_certificate, "close_formal_notice", by=instructor, reason="x", fixed=True)


def test_r_crt_5_withdrawn_for_non_conformity_only_once_the_notice_lapsed_unfixed(
    tlc_certificate, instructor, notices
):
    with on(dt.date(2027, 6, 1)):
        with pytest.raises(ApplicationError, match="mettez d'abord le titulaire en demeure"):
            act(
                tlc_certificate,
                "withdraw",
                by=instructor,
                reason="Non-conformité.",
                ground=WithdrawalGround.NON_CONFORMITY,
            )
        act(
            tlc_certificate,
            "give_formal_notice",
            by=instructor,
            reason="Le flux INS n'est plus conforme.",
            kind=NoticeKind.NON_CONFORMITY,
            deadline=dt.date(2027, 9, 1),
        )
    with on(dt.date(2027, 9, 1)), pytest.raises(ApplicationError, match="jusqu'au 1er septembre"):
        act(
            tlc_certificate,
            "withdraw",
            by=instructor,
            reason="Non-conformité.",
            ground=WithdrawalGround.NON_CONFORMITY,
        )
    # The sweep tells the agency once the deadline has passed, once.
    assert sweep(today=dt.date(2027, 9, 2)).notices_overdue == 1
    assert sweep(today=dt.date(2027, 9, 3)).notices_overdue == 0
    with on(dt.date(2027, 9, 6)):
        act(
            tlc_certificate,
            "close_formal_notice",
            by=instructor,
            reason="Rien n'a été corrigé.",
            fixed=False,
        )
        act(
            tlc_certificate,
            "withdraw",
            by=instructor,
            reason="Les non-conformités relevées le 1er juin n'ont pas été corrigées.",
            ground=WithdrawalGround.NON_CONFORMITY,
        )
    tlc_certificate.refresh_from_db()
    assert tlc_certificate.status == Status.WITHDRAWN
    assert (
        tlc_certificate.withdrawal_ground,
        tlc_certificate.withdrawal_effective_on,
        tlc_certificate.status_changed_on,
    ) == (WithdrawalGround.NON_CONFORMITY, dt.date(2027, 9, 6), dt.date(2027, 9, 6))
    assert "n'ont pas été corrigées" in tlc_certificate.status_reason
    assert tlc_certificate.revisions.order_by("-number").first().kind == RevisionKind.WITHDRAWN
    (email,) = told(notices, tlc_certificate, "retrait")
    assert "la convention est résiliée" in email.body and "Informez sans délai" in email.body
    # The convention's termination is journaled on it, the withdrawal on the certificate.
    assert JournalEntry.objects.filter(action="convention.terminate").count() == 1
    withdrawn = JournalEntry.objects.get(action="certificate.withdraw")
    assert (
        withdrawn.after["ground"] == "non_conformity" and withdrawn.after["status"] == "withdrawn"
    )


def test_r_crt_6_withdrawn_for_fraud_only_after_the_notice_to_present_observations(
    tlc_certificate, instructor
):
    with on(dt.date(2027, 6, 1)):
        with pytest.raises(ApplicationError, match="article 15") as refused:
            act(
                tlc_certificate,
                "withdraw",
                by=instructor,
                reason="Documents falsifiés.",
                ground=WithdrawalGround.FRAUD,
            )
        assert refused.value.extra["status"] == 409
        act(
            tlc_certificate,
            "give_formal_notice",
            by=instructor,
            reason="Le rapport de tests HDS produit est un faux.",
            kind=NoticeKind.FRAUD,
            deadline=dt.date(2027, 7, 1),
        )
    with on(dt.date(2027, 7, 1)), pytest.raises(ApplicationError, match="observations"):
        act(
            tlc_certificate,
            "withdraw",
            by=instructor,
            reason="Documents falsifiés.",
            ground=WithdrawalGround.FRAUD,
        )
    tlc_certificate.refresh_from_db()
    assert tlc_certificate.status == Status.VALID and not tlc_certificate.withdrawal_ground
    with on(dt.date(2027, 7, 2)):
        act(
            tlc_certificate,
            "withdraw",
            by=instructor,
            reason="Documents falsifiés.",
            ground=WithdrawalGround.FRAUD,
        )
    tlc_certificate.refresh_from_db()
    assert tlc_certificate.status == Status.WITHDRAWN
    assert tlc_certificate.withdrawal_ground == WithdrawalGround.FRAUD


def test_r_crt_6_a_withdrawal_for_fault_may_take_effect_up_to_six_months_later(
    dmn_certificate, instructor, notices
):
    with on(dt.date(2027, 6, 1)):
        with pytest.raises(ApplicationError, match="au plus six mois"):
            act(
                dmn_certificate,
                "withdraw",
                by=instructor,
                reason="Plus de service régulier.",
                ground=WithdrawalGround.FAULT_NO_SERVICE,
                effective_on=dt.date(2027, 12, 2),
            )
        act(
            dmn_certificate,
            "withdraw",
            by=instructor,
            reason="Plus de service régulier.",
            ground=WithdrawalGround.FAULT_NO_SERVICE,
            effective_on=dt.date(2027, 9, 1),
        )
    dmn_certificate.refresh_from_db()
    assert dmn_certificate.status == Status.VALID
    assert dmn_certificate.withdrawal_effective_on == dt.date(2027, 9, 1)
    assert dmn_certificate.revisions.get(number=2).kind == RevisionKind.WITHDRAWAL_SCHEDULED
    assert "à compter du 1er septembre 2027" in told(notices, dmn_certificate, "retrait")[0].body

    assert sweep(today=dt.date(2027, 8, 31)).withdrawn == 0
    report = sweep(today=dt.date(2027, 9, 3))  # two days missed
    dmn_certificate.refresh_from_db()
    assert report.withdrawn == 1
    assert dmn_certificate.status == Status.WITHDRAWN
    assert dmn_certificate.status_changed_on == dt.date(2027, 9, 1)
    assert dmn_certificate.status_reason == "Plus de service régulier."
    assert dmn_certificate.revisions.get(number=3).effective_on == dt.date(2027, 9, 1)


def test_r_crt_5_a_control_report_goes_to_the_holder_and_a_periodic_one_moves_the_next_check(
    catalogue, people, instructor, notices
):
    certificate = issued(
        life_tlc(periodic_check_months=12), signed=dt.date(2027, 2, 1), day=ISSUED, **people
    )
    # R-CRT-1: the next check, where the arrêté sets periodic checks (CSP R. 1470-7).
    assert certificate.next_check == dt.date(2028, 3, 4)
    with on(dt.date(2027, 11, 5)):
        with pytest.raises(ApplicationError, match="Joignez le rapport"):
            act(
                certificate,
                "record_control",
                by=instructor,
                held_on=dt.date(2027, 11, 5),
                conclusion="Conforme.",
                conforme=True,
            )
        act(
            certificate,
            "record_control",
            by=instructor,
            held_on=dt.date(2027, 11, 4),
            conclusion="Le flux DMP répond aux exigences.",
            conforme=True,
            periodic=True,
            report=upload_from_stream(io.BytesIO(PDF), "rapport.pdf"),
        )
    control = Control.objects.get()
    assert (control.periodic, control.conforme, control.report.original_name) == (
        True,
        True,
        "rapport.pdf",
    )
    certificate.refresh_from_db()
    assert certificate.next_check == dt.date(2028, 11, 4)
    assert certificate.revisions.get(number=2).kind == RevisionKind.CONTROLLED
    (email,) = told(notices, certificate, "rapport de contrôle")
    assert email.attachments == (control.report_id,)
    assert "conclut : conforme" in email.body


def test_r_crt_7_the_agency_asks_the_ministers_to_strike_off_a_dmn_on_the_guides_grounds(
    catalogue, people, tlc_certificate, instructor, notices, client
):
    """DMN guide §6.2: « L'ANS pourra demander la radiation à l'une des listes dans les cas
    suivants » — no new certificate asked for after a change of the referential (CSS
    R. 162-85), a renewal that could not happen, a failed audit; CSS R. 165-5-3 and R. 162-77:
    « il met fin au certificat de conformité et en informe les ministres chargés de la santé et
    de la sécurité sociale ». The request is a dated notice to the ministers, sealed by the
    agency, shown on the certificate's page."""
    from guichet.certificates.models import MinisterNotice
    from guichet.referentials.selectors import get_version
    from tests.conftest import committed

    shipped = get_version("DMN", "1.2.2").process_settings.end_notice_recipients
    version = life_dmn(end_notice_recipients=list(shipped))
    dmn = issued(version, signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 11), **people)
    with on(dt.date(2027, 6, 1)):
        with pytest.raises(ApplicationError, match="Sans objet pour ce référentiel"):
            act(tlc_certificate, "request_strike_off", by=instructor, ground="audit_failed")
        with pytest.raises(ApplicationError, match="Choisissez le motif"):
            act(dmn, "request_strike_off", by=instructor, ground="autre")
        # Each ground in its case.
        with pytest.raises(ApplicationError, match="retirez d'abord le certificat"):
            act(dmn, "request_strike_off", by=instructor, ground=StrikeOffGround.AUDIT_FAILED)
        with pytest.raises(ApplicationError, match="encore en vigueur"):
            act(dmn, "request_strike_off", by=instructor, ground=StrikeOffGround.RENEWAL_FAILED)
        with pytest.raises(ApplicationError, match="Aucun délai"):
            act(dmn, "request_strike_off", by=instructor, ground="no_new_certificate")
        # The audit failed: the agency ends the certificate, then asks for the strike-off.
        with committed():
            act(
                dmn,
                "withdraw",
                by=instructor,
                reason="L'audit n'a pas permis de vérifier le respect des référentiels.",
                ground="fault_not_conforme",
            )
            act(dmn, "request_strike_off", by=instructor, ground=StrikeOffGround.AUDIT_FAILED)
    dmn.refresh_from_db()
    assert (dmn.strike_off_requested_on, dmn.strike_off_ground) == (
        dt.date(2027, 6, 1),
        StrikeOffGround.AUDIT_FAILED,
    )
    notice = MinisterNotice.objects.get(certificate=dmn, event=MinisterNotice.Event.STRIKE_OFF)
    assert notice.sent_on == dt.date(2027, 6, 1) and list(notice.recipients) == list(shipped)
    # A telesurveillance DMN (the form's « LATM »): its list and its article.
    assert "demande la radiation du produit de la LATM" in notice.text
    assert "R. 162-85 du code de la sécurité sociale" in notice.text
    assert notice.pdf_id is not None  # sealed by the task worker
    (email,) = told(notices, dmn, "radiation")
    assert "aux ministres chargés de la santé et de la sécurité sociale" in email.body
    with on(dt.date(2027, 6, 2)):
        client.force_login(instructor)
        page = client.get(f"/agence/certificats/{dmn.number}/").content.decode()
    assert "Demande de radiation de la LPPR / LATM — informés le 2 juin 2027" not in page
    assert "Demande de radiation de la LPPR / LATM — informés le 1er juin 2027" in page
    with on(dt.date(2027, 6, 2)), pytest.raises(ApplicationError, match="déjà demandée"):
        act(dmn, "request_strike_off", by=instructor, ground=StrikeOffGround.AUDIT_FAILED)


def test_r_crt_8_finess_numbers_are_checked():
    """TLC guide §6: « Le répertoire FINESS … est le répertoire national de référence des
    personnes morales » — a number of 9 characters, the department first (2A / 2B in Corsica),
    its last one a Luhn key. Spaces are dropped; Corsica's letters count as 21 and 22 in the
    key, as the ARS de Corse's own published numbers show; the examples the errors give
    pass the check themselves; « 99 » is no department."""
    assert check_finess("750 000 010") == "750000010"
    assert check_finess("750\u00a0000\u202f010") == "750000010"
    assert check_finess("010003820") == "010003820"
    # Numbers the ARS de Corse publishes (CH de Bonifacio, CH de Sartène, CH de Bastia,
    # CH de Calvi), typed as people do.
    for published in ("2a0000170", "2A0002606", "2B 000 002 0", "2b0005342"):
        assert check_finess(published) == published.replace(" ", "").upper()
    for example in FINESS_EXAMPLES:
        assert check_finess(example) == example
    for bad, message in (
        ("75000001", "compte 9 caractères"),
        ("7500A0015", "en chiffres"),
        ("750000015", "clé de contrôle"),
        ("2C0000008", "en chiffres"),
        ("2A0000008", "clé de contrôle"),  # valid only if 2A were read as « 20 »
        ("99 0712184", "« 99 » n'en est pas un"),  # passes Luhn, but 99 is no department
        ("200000014", "« 20 » n'en est pas un"),
    ):
        with pytest.raises(ApplicationError, match=message) as refused:
            check_finess(bad)
        if "clé" not in message:
            assert "« 750000002 » (Paris) ou « 2A0000006 » (Corse-du-Sud)" in str(refused.value)


def test_r_crt_8_the_agency_corrects_a_declared_finess_number_with_a_reason(
    tlc_certificate, applicant, instructor, member, notices
):
    """TLC guide §6: the société « obtient » its FINESS number after the approval; a number
    declared wrong is not stuck (« déjà déclaré »): the agency corrects it with the reason,
    the journal keeps both numbers, and the holder is told. Nobody else corrects it, and a
    correction must change the number and pass the check."""
    with on(dt.date(2027, 4, 1)):
        with pytest.raises(ApplicationError, match="Aucun numéro FINESS n'est déclaré"):
            act(tlc_certificate, "correct_finess", by=instructor, reason="x", finess="750000010")
        act(tlc_certificate, "record_approval_filing", by=applicant, filed_on=dt.date(2027, 3, 20))
        act(tlc_certificate, "record_finess", by=applicant, finess="750000010")
        with pytest.raises(ApplicationError, match="l'agence le corrige"):
            act(tlc_certificate, "record_finess", by=applicant, finess="750000002")
        for who in (applicant, member):
            with pytest.raises(ApplicationError):
                act(tlc_certificate, "correct_finess", by=who, reason="x", finess="750000002")
        with pytest.raises(ApplicationError, match="indiquez le motif"):
            act(tlc_certificate, "correct_finess", by=instructor, finess="750000002")
        with pytest.raises(ApplicationError, match="clé de contrôle"):
            act(tlc_certificate, "correct_finess", by=instructor, reason="x", finess="750000003")
        with pytest.raises(ApplicationError, match="déjà 750000010"):
            act(tlc_certificate, "correct_finess", by=instructor, reason="x", finess="750 000 010")
        act(
            tlc_certificate,
            "correct_finess",
            by=instructor,
            reason="Numéro de l'entité juridique saisi au lieu de celui de l'établissement.",
            finess="75 000 000 2",
        )
    tlc_certificate.refresh_from_db()
    assert tlc_certificate.finess == "750000002"
    entry = JournalEntry.objects.get(action="certificate.finess_correct")
    assert (entry.after["finess"], entry.after["previous_finess"]) == ("750000002", "750000010")
    assert entry.after["reason"].startswith("Numéro de l'entité juridique")
    (notice,) = told(notices, tlc_certificate, "numéro FINESS corrigé")
    assert "750000002 au lieu de 750000010" in notice.body


def test_r_crt_8_the_holder_files_its_approval_then_its_finess_number(
    tlc_certificate, dmn_certificate, applicant, notices
):
    with on(dt.date(2027, 4, 1)):
        with pytest.raises(ApplicationError, match="Déclarez d'abord le dépôt"):
            act(tlc_certificate, "record_finess", by=applicant, finess="750000010")
        with pytest.raises(ApplicationError, match="sociétés de téléconsultation"):
            act(dmn_certificate, "record_approval_filing", by=applicant)
        with pytest.raises(ApplicationError, match="avant la délivrance du certificat"):
            act(
                tlc_certificate,
                "record_approval_filing",
                by=applicant,
                filed_on=dt.date(2027, 3, 1),
            )
        act(tlc_certificate, "record_approval_filing", by=applicant, filed_on=dt.date(2027, 3, 20))
    with on(dt.date(2027, 5, 10)):
        with pytest.raises(ApplicationError, match="clé de contrôle"):
            act(tlc_certificate, "record_finess", by=applicant, finess="750000015")
        act(tlc_certificate, "record_finess", by=applicant, finess="750000010")
    tlc_certificate.refresh_from_db()
    assert (tlc_certificate.approval_filed_on, tlc_certificate.finess) == (
        dt.date(2027, 3, 20),
        "750000010",
    )
    assert told(notices, tlc_certificate, "numéro FINESS")


def test_r_crt_5_a_control_is_dated_within_the_certificates_life_and_not_after_today(
    tlc_certificate, instructor
):
    """A control's date lies between the certificate's issuance and today; each refusal names
    the bound it crosses (the probe's `held_on=2000-01-01` was accepted, a future date refused
    as « passée »)."""

    def record(held_on):
        return act(
            tlc_certificate,
            "record_control",
            by=instructor,
            held_on=held_on,
            conclusion="Conforme.",
            conforme=True,
            report=upload_from_stream(io.BytesIO(PDF), "rapport.pdf"),
        )

    with on(dt.date(2027, 11, 5)):
        with pytest.raises(ApplicationError) as before:
            record(dt.date(2000, 1, 1))
        assert before.value.field == "held_on" and before.value.extra["status"] == 400
        assert "avant la délivrance du certificat, le 4 mars 2027" in before.value.message
        with pytest.raises(ApplicationError) as after:
            record(dt.date(2027, 11, 6))
        assert "après aujourd'hui, le 5 novembre 2027" in after.value.message
        assert "passée" not in after.value.message
        assert not Control.objects.exists()
        record(ISSUED)
        record(dt.date(2027, 11, 5))
    assert Control.objects.count() == 2


def test_r_crt_8_an_approval_filing_is_dated_within_the_certificates_life(
    tlc_certificate, instructor
):
    with on(dt.date(2027, 6, 1)):
        with pytest.raises(ApplicationError) as after:
            act(
                tlc_certificate,
                "record_approval_filing",
                by=instructor,
                reason="Dépôt déclaré.",
                filed_on=dt.date(2027, 6, 2),
            )
        assert "après aujourd'hui, le 1er juin 2027" in after.value.message
        with pytest.raises(ApplicationError) as before:
            act(
                tlc_certificate,
                "record_approval_filing",
                by=instructor,
                reason="Dépôt déclaré.",
                filed_on=dt.date(2027, 3, 3),
            )
        assert "avant la délivrance du certificat, le 4 mars 2027" in before.value.message


def test_r_crt_5_a_control_fixes_the_next_check_and_the_certificate_is_reissued_with_it(
    tlc_certificate, instructor, client, tmp_path
):
    """CSP R. 1470-7: the certificate states « la date du prochain contrôle ». The arrêté of the
    shipped versions sets no period: the agent enters the date, the certificate is reissued
    (a new revision whose PDF states it); a periodic check without a date is refused."""
    from guichet.certificates import pdf as certificate_pdf
    from tests.certificates.issue_world import pdf_text

    assert tlc_certificate.next_check is None

    def record(**values):
        return act(
            tlc_certificate,
            "record_control",
            by=instructor,
            held_on=dt.date(2027, 11, 4),
            conclusion="Le flux DMP répond aux exigences.",
            conforme=True,
            report=upload_from_stream(io.BytesIO(PDF), "rapport.pdf"),
            **values,
        )

    with on(dt.date(2027, 11, 5)):
        with pytest.raises(ApplicationError, match="indiquez la date du prochain contrôle"):
            record(periodic=True)
        with pytest.raises(ApplicationError, match="après aujourd'hui"):
            record(next_check=dt.date(2027, 11, 5))
        with pytest.raises(ApplicationError, match="dans la validité du certificat"):
            record(next_check=tlc_certificate.valid_until + dt.timedelta(days=1))
        revisions = tlc_certificate.revisions.count()
        record(periodic=True, next_check=dt.date(2028, 11, 4))
    tlc_certificate.refresh_from_db()
    assert tlc_certificate.next_check == dt.date(2028, 11, 4)
    revision = tlc_certificate.revisions.latest("number")
    assert tlc_certificate.revisions.count() == revisions + 1
    assert revision.kind == RevisionKind.CONTROLLED
    assert "prochain contrôle le 4 novembre 2028" in revision.reason
    buffer = certificate_pdf.render_certificate(certificate_pdf.sheet_of(revision))
    target = tmp_path / "revision.pdf"
    target.write_bytes(buffer.getvalue())
    assert "Prochain contrôle 4 novembre 2028" in pdf_text(target)
    # A control that fixes nothing new leaves the certificate as it is.
    with on(dt.date(2027, 11, 6)):
        record()
    assert tlc_certificate.revisions.count() == revisions + 1
