"""A new version of a referential in force (R-CRT-3; DMN guide §5.3 « Renouvellement », TLC
guide §5.4).

The holders of the live certificates of the referential's earlier versions are told; each
certificate records the version it was told of and, where the new version's settings set one,
the date by which a new certificate must be asked for: DMN telesurveillance products, 15 days
after the entry into force (CSS R. 162-76 VI); TLC, the delay that the arrêté approving the new
version sets (CSP R. 1470-11), a setting of that version, none by default. The agency's page
lists them with their window and whether a new application was filed for the product. A
substantial change of the product also needs a new application; a non-substantial one is a
version update of the certificate (`update_version`)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.urls import reverse

from guichet.applications.clock import legal_today
from guichet.applications.models import Application
from guichet.applications.models import Status as ApplicationStatus
from guichet.applications.notifications import notify_applicant
from guichet.certificates.lifecycle import tell_holder
from guichet.certificates.models import Certificate
from guichet.certificates.workflow import LIVE, WORKFLOW, is_manager, transition
from guichet.common.errors import ApplicationError
from guichet.deadlines import french_date
from guichet.journal.services import record
from guichet.referentials.models import ReferentialVersion, VersionState

# The pathway of DMN telesurveillance on a generic line (R-REF-7); on a brand name, the list
# the applicant aims at says it (admissibility form, « Liste visée » : LATM).
GENERIC_LINE = "ligne_generique"
TELESURVEILLANCE_LIST = "LATM"


def is_telesurveillance(application: Application) -> bool:
    return (
        application.pathway.code == GENERIC_LINE
        or (application.form or {}).get("reimbursement_list") == TELESURVEILLANCE_LIST
    )


def due_date(certificate: Certificate, version: ReferentialVersion) -> dt.date | None:
    """By when the holder must ask for a new certificate, or None when nothing sets it."""
    settings = version.process_settings
    if settings.new_certificate_days is None or version.entry_into_force is None:
        return None
    if settings.new_certificate_scope == "telesurveillance" and not is_telesurveillance(
        certificate.application
    ):
        return None
    return version.entry_into_force + dt.timedelta(days=settings.new_certificate_days)


def concerned(version: ReferentialVersion):
    """The live certificates of the referential's earlier versions, each annotated with
    whether a new application (beyond the draft) was filed for its product on `version`, and
    that application's evidence scope (R-CRT-3)."""
    filed = Application.objects.filter(
        product_id=OuterRef("application__product_id"), referential_version=version
    ).exclude(status=ApplicationStatus.DRAFT)
    return (
        Certificate.objects.filter(
            status__in=LIVE,
            referential_version__referential_id=version.referential_id,
            referential_version__imported_at__lt=version.imported_at,
        )
        .select_related("referential_version__referential", "application__pathway")
        .annotate(
            new_application_filed=Exists(filed),
            # R-CRT-3: the new application and whether the agency reduced its evidence.
            new_application_id=Subquery(filed.order_by("-pk").values("pk")[:1]),
            new_application_reference=Subquery(filed.order_by("-pk").values("reference")[:1]),
            new_application_reduced=Subquery(filed.order_by("-pk").values("evidence_basis_id")[:1]),
        )
        .order_by("new_certificate_due", "number")
    )


def versions_with_holders():
    """The published versions that have live certificates of earlier versions to notify
    (for the agency's list page)."""
    earlier = Certificate.objects.filter(
        status__in=LIVE,
        referential_version__referential_id=OuterRef("referential_id"),
        referential_version__imported_at__lt=OuterRef("imported_at"),
    )
    return (
        ReferentialVersion.objects.filter(state=VersionState.PUBLISHED)
        .annotate(has_holders=Exists(earlier))
        .filter(has_holders=True)
        .select_related("referential")
        .order_by("referential__code", "-imported_at")
    )


def refusal(version: ReferentialVersion) -> str | None:
    if version.state != VersionState.PUBLISHED:
        return (
            f"La version {version.label} n'est pas publiée : ses certificats ne sont pas concernés."
        )
    if version.entry_into_force is None:
        return (
            f"La version {version.label} n'a pas de date d'entrée en vigueur : renseignez-la "
            "avant de notifier les titulaires."
        )
    return None


@transaction.atomic
def notify_new_version(new_version: ReferentialVersion, *, by) -> int:
    """Tells the holders concerned by `new_version` (those not told yet); returns how many."""
    if not is_manager(by):
        raise ApplicationError(
            "Notifier les titulaires revient à l'administrateur de l'agence ou à un instructeur.",
            extra={"status": 403},
        )
    problem = refusal(new_version)
    if problem:
        raise ApplicationError(problem, extra={"status": 409})
    told = 0
    reason = (
        f"Version {new_version.label} du référentiel en vigueur le "
        f"{french_date(new_version.entry_into_force)}."
    )
    for certificate in concerned(new_version).exclude(new_version_notified=new_version):
        transition(certificate, "notify_new_version", by=by, reason=reason, version=new_version)
        told += 1
    return told


