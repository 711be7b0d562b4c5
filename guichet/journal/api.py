from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from guichet.common.api import FileResponseNegotiation
from guichet.common.errors import ApplicationError
from guichet.journal import checkpoints, exports


class IsAuditor(BasePermission):
    message = "Réservé aux administrateurs de l'agence (auditeurs du journal)."

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.is_agency_admin)


def stream(fmt: str, queryset) -> StreamingHttpResponse:
    if fmt not in exports.FORMATS:
        raise ApplicationError(
            "Format inconnu : choisissez « json » ou « csv ».", extra={"status": 400}
        )
    return StreamingHttpResponse(exports.chunks(fmt, queryset), content_type=exports.FORMATS[fmt])


class JournalExportApi(FileResponseNegotiation, APIView):
    """The whole journal, or one application's entries, as JSON (default) or CSV."""

    permission_classes = [IsAuditor]

    @extend_schema(
        parameters=[
            OpenApiParameter("application", str, description="identifiant d'une candidature"),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        responses={200: dict},
    )
    def get(self, request):
        return stream(
            request.query_params.get("format", "json"),
            exports.entries(request.query_params.get("application") or None),
        )


class JournalCheckpointsApi(FileResponseNegotiation, APIView):
    """Every sealed checkpoint of the journal with its detached CMS signature (R-AUD-1): a JSON
    list (`document` is the exact signed text, `signature` its DER in base64) or a zip of the
    files as stored, with the agency's certificates and how to check them with openssl."""

    permission_classes = [IsAuditor]

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=sorted(checkpoints.FORMATS))],
        responses={200: dict},
    )
    def get(self, request):
        fmt = request.query_params.get("format", "json")
        if fmt not in checkpoints.FORMATS:
            raise ApplicationError(
                "Format inconnu : choisissez « json » ou « zip ».", extra={"status": 400}
            )
        return StreamingHttpResponse(checkpoints.chunks(fmt), content_type=checkpoints.FORMATS[fmt])
