"""Main pages of issue 4 run a constant number of SQL queries whatever the data size."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.accounts.models import Organisation, Role, TermsAcceptance, User
from guichet.accounts.terms import publish_terms
from guichet.journal.services import record
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def queries(client, url):
    client.get(url)  # warm the session and the gate's session flags
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_journal_page_queries_do_not_grow(client, agency_admin):
    client.force_login(agency_admin)
    counts = []
    for n in (5, 120):
        with transaction.atomic():
            for i in range(n):
                record(action="test.step", object_type="test", object_id=str(i))
        counts.append(queries(client, reverse("journal:index")))
    assert counts[0] == counts[1]


def test_members_page_queries_do_not_grow(client):
    organisation = Organisation.objects.create(name="O", siren="732829320")
    responsible = User.objects.create_user(
        email="r@o.fr", password=PASSWORD, role=Role.APPLICANT_ADMIN, organisation=organisation
    )
    client.force_login(responsible)
    counts = []
    for n in (2, 40):
        for i in range(n):
            User.objects.create_user(
                email=f"m{n}-{i}@o.fr", role=Role.APPLICANT_MEMBER, organisation=organisation
            )
        counts.append(queries(client, reverse("accounts:members")))
    assert counts[0] == counts[1]


def test_terms_admin_page_queries_do_not_grow(client, agency_admin):
    client.force_login(agency_admin)
    counts = []
    for n in (1, 12):
        for i in range(n):
            terms = publish_terms(version=f"{n}.{i}", text="Texte", by=agency_admin)
            TermsAcceptance.objects.create(user=agency_admin, terms=terms)
        counts.append(queries(client, reverse("accounts:terms-manage")))
    assert counts[0] == counts[1]
