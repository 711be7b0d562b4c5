"""The certificate's PDF (R-CRT-1, R-CRT-9): written for each revision and sealed by the
agency (PAdES), in the spirit of the State's design system (the « République française » block,
the agency, blue France). It states what the décret 2023-1315 (CSP R. 1470-1 ff.) lists: the
service's name and version, its operator's name and contact details, the referential and its
version, the issuing body and, where set, the date of the next check; and what the guides add
(modules, profiles, pathway, the term, the reservations). A QR code leads to its public
verification page, whose address is also printed in clear."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from xml.sax.saxutils import escape

import qrcode
from django.db import transaction
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    Image,
    KeepTogether,
    ListFlowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from guichet.certificates.models import (
    Certificate,
    CertificateRevision,
    Kind,
    RevisionKind,
    Status,
    WithdrawalGround,
)
from guichet.certificates.standing import Standing
from guichet.common.links import absolute_reverse
from guichet.deadlines import french_date
from guichet.files.services import keep_generated
from guichet.journal.services import record
from guichet.referentials.wording import named_in_sentence
from guichet.signing.pdf import sealed_upload

AGENCY = "Agence du numérique en santé"
BLUE_FRANCE = colors.HexColor("#000091")
RED_MARIANNE = colors.HexColor("#E1000F")
GREY = colors.HexColor("#666666")
# What a certificate that is no longer valid says, in large, on its PDF.
STATUS_BANNERS = {
    Status.SUSPENDED: "CERTIFICAT SUSPENDU",
    Status.WITHDRAWN: "CERTIFICAT RETIRÉ",
    Status.EXPIRED: "CERTIFICAT EXPIRÉ",
}
# The QR code: error correction M (15 %) survives a printed, folded copy; the same settings
# let a test recompute the code of the verification address and compare it module by module.
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QR_BOX_SIZE = 8
QR_BORDER = 4


@dataclasses.dataclass(frozen=True)
class Sheet:
    """What one revision of a certificate states: its snapshot, the revision, the address."""

    number: str
    kind: str
    status: str
    company_name: str
    company_id: str
    operator_contact: str
    product_name: str
    product_version: str
    modules: list
    profiles: list
    pathway: str
    referential_code: str
    referential_name: str
    referential_version: str
    reservations: list
    issued_on: dt.date
    valid_until: dt.date
    next_check: dt.date | None
    status_since: dt.date | None
    status_reason: str
    withdrawal_ground: str
    withdrawal_effective_on: dt.date | None
    revision: int
    revision_kind: str
    revision_reason: str
    revision_on: dt.date
    verify_url: str
    withdrawal_notified_on: dt.date | None = None
    # R-DEC-2: {text, deadline, status, lifted_on, failed_on} of each reservation, then.
    reservation_details: list = dataclasses.field(default_factory=list)

    @property
    def standing(self) -> Standing:
        """What the revision's state meant for the certificate's validity, then."""
        return Standing(
            status=self.status,
            issued_on=self.issued_on,
            term_end=self.valid_until,
            status_since=self.status_since,
            withdrawal_ground=self.withdrawal_ground,
            withdrawal_notified_on=self.withdrawal_notified_on,
            withdrawal_effective_on=self.withdrawal_effective_on,
        )


def reservation_line(detail: dict) -> str:
    """A reservation as the PDF states it (R-DEC-2): its text, its deadline, its state."""
    line = f"{detail.get('text', '')} — à lever au plus tard le "
    line += french_date(_day(detail.get("deadline"))) if detail.get("deadline") else "(non daté)"
    if detail.get("lifted_on"):
        line += f" : levée le {french_date(_day(detail['lifted_on']))}"
    elif detail.get("failed_on"):
        line += f" : non levée à l'échéance (constat du {french_date(_day(detail['failed_on']))})"
    return line


def _day(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def sheet_of(revision: CertificateRevision) -> Sheet:
    """The revision as its PDF states it: from its snapshot (what the certificate said then),
    not from the certificate as it is now. `revision.certificate` comes with its referential."""
    certificate = revision.certificate
    data = revision.snapshot
    return Sheet(
        number=certificate.number,
        kind=data.get("kind", certificate.kind),
        status=revision.status,
        company_name=data.get("company_name", ""),
        company_id=data.get("company_id", ""),
        operator_contact=data.get("operator_contact", ""),
        product_name=data.get("product_name", ""),
        product_version=data.get("product_version", ""),
        modules=list(data.get("modules") or []),
        profiles=list(data.get("profiles") or []),
        pathway=data.get("pathway", ""),
        referential_code=data.get("referential", certificate.referential_code),
        referential_name=certificate.referential_version.referential.name,
        referential_version=data.get("referential_version", ""),
        reservations=list(data.get("reservations") or []),
        reservation_details=list(data.get("reservation_details") or []),
        issued_on=_day(data.get("issued_on")) or certificate.issued_on,
        valid_until=_day(data.get("valid_until")) or certificate.valid_until,
        next_check=_day(data.get("next_check")),
        status_since=_day(data.get("status_changed_on")) or revision.effective_on,
        status_reason=data.get("status_reason", ""),
        withdrawal_ground=data.get("withdrawal_ground", ""),
        withdrawal_effective_on=_day(data.get("withdrawal_effective_on")),
        withdrawal_notified_on=_day(data.get("withdrawal_notified_on")),
        revision=revision.number,
        revision_kind=revision.kind,
        revision_reason=revision.reason,
        revision_on=revision.effective_on,
        verify_url=absolute_reverse("certificates:verify", certificate.number),
    )


def company_id_label(company_id: str) -> str:
    """A SIREN has 9 digits; anything else the certificate names is an intra-EU VAT number."""
    return "SIREN" if company_id.isdigit() and len(company_id) == 9 else "N° de TVA"


def qr_image(url: str) -> io.BytesIO:
    """The QR code of `url` as a PNG (black on white)."""
    code = qrcode.QRCode(
        error_correction=QR_ERROR_CORRECTION, box_size=QR_BOX_SIZE, border=QR_BORDER
    )
    code.add_data(url)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def _styles() -> dict:
    base = getSampleStyleSheet()["BodyText"]
    tight = {"spaceBefore": 0, "spaceAfter": 0}
    return {
        "republic": ParagraphStyle(
            "republic", parent=base, fontName="Helvetica-Bold", fontSize=11, leading=12, **tight
        ),
        "motto": ParagraphStyle(
            "motto", parent=base, fontName="Helvetica-Oblique", fontSize=7.5, leading=9, **tight
        ),
        "agency": ParagraphStyle(
            "agency", parent=base, fontName="Helvetica-Bold", fontSize=11, leading=13, **tight
        ),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=20,
            leading=24,
            textColor=BLUE_FRANCE,
            spaceBefore=14,
        ),
        "number": ParagraphStyle(
            "number", parent=base, fontName="Helvetica-Bold", fontSize=13, leading=16
        ),
        "banner": ParagraphStyle(
            "banner",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=24,
            leading=28,
            textColor=colors.white,
            alignment=1,
        ),
        "banner_text": ParagraphStyle(
            "banner_text", parent=base, fontSize=10, leading=13, textColor=colors.white
        ),
        "h": ParagraphStyle(
            "h",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=11,
            leading=14,
            textColor=BLUE_FRANCE,
            spaceBefore=10,
            spaceAfter=3,
        ),
        "p": ParagraphStyle("p", parent=base, fontSize=9.5, leading=12.5),
        "label": ParagraphStyle(
            "label", parent=base, fontName="Helvetica-Bold", fontSize=9, leading=12
        ),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=GREY),
    }


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(text), style)


def _header(s: dict) -> Table:
    """The State's block (République française, its motto) and the issuing agency."""
    republic = [
        _p("RÉPUBLIQUE", s["republic"]),
        _p("FRANÇAISE", s["republic"]),
        Spacer(1, 3),
        _p("Liberté", s["motto"]),
        _p("Égalité", s["motto"]),
        _p("Fraternité", s["motto"]),
    ]
    table = Table(
        [[republic, _p(AGENCY, s["agency"])]],
        colWidths=[4.5 * cm, 12 * cm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEAFTER", (0, 0), (0, 0), 0.5, GREY),
                ("LEFTPADDING", (1, 0), (1, 0), 12),
                ("LINEBELOW", (0, 0), (-1, 0), 2, BLUE_FRANCE),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 8),
            ]
        )
    )
    return table


