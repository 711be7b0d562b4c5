"""The ministers informed when a certificate ends (R-CRT-5). DMN guide §6.2 (CSS R. 165-5-3):
« Lorsqu'il constate un manquement à ces référentiels ou à ces spécifications, il met fin au
certificat de conformité et en informe les ministres chargés de la santé et de la sécurité
sociale »; TLC (CSP R. 1470-9): the agency « informe le ministre ». Who is informed is data of
the version (`end_notice_recipients`): every withdrawal (from its notification, when it takes
effect later) and every expiry writes a dated notice, whose PDF the task worker seals."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.db import transaction
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from guichet.accounts.models import User
from guichet.applications import extensions
from guichet.applications.clock import legal_today

# The lifecycle's effects run first (the withdrawal's dates), then the notice's.
from guichet.certificates import lifecycle
from guichet.certificates.models import Certificate, Kind, MinisterNotice
from guichet.certificates.verification import register_url
from guichet.certificates.workflow import LIVE, WORKFLOW
from guichet.common.tasks import enqueue_on_commit
from guichet.deadlines import french_date
from guichet.files.services import keep_generated
from guichet.journal.services import record
from guichet.signing.pdf import sealed_upload

AGENCY = "Agence du numérique en santé"


def _notice(certificate: Certificate, event: str, ended_on, reason: str, by) -> dict:
    recipients = certificate.referential_version.process_settings.end_notice_recipients
    if not recipients:
        return {}
    if MinisterNotice.objects.filter(
        certificate=certificate, event=event, ended_on=ended_on
    ).exists():
        return {}  # a withdrawal notified for a later day was told when it was notified
    if (
        certificate.kind == Kind.EXCEPTIONAL
        and Certificate.objects.filter(
            application_id=certificate.application_id, kind=Kind.STANDARD
        ).exists()
    ):
        return {}  # replaced by the standard certificate: the product stays certified
    named = (
        f"Le certificat de conformité {certificate.number} ({certificate.product_name} "
        f"{certificate.product_version}, {certificate.company_name}, référentiel "
        f"{certificate.referential_version.referential.name} "
        f"{certificate.referential_version.label})"
    )
    if event == MinisterNotice.Event.STRIKE_OFF:
        text = strike_off_text(certificate, named, reason)
    elif event == MinisterNotice.Event.WITHDRAWAL_CANCELLED:
        text = (
            f"{named} ne sera pas retiré : le retrait qui devait prendre effet le "
            f"{french_date(ended_on)} est annulé le {french_date(legal_today())}. Motif : {reason}"
        )
    else:
        what = "retiré" if event == MinisterNotice.Event.WITHDRAWN else "expiré"
        text = (
            f"{named} est {what}, avec effet le {french_date(ended_on)}. Motif : "
            f"{reason or 'fin de la période de validité'}"
        )
    notice = MinisterNotice.objects.create(
        certificate=certificate,
        event=event,
        ended_on=ended_on,
        sent_on=legal_today(),
        recipients=list(recipients),
        text=text,
    )
    from guichet.certificates import tasks

    enqueue_on_commit(tasks.seal_minister_notice, notice.pk, getattr(by, "pk", None))
    return {"minister_notice": {"recipients": list(recipients), "sent_on": str(notice.sent_on)}}


@WORKFLOW.effect("schedule_withdrawal")
def _withdrawal_notified(certificate: Certificate, *, by, reason, source, **data) -> dict:
    return _notice(
        certificate,
        MinisterNotice.Event.WITHDRAWN,
        data.get("effective_on") or certificate.withdrawal_effective_on or legal_today(),
        reason,
        by,
    )


def strike_off_text(certificate: Certificate, named: str, ground: str) -> str:
    """DMN guide §6.2: « L'ANS pourra demander la radiation à l'une des listes » (CSS R. 162-85
    for telesurveillance, R. 165-5 otherwise), on one of the guide's three grounds."""
    from guichet.certificates.models import StrikeOffGround
    from guichet.certificates.standing import Standing

    listed = lifecycle.strike_off_list(certificate)
    article = "R. 162-85" if listed == "LATM" else "R. 165-5"
    state = Standing.of(certificate).summary
    return (
        f"{named} : l'Agence du numérique en santé demande la radiation du produit de la "
        f"{listed} (article {article} du code de la sécurité sociale). Motif : "
        f"{StrikeOffGround(ground).label}. État du certificat : {state[:1].lower()}{state[1:]}"
    )