@WORKFLOW.effect("notify_new_version")
def _told_of_new_version(certificate: Certificate, *, by, reason, source, version=None, **data):
    if version is None:
        raise ApplicationError(
            "Indiquez la nouvelle version du référentiel.", extra={"status": 400}
        )
    due = due_date(certificate, version)
    certificate.new_version_notified = version
    certificate.new_certificate_due = due
    certificate.new_certificate_overdue_on = None
    certificate.save(
        update_fields=[
            "new_version_notified",
            "new_certificate_due",
            "new_certificate_overdue_on",
            "updated_at",
        ]
    )
    text = (
        f"La version {version.label} du référentiel entre en vigueur le "
        f"{french_date(version.entry_into_force)}. Le certificat {certificate.number} de "
        f"{certificate.product_name} {certificate.product_version} a été délivré sur la version "
        f"{certificate.referential_version.number}. "
    )
    if due is not None:
        text += (
            f"Sollicitez la délivrance d'un nouveau certificat avant le {french_date(due)} en "
            f"déposant une nouvelle candidature sur la version {version.label}"
        )
        if version.process_settings.new_certificate_scope == "telesurveillance":
            text += " (CSS R. 162-76 VI : quinze jours pour un DMN de télésurveillance)"
        text += "."
    else:
        text += (
            "Une nouvelle candidature sera nécessaire pour être certifié sur la nouvelle "
            "version, dans le délai que fixe l'arrêté qui l'approuve."
        )
    text += " Une évolution substantielle du produit exige elle aussi une nouvelle candidature."
    tell_holder(certificate, "nouvelle version du référentiel", text)
    return {
        "version": version.label,
        "new_certificate_due": due.isoformat() if due else None,
        "today": legal_today().isoformat(),
    }


# --- What a holder's new application is asked (R-CRT-3, CSP R. 1470-11) ------------------

# Before the dossier is complete: the evidence asked may still change.
SCOPE_STATES = (
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.TO_FIX,
    ApplicationStatus.ADMISSIBLE,
)


def version_for_new_application(certificate: Certificate) -> ReferentialVersion | None:
    """The version a new application for the certified product goes on (R-CRT-3: « une
    nouvelle candidature » when the referential is republished): the new version its holder
    was told of, else its referential's latest version open for applications."""
    notified = certificate.new_version_notified
    if notified is not None and notified.state == VersionState.PUBLISHED:
        return notified
    return (
        ReferentialVersion.objects.open_for_applications()
        .filter(referential_id=certificate.referential_version.referential_id)
        .order_by(F("entry_into_force").desc(nulls_last=True), "-pk")
        .first()
    )


def new_application_url(certificate: Certificate) -> str:
    """« Déposer une nouvelle candidature pour <produit> »: the new-application form with the
    product and that version chosen (issue 22 §2)."""
    query = {"product": certificate.application.product_id}
    version = version_for_new_application(certificate)
    if version is not None:
        query["referential_version"] = version.pk
    return f"{reverse('applications:create')}?{urlencode(query)}"


def renewed_certificate(application: Application) -> Certificate | None:
    """The live certificate of the same product on an earlier version of the referential, that
    `application` (on a newer version) renews; None when there is none."""
    version = application.referential_version
    return (
        Certificate.objects.filter(
            status__in=LIVE,
            application__product_id=application.product_id,
            referential_version__referential_id=version.referential_id,
            referential_version__imported_at__lt=version.imported_at,
        )
        .select_related("application__referential_version", "referential_version")
        .order_by("-referential_version__imported_at", "-pk")
        .first()
    )


@transaction.atomic
def set_evidence_scope(
    *, by, application: Application, changes_only: bool, reason: str = ""
) -> Application:
    """The agency's choice for a holder's new application on a new version (R-CRT-3): only
    the requirements new or changed since its certificate — « les éléments requis pour établir
    leur conformité au nouveau référentiel » that the approving arrêté sets (CSP R. 1470-11),
    where the version provides it — or the whole dossier. Recorded in the journal with its
    author and reason; the applicant is told."""
    if not is_manager(by):
        raise ApplicationError(
            "Le périmètre des preuves est fixé par l'administrateur de l'agence ou un instructeur.",
            extra={"status": 403},
        )
    application = Application.objects.select_for_update().get(pk=application.pk)
    version = application.referential_version
    if application.status not in SCOPE_STATES:
        raise ApplicationError(
            "Le dossier de preuves est complet : son périmètre ne change plus.",
            extra={"status": 409},
        )
    certificate = renewed_certificate(application)
    if certificate is None:
        raise ApplicationError(
            "Le produit n'a pas de certificat en cours sur une version antérieure du "
            "référentiel : le dossier complet est demandé.",
            extra={"status": 409},
        )
    if changes_only and version.process_settings.new_version_evidence != "changes":
        raise ApplicationError(
            f"La version {version.label} ne prévoit pas de dossier réduit aux exigences "
            "nouvelles ou modifiées : le dossier complet est demandé.",
            extra={"status": 409},
        )
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "Indiquez le motif du choix (par exemple l'arrêté qui approuve la version).",
            field="reason",
            extra={"status": 400},
        )
    before = application.evidence_basis_id
    application.evidence_basis = certificate.application if changes_only else None
    application.save(update_fields=["evidence_basis", "updated_at"])
    scope = "changes" if changes_only else "all"
    record(
        action="application.evidence_scope",
        obj=application,
        by=by,
        application_id=application.pk,
        before={"evidence_basis": before},
        after={
            "scope": scope,
            "certificate": certificate.number,
            "certified_version": certificate.referential_version.label,
            "reason": reason,
        },
    )
    notify_applicant(
        application,
        "preuves demandées sur la nouvelle version",
        (
            f"Votre produit est certifié ({certificate.number}) sur la version "
            f"{certificate.referential_version.label} du référentiel. Pour la version "
            f"{version.label}, l'agence ne vous demande que les preuves des exigences nouvelles "
            f"ou modifiées depuis (CSP R. 1470-11). Motif : {reason}"
        )
        if changes_only
        else (
            f"Pour la version {version.label} du référentiel, l'agence vous demande le dossier "
            f"de preuves complet. Motif : {reason}"
        ),
    )
    return application
