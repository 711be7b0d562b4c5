"""The convention (R-CONV-1 … R-CONV-3): a PDF generated from the application, signed on the
platform by the Responsable habilité after re-entering their password or a TOTP code, then
sealed with a PAdES signature (pyHanko) by the agency's certificate."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from guichet.accounts.models import User
from guichet.applications.models import Application
from guichet.applications.notifications import notify_applicant
from guichet.applications.workflow import WORKFLOW, transition
from guichet.common.errors import ApplicationError
from guichet.common.tasks import enqueue_on_commit
from guichet.conventions.models import Convention
from guichet.deadlines import french_datetime
from guichet.files.services import keep_generated
from guichet.files.uploads import upload_from_stream
from guichet.journal.services import record
from guichet.signing.pdf import sealed_upload

TERM_YEARS = 5


ARTICLES = [
    (
        "Article 1 — Objet",
        "La présente convention fixe les conditions dans lesquelles l'Agence du numérique en santé "
        "(ci-après « l'ANS ») instruit la demande de certification de conformité du produit désigné "
        "ci-dessus au référentiel indiqué, et les engagements réciproques des parties.",
    ),
    (
        "Article 2 — Engagements du candidat",
        "Le candidat transmet des informations et des preuves exactes, complètes et à jour ; il "
        "informe l'ANS de toute évolution du produit affectant sa conformité ; il respecte les règles "
        "de confidentialité et la réglementation européenne et française sur la protection des "
        "données personnelles.",
    ),
    (
        "Article 3 — Durée",
        f"La convention est conclue pour une durée de {TERM_YEARS} ans à compter de sa signature, "
        "renouvelable à chaque échéance par tacite reconduction. Le certificat de conformité est "
        "valable durant toute la durée de la convention.",
    ),
    (
        "Article 4 — Dépôt des preuves et instruction",
        "Le candidat dépose sur la plateforme, section par section, les preuves attendues par le "
        "référentiel pour les profils retenus. L'ANS instruit le dossier complet, peut demander "
        "des informations ou des pièces complémentaires et organise, le cas échéant, une journée "
        "de tests.",
    ),
    (
        "Article 5 — Collège technique et décision",
        "Un collège technique hebdomadaire, composé d'agents de l'ANS ayant participé à "
        "l'instruction et, le cas échéant, de ses partenaires, décide de l'attribution ou du refus "
        "de la certification. La décision est notifiée par courriel au contact référent.",
    ),
    (
        "Article 6 — Certificat de conformité",
        "À l'attribution, l'ANS délivre un certificat de conformité numéroté et le publie dans la "
        "liste des produits certifiés. Le certificat porte sur le produit et la version désignés ; "
        "il est indivisible et ne peut être utilisé pour un autre produit ou une autre version.",
    ),
    (
        "Article 7 — Évolutions du produit et du référentiel",
        "Le candidat informe l'ANS de toute évolution du produit. Une évolution substantielle "
        "affectant la conformité, ou une nouvelle version du référentiel, requiert une nouvelle "
        "candidature dans les délais prévus par la réglementation.",
    ),
    (
        "Article 8 — Contrôles",
        "L'ANS peut contrôler à tout moment le produit certifié, y compris dans le cadre de "
        "contrôles périodiques. Chaque contrôle donne lieu à un rapport transmis au titulaire. Le "
        "titulaire facilite l'exercice de ce droit de contrôle.",
    ),
    (
        "Article 9 — Non-conformité, mise en demeure et suspension",
        "Lorsque le produit certifié n'est plus conforme, l'ANS met le titulaire en demeure de "
        "prendre des mesures correctrices ou de présenter ses observations dans un délai qu'elle "
        "fixe et qui ne peut excéder six mois ; le certificat peut être suspendu jusqu'à ce qu'il "
        "soit remédié aux non-conformités.",
    ),
    (
        "Article 10 — Confidentialité",
        "Les parties tiennent pour confidentielles les informations échangées pour l'instruction, "
        "à l'exception de celles que la publication de la liste des produits certifiés rend "
        "publiques.",
    ),
    (
        "Article 11 — Protection des données personnelles",
        "Chaque partie respecte, pour les traitements qui la concernent, le règlement (UE) "
        "2016/679 et la loi n° 78-17 du 6 janvier 1978 modifiée.",
    ),
    (
        "Article 12 — Communication",
        "Le titulaire peut faire état de la certification pour le seul produit et la seule version "
        "certifiés, en mentionnant le numéro du certificat, tant que celui-ci est valide.",
    ),
    (
        "Article 13 — Responsabilité",
        "La certification atteste la conformité du produit au référentiel à la date de sa "
        "délivrance ; elle ne décharge pas le titulaire de ses obligations légales et "
        "réglementaires.",
    ),
    (
        "Article 14 — Résiliation de plein droit",
        "Le certificat de conformité est retiré et la convention résiliée de plein droit, soit dans "
        "les conditions expressément prévues par celle-ci, soit en cas d'abrogation du décret visé "
        "au préambule. L'abrogation du certificat de conformité et la résiliation de la "
        "convention ne donnent lieu à aucune indemnisation du candidat par l'ANS.",
    ),
    (
        "Article 15 — Résiliation pour fraude",
        "En cas de fraude affectant l'octroi ou le maintien de la certification, notamment la "
        "communication d'informations ou de documents délibérément erronés, partiels ou mensongers, "
        "l'ANS peut, après avoir mis le candidat en demeure de présenter ses observations dans un "
        "délai raisonnable, retirer la certification et résilier la convention. En cas de "
        "résiliation au titre du présent article, le candidat ne peut prétendre à aucune "
        "indemnisation.",
    ),
    (
        "Article 16 — Résiliation pour faute",
        "L'ANS peut résilier la certification pour faute du candidat en cas de non-respect des "
        "conditions de certification ou des stipulations de la convention : informations inexactes, "
        "produit non ou plus conforme aux exigences, service irrégulier, usage de la certification "
        "contraire à son indivisibilité, obstacle au contrôle de l'ANS, manquements graves ou "
        "répétés. Le candidat ne peut alors prétendre à aucune indemnisation.",
    ),
    (
        "Article 17 — Litiges",
        "Les parties recherchent une solution amiable à tout différend ; à défaut, le tribunal "
        "administratif compétent est saisi.",
    ),
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


def render_pdf(
    application: Application, number: str, *, signature: dict | None = None
) -> io.BytesIO:
    """The convention as PDF; with `signature`, the signatory block names who signed, when."""
    s = _styles()
    form = application.form or {}
    version = application.referential_version
    labels = {p.code: p.label for p in version.profiles.all()}
    modules = ", ".join(f"{m.name} {m.version}" for m in application.product.modules.all()) or "—"
    rows = [
        ["Convention n°", number],
        ["Candidature", application.reference],
        [
            "Candidat",
            f"{application.organisation.name} — {form.get('entity_id') or application.organisation.siren or application.organisation.vat_number or ''}",
        ],
        [
            "Représentant légal",
            f"{form.get('legal_rep_name', '')} ({form.get('legal_rep_email', '')})",
        ],
        ["Produit", f"{application.product.name} — version {application.product_version}"],
        ["Modules", modules],
        ["Référentiel", f"{version.referential.name} — {version.label}"],
        [
            "Démarche",
            application.pathway.label
            + "".join(  # each pathology claimed on the generic line (R-REF-7)
                f"{' — ' if i == 0 else ', '}{p.label} ({p.specification_code})"
                for i, p in enumerate(application.claimed_pathologies)
            ),
        ],
        ["Profils", ", ".join(labels.get(code, code) for code in application.profiles) or "—"],
        ["Durée", f"{TERM_YEARS} ans à compter de la signature"],
    ]
    table = Table(
        [[Paragraph(escape(a), s["p"]), Paragraph(escape(str(b)), s["p"])] for a, b in rows],
        colWidths=[4.2 * cm, 12.3 * cm],
    )
    table.setStyle(
        TableStyle(
            [("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        )
    )
    story = [
        Paragraph("Convention de certification de conformité", s["title"]),
        Paragraph(
            "Entre l'Agence du numérique en santé, groupement d'intérêt public, et le candidat "
            "désigné ci-dessous.",
            s["p"],
        ),
        Spacer(1, 8),
        table,
    ]
    for title, text in ARTICLES:
        story += [Paragraph(escape(title), s["h"]), Paragraph(escape(text), s["p"])]
    story.append(Spacer(1, 14))
    if signature:
        story.append(
            Paragraph(
                escape(
                    f"Signée électroniquement sur Guichet par {signature['name']}, Responsable "
                    f"habilité de {application.organisation.name}, le {french_datetime(signature['at'])} "
                    f"(heure de Paris), après confirmation par {signature['method']}. Le document est "
                    "scellé par le certificat de l'Agence du numérique en santé (signature PAdES)."
                ),
                s["p"],
            )
        )
    else:
        story.append(
            Paragraph(
                "Document à signer sur Guichet par le Responsable habilité du candidat.", s["small"]
            )
        )
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Convention {number}",
        author="Agence du numérique en santé",
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    ).build(story)
    buffer.seek(0)
    return buffer


@transaction.atomic
def send_convention(application: Application, *, by) -> Convention:
    """Opens the convention and asks the task worker for its PDF; the applicant is told once
    it is ready. DMN: when the application becomes recevable; TLC: when every applicable
    section is conforme (R-CONV-2, called by the review)."""
    from guichet.conventions import tasks

    existing = Convention.objects.filter(application=application).first()
    if existing:
        return existing
    number = f"CONV-{application.reference}"
    convention = Convention.objects.create(
        application=application, number=number, term_years=TERM_YEARS
    )
    record(
        action="convention.send",
        obj=convention,
        by=by,
        application_id=application.pk,
        after={"number": number},
    )
    enqueue_on_commit(tasks.prepare_convention, convention.pk, by.pk)
    return convention


def prepare_convention(convention_id: int, *, by_id: int) -> Convention:
    """The task worker's part: the PDF to sign, generated outside the request, on behalf of
    the agent who declared the application recevable (`by_id`). Idempotent."""
    convention = Convention.objects.select_related("application").get(pk=convention_id)
    if convention.is_ready:
        return convention
    application = _application_for_pdf(convention.application_id)
    upload = upload_from_stream(
        render_pdf(application, convention.number), f"convention-{application.reference}.pdf"
    )
    by = User.objects.get(pk=by_id)
    with transaction.atomic():
        convention, stored = keep_generated(Convention, convention_id, "draft", upload, by=by)
        if stored is None:
            return convention
        record(
            action="convention.draft",
            obj=convention,
            by=by,
            application_id=application.pk,
            after={"number": convention.number, "draft_sha256": stored.sha256},
        )
        notify_applicant(
            application,
            "convention à signer",
            f"La convention {convention.number} est prête. Le Responsable habilité la signe sur "
            "la plateforme"
            + (
                " ; le dépôt des preuves s'ouvre ensuite."
                if application.referential_version.process_settings.convention_before_evidence
                else "."
            ),
            kind="convention",
        )
    return convention


def _application_for_pdf(application_id: int) -> Application:
    return Application.objects.select_related(
        "organisation", "product", "referential_version__referential", "pathway", "pathology"
    ).get(pk=application_id)


def _confirm_identity(user, *, password: str, otp: str) -> str:
    if otp:
        authenticator = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None or not TOTP(authenticator).validate_code(otp.strip()):
            raise ApplicationError(
                "Code d'authentification incorrect ou déjà utilisé.",
                field="otp",
                extra={"status": 400},
            )
        return "code d'authentification (TOTP)"
    if not password or not user.check_password(password):
        raise ApplicationError(
            "Mot de passe incorrect : la convention n'est pas signée.",
            field="password",
            extra={"status": 400},
        )
    return "mot de passe"


@transaction.atomic
def sign_convention(
    *, by, application: Application, password: str = "", otp: str = ""
) -> Convention:
    """The Responsable habilité confirms (password or TOTP code) and signs; the task worker
    then seals the signed PDF with the agency's certificate (R-CONV-3)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    convention = Convention.objects.select_for_update().filter(application=application).first()
    if convention is None:
        raise ApplicationError(
            "Aucune convention n'est à signer pour cette candidature.", extra={"status": 404}
        )
    if not by.is_applicant_admin or by.organisation_id != application.organisation_id:
        raise ApplicationError(
            "Seul le Responsable habilité de l'organisation signe la convention.",
            extra={"status": 403},
        )
    if convention.is_signed:
        raise ApplicationError("La convention est déjà signée.")
    if not convention.is_ready:
        raise ApplicationError(
            "La convention est en préparation : elle se signe dès qu'elle vous est envoyée.",
            extra={"status": 409},
        )
    method = _confirm_identity(by, password=password, otp=otp)
    transition(application, "sign_convention", by=by, convention=convention, method=method)
    return convention


