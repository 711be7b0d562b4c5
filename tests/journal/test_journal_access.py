"""The auditor's journal page and API; request ids on entries (R-AUD-1); security headers."""

import json

import pytest
from django.db import transaction
from django.urls import reverse

from guichet.accounts.models import Organisation, Role, User
from guichet.journal.models import JournalEntry
from guichet.journal.services import record
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def write(n, application=""):
    with transaction.atomic():
        for i in range(n):
            record(
                action="test.step", object_type="test", object_id=str(i), application_id=application
            )


def test_r_aud_1_auditor_page_lists_filters_and_exports(client, agency_admin):
    write(3, application="42")
    write(2)
    client.force_login(agency_admin)
    page = client.get(reverse("journal:index"), {"application": "42"})
    assert page.status_code == 200
    assert page.content.decode().count("test.step") == 3
    exported = client.get(reverse("journal:export", args=["json"]), {"application": "42"})
    assert exported["Content-Disposition"].startswith("attachment")
    rows = json.loads(b"".join(exported.streaming_content))
    assert [row["application_id"] for row in rows] == ["42"] * 3
    assert all(len(row["hash"]) == 64 for row in rows)
    csv = b"".join(client.get(reverse("journal:export", args=["csv"])).streaming_content).decode()
    assert csv.splitlines()[0].startswith("id;hash;previous_hash")
    assert len(csv.strip().splitlines()) == 1 + JournalEntry.objects.count()


def test_r_aud_1_auditor_verifies_the_chain_from_the_page(client, agency_admin):
    write(3)
    client.force_login(agency_admin)
    response = client.post(reverse("journal:verify"), follow=True)
    assert "intacte" in response.content.decode()


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.SUPPORT, Role.APPLICANT_ADMIN])
def test_r_aud_1_only_the_auditor_reads_the_whole_journal(client, api, role):
    organisation = Organisation.objects.create(name="O", siren="732829320")
    user = User.objects.create_user(
        email="u@x.fr", password=PASSWORD, role=role, organisation=organisation
    )
    client.force_login(user)
    if role != Role.APPLICANT_ADMIN:
        from allauth.mfa.totp.internal.auth import TOTP

        TOTP.activate(user, "JBSWY3DPEHPK3PXP")
    assert client.get(reverse("journal:index")).status_code == 403
    api.force_authenticate(user)
    assert api.get("/api/v1/journal/").status_code == 403


def test_r_aud_1_journal_api_for_the_auditor(api, agency_admin):
    write(2, application="7")
    api.force_authenticate(agency_admin)
    response = api.get("/api/v1/journal/", {"application": "7"})
    assert response.status_code == 200
    assert len(json.loads(b"".join(response.streaming_content))) == 2
    bad = api.get("/api/v1/journal/", {"format": "xml"})
    assert bad.status_code == 400 and "Format inconnu" in bad.json()["detail"]


def test_r_aud_1_entries_carry_the_request_id(client, agency_admin):
    client.force_login(agency_admin)
    response = client.post(
        reverse("accounts:terms-manage"),
        {"version": "1.0", "text": "Texte"},
        HTTP_X_REQUEST_ID="essai-1234-abcd",
    )
    assert response["X-Request-ID"] == "essai-1234-abcd"
    entry = JournalEntry.objects.get(action="terms.publish")
    assert entry.request_id == "essai-1234-abcd"
    # A malformed incoming id is replaced by a fresh one.
    other = client.get("/", HTTP_X_REQUEST_ID="<script>")
    assert other["X-Request-ID"] != "<script>" and len(other["X-Request-ID"]) == 32


def test_csp_is_strict_and_scripts_carry_the_nonce(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    html = response.content.decode()
    assert html.count("<script") == html.count(f'nonce="{nonce}"') > 0
    assert "frame-ancestors 'none'" in policy


def test_api_docs_run_without_inline_script(client):
    html = client.get("/api/v1/docs/").content.decode()
    assert "<script>" not in html
