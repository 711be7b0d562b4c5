"""Company account requests (R-ACC-1, R-ACC-2, R-ACT-2)."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
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


def submit(api, data=GOOD, **extra):
    """A request through the API, its pending row if it made one."""
    response = api.post("/api/v1/registrations/", data, format="json", **extra)
    return response


def pending_id(email=GOOD["responsible_email"]):
    return RegistrationRequest.objects.get(status="pending", responsible_email=email).pk


def test_r_act_2_a_company_already_represented_gets_no_second_request_and_is_told_by_email(
    api, support, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(api)
    assert first.status_code == 202
    (received,) = [m for m in mail.outbox if GOOD["responsible_email"] in m.to]
    assert "est enregistrée" in received.body
    again = {**GOOD, "company_id": "73282932000074", "responsible_email": "autre@telesante.fr"}
    with django_capture_on_commit_callbacks(execute=True):
        second = submit(api, again)
    # The answer says nothing of the company; the email to the requester does.
    assert (second.status_code, second.json()) == (first.status_code, first.json())
    assert mail.outbox[-1].to == ["autre@telesante.fr"]
    body = mail.outbox[-1].body
    assert "déjà représentée" in body and "ans-support-convergence@esante.gouv.fr" in body
    assert RegistrationRequest.objects.filter(status="pending").count() == 1
    refused = RegistrationRequest.objects.get(responsible_email="autre@telesante.fr")
    assert refused.status == "rejected" and "déjà représentée" in refused.rejection_reason
    # Approving the first request makes the one Responsable habilité; the second made none.
    api.force_authenticate(support)
    api.post(f"/api/v1/registrations/{pending_id()}/approve")
    assert list(
        User.objects.filter(organisation__siren="732829320").values_list("email", "role")
    ) == [(GOOD["responsible_email"], Role.APPLICANT_ADMIN)]
    api.force_authenticate(None)
    with django_capture_on_commit_callbacks(execute=True):
        third = submit(api, {**again, "responsible_email": "tiers@telesante.fr"})
    assert third.json() == first.json()
    assert "déjà représentée" in mail.outbox[-1].body
    assert User.objects.filter(role=Role.APPLICANT_ADMIN).count() == 1


def test_a_request_for_an_address_with_an_account_gets_the_same_answer_and_a_reset_link(
    api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = submit(api, {**GOOD, "company_id": "552100554"})
    User.objects.create_user(email="camille@telesante.fr", password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        known = submit(api, {**GOOD, "responsible_email": "Camille@Telesante.fr"})
    assert (known.status_code, known.json()) == (new.status_code, new.json())
    assert known.json()["detail"].startswith("Demande reçue")
    assert mail.outbox[-1].to == ["camille@telesante.fr"]
    assert "existe déjà" in mail.outbox[-1].body
    assert f"{settings.GUICHET_BASE_URL}{reverse('account_reset_password')}" in mail.outbox[-1].body
    assert not RegistrationRequest.objects.filter(siren="732829320", status="pending").exists()
    entry = JournalEntry.objects.filter(action="registration.submit").latest("id")
    assert entry.after["refused"] == "account_exists"


def main_text(response) -> str:
    """The page's own content, without the per-response nonces of the layout."""
    return re.search(r"<main.*?</main>", response.content.decode(), re.S).group(0)


def test_the_request_page_gives_the_same_answer_whoever_is_already_on_the_platform(client):
    first = client.post(reverse("accounts:registration"), GOOD, follow=True)
    again = client.post(
        reverse("accounts:registration"),
        {**GOOD, "responsible_email": "autre@telesante.fr"},
        follow=True,
    )
    assert first.redirect_chain == again.redirect_chain
    assert main_text(first) == main_text(again)
    assert "Demande reçue" in again.content.decode()
    assert RegistrationRequest.objects.filter(status="pending").count() == 1


def test_registration_requests_are_throttled_per_client_ip(api):
    answers = [
        submit(api, {**GOOD, "responsible_email": f"personne{n}@telesante.fr"}) for n in range(10)
    ]
    assert [a.status_code for a in answers] == [202] * 5 + [429] * 5
    throttled = answers[-1]
    assert throttled["Content-Type"] == "application/problem+json"
    assert "réessayez dans 1 heure" in throttled.json()["detail"]
    assert 3500 < int(throttled["Retry-After"]) <= 3600
    # Nothing is stored nor journaled for a throttled request.
    assert RegistrationRequest.objects.count() == 5
    assert JournalEntry.objects.filter(action="registration.submit").count() == 5
    # Another client is not held back.
    assert (
        submit(
            api, {**GOOD, "responsible_email": "x@telesante.fr"}, REMOTE_ADDR="10.0.0.2"
        ).status_code
        == 202
    )


