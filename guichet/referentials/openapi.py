"""The catalogue's codes in the API schema (issue 20 §1): a filter that names a referential or
a pathway refuses any other code (400), so the schema lists the codes the catalogue holds when
it is read — data, like the catalogue itself."""

from django.db import DatabaseError

from guichet.referentials.models import Pathway, Referential


def catalogue_codes(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS)."""
    try:
        codes = {
            "referential": list(
                Referential.objects.order_by("code").values_list("code", flat=True)
            ),
            "pathway": sorted(set(Pathway.objects.values_list("code", flat=True))),
        }
    except DatabaseError:  # no catalogue yet: Django's checks build the schema before the
        return result  # migrations have run
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", ()) if isinstance(operation, dict) else ():
                if parameter["in"] == "query" and parameter["name"] in codes:
                    parameter["schema"]["enum"] = codes[parameter["name"]]
    return result