def _status_banner(sheet: Sheet, s: dict) -> list:
    """A certificate that is no longer valid says so in large, with its date and reason."""
    if sheet.status not in STATUS_BANNERS:
        return []
    lines = [_p(STATUS_BANNERS[sheet.status], s["banner"])]
    detail = f"Depuis le {french_date(sheet.status_since)}" if sheet.status_since else ""
    if sheet.status == Status.WITHDRAWN and sheet.withdrawal_ground:
        detail += f" — {WithdrawalGround(sheet.withdrawal_ground).label}"
    if sheet.status_reason:
        detail += f" — motif : {sheet.status_reason}"
    if detail:
        lines.append(_p(detail.lstrip(" —"), s["banner_text"]))
    banner = Table([[lines]], colWidths=[16.5 * cm])
    banner.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), RED_MARIANNE),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return [Spacer(1, 8), banner]


def statement(sheet: Sheet) -> str:
    """What the certificate attests, as its state then allows (R-CRT-5, R-CRT-6): a withdrawn or
    expired certificate no longer certifies anything and says since when and why; a suspended
    one does not attest conformity while it is suspended; a notified withdrawal says when it
    takes effect."""
    standing = sheet.standing
    referential = (
        f"{named_in_sentence(sheet.referential_name)} ({sheet.referential_code}), version "
        f"{sheet.referential_version}"
    )
    if standing.status == Status.WITHDRAWN:
        why = [f"fondement : {standing.ground_label}"] if standing.ground_label else []
        if sheet.status_reason:
            why.append(f"motif : {sheet.status_reason.rstrip('. ')}")
        return (
            f"Ce certificat a été retiré par l'{AGENCY} {standing.withdrawal_words}"
            + (f" ({' ; '.join(why)})" if why else "")
            + " ; il n'atteste plus la conformité du produit désigné ci-dessous au "
            f"{referential}. Les mentions ci-dessous sont celles du certificat délivré le "
            f"{french_date(sheet.issued_on)}, pour mémoire."
        )
    if standing.status == Status.EXPIRED:
        return (
            f"Ce certificat a expiré {standing.detail} : il n'atteste plus la conformité du "
            f"produit désigné ci-dessous au {referential} ; il était valable jusqu'au "
            f"{french_date(standing.last_valid_day)}. Les mentions ci-dessous sont celles du "
            "certificat, pour mémoire."
        )
    if standing.status == Status.SUSPENDED:
        text = (
            f"Ce certificat est suspendu {standing.detail} : tant que la suspension n'est pas "
            "levée, il n'atteste pas la conformité du produit désigné ci-dessous au "
            f"{referential}, et le produit ne peut pas se prévaloir de sa certification."
        )
    else:
        text = (
            f"L'{AGENCY} certifie que le produit désigné ci-dessous est conforme au "
            f"{referential}, pour les profils indiqués"
            + (", sous les réserves mentionnées." if sheet.reservations else ".")
        )
    if standing.withdrawal_scheduled:
        notified = standing.withdrawal_notified_on
        text += (
            " Son retrait"
            + (f", notifié le {french_date(notified)}," if notified else " est notifié et")
            + f" prend effet le {french_date(standing.withdrawal_effective_on)} : le certificat "
            f"est valable jusqu'au {french_date(standing.last_valid_day)}."
        )
    if sheet.kind == Kind.EXCEPTIONAL:
        # TLC, arrêté du 9 février 2024 art. 3 (R-CRT-4).
        text += (
            " Ce certificat exceptionnel est délivré sur les domaines INS, Pro Santé Connect, "
            "Annuaire santé, PGSSI-S et administration, au vu de l'engagement du titulaire à "
            "une conformité complète ; il expire le 31 décembre 2024 au plus tard."
        )
    return text