def test_registration_requests_are_throttled_per_responsible_address(api):
    codes = [
        submit(
            api, {**GOOD, "responsible_email": "Camille@telesante.fr"}, REMOTE_ADDR=f"10.0.0.{n}"
        ).status_code
        for n in range(4)
    ]
    assert codes == [202, 202, 202, 429]
    assert RegistrationRequest.objects.count() == 3


def test_field_errors_answer_at_once_even_when_throttled(api):
    for n in range(5):
        submit(api, {**GOOD, "responsible_email": f"personne{n}@telesante.fr"})
    response = submit(api, {**GOOD, "company_id": "732829321"})
    assert response.status_code == 400
    assert "clé de contrôle" in response.json()["errors"]["company_id"][0]


def test_the_request_page_is_throttled_with_a_french_message(client):
    for n in range(5):
        client.post(
            reverse("accounts:registration"), {**GOOD, "responsible_email": f"p{n}@telesante.fr"}
        )
    response = client.post(
        reverse("accounts:registration"), {**GOOD, "responsible_email": "q@telesante.fr"}
    )
    assert response.status_code == 429
    assert "Trop de demandes de compte" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert RegistrationRequest.objects.count() == 5
    assert not RegistrationRequest.objects.filter(responsible_email="q@telesante.fr").exists()


def test_registration_limits_come_from_the_environment(tmp_path):
    env = {
        **os.environ,
        "GUICHET_VAR_DIR": str(tmp_path),
        "REGISTRATION_LIMIT_PER_IP": "20",
        "REGISTRATION_LIMIT_PER_EMAIL": "0",
    }
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.REGISTRATION_RATE_LIMITS)",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "20/h/ip", result.stderr


def test_r_acc_2_approval_creates_the_organisation_and_emails_a_one_time_link(
    api, client, support, django_capture_on_commit_callbacks
):
    submit(api)
    registration_id = pending_id()
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
    path = urlsplit(link).path
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    new = "Un-mot-de-passe-solide-2026"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    # The login page says the password is set.
    login_page = client.get(done["Location"]).content.decode()
    assert "Mot de passe enregistré : connectez-vous" in login_page
    assert client.login(email="camille@telesante.fr", password=new)
    client.logout()
    # Used once: the same link no longer works.
    assert client.get(path, follow=True).context["validlink"] is False


def test_r_acc_2_rejection_needs_a_reason_and_emails_the_requester(
    api, support, django_capture_on_commit_callbacks
):
    submit(api)
    registration_id = pending_id()
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
    submit(api)
    registration_id = pending_id()
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
    submit(api)
    registration_id = pending_id()
    api.force_authenticate(support)
    api.post(
        f"/api/v1/registrations/{registration_id}/reject", {"reason": "Doublon."}, format="json"
    )
    response = api.post(f"/api/v1/registrations/{registration_id}/approve")
    assert response.status_code == 409
    assert response.json()["detail"] == "Cette demande a déjà été traitée."
    assert not User.objects.filter(email=GOOD["responsible_email"]).exists()


# --- Length limits: every input is held to its column before the database sees it ----------

LONG = {
    **GOOD,
    "company_name": "S" * 5000,
    "responsible_first_name": "C" * 5000,
    "legal_rep_email": "d" * 300 + "@telesante.fr",
    "responsible_phone": "0" * 21,
}
LIMITS = {
    "company_name": "Saisissez au plus 255 caractères.",
    "responsible_first_name": "Saisissez au plus 150 caractères.",
    "legal_rep_email": "Saisissez au plus 254 caractères.",
    "responsible_phone": "Saisissez au plus 20 caractères.",
}


def test_registration_api_refuses_inputs_longer_than_their_columns(api):
    response = api.post("/api/v1/registrations/", LONG, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert {field: messages[0] for field, messages in response.json()["errors"].items()} == LIMITS
    assert not RegistrationRequest.objects.exists()
    assert not JournalEntry.objects.filter(action="registration.submit").exists()


def test_registration_page_refuses_inputs_longer_than_their_columns(client):
    response = client.post(reverse("accounts:registration"), LONG)
    assert response.status_code == 400
    assert {field: errors[0] for field, errors in response.context["form"].errors.items()} == (
        LIMITS
    )
    assert "Saisissez au plus 255 caractères." in response.content.decode()
    assert not RegistrationRequest.objects.exists()


def test_the_registration_service_holds_inputs_to_their_columns_too(rf):
    from guichet.accounts.services import RegistrationInvalid, submit_registration

    with pytest.raises(RegistrationInvalid) as refused:
        submit_registration(rf.post("/"), data=LONG)
    assert refused.value.errors == LIMITS
    assert not RegistrationRequest.objects.exists()
