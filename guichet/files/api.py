"""Streamed uploads and verified downloads for API views and pages."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from rest_framework.parsers import MultiPartParser

from guichet.common.errors import ApplicationError
from guichet.files import services
from guichet.files.uploads import StreamingUploadHandler


def install_handler(django_request, *, encrypt: bool) -> StreamingUploadHandler:
    """Must run before anything reads the request body (CSRF checks included)."""
    handler = StreamingUploadHandler(django_request, encrypt=encrypt)
    django_request.upload_handlers = [handler]
    return handler


def take_uploads(handler: StreamingUploadHandler, files, field: str = "file") -> list:
    if handler.error:
        raise ApplicationError(handler.error, extra={"status": handler.error_status})
    uploads = files.getlist(field)
    if not uploads:
        raise ApplicationError(
            f"Joignez un fichier (champ « {field} » d'un envoi multipart/form-data).",
            extra={"status": 400},
        )
    return uploads


class StreamedUploadMixin:
    """For DRF views that receive files: the body streams through StreamingUploadHandler."""

    parser_classes = [MultiPartParser]

    def encrypt_upload(self, request, **kwargs) -> bool:
        return False

    def initial(self, request, *args, **kwargs):
        self.upload_handler = install_handler(
            request._request, encrypt=self.encrypt_upload(request, **kwargs)
        )
        super().initial(request, *args, **kwargs)

    def streamed_uploads(self, request, field: str = "file") -> list:
        return take_uploads(self.upload_handler, request.FILES, field)


def download_response(stored) -> StreamingHttpResponse:
    """The file, verified against its SHA-256 before the first byte is sent (R-EVD-2)."""
    try:
        chunks = services.verified_chunks(stored)
    except services.TamperedFile as exc:
        raise ApplicationError(
            f"Le fichier « {stored.original_name} » ne correspond plus à son dépôt ({exc}) : "
            "il n'est pas servi. L'agence en est avertie par le journal.",
            extra={"status": 409},
        ) from exc
    response = StreamingHttpResponse(chunks, content_type=stored.content_type)
    response["Content-Length"] = str(stored.size)
    response["Content-Disposition"] = _disposition(stored.original_name)
    response["X-Content-SHA256"] = stored.sha256
    return response


def _disposition(name: str) -> str:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
