"""The acknowledgment of receipt of the complete dossier (R-EVD-4): dated, sealed by the agency,
emailed; issued by the task worker."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.db import transaction
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from guichet.accounts.models import User
from guichet.applications.models import Application
from guichet.applications.notifications import notify_applicant
from guichet.common.links import base_url
from guichet.common.text import ngettext
from guichet.deadlines import Event, describe, evaluate, french_date, french_datetime
from guichet.evidence.selectors import tree
from guichet.files.services import keep_generated
from guichet.journal.services import record
from guichet.signing.pdf import sealed_upload


def issue_acknowledgment(application_id: int, *, by_id: int):
    """The task worker's part (R-EVD-4): the acknowledgment of receipt, dated with the moment
    the dossier became complete, sealed by the agency and emailed; filed on behalf of the
    person whose submission completed the dossier (`by_id`). Idempotent."""
    application = Application.objects.select_related(
        "organisation", "product", "referential_version__referential"
    ).get(pk=application_id)
    if application.acknowledgment_id or application.evidence_complete_at is None:
        return application.acknowledgment
    from guichet.evidence.services import completed_partially

    if completed_partially(application):
        return None  # R-CRT-4: the acknowledgment waits for every section (TLC guide §5.2)
    when = timezone.localtime(application.evidence_complete_at)
    pdf = acknowledgment_pdf(application, when, tree(application))
    upload = sealed_upload(
        pdf,
        f"accuse-de-reception-{application.reference}.pdf",
        name="Agence du numérique en santé",
        reason=f"Accusé de réception {application.reference}",
    )
    by = User.objects.get(pk=by_id)
    with transaction.atomic():
        locked, stored = keep_generated(
            Application, application_id, "acknowledgment", upload, by=by
        )
        if stored is None:
            return locked.acknowledgment
        record(
            action="evidence.acknowledgment",
            obj=locked,
            by=by,
            application_id=locked.pk,
            after={"complete_at": when.isoformat(), "sha256": stored.sha256},
        )
        # Emailed with the PDF by the task worker, once this is committed (a legal notice:
        # the legal delay runs from this date).
        notify_applicant(
            application,
            "accusé de réception du dossier complet",
            f"Le dossier de preuves de la candidature {application.reference} "
            f"({application.product.name} {application.product_version}) est complet depuis le "
            f"{french_datetime(when)}. L'accusé de réception est joint ; le délai de décision "
            "court à compter de cette date.",
            kind="acknowledgment",
            legal=True,
            attachments=(stored.pk,),
        )
    return stored


def acknowledgment_pdf(application: Application, when, sections) -> io.BytesIO:
    styles = getSampleStyleSheet()
    total = sum(s.proofs_total for s in sections)
    policy = application.referential_version.process_settings.clock_policy
    due = evaluate(policy, [Event("complete", when.date())], when.date()).deadline
    deadline = f"La décision intervient au plus tard le {french_date(due)} ({describe(policy)})."
    lines = [
        Paragraph("Accusé de réception — dossier complet", styles["Title"]),
        Paragraph(
            escape(f"Candidature {application.reference} — {application.organisation.name}"),
            styles["BodyText"],
        ),
        Paragraph(
            escape(
                f"Produit : {application.product.name}, version {application.product_version}. "
                f"Référentiel : {application.referential_version.referential.name} {application.referential_version.label}."
            ),
            styles["BodyText"],
        ),
        Spacer(1, 10),
        Paragraph(
            escape(
                f"L'Agence du numérique en santé accuse réception du dossier de preuves complet le "
                f"{french_datetime(when)} (heure de Paris) : "
                + ngettext("%(n)d section soumise", "%(n)d sections soumises", len(sections))
                % {"n": len(sections)}
                + ", "
                + ngettext(
                    "%(n)d preuve attendue déposée.",
                    "%(n)d preuves attendues déposées.",
                    total,
                )
                % {"n": total}
                + f" {deadline}"
            ),
            styles["BodyText"],
        ),
        Spacer(1, 10),
        Paragraph(escape(f"Document scellé par l'agence — {base_url()}"), styles["Italic"]),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, title="Accusé de réception"
    ).build(lines)
    buffer.seek(0)
    return buffer
