"""Login and second factor (R-ACC-3); lockout, password reset and secrets at rest, which no
SPEC rule names."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.urls import reverse
from rest_framework.authtoken.models import Token

from guichet.accounts.models import Organisation, Role, User
from guichet.journal.models import JournalEntry
from tests.conftest import PASSWORD, TOTP_SECRET, make_staff, totp_code

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"
STAFF_ROLES = [Role.SUPPORT, Role.INSTRUCTOR, Role.COMMITTEE, Role.AGENCY_ADMIN]


@pytest.fixture
def applicant(db):
    organisation = Organisation.objects.create(name="Télésanté", siren="732829320")
    return User.objects.create_user(
        email="resp@telesante.fr",
        password=PASSWORD,
        role=Role.APPLICANT_ADMIN,
        organisation=organisation,
        first_name="Camille",
    )


def login(client, email, password=PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def test_r_acc_3_login_by_email_and_password(client, applicant):
    response = login(client, "RESP@telesante.fr")
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_r_acc_3_wrong_password_is_refused_in_french(client, applicant):
    response = login(client, applicant.email, "mauvais")
    assert response.status_code == 200
    assert "incorrect" in response.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_login_lockout_after_five_failures_even_with_the_right_password(client, applicant):
    for _ in range(5):
        login(client, applicant.email, "mauvais")
    response = login(client, applicant.email)
    assert "Trop de tentatives de connexion" in response.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 302


def other_accounts(count: int) -> list[User]:
    organisation = Organisation.objects.create(name="Autre", siren="542051180")
    return [
        User.objects.create_user(
            email=f"collegue{i}@autre.fr",
            password=PASSWORD,
            role=Role.APPLICANT_MEMBER,
            organisation=organisation,
        )
        for i in range(count)
    ]


def token_request(api, email, password=PASSWORD, address="10.0.0.1", **extra):
    return api.post(
        TOKEN, {"email": email, "password": password, **extra}, format="json", REMOTE_ADDR=address
    )


@pytest.mark.parametrize("through", ["page", "api"])
def test_failures_of_others_behind_one_address_do_not_refuse_a_right_password(
    client, api, applicant, through
):
    """An agency's or a company's proxy: twelve failures of three colleagues (four each, under
    their own lock) from its address, then a right password from the same address."""
    for colleague in other_accounts(3):
        for _ in range(4):
            login(client, colleague.email, "mauvais", REMOTE_ADDR="10.0.0.1")
            token_request(api, colleague.email, "mauvais")
    if through == "page":
        assert login(client, applicant.email, REMOTE_ADDR="10.0.0.1").status_code == 302
    else:
        assert token_request(api, applicant.email).status_code == 200


@pytest.mark.parametrize("through", ["page", "api"])
def test_failures_lock_the_account_from_their_address_only(client, api, applicant, through):
    for _ in range(5):
        if through == "page":
            login(client, applicant.email, "mauvais", REMOTE_ADDR="10.0.0.1")
        else:
            token_request(api, applicant.email, "mauvais")
    # From the same address, even the right password is refused...
    assert (
        "Trop de tentatives"
        in login(client, applicant.email, REMOTE_ADDR="10.0.0.1").content.decode()
    )
    assert token_request(api, applicant.email).status_code == 429
    # ...but the account's owner, elsewhere, signs in.
    assert token_request(api, applicant.email, address="10.0.0.2").status_code == 200


def test_failures_from_many_addresses_lock_the_account(api, applicant):
    for address in range(5):
        for _ in range(4):
            token_request(api, applicant.email, "mauvais", address=f"10.0.1.{address}")
    refused = token_request(api, applicant.email, address="10.0.2.1")
    assert refused.status_code == 429
    assert "Trop de tentatives" in refused.json()["detail"]


def test_one_address_failing_on_many_accounts_is_stopped(api, applicant, settings):
    settings.LOGIN_FAILURE_RATE_LIMITS = {**settings.LOGIN_FAILURE_RATE_LIMITS, "address": "6/h/ip"}
    for colleague in other_accounts(3):
        for _ in range(2):
            assert token_request(api, colleague.email, "mauvais").status_code == 401
    assert token_request(api, applicant.email).status_code == 429
    assert token_request(api, applicant.email, address="10.0.0.2").status_code == 200


def test_a_right_password_does_not_count_as_a_failure(api, applicant):
    for _ in range(10):
        assert token_request(api, applicant.email).status_code == 200
    for _ in range(4):
        token_request(api, applicant.email, "mauvais")
    assert token_request(api, applicant.email).status_code == 200


def test_password_reset_by_email(client, applicant):
    response = client.post(reverse("account_reset_password"), {"email": applicant.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [applicant.email]
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else "/" + path
    new = "un-nouveau-mot-de-passe-42"
    response = client.post(form_url, {"password1": new, "password2": new})
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.check_password(new)
    # The link is single-use.
    assert "invalide" in client.get("/" + path, follow=True).content.decode().lower()


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_r_acc_3_staff_without_totp_cannot_reach_any_agency_page(client, catalogue, role):
    user = make_staff(f"{role}@agence.test", role, totp=False)
    client.force_login(user)
    for url in ("/", reverse("referentials:manage"), reverse("accounts:registration-queue")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
    api = client.get("/api/v1/referentials/")
    assert api.status_code == 403
    assert "double authentification" in api.json()["detail"]
    # Enrolling a device opens the door.
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, TOTP_SECRET)
    assert client.get("/").status_code == 200


def test_r_acc_3_applicant_may_work_without_second_factor(client, applicant):
    client.force_login(applicant)
    assert client.get("/").status_code == 200


def test_r_acc_3_staff_login_asks_for_the_totp_code(client, agency_admin):
    response = login(client, agency_admin.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("referentials:manage")).status_code == 302  # not signed in yet
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200 and "incorrect" in response.content.decode().lower()
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert client.get(reverse("referentials:manage")).status_code == 200


def test_r_acc_3_a_replayed_totp_code_is_said_already_used(client, agency_admin):
    code = totp_code()
    login(client, agency_admin.email)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    client.logout()
    login(client, agency_admin.email)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert "Ce code a déjà servi : attendez le suivant" in response.content.decode()


def wrong_code() -> str:
    return f"{(int(totp_code()) + 1) % 1_000_000:06d}"


def wrong_codes_on_the_page(client, user, count: int) -> None:
    login(client, user.email)
    for _ in range(count):
        response = client.post(reverse("mfa_authenticate"), {"code": wrong_code()})
        assert "incorrect" in response.content.decode().lower()


def test_r_acc_3_wrong_codes_lock_the_second_factor_of_the_token_endpoint(api, agency_admin):
    for _ in range(5):
        wrong = token_request(api, agency_admin.email, otp=wrong_code())
        assert wrong.status_code == 401 and "incorrect" in wrong.json()["detail"]
    refused = token_request(api, agency_admin.email, otp=totp_code())
    assert refused.status_code == 429
    assert "Trop de tentatives" in refused.json()["detail"]
    assert not Token.objects.filter(user=agency_admin).exists()
    lock = JournalEntry.objects.get(action="mfa.locked")
    assert lock.object_id == str(agency_admin.pk) and lock.after == {"via": "api"}


def test_r_acc_3_the_page_and_the_token_endpoint_count_wrong_codes_together(
    client, api, agency_admin
):
    wrong_codes_on_the_page(client, agency_admin, 3)
    for _ in range(2):
        assert token_request(api, agency_admin.email, otp=wrong_code()).status_code == 401
    assert token_request(api, agency_admin.email, otp=totp_code()).status_code == 429
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert "Trop de tentatives" in response.content.decode()
    assert JournalEntry.objects.filter(action="mfa.locked").count() == 1


def test_r_acc_3_wrong_codes_on_the_page_are_journaled_when_they_lock(client, agency_admin):
    wrong_codes_on_the_page(client, agency_admin, 4)
    assert not JournalEntry.objects.filter(action="mfa.locked").exists()
    wrong_codes_on_the_page(client, agency_admin, 1)
    lock = JournalEntry.objects.get(action="mfa.locked")
    assert lock.object_id == str(agency_admin.pk) and lock.after == {"via": "page"}


def test_r_acc_3_a_right_code_clears_the_wrong_ones(api, agency_admin):
    for _ in range(4):
        token_request(api, agency_admin.email, otp=wrong_code())
    assert token_request(api, agency_admin.email, otp=totp_code()).status_code == 200
    for _ in range(4):
        assert token_request(api, agency_admin.email, otp=wrong_code()).status_code == 401


def test_the_login_page_offers_the_password_reset_once(client):
    page = client.get(reverse("account_login")).content.decode()
    assert page.count("Mot de passe oublié") == 1


def test_r_acc_3_recovery_codes_sign_in_when_the_phone_is_lost(client, agency_admin):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes.activate(agency_admin).get_unused_codes()
    assert len(codes) >= 8
    login(client, agency_admin.email)
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == 302
    assert client.get(reverse("referentials:manage")).status_code == 200
    # A recovery code works once.
    client.logout()
    login(client, agency_admin.email)
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == 200


def test_r_acc_3_staff_cannot_remove_their_second_factor(agency_admin, applicant):
    from guichet.accounts.security import MFAAdapter

    device = Authenticator.objects.get(user=agency_admin)
    assert MFAAdapter().can_delete_authenticator(device) is False
    from allauth.mfa.totp.internal.auth import TOTP

    own = TOTP.activate(applicant, TOTP_SECRET).instance
    assert MFAAdapter().can_delete_authenticator(own) is True


def test_totp_secrets_are_encrypted_at_rest(agency_admin):
    stored = Authenticator.objects.get(user=agency_admin).data["secret"]
    assert TOTP_SECRET not in stored and stored.startswith("v1:")


def test_r_acc_3_admin_site_signs_in_through_allauth(client):
    response = client.get("/django-admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_r_acc_2_nobody_signs_up_alone(client):
    from guichet.accounts.adapter import AccountAdapter

    assert AccountAdapter().is_open_for_signup(None) is False
    assert client.get("/compte/signup/").status_code == 404