def _validity_rows(sheet: Sheet) -> list[tuple[str, str]]:
    """The dates of the certificate's validity, as its state then makes them: no validity date
    to come on a withdrawn or expired certificate."""
    standing = sheet.standing
    if standing.status == Status.WITHDRAWN:
        rows = [("Retiré le", standing.withdrawal_dates)]
        if standing.ground_label:
            rows.append(("Fondement du retrait", standing.ground_label))
        return rows
    if standing.status == Status.EXPIRED:
        return [("Expiré le", french_date(standing.ended_on or standing.last_valid_day))]
    rows = []
    if standing.status == Status.SUSPENDED:
        if sheet.status_since:
            rows.append(("Suspendu depuis le", french_date(sheet.status_since)))
        rows.append(("Fin de la période de validité", french_date(standing.last_valid_day)))
    else:
        rows.append(("Valable jusqu'au", french_date(standing.last_valid_day)))
    if standing.withdrawal_scheduled:
        effective = french_date(standing.withdrawal_effective_on)
        if standing.withdrawal_notified_on:
            effective += f" (notifié le {french_date(standing.withdrawal_notified_on)})"
        rows.append(("Retrait notifié, effectif le", effective))
    return rows


def _rows(sheet: Sheet) -> list[tuple[str, str]]:
    modules = ", ".join(
        f"{m.get('name', '')} {m.get('version', '')}".strip() for m in sheet.modules
    )
    profiles = ", ".join(p.get("label") or p.get("code", "") for p in sheet.profiles)
    holder = sheet.company_name
    if sheet.company_id:
        holder += f" — {company_id_label(sheet.company_id)} {sheet.company_id}"
    rows = [
        ("Produit", sheet.product_name),
        ("Version", sheet.product_version),
        ("Modules", modules or "—"),
        (
            "Référentiel",
            f"{sheet.referential_name} ({sheet.referential_code}) — version "
            f"{sheet.referential_version}",
        ),
        ("Profils", profiles or "—"),
        ("Démarche", sheet.pathway or "—"),
        ("Titulaire et exploitant", holder),
        ("Coordonnées de l'exploitant", sheet.operator_contact or "—"),
        ("Organisme certificateur", AGENCY),
        ("Délivré le", french_date(sheet.issued_on)),
        *_validity_rows(sheet),
    ]
    if sheet.next_check and not sheet.standing.is_ended:
        rows.append(("Prochain contrôle", french_date(sheet.next_check)))
    rows.append(("Révision", str(sheet.revision)))
    return rows


