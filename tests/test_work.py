"""Where people land after signing in (issue 14 §2): applicants on their applications, staff on
a page of their own work, by role, with its counts; a new account request tells the support."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.accounts.models import Role
from tests.conftest import PASSWORD, make_staff, totp_code

pytestmark = pytest.mark.django_db


def test_an_applicant_lands_on_its_applications(client, applicant):
    response = client.post(
        reverse("account_login"), {"login": applicant.email, "password": PASSWORD}
    )
    assert response["Location"] == reverse("work")
    assert client.get(reverse("work"))["Location"] == reverse("applications:list")


def test_staff_land_on_their_work_after_the_second_factor(client, catalogue):
    support = make_staff("support@agence.test", Role.SUPPORT)
    client.post(reverse("account_login"), {"login": support.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response["Location"] == reverse("work")
    page = client.get(reverse("work")).content.decode()
    assert "Demandes de compte entreprise" in page and "aucune en attente" in page
    assert "Instruction" not in page  # a support agent does not instruct


def test_a_new_account_request_tells_the_support_and_counts_on_its_work_page(
    api, client, catalogue, django_capture_on_commit_callbacks
):
    from tests.accounts.test_registration import GOOD, submit

    support = make_staff("support@agence.test", Role.SUPPORT)
    make_staff("instructeur@agence.test", Role.INSTRUCTOR)
    with django_capture_on_commit_callbacks(execute=True):
        submit(api)
    (to_support,) = [m for m in mail.outbox if support.email in m.to]
    assert GOOD["company_name"] in to_support.subject
    assert reverse("accounts:registration-queue") in to_support.body
    assert not [m for m in mail.outbox if "instructeur@agence.test" in m.to]
    client.force_login(support)
    page = client.get(reverse("work")).content.decode()
    assert '<span class="fr-h3">1</span> à examiner' in page


def test_the_work_page_reads_the_same_number_of_queries_whatever_the_data(
    client, agency_admin, applicant, dmn
):
    from tests.workflow import ApplicationFactory

    client.force_login(agency_admin)
    counts = []
    for _ in range(2):
        ApplicationFactory(referential=dmn, state="submitted", applicant=applicant)
        client.get(reverse("work"))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("work"))
        assert page.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
