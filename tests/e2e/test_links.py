"""Links in emails point at the address the platform serves (GUICHET_BASE_URL, set by
`make run` from PORT): the set-password link of a new company works on any port."""

import re

import pytest
from django.core import mail

from guichet.accounts.models import RegistrationRequest, User
from guichet.accounts.services import approve_registration
from tests.factories import StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_r_acc_2_the_set_password_link_works_on_the_port_served(
    live_server, page, settings, journal_rows_removed
):
    settings.GUICHET_BASE_URL = live_server.url  # what serve.py sets for PORT
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    support = StaffFactory(role="support", email="support@agence.test")
    registration = RegistrationRequest.objects.create(
        company_name="Télésanté",
        company_id="732829320",
        siren="732829320",
        responsible_first_name="Camille",
        responsible_last_name="Martin",
        responsible_email="camille@telesante.fr",
        legal_rep_email="dominique@telesante.fr",
    )
    approve_registration(registration, by=support)  # committed: the email goes
    (message,) = mail.outbox
    link = re.search(r"http://\S+/compte/mot-de-passe/\S+/", message.body).group(0)
    assert link.startswith(live_server.url + "/")  # not 127.0.0.1:8000 on another port
    page.goto(link)
    new = "Un-mot-de-passe-solide-2026"
    page.fill("input[name=new_password1]", new)
    page.fill("input[name=new_password2]", new)
    with page.expect_navigation():
        page.locator("form:has(input[name=new_password1]) button[type=submit]").click()
    assert User.objects.get(email="camille@telesante.fr").check_password(new)