@WORKFLOW.guard("sign_convention")
def _convention_to_sign(application: Application) -> str | None:
    convention = Convention.objects.filter(application=application).first()
    if convention is None:
        return "Aucune convention n'est à signer pour cette candidature."
    if convention.is_signed:
        return "La convention est déjà signée."
    if not convention.is_ready:
        return "La convention est en préparation : elle se signe dès qu'elle vous est envoyée."
    return None


@WORKFLOW.done("sign_convention")
def _convention_signed(application: Application) -> bool:
    """Signed once: the page no longer offers to sign it (its documents list the signed PDF)."""
    return Convention.objects.filter(application=application, signed_at__isnull=False).exists()


@WORKFLOW.effect("sign_convention")
def _signed(application: Application, *, by, convention: Convention, method: str, **_) -> dict:
    """The signature (R-CONV-1): who, when, confirmed how; the task worker seals it next."""
    from guichet.conventions import tasks

    convention.signed_by, convention.signer_name, convention.signed_at = (
        by,
        by.get_full_name() or by.email,
        timezone.now(),
    )
    convention.signature_method = method
    convention.save(update_fields=["signed_by", "signer_name", "signed_at", "signature_method"])
    enqueue_on_commit(tasks.seal_convention, convention.pk)
    return {"number": convention.number, "signer": convention.signer_name, "method": method}


