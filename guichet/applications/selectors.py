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
