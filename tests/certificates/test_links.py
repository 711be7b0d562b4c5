# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""Every absolute link comes from one configured address, GUICHET_BASE_URL (issue 22 §4): an
email built outside any request (the sweep run by hand, the worker) and one built while the
agency acts through a page reached on another host link to the same site; a command run by
hand beside `make run` reads the address it serves."""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from guichet.certificates.sweep import sweep
from tests.certificates.life_world import issued, life_dmn
from tests.certificates.world import on
from tests.conftest import committed

pytestmark = pytest.mark.django_db

BASE = "https://guichet.example.fr"
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def configured(settings):
    settings.GUICHET_BASE_URL = BASE
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "autre-hote.test"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def certificate(catalogue, people):
    return issued(life_dmn(), signed=dt.date(2027, 1, 10), day=dt.date(2027, 3, 4), **people)


def links(message) -> list[str]:
    """The absolute addresses of an email, in its text and its HTML."""
    texts = [message.body, *(content for content, _ in message.alternatives)]
    return re.findall(r"https?://[^\s\"'<>]+", "\n".join(texts))


def test_r_msg_1_the_links_of_an_email_built_by_the_sweep_come_from_the_configured_address(
    certificate,
):
    """« un nouveau message, une demande, un avis ou une décision envoie un courriel au
    contact référent » (R-MSG-1): the renewal the sweep records (« renouvelé par tacite
    reconduction », R-CRT-2), outside any request, links to the configured site only."""
    mail.outbox.clear()
    with committed():
        sweep(today=dt.date(2032, 1, 10))
    (message,) = [m for m in mail.outbox if "reconduction tacite" in m.subject]
    found = links(message)
    assert f"{BASE}/certificats/{certificate.number}/gerer/" in found
    assert found and all(link.startswith(BASE + "/") for link in found), found


def test_r_msg_1_an_email_built_in_a_request_on_another_host_links_to_the_configured_address(
    certificate, client, instructor, applicant
):
    """The same when the agency suspends the certificate from its page reached as
    « autre-hote.test:8261 », and when a password reset is asked there: no link takes the
    request's host."""
    url = reverse("certificates:agency-act", args=[certificate.number, "suspend"])
    mail.outbox.clear()
    with on(dt.date(2027, 6, 1)):
        client.force_login(instructor)
        with committed():
            client.post(
                url,
                {"reason": "Flux INS défaillant.", "confirm": "on"},
                HTTP_HOST="autre-hote.test:8261",
            )
    (message,) = [m for m in mail.outbox if "suspen" in m.subject]
    found = links(message)
    assert f"{BASE}/certificats/{certificate.number}/gerer/" in found
    assert all(link.startswith(BASE + "/") for link in found), found

    client.logout()
    mail.outbox.clear()
    with committed():
        client.post(
            reverse("account_reset_password"),
            {"email": applicant.email},
            HTTP_HOST="autre-hote.test",
        )
    (reset,) = mail.outbox
    found = links(reset)
    assert found and all(link.startswith(BASE + "/") for link in found), found
    # An API answer built in a request too.
    api = client.get("/api/v1/referentials/", HTTP_HOST="autre-hote.test")
    urls = [v["url"] for r in api.json()["results"] for v in r["versions"]]
    assert urls and all(url.startswith(BASE + "/api/v1/referentials/") for url in urls)


def test_a_command_run_by_hand_beside_make_run_links_to_the_address_served(tmp_path):
    """`make run` (scripts/serve.py) writes the address it serves to var/served-address; a
    command run by hand in another terminal, without GUICHET_BASE_URL, reads it instead of
    defaulting to :8000; GUICHET_BASE_URL, when set, wins."""
    (tmp_path / "served-address").write_text("http://127.0.0.1:8261\n")
    env = {k: v for k, v in os.environ.items() if k not in ("GUICHET_BASE_URL", "SITE_URL")}
    env.update({"GUICHET_VAR_DIR": str(tmp_path), "PORT": "8000"})
    code = "from django.conf import settings; print(settings.GUICHET_BASE_URL)"

    def base(**extra) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    assert base() == "http://127.0.0.1:8261"
    assert base(GUICHET_BASE_URL=BASE + "/") == BASE


def test_r_msg_1_certificate_notifications_lead_to_the_certificates_page(
    catalogue, people, client, applicant, instructor
):
    """« un nouveau message, une demande, un avis ou une décision envoie un courriel au
    contact référent » (R-MSG-1): a notice about a certificate (its issuance, a suspension, a
    formal notice that lapsed) leads, in the email and in the platform's notifications, to the
    certificate's page — the holder's (« Vie du certificat ») or the agency's — not to the
    application's (issue 22 §2)."""
    from guichet.certificates.lifecycle import act
    from guichet.certificates.models import NoticeKind
    from guichet.messaging.models import Notification
    from tests.certificates.life_world import life_tlc

    mail.outbox.clear()
    certificate = issued(life_tlc(), signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 4), **people)
    number = certificate.number
    holder_page = f"/certificats/{number}/gerer/"
    agency_page = f"/agence/certificats/{number}/"
    application_page = f"/candidatures/{certificate.application_id}/"
    (issuance,) = [m for m in mail.outbox if "délivré" in m.subject]
    assert f"{BASE}{holder_page}" in issuance.body
    assert f"Certificat {number} (candidature" in issuance.body
    assert "Ouvrir le certificat" in issuance.alternatives[0][0]
    assert f"{BASE}{application_page}\n" not in issuance.body

    mail.outbox.clear()
    with on(dt.date(2027, 6, 1)), committed():
        act(
            certificate,
            "give_formal_notice",
            by=instructor,
            reason="Le flux INS n'est plus conforme.",
            kind=NoticeKind.NON_CONFORMITY,
            deadline=dt.date(2027, 9, 1),
            suspend=True,
        )
    told = [m for m in mail.outbox if m.to != [instructor.email]]
    assert told and all(f"{BASE}{holder_page}" in m.body for m in told)  # notice, suspension
    with committed():
        sweep(today=dt.date(2027, 9, 2))  # the notice lapsed: the agency is told
    (lapsed,) = [m for m in mail.outbox if "mise en demeure échue" in m.subject]
    assert f"{BASE}{agency_page}" in lapsed.body

    about = Notification.objects.filter(title__contains=number)
    holder_urls = set(about.filter(user=applicant).values_list("url", flat=True))
    assert holder_urls == {holder_page}
    lapsed_in_app = Notification.objects.get(user=instructor, title__contains="échue")
    assert lapsed_in_app.url == agency_page
    client.force_login(applicant)
    assert client.get(holder_page).status_code == 200
