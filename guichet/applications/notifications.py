"""Emails to the applicant about an application (file backend in `make run`)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from guichet.accounts.models import Role, User


def recipients(application) -> list[str]:
    """The organisation's Responsable habilité, the person who filed, and the form's contact."""
    emails = set(
        User.objects.filter(
            organisation_id=application.organisation_id,
            role=Role.APPLICANT_ADMIN,
            is_active=True,
        ).values_list("email", flat=True)
    )
    if application.created_by_id and application.created_by.is_active:
        emails.add(application.created_by.email)
    contact = (application.form or {}).get("contact_email")
    if contact:
        emails.add(contact)
    return sorted(emails)


def notify_applicant(application, subject: str, body: str) -> None:
    """Sent once the change is committed, so that nobody is told of a change that failed."""
    link = settings.SITE_URL.rstrip("/") + reverse("applications:detail", args=[application.pk])
    to = recipients(application)
    text = (
        f"Bonjour,\n\n{body}\n\nCandidature {application.reference} — "
        f"{application.product.name} {application.product_version} :\n{link}\n\n"
        "Guichet — Agence du numérique en santé\n"
    )
    transaction.on_commit(
        lambda: send_mail(f"Guichet — {application.reference} — {subject}", text, None, to)
    )


def notify_instructors(application, subject: str, body: str) -> None:
    """Instructors learn of new work: a submission, corrections sent, a complete dossier. The
    application's own instructors when it has some, else every active instructor."""
    instructors = application.instructors.filter(is_active=True)
    if not instructors.exists():
        instructors = User.objects.filter(role=Role.INSTRUCTOR, is_active=True)
    to = sorted(instructors.values_list("email", flat=True))
    if not to:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("applications:detail", args=[application.pk])
    text = (
        f"Bonjour,\n\n{body}\n\nCandidature {application.reference} — {application.organisation.name} — "
        f"{application.product.name} {application.product_version} :\n{link}\n\nGuichet\n"
    )
    transaction.on_commit(
        lambda: send_mail(f"Guichet — {application.reference} — {subject}", text, None, to)
    )
