"""The decision letter (R-DEC-3): a PDF that states the collège's decision, its date, the dossier
(reference, product, version, modules, referential version, profiles), the reasons, the
reservations, the ground and — when the version says so (TLC: CSP R. 1470-4, « avec la mention
de ses motifs ainsi que des voies et délais de recours ») — the routes and deadlines of appeal
as general administrative law sets them. The task worker seals it with the agency's key."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import ListFlowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from guichet.committee.models import Decision, Ground, Outcome
from guichet.deadlines import french_date
from guichet.referentials.process import exceptional_period
from guichet.referentials.wording import named_in_sentence

AGENCY = "Agence du numérique en santé"

# Code des relations entre le public et l'administration (CRPA) and code de justice
# administrative (CJA): two months from the notification for either route; the recours
# gracieux interrupts the delay of the recours contentieux.
APPEAL_ROUTES = [
    "un recours gracieux adressé à l'Agence du numérique en santé, dans un délai de deux mois à "
    "compter de la notification de la présente décision (article L. 411-2 du code des relations "
    "entre le public et l'administration) ; ce recours interrompt le délai du recours "
    "contentieux, qui court de nouveau à compter de la réponse de l'agence ; le silence gardé "
    "deux mois sur ce recours vaut rejet (article L. 231-4 du même code) ;",
    "un recours contentieux devant le tribunal administratif compétent, dans un délai de deux "
    "mois à compter de la notification de la présente décision (article R. 421-1 du code de "
    "justice administrative) ; le tribunal peut être saisi par l'application « Télérecours "
    "citoyens » accessible sur le site www.telerecours.fr.",
]


def _styles():
    styles = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=styles["Title"], fontSize=16, leading=20),
        "h": ParagraphStyle("h", parent=styles["Heading3"], spaceBefore=8, spaceAfter=2),
        "p": ParagraphStyle("p", parent=styles["BodyText"], fontSize=9.5, leading=12.5),
        "small": ParagraphStyle(
            "s", parent=styles["BodyText"], fontSize=8, leading=10, textColor=colors.grey
        ),
    }


def ground_text(decision: Decision) -> str:
    """The ground of the decision, in words."""
    if decision.ground == Ground.SILENT_ACCEPTANCE:
        # The decision is dated at the deadline that ran out (R-CLK-7).
        day = french_date(decision.decided_on)
        return (
            f"Le délai légal de décision a expiré le {day} sans décision de l'agence : le silence "
            "gardé à son terme vaut acceptation de la demande de certificat de conformité "
            "(article R. 1470-4 du code de la santé publique). La présente décision en prend "
            "acte ; elle est datée du terme du délai."
        )
    if decision.ground == Ground.APPEAL and decision.previous is not None:
        previous = decision.previous
        return (
            f"Décision prise sur recours. Elle suit la décision du "
            f"{french_date(previous.decided_on)} (« {previous.get_outcome_display()} »), qu'elle "
            "remplace."
        )
    return (
        "Décision du collège technique de certification de conformité, après l'instruction du "
        "dossier de preuves par l'agence."
    )


def default_reasons(decision: Decision) -> str:
    if decision.ground == Ground.SILENT_ACCEPTANCE:
        return "Acceptation tacite de la demande au terme du délai légal de décision."
    if decision.outcome == Outcome.GRANTED:
        return "Chaque preuve applicable a été jugée conforme au terme de l'instruction."
    if decision.outcome == Outcome.EXCEPTIONAL:
        return exceptional_reasons(decision.application)
    return ""


def exceptional_reasons(application) -> str:
    """R-CRT-4 (TLC guide §5.4), in the letter of the collège's exceptional certificate."""
    found = exceptional_period(application.referential_version.process_settings)
    if found is None:
        return ""
    _, until, sections = found
    return (
        f"Les preuves des sections {', '.join(sections)} ont été jugées conformes et le candidat "
        f"s'est engagé à la conformité complète au référentiel au plus tard le "
        f"{french_date(until)}. Ce certificat exceptionnel expire en tout état de cause le "
        f"{french_date(until)}. L'instruction se poursuit sur les autres sections, pour le "
        "certificat de conformité."
    )


def reservation_lines(decision) -> list[str]:
    """Each reservation with its deadline (R-DEC-2), as the letter and the email list them."""
    items = list(decision.reservation_items.all())
    if not items:
        return list(decision.reservations)
    return [f"{r.text} — à lever au plus tard le {french_date(r.deadline)}" for r in items]


