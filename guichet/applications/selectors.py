from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from guichet.applications import admissibility, extensions
from guichet.applications.models import Application, Product
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
    """Each document of the admissibility form: required now or not, and its files."""
    code = application.referential_version.process_settings.admissibility_form
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
