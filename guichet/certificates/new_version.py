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

from django.db import transaction
from django.db.models import Exists, OuterRef

from guichet.applications.clock import legal_today
from guichet.applications.models import Application
from guichet.applications.models import Status as ApplicationStatus
from guichet.certificates.lifecycle import tell_holder
from guichet.certificates.models import Certificate
from guichet.certificates.workflow import LIVE, WORKFLOW, is_manager, transition
from guichet.common.errors import ApplicationError
from guichet.deadlines import french_date
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
    whether a new application (beyond the draft) was filed for its product on `version`."""
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
        .annotate(new_application_filed=Exists(filed))
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