def render_certificate(sheet: Sheet) -> io.BytesIO:
    """The certificate as PDF (not yet sealed)."""
    s = _styles()
    title = Kind(sheet.kind).label if sheet.kind in Kind.values else Kind.STANDARD.label
    table = Table(
        [[_p(label, s["label"]), _p(value, s["p"])] for label, value in _rows(sheet)],
        colWidths=[5 * cm, 11.5 * cm],
    )
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    story = [
        _header(s),
        _p(title, s["title"]),
        _p(f"N° {sheet.number}", s["number"]),
        *_status_banner(sheet, s),
        Spacer(1, 8),
        _p(statement(sheet), s["p"]),
        Spacer(1, 6),
        table,
    ]
    if sheet.reservations or sheet.reservation_details:
        lines = [reservation_line(d) for d in sheet.reservation_details] or sheet.reservations
        story += [
            _p(
                "Réserves (attribution sous réserve)"
                if sheet.reservations
                else "Réserves levées (attribution sous réserve)",
                s["h"],
            ),
            ListFlowable(
                [_p(text, s["p"]) for text in lines],
                bulletType="bullet",
                leftIndent=12,
            ),
        ]
    if sheet.revision > 1:
        change = (
            RevisionKind(sheet.revision_kind).label
            if sheet.revision_kind in RevisionKind.values
            else sheet.revision_kind
        )
        text = f"Révision {sheet.revision} du {french_date(sheet.revision_on)} : {change}"
        if sheet.revision_reason:
            text += f" — {sheet.revision_reason}"
        story += [
            _p("Modification", s["h"]),
            _p(text.rstrip(". ") + ". Elle remplace les révisions précédentes.", s["p"]),
        ]
    verify = [
        _p("Vérifier ce certificat", s["h"]),
        _p(
            "Son état (valide, suspendu, retiré, expiré), son historique et l'empreinte "
            "SHA-256 de ce document sont publiés, sans compte, à l'adresse :",
            s["p"],
        ),
        Spacer(1, 3),
        _p(sheet.verify_url, s["label"]),
    ]
    qr = Image(qr_image(sheet.verify_url), width=3.4 * cm, height=3.4 * cm)
    footer = Table([[verify, qr]], colWidths=[12.6 * cm, 3.9 * cm])
    footer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [
        Spacer(1, 12),
        KeepTogether([footer]),
        Spacer(1, 10),
        _p(
            f"Document établi sur Guichet et scellé par le certificat de l'{AGENCY} "
            "(signature PAdES, vérifiable par tout lecteur PDF).",
            s["small"],
        ),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{title} {sheet.number}",
        author=AGENCY,
        subject=f"{sheet.product_name} {sheet.product_version}",
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=1.6 * cm,
        bottomMargin=1.6 * cm,
    ).build(story)
    buffer.seek(0)
    return buffer


