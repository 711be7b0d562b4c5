# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""The ministers informed when a certificate ends, DMN too (R-CRT-5, issue 21). DMN guide §6.2
(CSS R. 165-5-3): « Lorsqu'il constate un manquement à ces référentiels ou à ces
spécifications, il met fin au certificat de conformité et en informe les ministres chargés de
la santé et de la sécurité sociale »; TLC (CSP R. 1470-9): the agency informs the minister."""

import datetime as dt

import pytest
from django.urls import reverse

from guichet.certificates.lifecycle import act
from guichet.certificates.models import MinisterNotice, WithdrawalGround
from guichet.certificates.sweep import sweep
from guichet.files.services import verified_chunks
from guichet.journal.models import JournalEntry
from guichet.referentials.selectors import get_version
from tests.certificates.issue_world import pdf_text, pdfsig
from tests.certificates.life_world import issued, life_dmn, life_tlc  # noqa: F401
from tests.certificates.world import on
from tests.conftest import committed

pytestmark = pytest.mark.django_db

MINISTERS = ["Ministre chargé de la santé", "Ministre chargé de la sécurité sociale"]


def recipients(code: str):
    number = {"DMN": "1.2.2", "TLC": "1.4.2"}[code]
    return list(get_version(code, number).process_settings.end_notice_recipients)


def test_r_crt_5_both_shipped_versions_inform_both_ministers(catalogue):
    assert recipients("DMN") == MINISTERS and recipients("TLC") == MINISTERS


def test_r_crt_5_a_dmn_withdrawal_sends_a_sealed_dated_notice_to_both_ministers(
    catalogue, people, instructor, client, applicant, tmp_path
):
    certificate = issued(
        life_dmn(end_notice_recipients=recipients("DMN")),
        signed=dt.date(2027, 2, 1),
        day=dt.date(2027, 3, 11),
        **people,
    )
    with on(dt.date(2027, 6, 1)), committed():
        act(
            certificate,
            "withdraw",
            by=instructor,
            reason="Authentification absente.",
            ground=WithdrawalGround.FAULT_NO_SERVICE,
        )
    notice = MinisterNotice.objects.get(certificate=certificate)
    assert (notice.event, notice.sent_on, notice.ended_on) == (
        "withdrawn",
        dt.date(2027, 6, 1),
        dt.date(2027, 6, 1),
    )
    assert notice.recipients == MINISTERS and "Authentification absente." in notice.text
    assert notice.pdf_id is not None
    assert JournalEntry.objects.filter(action="certificate.minister_notice").exists()
    path = tmp_path / "avis.pdf"
    path.write_bytes(b"".join(verified_chunks(notice.pdf)))
    assert "Signature is Valid." in pdfsig(path)
    assert "Ministre chargé de la sécurité sociale" in pdf_text(path)

    with on(dt.date(2027, 6, 2)):
        client.force_login(instructor)
        page = client.get(reverse("certificates:agency-detail", args=[certificate.number]))
        body = page.content.decode()
        assert "Information des ministres" in body and "informés le 1er juin 2027" in body
        link = reverse("applications:file", args=[certificate.application_id, notice.pdf_id])
        assert link in body
        answer = client.get(link)
        assert answer.status_code == 200
        assert b"".join(answer.streaming_content).startswith(b"%PDF")
        answer.close()


def test_r_crt_5_a_withdrawal_for_a_later_day_informs_once_when_notified(
    catalogue, people, instructor
):
    certificate = issued(
        life_dmn(end_notice_recipients=recipients("DMN")),
        signed=dt.date(2027, 2, 1),
        day=dt.date(2027, 3, 11),
        **people,
    )
    with on(dt.date(2027, 6, 1)):
        act(
            certificate,
            "withdraw",
            by=instructor,
            reason="Plus de service régulier.",
            ground=WithdrawalGround.FAULT_NO_SERVICE,
            effective_on=dt.date(2027, 9, 1),
        )
    notice = MinisterNotice.objects.get(certificate=certificate)
    assert (notice.sent_on, notice.ended_on) == (dt.date(2027, 6, 1), dt.date(2027, 9, 1))
    with committed():
        assert sweep(today=dt.date(2027, 9, 2)).withdrawn == 1
    assert MinisterNotice.objects.filter(certificate=certificate).count() == 1


def test_r_crt_5_an_expiry_informs_the_ministers_and_a_version_without_recipients_nobody(
    catalogue, people, agency_admin
):
    certificate = issued(
        life_tlc(end_notice_recipients=recipients("TLC")),
        signed=dt.date(2027, 2, 1),
        day=dt.date(2027, 3, 4),
        **people,
    )
    silent = issued(life_dmn(), signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 11), **people)
    end = certificate.valid_until
    with on(end - dt.timedelta(days=200)):
        act(certificate, "stop_renewal", by=agency_admin, reason="Fin du service.")
        act(silent, "stop_renewal", by=agency_admin, reason="Fin du service.")
    with committed():
        sweep(today=silent.valid_until + dt.timedelta(days=1))
    notice = MinisterNotice.objects.get(certificate=certificate)
    assert (notice.event, notice.ended_on) == ("expired", end + dt.timedelta(days=1))
    assert notice.pdf_id is not None
    assert not MinisterNotice.objects.filter(certificate=silent).exists()
