# ruff: noqa: F811 (the world fixture imported from register_world)
"""Following the register by email (R-PUB-1): for one company or one referential, confirmed by
a link (nothing else goes to an address that has not confirmed), cancelled in one click from
any email; throttled per IP and per address; the answer never tells whether an address already
follows something."""

import datetime as dt
import html
import re

import pytest
from django.core import mail

from guichet.certificates import lifecycle
from guichet.certificates.models import RegisterSubscription
from guichet.certificates.subscriptions import SUBSCRIPTION_RECEIVED
from tests.certificates.register_world import world  # noqa: F401
from tests.conftest import committed
from tests.instruction.instruction_world import on

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/registre/abonnement/"
FOLLOWER = "suivi@exemple.fr"


def to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def confirm_link(message) -> str:
    """The path of the confirmation email's link (the cancel link ends with « resilier/ »)."""
    (path,) = re.findall(r"127\.0\.0\.1:8000(/registre/abonnement/[\w-]+/)$", message.body, re.M)
    return path


def subscribe(client, *, email=FOLLOWER, subject, **extra):
    with committed():
        return client.post(SUBSCRIBE, {"email": email, "subject": subject}, **extra)


def company(user) -> str:
    return f"company:{user.organisation_id}"


def confirmed(client, *, email=FOLLOWER, subject) -> RegisterSubscription:
    subscribe(client, email=email, subject=subject)
    confirmation = to(email)[-1]
    path = confirm_link(confirmation)
    client.post(path)
    subscription = RegisterSubscription.objects.get(token=path.split("/")[-2])
    assert subscription.confirmed_at is not None
    return subscription


def test_r_pub_1_a_company_subscription_is_confirmed_by_its_link_then_told_of_issuances(
    client, world
):
    world.issue()  # the company is in the register, hence in the list
    page = client.get("/registre/").content.decode()
    assert f'<option value="{company(world.a)}">Télésanté</option>' in page
    response = subscribe(client, subject=company(world.a))
    assert response.status_code == 302 and response["Location"] == "/registre/abonnement/envoye/"
    assert SUBSCRIPTION_RECEIVED in html.unescape(client.get(response["Location"]).content.decode())
    (confirmation,) = to(FOLLOWER)
    assert (
        confirmation.subject == "Guichet — confirmez votre abonnement au registre des certificats"
    )
    assert "les certificats du titulaire Télésanté" in confirmation.body
    subscription = RegisterSubscription.objects.get()
    assert subscription.confirmed_at is None and len(subscription.token) >= 40

    # Not confirmed: a new certificate of the company sends nothing to the address.
    world.issue()
    assert len(to(FOLLOWER)) == 1

    # The link shows a page that confirms with a button: opening it confirms nothing.
    page = client.get(confirm_link(confirmation))
    assert page.status_code == 200 and "Confirmer l'abonnement" in page.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
    done = client.post(confirm_link(confirmation))
    assert "Abonnement confirmé" in done.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None

    certificate = world.issue()
    (announcement,) = to(FOLLOWER)[1:]
    assert announcement.subject == (
        f"Guichet — registre des certificats : délivrance du certificat {certificate.number}"
    )
    assert f"Délivrance du certificat {certificate.number} : {certificate.product_name}" in (
        announcement.body
    )
    assert f"http://127.0.0.1:8000/certificats/{certificate.number}/" in announcement.body
    cancel = f"http://127.0.0.1:8000/registre/abonnement/{subscription.token}/resilier/"
    assert cancel in announcement.body
    assert announcement.extra_headers["List-Unsubscribe"] == f"<{cancel}>"
    assert announcement.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Another company's certificate: nothing for this subscriber.
    world.issue(holder=world.b)
    assert len(to(FOLLOWER)) == 2