def _author(revision: CertificateRevision):
    """Who the sealed file is recorded as produced for: the revision's author, else (a change
    made by the platform itself: renewal, expiry) the one who issued the certificate."""
    if revision.by_id:
        return revision.by
    certificate = revision.certificate
    if certificate.decision_id and certificate.decision.signed_off_by_id:
        return certificate.decision.signed_off_by
    first = certificate.revisions.filter(by__isnull=False).order_by("number").first()
    if first is None:
        raise RuntimeError(f"Le certificat {certificate.number} n'a aucun auteur connu.")
    return first.by


def produce_revision_pdf(revision_id: int) -> CertificateRevision:
    """The task worker's part: the revision's PDF, sealed by the agency, kept as the
    revision's file with its SHA-256, and as the certificate's when this revision is still its
    current one. Idempotent: a revision that has its PDF is left as it is."""
    revision = CertificateRevision.objects.select_related(
        "by", "certificate__referential_version__referential"
    ).get(pk=revision_id)
    if revision.pdf_id is not None:
        return revision
    certificate = revision.certificate
    author = _author(revision)
    sheet = sheet_of(revision)
    upload = sealed_upload(
        render_certificate(sheet),
        f"{certificate.number}-revision-{revision.number}.pdf",
        name=AGENCY,
        reason=f"Certificat de conformité {certificate.number}, révision {revision.number}",
    )
    with transaction.atomic():
        # The certificate's row first, as its transitions lock it: a suspension writing the next
        # revision meanwhile waits for this one, never the other way round (no deadlock).
        Certificate.objects.select_for_update().filter(pk=certificate.pk).first()
        locked, stored = keep_generated(CertificateRevision, revision_id, "pdf", upload, by=author)
        if stored is None:
            return locked
        locked.pdf_sha256 = stored.sha256
        locked.save(update_fields=["pdf_sha256"])
        # Only the current revision's PDF is the certificate's: a later revision may have been
        # written meanwhile (its own PDF follows). Not the state: a plain field update.
        current = Certificate.objects.filter(pk=certificate.pk, revision=revision.number).update(
            pdf=stored, pdf_sha256=stored.sha256, updated_at=timezone.now()
        )
        record(
            action="certificate.pdf",
            obj=certificate,
            by=author,
            application_id=certificate.application_id,
            after={
                "number": certificate.number,
                "revision": revision.number,
                "sha256": stored.sha256,
                "current": bool(current),
            },
        )
    return locked
