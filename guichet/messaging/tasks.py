"""Emails are rendered and sent by the task worker, never in the request (R-MSG-1)."""

from django_tasks import task


@task()
def send_notice(
    *,
    audience: str,
    kind: str,
    application_id: int,
    subject: str,
    body: str,
    to: list[str],
    legal: bool = False,
    attachments: list[str] | None = None,
    certificate: str = "",
) -> None:
    from guichet.messaging.emails import send_notice as send

    send(
        audience=audience,
        kind=kind,
        application_id=application_id,
        subject=subject,
        body=body,
        to=to,
        legal=legal,
        attachments=attachments or [],
        certificate=certificate,
    )
