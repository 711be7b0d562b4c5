"""The life of an API token (issue 20 §2): what ends it (a password change or reset, the
member's removal, a period without use the agency sets), and what a token request tells a
client about the account behind it (nothing more than « wrong password »)."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from guichet.accounts.members import remove_member
from guichet.journal.models import JournalEntry
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"
MEMBERS = "/api/v1/organisation/members/"
NEW_PASSWORD = "un-nouveau-mot-de-passe-42"


@pytest.fixture
def responsible(db):
    return UserFactory(email="resp@telesante.fr")


@pytest.fixture
def member(responsible):
    return UserFactory(
        email="membre@telesante.fr", organisation=responsible.organisation, member=True
    )


def obtain(user, password=PASSWORD) -> dict:
    response = APIClient().post(TOKEN, {"email": user.email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def calls_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def revocations(user) -> list[dict]:
    return list(
        JournalEntry.objects.filter(action="token.revoke", object_id=str(user.pk)).values_list(
            "after", flat=True
        )
    )


# --- What ends a token ------------------------------------------------------------------------


def test_a_password_change_revokes_the_api_tokens(client, responsible):
    key = obtain(responsible)["token"]
    client.force_login(responsible)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert calls_with(key).get(MEMBERS).status_code == 401
    assert not Token.objects.filter(user=responsible).exists()
    assert revocations(responsible) == [{"reason": "password_change"}]


def test_a_refused_password_change_keeps_the_token(client, responsible):
    key = obtain(responsible)["token"]
    client.force_login(responsible)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "pas-le-bon", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert calls_with(key).get(MEMBERS).status_code == 200
    assert revocations(responsible) == []


def test_a_password_reset_revokes_the_api_tokens(client, responsible):
    key = obtain(responsible)["token"]
    client.post(reverse("account_reset_password"), {"email": responsible.email})
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    form = client.get("/" + link.split("://", 1)[1].split("/", 1)[1], follow=True)
    response = client.post(
        form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert calls_with(key).get(MEMBERS).status_code == 401
    assert revocations(responsible) == [{"reason": "password_reset"}]
    # The new password gets a new token.
    assert obtain(responsible, NEW_PASSWORD)["token"] != key


def test_a_removed_member_token_is_revoked_in_the_journal(responsible, member):
    key = obtain(member)["token"]
    remove_member(by=responsible, member=member)
    assert calls_with(key).get("/api/v1/referentials/").status_code == 401
    entry = JournalEntry.objects.get(action="token.revoke", object_id=str(member.pk))
    assert entry.after == {"reason": "member_removed"} and entry.actor == responsible


# --- Expiry after a period without use ---------------------------------------------------------


def test_the_token_answer_says_when_the_token_expires(responsible, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), tick=False)
    answer = obtain(responsible)
    assert answer["token_type"] == "Token" and answer["token"]
    assert answer["expires_after_idle_days"] == 90
    # 31 May 2026, 11:30 in Paris (summer time).
    assert answer["expires_at"] == "2026-05-31T11:30:00+02:00"


def test_an_idle_token_expires_after_the_agency_period(responsible, time_machine, settings):
    settings.GUICHET_API_TOKEN_IDLE_DAYS = 30
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), tick=False)
    answer = obtain(responsible)
    assert answer["expires_after_idle_days"] == 30
    client = calls_with(answer["token"])
    time_machine.move_to(dt.datetime(2026, 3, 31, 9, 0, tzinfo=dt.UTC), tick=False)
    assert client.get(MEMBERS).status_code == 200  # used after 29 days: 30 more from now
    time_machine.move_to(dt.datetime(2026, 4, 29, 9, 0, tzinfo=dt.UTC), tick=False)
    assert client.get(MEMBERS).status_code == 200
    time_machine.move_to(dt.datetime(2026, 5, 30, 9, 0, tzinfo=dt.UTC), tick=False)
    expired = client.get(MEMBERS)
    assert expired.status_code == 401
    assert expired["Content-Type"] == "application/problem+json"
    assert expired["WWW-Authenticate"] == "Token"
    assert "expiré" in expired.json()["detail"] and "30 jours" in expired.json()["detail"]
    # A new request with the password gives a fresh token.
    fresh = obtain(responsible)
    assert fresh["token"] != answer["token"]
    assert calls_with(fresh["token"]).get(MEMBERS).status_code == 200
    assert revocations(responsible) == [{"reason": "expired"}]


def test_the_account_page_says_when_the_token_expires(client, responsible, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), tick=False)
    client.force_login(responsible)
    assert "Aucun jeton actif" in client.get(reverse("accounts:profile")).content.decode()
    obtain(responsible)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Votre jeton expire le 31 mai 2026" in page
    time_machine.move_to(dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC), tick=False)
    client.force_login(responsible)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Votre jeton a expiré le 31 mai 2026" in page


def test_a_token_records_its_use_at_most_once_an_hour(responsible, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    client = calls_with(obtain(responsible)["token"])

    def writes() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MEMBERS).status_code == 200
        return [q["sql"] for q in captured if q["sql"].startswith(("INSERT", "UPDATE"))]

    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 50, tzinfo=dt.UTC), tick=False)
    assert writes() == []
    time_machine.move_to(dt.datetime(2026, 3, 2, 10, 5, tzinfo=dt.UTC), tick=False)
    assert len(writes()) == 1
    assert writes() == []


# --- What a token request tells about the account ----------------------------------------------


def test_a_removed_member_gets_the_wrong_password_answer(responsible, member):
    remove_member(by=responsible, member=member)
    api = APIClient()
    right = api.post(TOKEN, {"email": member.email, "password": PASSWORD}, format="json")
    wrong = api.post(TOKEN, {"email": member.email, "password": "pas-le-bon"}, format="json")
    assert right.status_code == wrong.status_code == 401
    assert right.json() == wrong.json()
    assert not Token.objects.filter(user=member).exists()


def test_a_removed_member_gets_the_wrong_password_answer_on_the_login_page(
    client, responsible, member
):
    remove_member(by=responsible, member=member)
    login = reverse("account_login")
    right = client.post(login, {"login": member.email, "password": PASSWORD})
    wrong = client.post(login, {"login": member.email, "password": "pas-le-bon"})
    assert right.status_code == wrong.status_code == 200
    assert "incorrect" in right.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 302
