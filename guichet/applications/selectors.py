from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from guichet.applications import admissibility
from guichet.applications.models import Application, Convention, Product
from guichet.files.models import StoredFile
from guichet.files.services import describe


def products_for(user):
    return Product.objects.visible_to(user).prefetch_related("modules")


def applications_for(user):
    """Every page and endpoint reaches applications through here (R-ACT-1)."""
    return Application.objects.visible_to(user).select_related(
        "product",
        "organisation",
        "referential_version__referential",
        "pathway",
        "pathology",
    )


def get_application(user, pk) -> Application:
    """One application through the one door: another organisation's answers 404."""
    return get_object_or_404(applications_for(user), pk=pk)


def review_queue(user):
    """R-CLK-1: complete dossiers, in the order their evidence became complete."""
    from guichet.applications.models import Status

    return (
        applications_for(user).filter(status=Status.COMPLETE).order_by("evidence_complete_at", "id")
    )


def application_file(application, file_id, user) -> StoredFile:
    """A file of this application (admissibility document, evidence, convention,
    acknowledgment), else 404; a sensitive proof only for those R-EVD-3 allows, else 403."""
    from guichet.applications.evidence import can_read_file

    stored = _file_of(application, file_id)
    if not can_read_file(user, application, stored):
        raise PermissionDenied(
            "Preuve sensible : réservée au candidat et aux instructeurs de la candidature."
        )
    return stored


def _file_of(application, file_id) -> StoredFile:
    document = application.documents.filter(file_id=file_id).select_related("file").first()
    if document is not None:
        return document.file
    evidence = application.evidence_files.filter(file_id=file_id).select_related("file").first()
    if evidence is not None:
        return evidence.file
    ids = {str(application.acknowledgment_id)}
    convention = Convention.objects.filter(application=application).first()
    if convention is not None:
        ids |= {str(convention.draft_id), str(convention.signed_id)}
    ids.discard("None")
    if str(file_id) in ids:
        return StoredFile.objects.get(pk=file_id)
    raise Http404


def convention_of(application) -> Convention:
    convention = (
        Convention.objects.select_related("draft", "signed").filter(application=application).first()
    )
    if convention is None:
        raise Http404
    return convention


def convention_document(application) -> StoredFile:
    """The convention's PDF to show: the sealed one once sealed, else the one to sign."""
    from guichet.common.errors import ApplicationError

    convention = convention_of(application)
    document = convention.signed or convention.draft
    if document is None:
        raise ApplicationError(
            "La convention est en préparation : elle est disponible dans quelques instants.",
            extra={"status": 409},
        )
    return document


def documents_payload(application) -> list[dict]:
    """Each document of the admissibility form: required now or not, and its files."""
    code = application.referential_version.referential.code
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
        for spec in admissibility.documents_for(code)
    ]