def render_letter(decision: Decision, application) -> io.BytesIO:
    """The letter as PDF (not yet sealed). `application` comes with its organisation, product,
    version, referential, pathway and pathology loaded."""
    s = _styles()
    version = application.referential_version
    settings = version.process_settings
    labels = {p.code: p.label for p in version.profiles.all()}
    modules = ", ".join(f"{m.name} {m.version}" for m in application.product.modules.all()) or "—"
    organisation = application.organisation
    rows = [
        ["Décision", decision.get_outcome_display()],
        ["Date de la décision", french_date(decision.decided_on)],
        ["Fondement", decision.get_ground_display()],
        ["Candidature", application.reference],
        [
            "Candidat",
            f"{organisation.name}"
            + (f" — SIREN {organisation.siren}" if organisation.siren else ""),
        ],
        ["Produit", f"{application.product.name} — version {application.product_version}"],
        ["Modules", modules],
        ["Référentiel", f"{version.referential.name} — {version.label}"],
        [
            "Démarche",
            application.pathway.label
            + "".join(  # each pathology claimed on the generic line (R-REF-7)
                f"{' — ' if i == 0 else ', '}{p.label}"
                for i, p in enumerate(application.claimed_pathologies)
            ),
        ],
        ["Profils", ", ".join(labels.get(code, code) for code in application.profiles) or "—"],
    ]
    if decision.session is not None:
        rows.append(["Collège technique", f"séance du {french_date(decision.session.date)}"])
    if decision.votes_for or decision.votes_against or decision.abstentions:
        rows.append(
            [
                "Vote",
                f"{decision.votes_for} pour, {decision.votes_against} contre, "
                f"{decision.abstentions} abstention{'s' if decision.abstentions > 1 else ''}",
            ]
        )
    table = Table(
        [[Paragraph(escape(a), s["p"]), Paragraph(escape(str(b)), s["p"])] for a, b in rows],
        colWidths=[4.2 * cm, 12.3 * cm],
    )
    table.setStyle(
        TableStyle(
            [("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        )
    )
    # « au référentiel d'interopérabilité… »: the name already starts with the word.
    referential = named_in_sentence(version.referential.name)
    story = [
        Paragraph("Décision du collège technique", s["title"]),
        Paragraph(
            escape(
                f"Certification de conformité au {referential} — "
                f"{AGENCY}, le {french_date(timezone.localdate(decision.signed_off_at))}."
                if decision.signed_off_at
                else f"Certification de conformité au {referential}."
            ),
            s["p"],
        ),
        Spacer(1, 8),
        table,
        Paragraph("Fondement", s["h"]),
        Paragraph(escape(ground_text(decision)), s["p"]),
        Paragraph("Motifs", s["h"]),
        Paragraph(escape(decision.reasons or default_reasons(decision) or "—"), s["p"]),
    ]
    if decision.reservations:
        story += [
            Paragraph("Réserves", s["h"]),
            Paragraph(
                "La certification est attribuée sous les réserves suivantes, que le candidat "
                "lève au plus tard à l'échéance indiquée pour chacune ; une réserve non levée "
                "à son échéance peut conduire à une mise en demeure, puis au retrait du "
                "certificat :",
                s["p"],
            ),
            ListFlowable(
                [Paragraph(escape(text), s["p"]) for text in reservation_lines(decision)],
                bulletType="bullet",
                leftIndent=12,
            ),
        ]
    if settings.appeal_routes_in_letter:
        story += [
            Paragraph("Voies et délais de recours", s["h"]),
            Paragraph("La présente décision peut faire l'objet :", s["p"]),
            ListFlowable(
                [Paragraph(escape(text), s["p"]) for text in APPEAL_ROUTES],
                bulletType="bullet",
                leftIndent=12,
            ),
        ]
    story += [
        Spacer(1, 14),
        Paragraph(
            escape(
                f"Document établi sur Guichet et scellé par le certificat de l'{AGENCY} "
                "(signature PAdES, vérifiable par tout lecteur PDF)."
            ),
            s["small"],
        ),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Décision du collège technique — {application.reference}",
        author=AGENCY,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    ).build(story)
    buffer.seek(0)
    return buffer
