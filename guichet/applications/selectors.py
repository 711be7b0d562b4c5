from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from guichet.applications import admissibility, extensions
from guichet.applications.models import (
    PROFILES_ITEM,
    AdmissibilityVerdict,
    Application,
    Product,
    Status,
)
from guichet.files.models import StoredFile
from guichet.files.services import describe
from guichet.referentials.models import Referential


def products_for(user):
    return Product.objects.visible_to(user).prefetch_related("modules")


def applications_for(user):
    """Every page and endpoint reaches applications through here (R-ACT-1); what a list shows
    of each is read with it: its claimed pathologies (R-REF-7) and whether its profiles are
    reopened (R-REF-8)."""
    profiles_verdict = (
        AdmissibilityVerdict.objects.filter(
            application=OuterRef("pk"), item=PROFILES_ITEM, round=OuterRef("review_round")
        )
        .order_by("-at", "-id")
        .values("verdict")[:1]
    )
    return (
        Application.objects.visible_to(user)
        .select_related(
            "product",
            "organisation",
            "referential_version__referential",
            "pathway",
            "pathology",
        )
        .prefetch_related("pathologies")
        .annotate(latest_profiles_verdict=Subquery(profiles_verdict))
    )


@dataclass(frozen=True)
class ApplicationFilters:
    """The filters of the applications' lists, on the page and in the API (issue 14 §2)."""

    statuses: tuple[str, ...] = ()
    referential: str = ""
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.statuses or self.referential or self.q)


def parse_filters(params) -> tuple[ApplicationFilters, dict[str, str]]:
    """`status` (one state or several, comma-separated or repeated), `referential` (DMN, TLC),
    `q` (reference, product or organisation); French errors for what is not understood."""
    errors = {}
    raw = [
        value.strip()
        for item in params.getlist("status")
        for value in item.split(",")
        if value.strip()
    ]
    unknown = [value for value in raw if value not in Status.values]
    if unknown:
        errors["status"] = (
            f"État inconnu : {', '.join(unknown)}. États possibles : {', '.join(Status.values)}."
        )
    referential = (params.get("referential") or "").strip().upper()
    if referential and not Referential.objects.filter(code=referential).exists():
        errors["referential"] = f"Référentiel inconnu : {referential}."
    q = (params.get("q") or "").strip()[:100]
    return (
        ApplicationFilters(
            tuple(v for v in raw if v in Status.values), referential if not errors else "", q
        ),
        errors,
    )


def filter_applications(applications, filters: ApplicationFilters):
    if filters.statuses:
        applications = applications.filter(status__in=filters.statuses)
    if filters.referential:
        applications = applications.filter(
            referential_version__referential__code=filters.referential
        )
    if filters.q:
        applications = applications.filter(
            Q(reference__icontains=filters.q)
            | Q(product__name__icontains=filters.q)
            | Q(organisation__name__icontains=filters.q)
        )
    return applications


def get_application(user, pk) -> Application:
    """One application through the one door: another organisation's answers 404."""
    return get_object_or_404(
        applications_for(user).select_related("previous", "next_application"), pk=pk
    )


def next_application(application: Application) -> Application | None:
    """R-APP-9: the new application filed again from this ended one, if any."""
    try:
        return application.next_application
    except Application.next_application.RelatedObjectDoesNotExist:
        return None


def application_file(application, file_id, user) -> StoredFile:
    """A file of this application (an admissibility document, the acknowledgment, or a file a
    stage keeps: evidence, convention…), else 404; refused with the stage's reason when one of
    its read rules says so (a sensitive proof, R-EVD-3), else 403."""
    stored = _file_of(application, file_id)
    for rule in extensions.READ_RULES:
        reason = rule(user, application, stored)
        if reason:
            raise PermissionDenied(reason)
    return stored


def _file_of(application, file_id) -> StoredFile:
    document = application.documents.filter(file_id=file_id).select_related("file").first()
    if document is not None:
        return document.file
    if str(file_id) == str(application.acknowledgment_id):
        return StoredFile.objects.get(pk=file_id)
    for source in extensions.FILE_SOURCES:
        stored = source(application, file_id)
        if stored is not None:
            return stored
    raise Http404


def documents_payload(application) -> list[dict]:
    """Each document of the admissibility form that it asks for now, or that has files:
    required now or not, and its files."""
    data, profiles = application.form or {}, set(application.profiles or [])
    by_item: dict[str, list] = {}
    for document in application.documents.select_related("file__uploaded_by"):
        by_item.setdefault(document.item, []).append(
            describe(document.file, withdrawn_at=document.withdrawn_at)
        )
    return [
        {
            "item": spec.key,
            "label": spec.label,
            "required": spec.is_required(data, profiles, application),
            "files": by_item.get(spec.key, []),
        }
        for spec in admissibility.documents_of(application)
        if spec.is_offered(application) or spec.key in by_item
    ]
