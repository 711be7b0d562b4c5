# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""A form of the certificate's life that the server refuses keeps what was typed (issue 22 §2):
the page comes back with the act's form open, the values posted in it and the French reason,
and nothing is recorded."""

import datetime as dt
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guichet.certificates.models import Control, FormalNotice, Status
from tests.certificates.life_world import issued, life_tlc
from tests.certificates.world import on
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(catalogue, people):
    return issued(life_tlc(), signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 4), **people)


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_r_crt_5_a_formal_notice_refused_by_the_server_keeps_what_the_agent_typed(
    certificate, client, instructor
):
    """CSP R. 1470-9 I: the agency « met en demeure le titulaire … dans un délai qu'il fixe, et
    qui ne peut excéder six mois ». A deadline beyond six months is refused by the server (the
    browser's `max` is not a rule), and the agent finds the form as typed, with the reason."""
    url = reverse("certificates:agency-act", args=[certificate.number, "give_formal_notice"])
    typed = {
        "kind": "fraud",
        "deadline": "2028-01-15",
        "suspend": "on",
        "reason": "Données de connexion falsifiées dans le dossier.",
        "confirm": "on",
    }
    with on(dt.date(2027, 6, 1)):
        client.force_login(instructor)
        refused = client.post(url, typed)
        unconfirmed = client.post(url, {**typed, "deadline": "2027-09-01", "confirm": ""})
    assert refused.status_code == 400
    page = text(refused)
    assert "ne peut excéder six mois (CSP R. 1470-9)" in page
    assert "« Mettre en demeure » n'est pas enregistré" in page
    assert ">Données de connexion falsifiées dans le dossier.</textarea>" in page
    assert '<option value="fraud" selected>' in page
    assert 'value="2028-01-15"' in page
    assert 'id="suspend-notice" name="suspend" checked' in page
    assert 'aria-expanded="true" aria-controls="form-give_formal_notice"' in page
    # Without the confirmation: the same form again, as typed.
    assert unconfirmed.status_code == 400
    page = text(unconfirmed)
    assert "cochez la case pour confirmer" in page and 'value="2027-09-01"' in page
    assert not FormalNotice.objects.exists()
    certificate.refresh_from_db()
    assert certificate.status == Status.VALID


def test_r_crt_6_every_act_form_of_the_agency_page_keeps_what_was_typed_on_a_refusal(
    certificate, client, instructor
):
    """Convention art. 15: a withdrawal for fraud comes « après avoir mis l'Exploitant en
    demeure de présenter ses observations » — refused without one (409), the ground and the
    reason stay; a control without its report is refused, its conclusions stay."""
    act = reverse("certificates:agency-act", args=[certificate.number, "withdraw"])
    control = reverse("certificates:agency-control", args=[certificate.number])
    with on(dt.date(2027, 6, 1)):
        client.force_login(instructor)
        withdrawal = client.post(
            act,
            {"ground": "fraud", "effective_on": "", "reason": "Fraude avérée.", "confirm": "on"},
        )
        report = client.post(
            control,
            {
                "held_on": "2027-05-30",
                "conclusion": "Flux INS conforme.",
                "conforme": "true",
                "periodic": "on",
                "confirm": "on",
            },
        )
        dated = client.post(
            control,
            {
                "held_on": "2027-07-30",
                "conclusion": "Après demain.",
                "conforme": "false",
                "confirm": "on",
                "report": SimpleUploadedFile("rapport.pdf", PDF, content_type="application/pdf"),
            },
        )
    assert withdrawal.status_code == 409
    page = text(withdrawal)
    assert "mettez d'abord le titulaire en demeure" in page
    assert '<option value="fraud" selected>' in page and ">Fraude avérée.</textarea>" in page
    assert report.status_code == 400
    page = text(report)
    assert "Joignez un fichier" in page and ">Flux INS conforme.</textarea>" in page
    assert (
        'value="2027-05-30"' in page
        and 'id="conforme-yes" name="conforme" value="true" checked' in page
    )
    assert "Joignez-le à nouveau" in page
    assert dated.status_code == 400
    page = text(dated)
    assert "ne peut pas être après aujourd'hui" in page and 'value="2027-07-30"' in page
    assert 'id="conforme-no" name="conforme" value="false" checked' in page
    assert not Control.objects.exists()
    certificate.refresh_from_db()
    assert certificate.status == Status.VALID


def test_r_crt_8_the_holders_finess_form_keeps_the_number_typed_when_it_is_refused(
    certificate, client, applicant
):
    """TLC guide §6: the FINESS number follows the approval; a number whose key is wrong is
    refused, and the holder finds it in the form to correct it."""
    filing = reverse("certificates:holder-act", args=[certificate.number, "record_approval_filing"])
    finess = reverse("certificates:holder-act", args=[certificate.number, "record_finess"])
    with on(dt.date(2027, 6, 1)):
        client.force_login(applicant)
        client.post(filing, {"filed_on": "2027-05-02", "confirm": "on"})
        refused = client.post(finess, {"finess": "750000001", "confirm": "on"})
    assert refused.status_code == 400
    page = text(refused)
    assert "n'est pas valide" in page and 'value="750000001"' in page
    certificate.refresh_from_db()
    assert certificate.approval_filed_on == dt.date(2027, 5, 2) and certificate.finess == ""
