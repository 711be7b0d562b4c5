"""Following the register by email (R-PUB-1): anyone may ask to be told of the changes of one
holder company's certificates or of one referential's.

A request stores a `RegisterSubscription` with a random token and sends one email: the link to
confirm. Nothing else goes to an address that has not confirmed. Requests are throttled per
client IP and per address, and the answer is the same whether the address already follows the
subject or not (an address already confirmed is told so by email, not on the page). Every email
carries a one-click cancel link.

When a certificate is issued, renewed, gets a new version or changes state, a task sent after
the commit emails each confirmed subscriber of its holder or its referential: the issuance and
the revisions through a `post_save` receiver on CertificateRevision, the changes of state
through the certificate workflow's listener (`WORKFLOW.listen`)."""

from __future__ import annotations

import math
import secrets
import time
from collections import defaultdict

from allauth.core.internal import ratelimit
from django import forms
from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django_tasks import task

from guichet.accounts.models import Organisation
from guichet.accounts.ratelimits import french_delay
from guichet.certificates import register
from guichet.certificates.models import (
    Certificate,
    CertificateRevision,
    RegisterSubscription,
    SubscriptionScope,
)
from guichet.certificates.workflow import WORKFLOW
from guichet.common.links import absolute_reverse
from guichet.common.tasks import enqueue_on_commit
from guichet.referentials.models import Referential

# The page's answer to every valid request, whatever the address already follows.
SUBSCRIPTION_RECEIVED = (
    "Demande enregistrée. Si cette adresse ne suit pas déjà ce titulaire ou ce référentiel, "
    "elle reçoit dans quelques minutes un courriel avec un lien pour confirmer l'abonnement : "
    "rien ne lui sera envoyé d'autre tant qu'il n'est pas confirmé. Pensez à regarder dans les "
    "courriers indésirables."
)
SIGNATURE = "Guichet — Agence du numérique en santé"

_APP = "guichet.certificates"
_ACTION = "register_subscription"


