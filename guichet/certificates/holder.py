"""The certificate on the application page (issue 13 §1), for its holder and the agency: its
number, state, term and reservations, its sealed PDF served as a file of the application, and
the link to its public verification page."""

from __future__ import annotations

from django.db.models import Min, OuterRef, Subquery
from django.urls import reverse

from guichet.applications import extensions
from guichet.certificates.models import Certificate, CertificateRevision, FormalNotice, Kind
from guichet.files.models import StoredFile


@extensions.panel
def certificate_panel(request, application) -> dict | None:
    # The standard certificate once there is one; else the exceptional one (R-CRT-4), which
    # the exceptional panel also lists with its period.
    certificates = Certificate.objects.filter(application=application)
    certificate = (
        certificates.filter(kind=Kind.STANDARD).first() or certificates.order_by("-pk").first()
    )
    if certificate is None:
        return None
    return {"template": "certificates/holder_panel.html", "certificate": certificate}


@extensions.file_source
def certificate_file(application, file_id) -> StoredFile | None:
    """The sealed PDF of each revision of the application's certificate, served by
    applications:file (the same PDFs anyone downloads from the verification page)."""
    rows = CertificateRevision.objects.filter(certificate__application=application)
    return extensions.referenced_file(rows, "pdf", file_id)


@extensions.issued_documents
def certificate_document(application, user) -> list[dict]:
    """The current certificate's sealed PDF, among the documents issued on the application."""
    certificate = (
        Certificate.objects.filter(application=application, pdf__isnull=False)
        .only("number", "revision", "pdf_id", "status_changed_on", "issued_on")
        .first()
    )
    if certificate is None:
        return []
    return [
        {
            "label": f"Certificat de conformité {certificate.number}, révision "
            f"{certificate.revision} (PDF scellé)",
            "date": certificate.status_changed_on or certificate.issued_on,
            "url": reverse("applications:file", args=[application.pk, certificate.pdf_id]),
        }
    ]


def certificates_of(user):
    """« Mes certificats » (issue 22 §2): the certificates of the user's organisation only
    (R-ACT-1), newest first, each with the deadline of its earliest open formal notice — one
    query for the rows, whatever their number."""
    if user.is_agency or not user.organisation_id:
        return Certificate.objects.none()
    deadline = (
        FormalNotice.objects.filter(certificate=OuterRef("pk"), closed_on__isnull=True)
        .values("certificate")
        .annotate(first=Min("deadline"))
        .values("first")
    )
    return (
        Certificate.objects.filter(organisation_id=user.organisation_id)
        .select_related("referential_version__referential")
        .annotate(notice_deadline=Subquery(deadline))
        .order_by("-issued_on", "-id")
    )
