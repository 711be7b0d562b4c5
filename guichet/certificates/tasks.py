"""The certificate's PDF is written and sealed by the task worker after the commit that issues
or changes the certificate, never in the request (R-CRT-1, R-CRT-9)."""

from django_tasks import task

from guichet.common.tasks import makes_document, retried_when_transient


@task()
@retried_when_transient
def produce_certificate_pdf(revision_id: int) -> None:
    from guichet.certificates.pdf import produce_revision_pdf

    produce_revision_pdf(revision_id)


@task()
@retried_when_transient
def seal_minister_notice(notice_id: int, by_id: int | None) -> None:
    from guichet.certificates.ministers import seal_notice

    seal_notice(notice_id, by_id=by_id)


# What the periodic repair queues again when such a task was lost (guichet.common.tasks).
@makes_document(produce_certificate_pdf, label="PDF scellé d'une révision de certificat")
def _revisions_without_pdf():
    from guichet.certificates.models import CertificateRevision

    return [
        (pk,)
        for pk in CertificateRevision.objects.filter(pdf__isnull=True).values_list("pk", flat=True)
    ]


@makes_document(seal_minister_notice, label="Information des ministres scellée")
def _notices_without_pdf():
    """Filed, as the daily sweep's, on behalf of the certificate's first author."""
    from guichet.certificates.models import MinisterNotice

    return [
        (pk, None)
        for pk in MinisterNotice.objects.filter(pdf__isnull=True).values_list("pk", flat=True)
    ]
