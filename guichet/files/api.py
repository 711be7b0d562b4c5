"""Streamed uploads and verified downloads for API views and pages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from rest_framework import exceptions, serializers
from rest_framework.authentication import CSRFCheck, SessionAuthentication
from rest_framework.parsers import MultiPartParser

from guichet.common.api import NUL_REFUSED, JSONRenderer
from guichet.common.errors import ApplicationError
from guichet.files import services
from guichet.files.uploads import StreamingUploadHandler


def install_handler(django_request, *, encrypt: bool) -> StreamingUploadHandler:
    """Must run before anything reads the request body (CSRF checks included)."""
    handler = StreamingUploadHandler(django_request, encrypt=encrypt)
    django_request.upload_handlers = [handler]
    return handler


def take_uploads(
    handler: StreamingUploadHandler, files, field: str = "file", *, texts=None, required=True
) -> list:
    """The files of `field`; `texts`, the form's text parts: a text sent in the place of a
    file is refused, not ignored (issue 20 §1)."""
    if handler.error:
        raise ApplicationError(handler.error, extra={"status": handler.error_status})
    if texts:
        nul = [name for name, values in texts.lists() if any("\x00" in v for v in values)]
        if nul:
            errors = {name: [NUL_REFUSED] for name in nul}
            raise ApplicationError(NUL_REFUSED, extra={"status": 400, "errors": errors})
        if field in texts:
            raise ApplicationError(
                f"« {field} » doit être un fichier : envoyez-le comme une partie fichier du "
                "multipart/form-data (avec un nom de fichier, filename=…), pas comme un texte.",
                field=field,
                extra={"status": 400},
            )
    uploads = files.getlist(field)
    if required and not uploads:
        raise ApplicationError(
            f"Joignez un fichier (champ « {field} » d'un envoi multipart/form-data).",
            extra={"status": 400},
        )
    return uploads


# --- CSRF without reading the body (issue 10 §1) ---------------------------------------------
#
# Django's CSRF check takes the token from the form first, which for an upload means reading
# (and storing) the whole body before the check answers. Views that receive files are
# therefore csrf_exempt, decide who may upload (login, role, the object) without the body, and
# only then check CSRF here: with the token of the X-CSRFToken header when there is one
# (upload.js sends it, so a forged request is refused before its body is read), else with the
# form's token, which a form posted without JavaScript carries in the body.


class _FormUnread:
    """The request as the token check sees it: an empty form, so that the token is the
    header's and the body stays unread."""

    POST = QueryDict()

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return getattr(self._request, name)


class _HeaderTokenCheck(CsrfViewMiddleware):
    def _check_token(self, request):
        super()._check_token(_FormUnread(request))


class _ApiHeaderTokenCheck(_HeaderTokenCheck, CSRFCheck):
    """DRF's flavour: the refusal is the reason, not Django's HTML page."""


def _no_response(request):  # pragma: no cover - the check never calls the view
    return None


def csrf_refusal(request, *, api: bool = False):
    """Django's CSRF check (origin, referer, token), reading the body only when the token is
    not in the header. Returns the refusal (the 403 page; for the API, DRF's `request` and the
    reason), or None when the request passes."""
    if settings.CSRF_HEADER_NAME in request.META:
        check_class = _ApiHeaderTokenCheck if api else _HeaderTokenCheck
    else:
        check_class = CSRFCheck if api else CsrfViewMiddleware
    check = check_class(_no_response)
    check.process_request(request)
    return check.process_view(request, None, (), {})


def receive_files(request, *, encrypt: bool) -> tuple[StreamingUploadHandler, HttpResponse | None]:
    """For pages, once the user is allowed to upload there: the streaming handler, then the
    CSRF check. Returns the handler and the refusal, if any (files read for a refused form
    are removed at the end of the request)."""
    handler = install_handler(request, encrypt=encrypt)
    return handler, csrf_refusal(request)


def _defer_csrf(request) -> None:
    request._request.guichet_csrf_deferred = True


class StreamedUploadMixin:
    """For DRF views that receive files. Authentication, permissions and `upload_access`
    (the object, the caller's right to upload there) are decided before a byte of the body is
    read; then the CSRF check for session callers, and the body streams through
    StreamingUploadHandler as the view reads `request.data`."""

    parser_classes = [MultiPartParser]

    def get_authenticators(self):
        authenticators = super().get_authenticators()
        for authenticator in authenticators:
            if isinstance(authenticator, SessionAuthentication):
                # DRF's CSRF check would read the whole body before the view may refuse the
                # caller: initial() runs it once access is granted.
                authenticator.enforce_csrf = _defer_csrf
        return authenticators

    def perform_content_negotiation(self, request, force=False):
        # JSON whatever the Accept header: the browsable API would read the body to fill its
        # forms, even to show a refusal.
        return (JSONRenderer(), JSONRenderer.media_type)

    def upload_access(self, request, **kwargs) -> bool:
        """Raises when the caller may not upload here (Http404, ApplicationError…); returns
        whether the upload is encrypted as it streams (R-EVD-3). Must not read the body."""
        raise NotImplementedError

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A method the view does not take is a 405 before the object is looked at: the
        # object's state must not answer for it (a 409 for a TRACE, issue 20 §1).
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            self.http_method_not_allowed(request, *args, **kwargs)
        encrypt = self.upload_access(request, **kwargs)
        self.upload_handler = install_handler(request._request, encrypt=encrypt)
        if getattr(request._request, "guichet_csrf_deferred", False):
            if csrf_refusal(request, api=True):
                raise exceptions.PermissionDenied(
                    "Vérification CSRF échouée : rechargez la page puis renvoyez le fichier "
                    "(le jeton CSRF se transmet dans l'en-tête X-CSRFToken)."
                )

    def form_values(self, request, serializer_class) -> dict:
        """The text parts of the form, checked by the serializer that describes the form in
        the schema (its files aside, which streamed_uploads takes): what the schema refuses,
        the view refuses (issue 20 §1)."""
        # A plain mapping, not the QueryDict: DRF reads an empty text of a form as no value,
        # which the schema does not say (`replaces=` is no identifier).
        texts = {
            name: values[0] if len(values) == 1 else values for name, values in request.POST.lists()
        }
        form = serializer_class(data=texts)
        for name, field in list(form.fields.items()):
            child = getattr(field, "child", None)
            if isinstance(field, serializers.FileField) or isinstance(child, serializers.FileField):
                del form.fields[name]
        form.is_valid(raise_exception=True)
        return form.validated_data

    def streamed_uploads(self, request, field: str = "file", *, required: bool = True) -> list:
        return take_uploads(
            self.upload_handler, request.FILES, field, texts=request.POST, required=required
        )


def download_response(stored, *, by=None, application=None) -> StreamingHttpResponse:
    """The file, verified against its SHA-256 as it is sent (R-EVD-2): a missing or resized
    file is refused here (409), an altered content cuts the response before its end. Either
    is journaled, naming `by` and `application`."""
    try:
        chunks = services.verified_chunks(stored, by=by, application=application)
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
