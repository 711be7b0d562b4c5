"""The certificate's PDF is written and sealed by the task worker after the commit that issues
or changes the certificate, never in the request (R-CRT-1, R-CRT-9)."""

from django_tasks import task


@task()
def produce_certificate_pdf(revision_id: int) -> None:
    from guichet.certificates.pdf import produce_revision_pdf

    produce_revision_pdf(revision_id)


@task()
def seal_minister_notice(notice_id: int, by_id: int | None) -> None:
    from guichet.certificates.ministers import seal_notice

    seal_notice(notice_id, by_id=by_id)
