from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from guichet.common.api import FileResponseNegotiation
from guichet.common.errors import ApplicationError
from guichet.journal import exports


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