@WORKFLOW.effect("request_strike_off")
def _strike_off_requested(certificate: Certificate, *, by, reason, source, **data) -> dict:
    """CSS R. 165-5-3 and R. 162-77: the ministers in charge of health and social security are
    told, by a dated notice sealed by the agency, shown on the certificate's page."""
    return _notice(
        certificate,
        MinisterNotice.Event.STRIKE_OFF,
        certificate.status_changed_on if certificate.status not in LIVE else legal_today(),
        data.get("ground") or "",
        by,
    )


@WORKFLOW.effect("cancel_withdrawal")
def _withdrawal_cancelled(certificate: Certificate, *, by, reason, source, **data) -> dict:
    """The ministers told of the notified withdrawal learn that it will not happen."""
    cancelled = data.get("cancelled_on")
    told = MinisterNotice.objects.filter(
        certificate=certificate, event=MinisterNotice.Event.WITHDRAWN, ended_on=cancelled
    ).exists()
    if not told:
        return {}
    return _notice(certificate, MinisterNotice.Event.WITHDRAWAL_CANCELLED, cancelled, reason, by)


@WORKFLOW.effect("withdraw")
def _withdrawn(certificate: Certificate, *, by, reason, source, **data) -> dict:
    return _notice(
        certificate,
        MinisterNotice.Event.WITHDRAWN,
        certificate.withdrawal_effective_on or certificate.status_changed_on or legal_today(),
        reason,
        by,
    )


@WORKFLOW.effect("expire")
def _expired(certificate: Certificate, *, by, reason, source, **data) -> dict:
    return _notice(
        certificate,
        MinisterNotice.Event.EXPIRED,
        data.get("on") or certificate.status_changed_on or legal_today(),
        reason,
        by,
    )


def seal_notice(notice_id: int, *, by_id: int | None) -> MinisterNotice:
    """The task worker's part: the notice's PDF, sealed by the agency. Idempotent."""
    notice = MinisterNotice.objects.select_related("certificate").get(pk=notice_id)
    if notice.pdf_id is not None:
        return notice
    certificate = notice.certificate
    by = User.objects.filter(pk=by_id).first() if by_id else None
    if by is None:  # the daily sweep: filed on behalf of the certificate's first author
        first = certificate.revisions.filter(by__isnull=False).order_by("number").first()
        by = first.by
    upload = sealed_upload(
        notice_pdf(notice),
        f"information-ministres-{certificate.number}-{notice.event}.pdf",
        name=AGENCY,
        reason=f"Information des ministres : certificat {certificate.number}",
    )
    with transaction.atomic():
        locked, stored = keep_generated(MinisterNotice, notice_id, "pdf", upload, by=by)
        if stored is not None:
            record(
                action="certificate.minister_notice",
                obj=certificate,
                by=by,
                application_id=certificate.application_id,
                after={
                    "event": notice.event,
                    "sent_on": notice.sent_on.isoformat(),
                    "recipients": notice.recipients,
                    "sha256": stored.sha256,
                },
            )
    return locked


def notice_pdf(notice: MinisterNotice) -> io.BytesIO:
    styles = getSampleStyleSheet()
    lines = [
        Paragraph(
            "Demande de radiation — certificat de conformité"
            if notice.event == MinisterNotice.Event.STRIKE_OFF
            else "Information des ministres — fin d'un certificat de conformité",
            styles["Title"],
        ),
        Paragraph(escape(f"Paris, le {french_date(notice.sent_on)}"), styles["BodyText"]),
        Paragraph(
            escape("À l'attention de : " + " ; ".join(notice.recipients)), styles["BodyText"]
        ),
        Spacer(1, 10),
        Paragraph(escape(notice.text), styles["BodyText"]),
        Spacer(1, 10),
        Paragraph(
            escape(
                "Le registre public des certificats montre ce certificat avec son état : "
                f"{register_url()}"
            ),
            styles["BodyText"],
        ),
        Paragraph(escape(f"Document scellé par l'agence — {AGENCY}"), styles["Italic"]),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        title="Information des ministres",
    ).build(lines)
    buffer.seek(0)
    return buffer


@extensions.file_source
def notice_file(application, file_id):
    return extensions.referenced_file(
        MinisterNotice.objects.filter(certificate__application=application), "pdf", file_id
    )


def notices_of(certificate: Certificate) -> list[MinisterNotice]:
    return list(certificate.minister_notices.all())
