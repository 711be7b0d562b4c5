"""Reads of the convention (R-CONV-1, R-CONV-3)."""

from django.http import Http404

from guichet.applications import extensions
from guichet.conventions.models import Convention
from guichet.files.models import StoredFile


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


@extensions.file_source
def convention_file(application, file_id) -> StoredFile | None:
    convention = Convention.objects.filter(application=application).first()
    if convention is not None and str(file_id) in {
        str(convention.draft_id),
        str(convention.signed_id),
    }:
        return StoredFile.objects.get(pk=file_id)
    return None