def test_r_pub_1_a_referential_subscription_is_told_of_a_suspension(client, world):
    tlc = world.issue(holder=world.b, version=world.tlc)
    dmn = world.issue()
    confirmed(client, subject="referential:TLC")
    confirmed(client, email="dmn@exemple.fr", subject="referential:DMN")
    with committed():
        world.suspend(tlc, reason="Faille de sécurité")
    (suspension,) = to(FOLLOWER)[1:]
    assert suspension.subject == (
        f"Guichet — registre des certificats : suspension du certificat {tlc.number}"
    )
    assert ". Suspendu depuis le" in suspension.body
    assert "les certificats du référentiel TLC" in suspension.body
    assert len(to("dmn@exemple.fr")) == 1  # its confirmation only
    with committed():
        world.withdraw(dmn)
    assert len(to(FOLLOWER)) == 2
    (withdrawal,) = to("dmn@exemple.fr")[1:]
    assert "Retrait du certificat" in withdrawal.body


def test_r_pub_1_subscribers_are_told_of_a_notified_withdrawal_a_stopped_renewal_and_lifted_reservations(
    client, world
):
    reserved = world.issue(version=world.tlc, outcome="granted_with_reservations")
    other = world.issue()
    confirmed(client, subject=company(world.a))
    with on(dt.date(2027, 6, 1)), committed():
        lifecycle.act(reserved, "lift_reservations", by=world.agency_admin, reason="Corrigé.")
        lifecycle.act(
            other,
            "schedule_withdrawal",
            by=world.agency_admin,
            reason="Le produit n'est plus conforme.",
            ground="fault_not_conforme",
            effective_on=dt.date(2027, 9, 1),
        )
        lifecycle.act(reserved, "stop_renewal", by=world.agency_admin, reason="Fin du service.")
    lifted, scheduled, stopped = to(FOLLOWER)[1:]
    assert lifted.subject.endswith(f"levée des réserves du certificat {reserved.number}")
    assert scheduled.subject.endswith(f"retrait notifié du certificat {other.number}")
    assert "Retrait notifié, effectif le 1er septembre 2027" in scheduled.body
    assert "valide jusqu'au 31 août 2027" in scheduled.body
    assert stopped.subject.endswith(f"non-reconduction notifiée du certificat {reserved.number}")
    assert "non reconduit à son terme" in stopped.body


def test_r_pub_1_one_email_per_address_with_the_cancel_link_of_each_subscription(client, world):
    world.issue()
    company_subscription = confirmed(client, subject=company(world.a))
    referential_subscription = confirmed(client, subject="referential:DMN")
    certificate = world.issue()
    (announcement,) = [m for m in to(FOLLOWER) if certificate.number in m.subject]
    for subscription in (company_subscription, referential_subscription):
        assert f"/registre/abonnement/{subscription.token}/resilier/" in announcement.body


def test_r_pub_1_the_cancel_link_ends_the_subscription_in_one_click(client, world):
    world.issue()
    subscription = confirmed(client, subject=company(world.a))
    cancel = f"/registre/abonnement/{subscription.token}/resilier/"
    page = client.get(cancel)
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert "Désabonnement enregistré" in text and "Vous ne suivez plus" in text
    subscription.refresh_from_db()
    assert subscription.cancelled_at is not None
    assert client.get(cancel).status_code == 200  # a second click changes nothing
    world.issue()
    assert len(to(FOLLOWER)) == 1  # the confirmation only
    # A cancelled subscription cannot be confirmed again by its old link.
    client.post(f"/registre/abonnement/{subscription.token}/")
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None and subscription.cancelled_at is not None


