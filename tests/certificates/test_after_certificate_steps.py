# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""DMN steps after the certificate, tracked with dates as TLC's approval is (R-CRT-7, issue 21).
DMN guide §2: the exploitants « devront ensuite présenter une demande d'inscription auprès des
ministres chargés de la santé et de la sécurité sociale. Une copie de cette demande est
simultanément adressée à la commission mentionnée à l'article R. 165-18 et aux conseils
nationaux professionnels »; §5.3: they « devront joindre ce certificat dans le dossier
d'évaluation de dispositifs médicaux à la CNEDiMITS »."""

import datetime as dt

import pytest
from django.urls import reverse

from guichet.certificates.lifecycle import act
from guichet.certificates.models import CertificateStep
from guichet.certificates.steps import record_step, steps_of
from guichet.common.errors import ApplicationError
from guichet.journal.models import JournalEntry
from guichet.referentials.process import check_process
from guichet.referentials.selectors import get_version
from tests.certificates.life_world import issued, life_dmn, life_tlc  # noqa: F401
from tests.certificates.world import on

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2027, 3, 11)


def shipped_steps():
    return get_version("DMN", "1.2.2").process_settings.as_data()["after_certificate_steps"]


@pytest.fixture
def certificate(catalogue, people):
    version = life_dmn(after_certificate_steps=shipped_steps())
    return issued(version, signed=dt.date(2027, 2, 1), day=ISSUED, **people)


def test_r_crt_7_the_dmn_version_lists_the_listing_request_and_the_cnedimts_dossier(catalogue):
    steps = shipped_steps()
    assert [s["code"] for s in steps] == ["listing_request", "cnedimts_dossier"]
    assert "ministres chargés de la santé et de la sécurité sociale" in steps[0]["label"]
    assert "CNP" in steps[0]["label"] and "CNEDiMTS" in steps[1]["label"]
    assert get_version("TLC", "1.4.2").process_settings.after_certificate_steps == ()
    assert check_process({"after_certificate_steps": [{"code": "x"}]})
    assert check_process({"after_certificate_steps": [{"code": "x", "label": "X"}] * 2})


def test_r_crt_7_each_step_is_recorded_once_with_its_day_within_the_certificates_life(
    certificate, applicant, instructor, stranger
):
    with on(dt.date(2027, 4, 2)):
        with pytest.raises(ApplicationError, match="avant la délivrance du certificat"):
            record_step(
                certificate, code="listing_request", done_on=dt.date(2027, 3, 1), by=applicant
            )
        with pytest.raises(ApplicationError, match="après aujourd'hui"):
            record_step(
                certificate, code="listing_request", done_on=dt.date(2027, 4, 3), by=applicant
            )
        with pytest.raises(ApplicationError, match="n'existe pas"):
            record_step(certificate, code="finess", done_on=dt.date(2027, 4, 1), by=applicant)
        with pytest.raises(ApplicationError, match="organisation titulaire"):
            record_step(
                certificate, code="listing_request", done_on=dt.date(2027, 4, 1), by=stranger
            )
        record_step(certificate, code="listing_request", done_on=dt.date(2027, 3, 20), by=applicant)
        with pytest.raises(ApplicationError, match="déjà déclarée"):
            record_step(
                certificate, code="listing_request", done_on=dt.date(2027, 3, 21), by=instructor
            )
        record_step(
            certificate, code="cnedimts_dossier", done_on=dt.date(2027, 4, 2), by=instructor
        )
    rows = {row.code: row.record.done_on for row in steps_of(certificate)}
    assert rows == {
        "listing_request": dt.date(2027, 3, 20),
        "cnedimts_dossier": dt.date(2027, 4, 2),
    }
    from guichet.certificates.api_agency import CertificateStateSerializer, state_data

    data = CertificateStateSerializer(state_data(certificate)).data
    assert data["after_certificate_steps"][0]["done_on"] == "2027-03-20"
    entry = JournalEntry.objects.filter(action="certificate.step").order_by("pk").first()
    assert entry.after["step"] == "listing_request" and entry.after["done_on"] == "2027-03-20"


def test_r_crt_7_no_step_after_the_certificate_ended(certificate, applicant, agency_admin):
    with on(dt.date(2027, 5, 1)):
        act(certificate, "withdraw", by=agency_admin, reason="Faute.", ground="fault_no_service")
        certificate.refresh_from_db()
        with pytest.raises(ApplicationError, match="pendant sa validité"):
            record_step(
                certificate, code="cnedimts_dossier", done_on=dt.date(2027, 4, 1), by=applicant
            )
    assert not CertificateStep.objects.exists()


def test_r_crt_7_the_holder_and_the_agency_declare_the_steps_on_the_certificate_s_pages(
    certificate, client, applicant, instructor, stranger
):
    url = reverse("certificates:step", args=[certificate.number, "listing_request"])
    with on(dt.date(2027, 4, 2)):
        client.force_login(stranger)
        assert client.post(url, {"done_on": "2027-03-20", "confirm": "on"}).status_code == 404
        client.force_login(applicant)
        manage = reverse("certificates:manage", args=[certificate.number])
        body = client.get(manage).content.decode()
        assert "Étapes après le certificat" in body and "Déclarer l'étape" in body
        answer = client.post(url, {"done_on": "2027-03-20"}, follow=True)
        assert "Cochez la case" in answer.content.decode()
        answer = client.post(url, {"done_on": "2027-03-20", "confirm": "on"}, follow=True)
        assert "Étape enregistrée" in answer.content.decode()
        assert "faite le 20 mars 2027" in answer.content.decode()
        client.force_login(instructor)
        detail = reverse("certificates:agency-detail", args=[certificate.number])
        assert "faite le 20 mars 2027" in client.get(detail).content.decode()
    assert not CertificateStep.objects.filter(by=stranger).exists()


def test_r_crt_7_the_api_declares_a_step_and_refuses_a_stranger(
    certificate, api, applicant, stranger
):
    url = f"/api/v1/certificates/{certificate.number}/steps/cnedimts_dossier"
    with on(dt.date(2027, 4, 2)):
        api.force_authenticate(stranger)
        assert api.post(url, {"done_on": "2027-04-01"}, format="json").status_code == 404
        api.force_authenticate(applicant)
        late = api.post(url, {"done_on": "2027-04-03"}, format="json")
        assert late.status_code == 400 and "après aujourd'hui" in late.json()["detail"]
        done = api.post(url, {"done_on": "2027-04-01"}, format="json")
        assert done.status_code == 200
        steps = {s["code"]: s["done_on"] for s in done.json()["after_certificate_steps"]}
        assert steps == {"listing_request": None, "cnedimts_dossier": "2027-04-01"}
        again = api.post(url, {"done_on": "2027-04-01"}, format="json")
        assert again.status_code == 409 and "déjà déclarée" in again.json()["detail"]
    assert CertificateStep.objects.count() == 1
