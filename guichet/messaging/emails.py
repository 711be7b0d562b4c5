"""The templated emails of the notices (text and HTML, French), as the task worker sends them:
each kind's templates (messaging.kinds), the link to the application, the attachments read
from storage and verified against their deposit (R-EVD-2)."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from guichet.applications.models import Application
from guichet.common.links import absolute_reverse, absolute_url
from guichet.files.models import StoredFile
from guichet.files.services import verified_chunks
from guichet.messaging import kinds

# An email carries files up to this size; a larger one is named, to download on the platform.
ATTACHMENT_LIMIT = 10 * 1024 * 1024


def send_notice(
    *,
    audience: str,
    kind: str,
    application_id: int,
    subject: str,
    body: str,
    to: list[str],
    legal: bool,
    attachments: list[str],
    certificate: str = "",
) -> None:
    application = Application.objects.select_related("product", "organisation").get(
        pk=application_id
    )
    kind_class = kinds.kind_of(kind, audience)
    files = list(StoredFile.objects.filter(pk__in=attachments).order_by("original_name"))
    attached = [stored for stored in files if stored.size <= ATTACHMENT_LIMIT]
    context = {
        "application": application,
        "kind": kind_class,
        "subject": subject,
        "body": body,
        "legal": legal,
        "for_agency": audience == kinds.INSTRUCTORS,
        "link": absolute_url(kinds.notice_link(kind_class, application, certificate)),
        "certificate": certificate,
        "preferences_link": absolute_reverse("messaging:preferences"),
        "attached": attached,
        "too_large": [stored for stored in files if stored.size > ATTACHMENT_LIMIT],
    }
    email = EmailMultiAlternatives(
        f"Guichet — {application.reference} — {subject}",
        render_to_string(f"{kind_class.template}.txt", context),
        None,
        to,
    )
    email.attach_alternative(render_to_string(f"{kind_class.template}.html", context), "text/html")
    for stored in attached:
        email.attach(
            stored.original_name,
            b"".join(verified_chunks(stored, application=application)),
            stored.content_type,
        )
    email.send()
