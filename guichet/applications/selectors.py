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


def application_file(application, file_id):
    """A file attached to this application (a document now, evidence later), else 404."""
    from django.http import Http404

    document = application.documents.filter(file_id=file_id).select_related("file").first()
    if document is None:
        raise Http404
    return document.file
