"""Emails to the applicant about an application (file backend in `make run`)."""

from django.core.mail import send_mail
from django.db import transaction

from guichet.accounts.models import Role, User
from guichet.common.links import absolute_reverse


def recipients(application) -> list[str]:
    """Who the agency writes to about an application: its contact référent (the form's
    `contact_email`) and the applying organisation's Responsable habilité, nobody else.

    The DMN guide notifies the applicant « par mail via le contact référent saisi dans
    Convergence » (§5.2, Notification de l'Exploitant; also the exchanges during the review);
    the Responsable habilité represents the company and signs for it (R-ACT-2), so he learns of
    every step too. Members of the organisation who filed or helped follow the application on
    its page.

    A group without legal personality (R-APP-3, guide §4.1): « Le chef de file du groupement est
    l'interlocuteur unique de l'ANS ». The applying organisation is the lead, so the same rule
    applies: the lead's contact référent and the lead's Responsable habilité. The members named
    in `group_members` are companies without an account on the application, and a member's
    own Responsable (had it an account for its own applications) is not written to."""
    emails = set(
        User.objects.filter(
            organisation_id=application.organisation_id,
            role=Role.APPLICANT_ADMIN,
            is_active=True,
        ).values_list("email", flat=True)
    )
    contact = (application.form or {}).get("contact_email")
    if contact:
        emails.add(contact)
    return sorted(emails)


def notify_applicant(application, subject: str, body: str) -> None:
    """Sent once the change is committed, so that nobody is told of a change that failed."""
    link = absolute_reverse("applications:detail", application.pk)
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
    link = absolute_reverse("applications:detail", application.pk)
    text = (
        f"Bonjour,\n\n{body}\n\nCandidature {application.reference} — {application.organisation.name} — "
        f"{application.product.name} {application.product_version} :\n{link}\n\nGuichet\n"
    )
    transaction.on_commit(
        lambda: send_mail(f"Guichet — {application.reference} — {subject}", text, None, to)
    )