@WORKFLOW.effect("declare_admissible")
def _send_when_admissible(application: Application, *, by, **_) -> None:
    """DMN: the convention comes with admissibility, before any evidence (R-CONV-1)."""
    if application.referential_version.process_settings.convention_before_evidence:
        send_convention(application, by=by)


def seal_convention(convention_id: int) -> Convention:
    """The task worker's part: the signed PDF, naming who signed and when, sealed with a PAdES
    signature by the agency's certificate. Idempotent."""
    convention = Convention.objects.get(pk=convention_id)
    if convention.is_sealed or not convention.is_signed:
        return convention
    application = _application_for_pdf(convention.application_id)
    signature = {
        "name": convention.signer_name,
        "at": timezone.localtime(convention.signed_at),
        "method": convention.signature_method,
    }
    upload = sealed_upload(
        render_pdf(application, convention.number, signature=signature),
        f"convention-{application.reference}-signee.pdf",
        name=convention.signer_name,
        reason=f"Signature de la convention {convention.number} par le Responsable habilité",
    )
    with transaction.atomic():
        convention, stored = keep_generated(
            Convention, convention_id, "signed", upload, by=convention.signed_by
        )
        if stored is None:
            return convention
        record(
            action="convention.seal",
            obj=convention,
            by=convention.signed_by,
            application_id=application.pk,
            after={"number": convention.number, "sha256": stored.sha256},
        )
        notify_applicant(
            application,
            "convention signée",
            f"La convention {convention.number} est signée par {convention.signer_name} et "
            "scellée par l'agence."
            + (
                " Vous pouvez déposer les preuves, section par section."
                if application.referential_version.process_settings.convention_before_evidence
                else ""
            ),
            kind="convention",
        )
    return convention
