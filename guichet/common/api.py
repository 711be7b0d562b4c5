"""API plumbing shared by every app: pagination and RFC 9457 problem+json errors."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from guichet.common.errors import ApplicationError

PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Introuvable",
    405: "Méthode non autorisée",
    406: "Format non acceptable",
    409: "Conflit",
    413: "Contenu trop volumineux",
    415: "Type de contenu non pris en charge",
    429: "Trop de requêtes",
    500: "Erreur interne",
}


class FileResponseNegotiation:
    """For API views that answer a file or a stream: `?format=` is theirs, not DRF's renderer
    choice, and their errors still come as JSON problems."""

    def perform_content_negotiation(self, request, force=False):
        from rest_framework.renderers import JSONRenderer

        return (JSONRenderer(), JSONRenderer.media_type)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def problem(status_code: int, detail: str, **extra) -> dict:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status_code, "Erreur"),
        "status": status_code,
        "detail": detail,
    }
    body.update(extra)
    return body


def problem_response(status_code: int, detail: str, **extra) -> Response:
    return Response(
        problem(status_code, detail, **extra), status=status_code, content_type=PROBLEM_CONTENT_TYPE
    )


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for value in errors.values():
            return _first_message(value)
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


def problem_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        extra = dict(exc.extra)
        if exc.field and "errors" not in extra:
            extra["errors"] = {exc.field: [exc.message]}
        status_code = extra.pop("status", status.HTTP_409_CONFLICT)
        return problem_response(status_code, exc.message, **extra)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Ressource introuvable."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = problem(
            response.status_code,
            _("Les données envoyées sont invalides : %(message)s")
            % {"message": _first_message(errors)},
            errors=errors,
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        # An exception may carry RFC 9457 members of its own (a title, a link to follow).
        body = problem(response.status_code, str(detail), **getattr(exc, "problem_members", {}))
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_json_response(status_code: int, detail: str, **extra) -> JsonResponse:
    """For errors raised outside DRF views (unknown /api/ path, server error, middleware)."""
    return JsonResponse(
        problem(status_code, detail, **extra),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
