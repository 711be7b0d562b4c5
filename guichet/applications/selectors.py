from guichet.applications.models import Application, Product


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


def review_queue(user):
    """R-CLK-1: complete dossiers, in the order their evidence became complete."""
    from guichet.applications.models import Status

    return (
        applications_for(user).filter(status=Status.COMPLETE).order_by("evidence_complete_at", "id")
    )


def application_file(application, file_id):
    """A file of this application (admissibility document, evidence, convention,
    acknowledgment), else 404."""
    from django.http import Http404

    from guichet.applications.models import Convention
    from guichet.files.models import StoredFile

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
    if str(file_id) in ids:
        return StoredFile.objects.get(pk=file_id)
    raise Http404
