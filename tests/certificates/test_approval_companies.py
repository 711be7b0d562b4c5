# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""Agrément and FINESS for sociétés de téléconsultation only, and the approval withdrawn with a
failed renewal (R-CRT-8, issue 21). TLC guide §4.2 asks on the form « Le logiciel est-il
déployé en société de téléconsultation (médecins salariés) ? »; §6: « Dans le cas particulier
des sociétés de téléconsultation, l'obtention de l'agrément de téléconsultation est
conditionné à la dépose d'un dossier auprès du Ministère »; §7.2: « La suppression de
l'agrément de téléconsultation peut intervenir entre autres dans le cas où le renouvellement
du certificat de conformité … n'a pas pu s'effectuer »."""

import datetime as dt

import pytest
from django.urls import reverse

from guichet.certificates.lifecycle import act, applicable
from guichet.certificates.sweep import sweep
from guichet.common.errors import ApplicationError
from guichet.journal.models import JournalEntry
from guichet.referentials.selectors import get_version
from tests.certificates.life_world import issued, life_tlc, notices, told  # noqa: F401
from tests.certificates.world import on
from tests.conftest import committed
from tests.fixtures import complete_tlc_form
from tests.instruction import instruction_world

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2027, 3, 4)
COMPANY = {"approval_form_field": "teleconsultation_company"}


def certificate_for(monkeypatch, people, *, company: bool, day=ISSUED):
    """A TLC certificate whose admissibility form answers `company` to « déployé en société
    de téléconsultation ? »."""
    monkeypatch.setattr(
        instruction_world,
        "complete_tlc_form",
        lambda: complete_tlc_form(teleconsultation_company=company),
    )
    return issued(life_tlc(**COMPANY), signed=day - dt.timedelta(days=30), day=day, **people)


def test_r_crt_8_the_shipped_tlc_version_reads_the_forms_answer(catalogue):
    settings = get_version("TLC", "1.4.2").process_settings
    assert settings.approval_steps and settings.approval_form_field == "teleconsultation_company"
    assert get_version("DMN", "1.2.2").process_settings.approval_form_field == ""


def test_r_crt_8_no_approval_steps_for_a_system_not_deployed_in_a_societe(
    catalogue, people, monkeypatch, client, applicant, instructor
):
    editor = certificate_for(monkeypatch, people, company=False)
    assert not applicable(editor, "record_approval_filing")
    assert not applicable(editor, "record_finess")
    with on(dt.date(2027, 4, 1)):
        with pytest.raises(ApplicationError, match="n'est pas déployé dans une société"):
            act(editor, "record_approval_filing", by=applicant, filed_on=dt.date(2027, 3, 20))
        with pytest.raises(ApplicationError, match="n'est pas déployé dans une société"):
            act(editor, "record_finess", by=applicant, finess="750000010")
        client.force_login(instructor)
        page = client.get(reverse("certificates:approvals")).content.decode()
    editor.refresh_from_db()
    assert editor.approval_filed_on is None and editor.finess == ""
    assert editor.number not in page and "Aucun système de téléconsultation certifié" in page


def test_r_crt_8_a_societe_files_its_approval_and_loses_it_with_a_failed_renewal(
    catalogue, people, monkeypatch, client, applicant, instructor, agency_admin, notices
):
    company = certificate_for(monkeypatch, people, company=True)
    assert applicable(company, "record_approval_filing")
    with on(dt.date(2027, 4, 1)):
        act(company, "record_approval_filing", by=applicant, filed_on=dt.date(2027, 3, 20))
        client.force_login(instructor)
        assert company.number in client.get(reverse("certificates:approvals")).content.decode()
    company.refresh_from_db()
    end = company.valid_until
    with on(end - dt.timedelta(days=200)):
        act(company, "stop_renewal", by=agency_admin, reason="Fin du service.")
    # Renewed? No: the non-renewal was notified; the day after its end the certificate expires.
    with committed():
        assert sweep(today=end).expired == 0
    company.refresh_from_db()
    assert company.approval_withdrawn_on is None
    with committed():
        assert sweep(today=end + dt.timedelta(days=1)).expired == 1
    company.refresh_from_db()
    assert company.status == "expired"
    assert company.approval_withdrawn_on == end + dt.timedelta(days=1)
    entry = JournalEntry.objects.filter(action="certificate.expire").latest("pk")
    assert entry.after["approval_withdrawn_on"] == (end + dt.timedelta(days=1)).isoformat()
    assert any(
        "agrément de téléconsultation" in n.body for n in told(notices, company, "expiration")
    )
    with on(end + dt.timedelta(days=2)):
        client.force_login(instructor)
        body = client.get(reverse("certificates:approvals")).content.decode()
        assert "Agrément supprimé le" in body
        detail = reverse("certificates:agency-detail", args=[company.number])
        assert "agrément supprimé le" in client.get(detail).content.decode()