def test_r_pub_1_mail_clients_cancel_with_a_one_click_post(world):
    from django.test import Client

    world.issue()
    subscription = RegisterSubscription.objects.create(
        email=FOLLOWER, scope="referential", referential_code="DMN", token="jeton-a-usage-unique"
    )
    strict = Client(enforce_csrf_checks=True)  # RFC 8058: no CSRF token in the mail client's POST
    response = strict.post(
        f"/registre/abonnement/{subscription.token}/resilier/",
        {"List-Unsubscribe": "One-Click"},
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.cancelled_at is not None


def test_r_pub_1_an_unknown_link_answers_404_in_french(client, catalogue):
    for url in ("/registre/abonnement/inconnu/", "/registre/abonnement/inconnu/resilier/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Ce lien d'abonnement n'est pas reconnu" in html.unescape(response.content.decode())
    assert RegisterSubscription.objects.count() == 0


def test_r_pub_1_the_answer_does_not_tell_whether_an_address_already_follows(client, world):
    world.issue()
    subscription = confirmed(client, subject=company(world.a))
    first = mail.outbox[:]
    again = subscribe(client, subject=company(world.a))
    fresh = subscribe(client, email="nouveau@exemple.fr", subject=company(world.a))
    assert again.status_code == fresh.status_code == 302
    assert again["Location"] == fresh["Location"]
    # No second subscription; the address is reminded that it already follows, by email.
    assert RegisterSubscription.objects.filter(email=FOLLOWER).count() == 1
    (reminder,) = [m for m in to(FOLLOWER) if m not in first]
    assert reminder.subject == "Guichet — votre abonnement au registre des certificats"
    assert f"/registre/abonnement/{subscription.token}/resilier/" in reminder.body
    assert f"/registre/abonnement/{subscription.token}/\n" not in reminder.body


def test_r_pub_1_a_pending_request_asked_again_sends_its_confirmation_again(client, world):
    world.issue()
    subscribe(client, subject="referential:DMN")
    subscribe(client, email=FOLLOWER.upper(), subject="referential:DMN")
    assert RegisterSubscription.objects.count() == 1
    first, second = mail.outbox[-2:]
    assert confirm_link(first) == confirm_link(second)


def test_r_pub_1_subscription_requests_are_throttled_per_address_and_per_ip(
    client, world, settings
):
    # A refused request still counts against the client's IP (allauth's limiter).
    settings.REGISTER_SUBSCRIPTION_RATE_LIMITS = "4/h/ip,2/d/key"
    world.issue()
    for _ in range(2):
        assert subscribe(client, subject="referential:DMN").status_code == 302
    refused = subscribe(client, subject="referential:TLC")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    page = html.unescape(refused.content.decode())
    assert "Trop de demandes d'abonnement" in page and "réessayez dans" in page
    assert FOLLOWER in page  # what was typed is kept
    assert not RegisterSubscription.objects.filter(referential_code="TLC").exists()
    # The same client, another address: one more request, then the IP limit.
    assert subscribe(client, email="autre@exemple.fr", subject="referential:TLC").status_code == 302
    assert subscribe(client, email="trois@exemple.fr", subject="referential:TLC").status_code == 429
    # Another client may still ask for another address.
    other = subscribe(
        client, email="quatre@exemple.fr", subject="referential:TLC", REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302
    assert RegisterSubscription.objects.count() == 3


def test_r_pub_1_a_wrong_subscription_request_is_refused_and_keeps_what_was_typed(client, world):
    world.issue()
    for data, message in (
        (
            {"email": "pas-une-adresse", "subject": "referential:DMN"},
            "Adresse électronique invalide",
        ),
        ({"email": FOLLOWER, "subject": "company:999999"}, "Ce choix n'existe pas"),
        ({"email": FOLLOWER, "subject": "referential:XYZ"}, "Ce choix n'existe pas"),
        ({"email": "", "subject": ""}, "Indiquez l'adresse électronique"),
    ):
        with committed():
            response = client.post(SUBSCRIBE, data)
        assert response.status_code == 400
        page = html.unescape(response.content.decode())
        assert message in page
        if data["email"]:
            assert f'value="{data["email"]}"' in page
    assert (
        RegisterSubscription.objects.count() == 0
        and mail.outbox == []
        or all(m.to != [FOLLOWER] for m in mail.outbox)
    )


def test_r_pub_1_the_subscription_form_can_be_reached_with_a_subject_chosen(client, world):
    world.issue()
    page = client.get(f"{SUBSCRIBE}?suivre={company(world.a)}").content.decode()
    assert f'<option value="{company(world.a)}" selected>Télésanté</option>' in page
