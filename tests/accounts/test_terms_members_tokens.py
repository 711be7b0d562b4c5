"""Terms of use (R-ACC-2), members of an organisation (R-ACT-1, R-ACT-2), API tokens
(R-ACC-3 for what they owe to login and the second factor), length limits of the inputs."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.authtoken.models import Token

from guichet.accounts.members import invite_member, remove_member
from guichet.accounts.models import Organisation, Role, TermsAcceptance, TermsOfUse, User
from guichet.accounts.terms import current_terms, publish_terms
from guichet.common.errors import ApplicationError
from guichet.journal.models import JournalEntry
from tests.conftest import PASSWORD, make_staff, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation(db):
    return Organisation.objects.create(name="Télésanté", siren="732829320")


@pytest.fixture
def responsible(organisation):
    return User.objects.create_user(
        email="resp@telesante.fr",
        password=PASSWORD,
        role=Role.APPLICANT_ADMIN,
        organisation=organisation,
        first_name="Camille",
        last_name="Martin",
    )


@pytest.fixture
def member(responsible):
    user = User.objects.create_user(
        email="membre@telesante.fr",
        password=PASSWORD,
        role=Role.APPLICANT_MEMBER,
        organisation=responsible.organisation,
    )
    return user


# --- Terms of use ----------------------------------------------------------------------------


def test_r_acc_2_first_login_requires_accepting_the_terms(client, responsible, agency_admin):
    terms = publish_terms(version="1.0", text="Article 1. Tout est permis.", by=agency_admin)
    client.force_login(responsible)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:terms"))
    page = client.get(response["Location"])
    assert "Tout est permis" in page.content.decode()
    # Not ticking the box is refused with a message, nothing kept.
    refused = client.post(reverse("accounts:terms"), {"next": "/compte/"})
    assert refused.status_code == 400
    assert "Cochez la case" in refused.content.decode()
    assert not TermsAcceptance.objects.exists()
    accepted = client.post(reverse("accounts:terms"), {"accept": "on", "next": "/compte/"})
    assert accepted["Location"] == "/compte/"
    acceptance = TermsAcceptance.objects.get()
    assert (acceptance.user, acceptance.terms) == (responsible, terms)
    assert acceptance.accepted_at is not None
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert JournalEntry.objects.filter(action="terms.accept").count() == 1


def test_r_acc_2_a_new_version_must_be_accepted_again(client, responsible, agency_admin):
    first = publish_terms(version="1.0", text="Première version.", by=agency_admin)
    TermsAcceptance.objects.create(user=responsible, terms=first)
    client.force_login(responsible)
    assert client.get(reverse("accounts:profile")).status_code == 200
    publish_terms(version="2.0", text="Deuxième version.", by=agency_admin)
    response = client.get(reverse("accounts:profile"))
    assert response["Location"].startswith(reverse("accounts:terms"))
    page = client.get(reverse("accounts:terms")).content.decode()
    assert "ont changé" in page and "Deuxième version" in page
    client.post(reverse("accounts:terms"), {"accept": "on"})
    assert list(
        responsible.terms_acceptances.order_by("accepted_at").values_list(
            "terms__version", flat=True
        )
    ) == ["1.0", "2.0"]


def test_r_acc_2_terms_gate_answers_the_api_with_problem_json(client, responsible, agency_admin):
    publish_terms(version="1.0", text="Texte.", by=agency_admin)
    client.force_login(responsible)
    response = client.get("/api/v1/referentials/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "conditions générales" in response.json()["detail"]


def test_r_acc_2_api_tokens_stop_at_the_terms_until_they_are_accepted(
    api, responsible, agency_admin, settings
):
    settings.GUICHET_BASE_URL = "https://guichet.example.fr"  # the site's address, not the host
    token = Token.objects.create(user=responsible)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/organisation/members/").status_code == 200
    publish_terms(version="2.0", text="Texte.", by=agency_admin)
    for method, url in (
        ("get", "/api/v1/organisation/members/"),
        ("get", "/api/v1/referentials/"),
        ("post", "/api/v1/organisation/members/"),
    ):
        response = getattr(api, method)(url)
        assert response.status_code == 403, url
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["title"] == "CGU à accepter"
        assert problem["page"] == "https://guichet.example.fr/compte/cgu/"
        assert "conditions générales d'utilisation (version 2.0)" in problem["detail"]
        assert "https://guichet.example.fr/compte/cgu/" in problem["detail"]
    assert User.objects.count() == 2  # the invitation did not go through
    # Once the terms are accepted, the token works again; it can be revoked either way.
    TermsAcceptance.objects.create(user=responsible, terms=current_terms())
    assert api.get("/api/v1/organisation/members/").status_code == 200
    publish_terms(version="3.0", text="Encore.", by=agency_admin)
    assert api.get("/api/v1/organisation/members/").status_code == 403
    assert api.delete("/api/v1/auth/token").status_code == 204
    assert not Token.objects.filter(user=responsible).exists()


def test_r_acc_3_staff_tokens_stop_at_the_second_factor_gate(api):
    user = make_staff("sans-totp@agence.test", Role.INSTRUCTOR, totp=False)
    token = Token.objects.create(user=user)  # e.g. created by an operator before the rule
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/v1/referentials/")
    assert response.status_code == 403
    assert response.json()["title"] == "Double authentification requise"
    assert response.json()["page"].endswith(reverse("mfa_activate_totp"))


def test_r_acc_2_agency_publishes_versions_and_refuses_a_duplicate(client, agency_admin):
    client.force_login(agency_admin)
    url = reverse("accounts:terms-manage")
    assert client.post(url, {"version": "1.0", "text": "Texte"}).status_code == 302
    # The agency admin must now accept what they published.
    assert client.get(url)["Location"].startswith(reverse("accounts:terms"))
    client.post(reverse("accounts:terms"), {"accept": "on"})
    duplicate = client.post(url, {"version": "1.0", "text": "Autre"})
    assert duplicate.status_code == 400
    assert "existe déjà" in duplicate.content.decode()
    empty = client.post(url, {"version": "3.0", "text": " "})
    assert "est vide" in empty.content.decode()


def test_r_act_1_only_agency_admins_publish_terms(client, responsible):
    client.force_login(responsible)
    assert (
        client.post(reverse("accounts:terms-manage"), {"version": "9", "text": "x"}).status_code
        == 403
    )


def test_terms_are_public(client, agency_admin):
    publish_terms(version="1.0", text="Lisible par tous.", by=agency_admin)
    assert "Lisible par tous" in client.get("/cgu/").content.decode()


# --- Members ---------------------------------------------------------------------------------


def test_responsible_invites_a_member_who_sets_a_password(
    client, responsible, django_capture_on_commit_callbacks
):
    client.force_login(responsible)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:members"),
            {"email": "Nouveau@Telesante.fr", "first_name": "Alex", "last_name": "Durand"},
        )
    assert response.status_code == 302
    member = User.objects.get(email="nouveau@telesante.fr")
    assert member.role == Role.APPLICANT_MEMBER
    assert member.organisation == responsible.organisation
    assert not member.has_usable_password()
    assert mail.outbox[-1].to == [member.email]
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    client.logout()
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    form = client.get(path, follow=True)
    new = "mot-de-passe-du-membre-7"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    member.refresh_from_db()
    assert member.check_password(new)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"email": "pas-une-adresse", "first_name": "A", "last_name": "B"},
            "email",
            "adresse électronique valide",
        ),
        ({"email": "x@y.fr", "first_name": "", "last_name": "B"}, "first_name", "prénom"),
        (
            {"email": "membre@telesante.fr", "first_name": "A", "last_name": "B"},
            "email",
            "déjà membre",
        ),
    ],
)
def test_bad_invitations_are_refused(member, data, field, message):
    responsible = User.objects.get(role=Role.APPLICANT_ADMIN)
    count = User.objects.count()
    with pytest.raises(ApplicationError) as refused:
        invite_member(by=responsible, **data)
    assert message in refused.value.extra["errors"][field]
    assert User.objects.count() == count


def test_r_act_1_an_account_of_another_organisation_cannot_be_invited(member, agency_admin):
    responsible = User.objects.get(role=Role.APPLICANT_ADMIN)
    count = User.objects.count()
    with pytest.raises(ApplicationError) as refused:
        invite_member(by=responsible, email="admin@agence.test", first_name="A", last_name="B")
    assert "autre organisation" in refused.value.extra["errors"]["email"]
    assert User.objects.count() == count
    agency_admin.refresh_from_db()
    assert agency_admin.organisation is None and agency_admin.role == Role.AGENCY_ADMIN


def test_r_act_1_removed_member_loses_access_at_once(client, responsible, member):
    member_client = client
    member_client.force_login(member)
    token = Token.objects.create(user=member)
    assert member_client.get(reverse("accounts:profile")).status_code == 200
    from django.test import Client

    responsible_client = Client()
    responsible_client.force_login(responsible)
    page = responsible_client.get(reverse("accounts:member-remove", args=[member.pk]))
    assert "perdra immédiatement" in page.content.decode()  # a confirmation first
    responsible_client.post(reverse("accounts:member-remove", args=[member.pk]))
    member.refresh_from_db()
    assert not member.is_active
    # The open session is refused at its next request; the token is gone.
    assert member_client.get(reverse("accounts:profile")).status_code == 302
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/referentials/").status_code == 401
    assert JournalEntry.objects.filter(action="member.remove", object_id=str(member.pk)).exists()


def test_r_act_1_a_member_cannot_remove_anyone(client, responsible, member):
    client.force_login(member)
    assert client.post(reverse("accounts:member-remove", args=[responsible.pk])).status_code == 403
    with pytest.raises(ApplicationError):
        remove_member(by=member, member=responsible)


def test_r_act_2_responsible_cannot_remove_themselves(responsible):
    with pytest.raises(ApplicationError, match="ne peut pas se retirer"):
        remove_member(by=responsible, member=responsible)


def test_removed_member_can_be_invited_again(responsible, member):
    remove_member(by=responsible, member=member)
    again = invite_member(by=responsible, email=member.email, first_name="M", last_name="B")
    assert again.pk == member.pk and again.is_active and not again.has_usable_password()


def test_r_act_1_members_api(api, responsible, member, organisation):
    api.force_authenticate(responsible)
    listed = api.get("/api/v1/organisation/members/").json()
    assert {m["email"] for m in listed} == {responsible.email, member.email}
    created = api.post(
        "/api/v1/organisation/members/",
        {"email": "api@telesante.fr", "first_name": "Api", "last_name": "Membre"},
        format="json",
    )
    assert created.status_code == 201
    bad = api.post(
        "/api/v1/organisation/members/",
        {"email": "x", "first_name": "", "last_name": ""},
        format="json",
    )
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {
        "email",
        "first_name",
        "last_name",
    }
    assert api.delete(f"/api/v1/organisation/members/{member.pk}").status_code == 204
    other = Organisation.objects.create(name="Autre", siren="552100554")
    stranger = User.objects.create_user(
        email="x@autre.fr", password=PASSWORD, role=Role.APPLICANT_MEMBER, organisation=other
    )
    assert api.delete(f"/api/v1/organisation/members/{stranger.pk}").status_code == 404
    api.force_authenticate(User.objects.get(email="api@telesante.fr"))
    assert api.get("/api/v1/organisation/members/").status_code == 403


def test_invitations_longer_than_their_columns_are_refused_in_french(api, client, responsible):
    long = {"email": "a" * 250 + "@x.fr", "first_name": "A" * 5000, "last_name": "B" * 151}
    limits = {
        "email": "Saisissez au plus 150 caractères.",  # the username column holds it too
        "first_name": "Saisissez au plus 150 caractères.",
        "last_name": "Saisissez au plus 150 caractères.",
    }
    count = User.objects.count()
    api.force_authenticate(responsible)
    response = api.post("/api/v1/organisation/members/", long, format="json")
    assert response.status_code == 400
    assert {field: errors[0] for field, errors in response.json()["errors"].items()} == limits
    client.force_login(responsible)
    page = client.post(reverse("accounts:members"), long)
    assert page.status_code == 400
    assert {field: errors[0] for field, errors in page.context["form"].errors.items()} == limits
    with pytest.raises(ApplicationError) as refused:
        invite_member(by=responsible, **long)
    assert refused.value.extra["errors"]["first_name"] == limits["first_name"]
    assert refused.value.extra["errors"]["last_name"] == limits["last_name"]
    assert User.objects.count() == count


def test_a_terms_version_longer_than_its_column_is_refused(client, agency_admin):
    client.force_login(agency_admin)
    page = client.post(reverse("accounts:terms-manage"), {"version": "1" * 21, "text": "Texte"})
    assert page.status_code == 400
    assert "Saisissez au plus 20 caractères." in page.content.decode()
    with pytest.raises(ApplicationError) as refused:
        publish_terms(version="1" * 21, text="Texte", by=agency_admin)
    assert refused.value.extra["errors"]["version"] == "Saisissez au plus 20 caractères."
    assert not TermsOfUse.objects.exists()


# --- API tokens ------------------------------------------------------------------------------


def test_r_acc_3_token_for_an_applicant_and_its_revocation(api, responsible):
    response = api.post(
        "/api/v1/auth/token", {"email": responsible.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    key = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/organisation/members/").status_code == 200
    assert api.delete("/api/v1/auth/token").status_code == 204
    assert api.get("/api/v1/organisation/members/").status_code == 401
    assert not Token.objects.filter(key=key).exists()


@pytest.mark.parametrize(
    ("payload", "status", "text"),
    [
        ({"email": "resp@telesante.fr", "password": "faux"}, 401, "incorrect"),
        ({"email": "inconnu@x.fr", "password": PASSWORD}, 401, "incorrect"),
        ({"email": "resp@telesante.fr"}, 400, "obligatoire"),
    ],
)
def test_r_acc_3_token_refusals(api, responsible, payload, status, text):
    response = api.post("/api/v1/auth/token", payload, format="json")
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert text in response.json()["detail"]


def test_r_acc_3_staff_tokens_require_the_otp(api, instructor):
    base = {"email": instructor.email, "password": PASSWORD}
    missing = api.post("/api/v1/auth/token", base, format="json")
    assert missing.status_code == 401 and "otp" in missing.json()["detail"]
    wrong = api.post("/api/v1/auth/token", {**base, "otp": "123456"}, format="json")
    assert wrong.status_code == 401
    good = api.post("/api/v1/auth/token", {**base, "otp": totp_code()}, format="json")
    assert good.status_code == 200 and good.json()["token"]
    # The same code is not accepted twice.
    replay = api.post("/api/v1/auth/token", {**base, "otp": totp_code()}, format="json")
    assert replay.status_code == 401


def test_r_acc_3_staff_without_a_device_get_no_token(api):
    user = make_staff("sans@agence.test", Role.COMMITTEE, totp=False)
    response = api.post(
        "/api/v1/auth/token",
        {"email": user.email, "password": PASSWORD, "otp": "123456"},
        format="json",
    )
    assert response.status_code == 403


def test_token_endpoint_shares_the_login_lockout(api, responsible):
    for _ in range(5):
        api.post(
            "/api/v1/auth/token", {"email": responsible.email, "password": "faux"}, format="json"
        )
    response = api.post(
        "/api/v1/auth/token", {"email": responsible.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert "Trop de tentatives" in response.json()["detail"]


def test_revoking_the_token_from_the_account_page(client, responsible):
    Token.objects.create(user=responsible)
    client.force_login(responsible)
    client.post(reverse("accounts:token-revoke"))
    assert not Token.objects.filter(user=responsible).exists()
