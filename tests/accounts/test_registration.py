"""Company account requests (R-ACC-1, R-ACC-2, R-ACT-2)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from guichet.accounts.identifiers import IdentifierError, parse_company_id, parse_phone
from guichet.accounts.models import Organisation, RegistrationRequest, Role, User
from guichet.journal.models import JournalEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

GOOD = {
    "company_name": "Télésanté SAS",
    "company_id": "732 829 320",
    "responsible_first_name": "Camille",
    "responsible_last_name": "Martin",
    "responsible_email": "camille@telesante.fr",
    "responsible_phone": "01 23 45 67 89",
    "legal_rep_first_name": "Dominique",
    "legal_rep_last_name": "Durand",
    "legal_rep_email": "dominique@telesante.fr",
    "legal_rep_phone": "+33 6 12 34 56 78",
}


@pytest.mark.parametrize(
    ("raw", "kind", "siren"),
    [
        ("732 829 320", "siren", "732829320"),
        ("73282932000074", "siret", "732829320"),
        ("FR44732829320", "vat", "732829320"),
        ("DE136695976", "vat", ""),
    ],
)
def test_r_acc_1_valid_company_ids(raw, kind, siren):
    parsed = parse_company_id(raw)
    assert (parsed.kind, parsed.siren) == (kind, siren)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("732829321", "SIREN"),
        ("73282932000075", "SIRET"),
        ("FR00732829320", "TVA"),
        ("XX123456", "code de pays"),
        ("12345", "ni un SIREN"),
        ("", "Indiquez"),
    ],
)
def test_r_acc_1_invalid_company_ids_are_refused_in_french(raw, message):
    with pytest.raises(IdentifierError, match=message):
        parse_company_id(raw)


def test_r_acc_1_phone_numbers_are_checked():
    assert parse_phone("01 23 45 67 89") == "+33123456789"
    with pytest.raises(IdentifierError, match="pas valide"):
        parse_phone("0123")


def test_r_acc_1_each_wrong_field_gets_its_own_message_and_nothing_is_stored(api):
    bad = {
        **GOOD,
        "company_id": "732829321",
        "responsible_phone": "12",
        "legal_rep_email": "pas-une-adresse",
        "legal_rep_last_name": "",
    }
    response = api.post("/api/v1/registrations/", bad, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert set(errors) == {
        "company_id",
        "responsible_phone",
        "legal_rep_email",
        "legal_rep_last_name",
    }
    assert not RegistrationRequest.objects.exists()


def test_r_act_2_a_company_already_represented_is_refused_even_as_a_siret(api):
    assert api.post("/api/v1/registrations/", GOOD, format="json").status_code == 201
    again = {**GOOD, "company_id": "73282932000074", "responsible_email": "autre@telesante.fr"}
    response = api.post("/api/v1/registrations/", again, format="json")
    assert response.status_code == 400
    detail = response.json()["errors"]["company_id"][0]
    assert "déjà représentée" in detail and "ans-support-convergence@esante.gouv.fr" in detail
    assert RegistrationRequest.objects.count() == 1


def test_r_acc_2_approval_creates_the_organisation_and_emails_a_one_time_link(
    api, client, support, django_capture_on_commit_callbacks
):
    registration_id = api.post("/api/v1/registrations/", GOOD, format="json").json()["id"]
    api.force_authenticate(support)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/registrations/{registration_id}/approve")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    user = User.objects.get(email="camille@telesante.fr")
    assert user.role == Role.APPLICANT_ADMIN and not user.has_usable_password()
    assert user.organisation == Organisation.objects.get(siren="732829320")
    assert JournalEntry.objects.filter(action="registration.approve").exists()
    (message,) = mail.outbox
    link = re.search(r"http://\S+/compte/mot-de-passe/\S+/", message.body).group(0)
    path = link.split("127.0.0.1:8000")[1]
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    new = "Un-mot-de-passe-solide-2026"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    assert client.login(email="camille@telesante.fr", password=new)
    client.logout()
    # Used once: the same link no longer works.
    assert client.get(path, follow=True).context["validlink"] is False


def test_r_acc_2_rejection_needs_a_reason_and_emails_the_requester(
    api, support, django_capture_on_commit_callbacks
):
    registration_id = api.post("/api/v1/registrations/", GOOD, format="json").json()["id"]
    api.force_authenticate(support)
    assert (
        api.post(
            f"/api/v1/registrations/{registration_id}/reject", {"reason": ""}, format="json"
        ).status_code
        == 400
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/registrations/{registration_id}/reject",
            {"reason": "Mandat du responsable manquant."},
            format="json",
        )
    assert response.json()["status"] == "rejected"
    assert "Mandat du responsable manquant." in mail.outbox[0].body
    assert not Organisation.objects.exists()


def test_r_act_1_only_support_decides_on_requests(api, instructor):
    registration_id = api.post("/api/v1/registrations/", GOOD, format="json").json()["id"]
    anonymous = api.post(f"/api/v1/registrations/{registration_id}/approve")
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == "application/problem+json"
    assert anonymous.json()["detail"].startswith("Authentification requise : envoyez")
    api.force_authenticate(instructor)
    assert api.post(f"/api/v1/registrations/{registration_id}/approve").status_code == 403
    assert RegistrationRequest.objects.get().status == "pending"


def test_r_acc_1_the_public_form_page_shows_errors_per_field(client):
    response = client.post(reverse("accounts:registration"), {**GOOD, "company_id": "123"})
    assert response.status_code == 400
    assert "ni un SIREN" in response.content.decode()
    ok = client.post(reverse("accounts:registration"), GOOD)
    assert ok.status_code == 302
    assert RegistrationRequest.objects.count() == 1


def test_r_acc_2_support_page_approves(client, support):
    client.post(reverse("accounts:registration"), GOOD)
    client.login(email=support.email, password=PASSWORD)
    page = client.get(reverse("accounts:registration-queue"))
    assert "Télésanté SAS" in page.content.decode()
    registration = RegistrationRequest.objects.get()
    client.post(
        reverse("accounts:registration-decide", args=[registration.pk]), {"decision": "approve"}
    )
    assert User.objects.filter(email="camille@telesante.fr").exists()


def test_r_acc_2_a_decided_request_cannot_be_decided_again(api, support):
    registration_id = api.post("/api/v1/registrations/", GOOD, format="json").json()["id"]
    api.force_authenticate(support)
    api.post(
        f"/api/v1/registrations/{registration_id}/reject", {"reason": "Doublon."}, format="json"
    )
    response = api.post(f"/api/v1/registrations/{registration_id}/approve")
    assert response.status_code == 409
    assert response.json()["detail"] == "Cette demande a déjà été traitée."
    assert not User.objects.filter(email=GOOD["responsible_email"]).exists()
