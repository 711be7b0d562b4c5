"""Telling people about an application: the applicant (its contact référent and Responsable
habilité) or the instructors. Every stage calls `notify_applicant` / `notify_instructors`; the
messaging app, when installed, registers itself as the notifier (extensions.NOTIFIER): in-app
notifications, templated emails sent by the task worker, each person's choices — except legal
notices, which always go. Without it, a plain email after the commit."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from guichet.accounts.models import Role, User
from guichet.common.links import absolute_url


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


@dataclass(frozen=True)
class Notice:
    """What happened to an application, for whom, of which kind (see messaging.kinds)."""

    application: object
    audience: str  # "applicant" | "instructors"
    subject: str
    body: str
    kind: str = "application"
    legal: bool = False  # a legal notice: always emailed, whatever the person's choices
    attachments: tuple = field(default_factory=tuple)  # StoredFile ids
    # Named people (user ids) instead of the audience's usual ones, e.g. the lead instructor.
    users: tuple = field(default_factory=tuple)
    # A notice about a certificate (its number): it leads to the certificate's page, the
    # holder's or the agency's, not to the application's (issue 22 §2).
    certificate: str = ""


def notice_path(application, audience: str, certificate: str = "") -> str:
    """Where a fallback email leads (messaging.kinds decides it for the notifier's)."""
    if certificate:
        name = "certificates:manage" if audience == "applicant" else "certificates:agency-detail"
        return reverse(name, args=[certificate])
    return reverse("applications:detail", args=[application.pk])


def _deliver(notice: Notice, fallback) -> None:
    from guichet.applications import extensions

    if extensions.NOTIFIER is not None:
        extensions.NOTIFIER(notice)
    else:
        fallback()


def notify_applicant(
    application,
    subject: str,
    body: str,
    *,
    kind: str = "application",
    legal: bool = False,
    attachments=(),
    certificate: str = "",
) -> None:
    """Sent once the change is committed, so that nobody is told of a change that failed.
    `certificate`: the number of the certificate the notice is about (its page is the link)."""
    notice = Notice(
        application,
        "applicant",
        subject,
        body,
        kind,
        legal,
        tuple(attachments),
        certificate=certificate,
    )
    _deliver(notice, lambda: _mail_applicant(application, subject, body, certificate))


def _mail_applicant(application, subject: str, body: str, certificate: str = "") -> None:
    link = absolute_url(notice_path(application, "applicant", certificate))
    to = recipients(application)
    text = (
        f"Bonjour,\n\n{body}\n\nCandidature {application.reference} — "
        f"{application.product.name} {application.product_version} :\n{link}\n\n"
        "Guichet — Agence du numérique en santé\n"
    )
    transaction.on_commit(
        lambda: send_mail(f"Guichet — {application.reference} — {subject}", text, None, to)
    )


def notify_instructors(
    application, subject: str, body: str, *, kind: str = "work", users=(), certificate: str = ""
) -> None:
    """Instructors learn of new work: a submission, corrections sent, a complete dossier;
    `users`: only these agents (the lead instructor told of an assignment); `certificate`: the
    number of the certificate the work is about (its agency page is the link)."""
    users = tuple(getattr(user, "pk", user) for user in users)
    notice = Notice(
        application, "instructors", subject, body, kind, users=users, certificate=certificate
    )
    _deliver(notice, lambda: _mail_instructors(application, subject, body, users, certificate))


def instructor_recipients(application):
    """The application's own instructors when it has some, else every active instructor."""
    instructors = application.instructors.filter(is_active=True)
    if not instructors.exists():
        instructors = User.objects.filter(role=Role.INSTRUCTOR, is_active=True)
    return instructors


def _mail_instructors(application, subject: str, body: str, users=(), certificate="") -> None:
    people = User.objects.filter(pk__in=users) if users else instructor_recipients(application)
    to = sorted(people.values_list("email", flat=True))
    if not to:
        return
    link = absolute_url(notice_path(application, "instructors", certificate))
    text = (
        f"Bonjour,\n\n{body}\n\nCandidature {application.reference} — {application.organisation.name} — "
        f"{application.product.name} {application.product_version} :\n{link}\n\nGuichet\n"
    )
    transaction.on_commit(
        lambda: send_mail(f"Guichet — {application.reference} — {subject}", text, None, to)
    )