class SubscriptionThrottled(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        self.message = (
            "Trop de demandes d'abonnement depuis votre connexion ou pour cette adresse : "
            f"réessayez dans {french_delay(retry_after)}."
        )
        super().__init__(self.message)


# --- The form ----------------------------------------------------------------------------------


def subject_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """What may be followed: each referential, and each company holding a certificate (the
    companies the register names). Two queries."""
    referentials = [
        (f"{SubscriptionScope.REFERENTIAL}:{code}", f"{code} — {name}")
        for code, name in Referential.objects.values_list("code", "name")
    ]
    companies = [
        (f"{SubscriptionScope.COMPANY}:{pk}", name)
        for pk, name in Organisation.objects.filter(
            Exists(Certificate.objects.filter(organisation=OuterRef("pk")))
        )
        .order_by("name", "pk")
        .values_list("pk", "name")
    ]
    return [("Référentiels", referentials), ("Titulaires de certificats", companies)]


class SubscriptionForm(forms.Form):
    email = forms.EmailField(
        label="Votre adresse électronique",
        help_text="Format attendu : nom@domaine.fr",
        max_length=254,
        error_messages={
            "required": "Indiquez l'adresse électronique à laquelle écrire.",
            "invalid": "Adresse électronique invalide : saisissez-la au format nom@domaine.fr.",
            "max_length": "Adresse électronique trop longue : 254 caractères au plus.",
        },
    )
    subject = forms.ChoiceField(
        label="Suivre",
        help_text="Un référentiel (tous ses certificats) ou un titulaire (ses certificats)",
        error_messages={
            "required": "Choisissez le référentiel ou le titulaire à suivre.",
            "invalid_choice": "Ce choix n'existe pas (ou plus) : choisissez un référentiel ou "
            "un titulaire dans la liste.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.subject_groups = subject_choices()
        self.fields["subject"].choices = [("", "Choisir dans la liste"), *self.subject_groups]

    def clean_subject(self) -> dict:
        scope, _, value = self.cleaned_data["subject"].partition(":")
        if scope == SubscriptionScope.COMPANY:
            return {"scope": scope, "organisation_id": int(value), "referential_code": ""}
        return {"scope": scope, "organisation_id": None, "referential_code": value}


# --- Requests, confirmation, cancellation ------------------------------------------------------


def _rate_config() -> dict[str, str]:
    return {_ACTION: settings.REGISTER_SUBSCRIPTION_RATE_LIMITS}


def consume_subscription(request: HttpRequest, *, email: str) -> int:
    """Counts one request from the client's IP for this address (allauth's rate limiter, kept
    in the shared cache, as the company account requests are); 0 when it may go on, else the
    seconds until it may."""
    key = email.strip().lower()
    config = _rate_config()
    if ratelimit.consume(request, app=_APP, action=_ACTION, config=config, key=key) is not None:
        return 0
    now = time.time()
    waits = [1.0]
    for rate in ratelimit.get_rates(app=_APP, action=_ACTION, config=config):
        cache_key = ratelimit.get_cache_key(request, app=_APP, action=_ACTION, rate=rate, key=key)
        hits = [hit for hit in cache.get(cache_key, []) if hit > now - rate.duration]
        if len(hits) >= rate.amount:
            waits.append(min(hits) + rate.duration - now)
    return math.ceil(max(waits))


def request_subscription(
    request: HttpRequest,
    *,
    email: str,
    scope: str,
    organisation_id: int | None = None,
    referential_code: str = "",
) -> None:
    """A request to follow a company or a referential: throttled, then stored and emailed
    (a confirmation link; or, to an address that already follows it, a reminder with the
    cancel link). Same outcome for the caller either way: SUBSCRIPTION_RECEIVED."""
    email = BaseUserManager.normalize_email(email.strip())
    wait = consume_subscription(request, email=email)
    if wait:
        raise SubscriptionThrottled(wait)
    _store(
        email=email,
        scope=scope,
        organisation_id=organisation_id,
        referential_code=referential_code,
    )


@transaction.atomic
def _store(
    *, email: str, scope: str, organisation_id: int | None, referential_code: str
) -> RegisterSubscription:
    subject = {"scope": scope, "organisation_id": organisation_id, "referential_code": ""}
    if scope == SubscriptionScope.REFERENTIAL:
        subject = {"scope": scope, "organisation_id": None, "referential_code": referential_code}
    subscription = (
        RegisterSubscription.objects.select_for_update()
        .filter(email__iexact=email, cancelled_at__isnull=True, **subject)
        .order_by("id")
        .first()
    )
    if subscription is None:
        subscription = RegisterSubscription.objects.create(
            email=email, token=secrets.token_urlsafe(32), **subject
        )
    enqueue_on_commit(send_subscription_email, subscription.pk)
    return subscription


def find(token: str) -> RegisterSubscription | None:
    return RegisterSubscription.objects.select_related("organisation").filter(token=token).first()


@transaction.atomic
def confirm_subscription(token: str) -> RegisterSubscription | None:
    """Confirms the subscription of this token (once; a cancelled one stays cancelled)."""
    subscription = RegisterSubscription.objects.select_for_update().filter(token=token).first()
    if subscription is None:
        return None
    if subscription.cancelled_at is None and subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
    return find(token)


@transaction.atomic
def cancel_subscription(token: str) -> RegisterSubscription | None:
    """Ends the subscription of this token (a second click changes nothing)."""
    subscription = RegisterSubscription.objects.select_for_update().filter(token=token).first()
    if subscription is None:
        return None
    if subscription.cancelled_at is None:
        subscription.cancelled_at = timezone.now()
        subscription.save(update_fields=["cancelled_at"])
    return find(token)


def subject_label(subscription: RegisterSubscription) -> str:
    """« le titulaire Télésanté », « le référentiel DMN »."""
    if subscription.scope == SubscriptionScope.COMPANY:
        return f"les certificats du titulaire {subscription.organisation.name}"
    return f"les certificats du référentiel {subscription.referential_code}"


def _links(subscription: RegisterSubscription) -> dict[str, str]:
    return {
        "confirm": absolute_reverse("certificates:register-subscription", subscription.token),
        "cancel": absolute_reverse("certificates:register-unsubscribe", subscription.token),
        "register": absolute_reverse("certificates:register"),
    }


def _unsubscribe_headers(link: str) -> dict[str, str]:
    # RFC 2369 and RFC 8058: mail clients offer the one-click cancellation themselves.
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


@task()
def send_subscription_email(subscription_id: int) -> None:
    """The only email an address gets before it confirms: the link to confirm. An address
    that already confirmed gets a reminder that it follows the subject, with the cancel link."""
    subscription = (
        RegisterSubscription.objects.select_related("organisation")
        .filter(pk=subscription_id, cancelled_at__isnull=True)
        .first()
    )
    if subscription is None:
        return
    links = _links(subscription)
    followed = subject_label(subscription)
    if subscription.confirmed_at is None:
        subject = "Guichet — confirmez votre abonnement au registre des certificats"
        body = (
            "Bonjour,\n\n"
            "Une demande d'abonnement aux changements du registre public des certificats de "
            f"conformité a été faite avec cette adresse, pour suivre {followed}.\n\n"
            f"Pour confirmer l'abonnement, ouvrez ce lien :\n{links['confirm']}\n\n"
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : sans "
            "confirmation, vous ne recevrez rien d'autre.\n\n"
            f"Pour annuler cette demande :\n{links['cancel']}\n\n{SIGNATURE}\n"
        )
    else:
        subject = "Guichet — votre abonnement au registre des certificats"
        body = (
            "Bonjour,\n\n"
            "Une nouvelle demande d'abonnement a été faite avec cette adresse, qui suit déjà "
            f"{followed} dans le registre public des certificats de conformité. Rien n'est "
            "changé : vous continuez à recevoir un courriel à chaque délivrance ou changement "
            f"d'état.\n\nPour vous désabonner (un clic) :\n{links['cancel']}\n\n{SIGNATURE}\n"
        )
    EmailMessage(
        subject, body, None, [subscription.email], headers=_unsubscribe_headers(links["cancel"])
    ).send()


# --- Announcing the register's changes ---------------------------------------------------------


def announce(certificate: Certificate, label: str) -> None:
    """Emails the subscribers of the certificate's holder and referential once the change
    is committed; what they read is what the register says at this moment."""
    change = register.Change(key="", at=timezone.now(), label=label, certificate=certificate)
    enqueue_on_commit(
        send_announcement,
        {
            "organisation_id": certificate.organisation_id,
            "referential": certificate.referential_code,
            "subject": f"Guichet — registre des certificats : {label.lower()} du certificat "
            f"{certificate.number}",
            "summary": change.summary,
            "url": register.verification_url(certificate.number),
        },
    )


@receiver(post_save, sender=CertificateRevision, dispatch_uid="register-announce-revision")
def _revision_written(sender, instance: CertificateRevision, created: bool, raw=False, **kwargs):
    if created and not raw and instance.kind in register.ANNOUNCED_REVISIONS:
        announce(instance.certificate, instance.get_kind_display())


@WORKFLOW.listen
def _state_changed(certificate: Certificate, transition, source: str, by) -> None:
    if certificate.status != source:
        announce(certificate, register.transition_label(source, certificate.status))


@task()
def send_announcement(announcement: dict) -> None:
    """One email per confirmed address following the holder or the referential, each with
    the cancel link of what it follows."""
    subscriptions = (
        RegisterSubscription.objects.filter(confirmed_at__isnull=False, cancelled_at__isnull=True)
        .filter(
            Q(scope=SubscriptionScope.COMPANY, organisation_id=announcement["organisation_id"])
            | Q(scope=SubscriptionScope.REFERENTIAL, referential_code=announcement["referential"])
        )
        .select_related("organisation")
        .order_by("email", "id")
    )
    by_address: dict[str, list[RegisterSubscription]] = defaultdict(list)
    for subscription in subscriptions.iterator(chunk_size=500):
        by_address[subscription.email.lower()].append(subscription)
    register_link = absolute_reverse("certificates:register")
    messages = []
    for followed in by_address.values():
        cancels = "\n".join(f"- {subject_label(s)} :\n  {_links(s)['cancel']}" for s in followed)
        body = (
            f"Bonjour,\n\n{announcement['summary']}\n\n"
            f"Vérifier le certificat :\n{announcement['url']}\n\n"
            f"Registre public des certificats :\n{register_link}\n\n"
            "Vous recevez ce message parce que vous suivez dans le registre public :\n"
            f"{cancels}\n\n"
            "Pour vous désabonner, ouvrez le lien sous ce que vous ne voulez plus suivre "
            f"(un clic suffit).\n\n{SIGNATURE}\n"
        )
        messages.append(
            EmailMessage(
                announcement["subject"],
                body,
                None,
                [followed[0].email],
                headers=_unsubscribe_headers(_links(followed[0])["cancel"]),
            )
        )
    if messages:
        get_connection().send_messages(messages)
