from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from guichet.common.api import FileResponseNegotiation, refuse_empty_filters
from guichet.common.errors import ApplicationError
from guichet.journal import checkpoints, exports


class JournalEntrySerializer(serializers.Serializer):
    # Describes exports.entry_row for the schema (the stream writes the rows itself).
    id = serializers.IntegerField()
    hash = serializers.CharField(
        help_text="Empreinte de l'entrée, chaînée (R-AUD-1) : HMAC-SHA-256 par la clé du journal "
        "nommée par key_id ; SHA-256 seul pour les entrées antérieures à la clé (key_id vide)."
    )
    previous_hash = serializers.CharField(allow_blank=True)
    key_id = serializers.CharField(
        allow_blank=True, help_text="Identifiant de la clé du journal qui a scellé l'entrée."
    )
    created_at = serializers.DateTimeField()
    actor_email = serializers.CharField(allow_blank=True)
    actor_role = serializers.CharField(allow_blank=True)
    organisation = serializers.CharField(allow_blank=True)
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField(allow_blank=True)
    application_id = serializers.CharField(allow_blank=True)
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    request_id = serializers.CharField(allow_blank=True)


JOURNAL_FORMAT = OpenApiParameter(
    "format", str, enum=list(exports.FORMATS), description="json (par défaut) ou csv"
)
JOURNAL_RESPONSES = {
    (200, "application/json"): OpenApiResponse(
        JournalEntrySerializer(many=True), description="Les entrées, en JSON."
    ),
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.STR, description="Les entrées, en CSV (séparateur « ; »)."
    ),
}


class CheckpointSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="nom du fichier du point de contrôle")
    document = serializers.CharField(help_text="le texte JSON signé, tel quel")
    signature = serializers.CharField(help_text="la signature CMS détachée (DER, en base64)")


class IsAuditor(BasePermission):
    message = "Réservé aux administrateurs de l'agence (auditeurs du journal)."

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.is_agency_admin)


def stream(fmt: str, rows) -> StreamingHttpResponse:
    if fmt not in exports.FORMATS:
        raise ApplicationError(
            "Format inconnu : choisissez « json » ou « csv ».", extra={"status": 400}
        )
    return StreamingHttpResponse(exports.chunks(fmt, rows), content_type=exports.FORMATS[fmt])


class JournalExportApi(FileResponseNegotiation, APIView):
    """The whole journal, or one application's entries, as JSON (default) or CSV."""

    permission_classes = [IsAuditor]

    @extend_schema(
        summary="Le journal d'audit",
        description="Administrateurs de l'agence : tout le journal, ou les entrées d'une "
        "candidature, en JSON (par défaut) ou en CSV (R-AUD-1).",
        parameters=[
            OpenApiParameter("application", str, description="identifiant d'une candidature"),
            JOURNAL_FORMAT,
        ],
        responses=JOURNAL_RESPONSES,
    )
    def get(self, request):
        refuse_empty_filters(request.query_params, ("application", "format"))
        return stream(
            request.query_params.get("format", "json"),
            exports.rows(exports.entries(request.query_params.get("application") or None)),
        )


class JournalCheckpointsApi(FileResponseNegotiation, APIView):
    """Every sealed checkpoint of the journal with its detached CMS signature (R-AUD-1): a JSON
    list (`document` is the exact signed text, `signature` its DER in base64) or a zip of the
    files as stored, with the agency's certificates and how to check them with openssl."""

    permission_classes = [IsAuditor]

    @extend_schema(
        summary="Les points de contrôle scellés du journal",
        description="Administrateurs de l'agence : chaque point de contrôle (nombre d'entrées, "
        "dernière entrée et son empreinte) avec sa signature CMS détachée par le certificat de "
        "l'agence, en JSON (par défaut) ou en archive zip vérifiable avec openssl (R-AUD-1).",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=sorted(checkpoints.FORMATS),
                description="json (par défaut) ou zip",
            )
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                CheckpointSerializer(many=True),
                description="Les points de contrôle et leurs signatures.",
            ),
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="Les fichiers tels qu'ils sont gardés, les certificats de l'agence et "
                "la façon de les vérifier.",
            ),
        },
    )
    def get(self, request):
        fmt = request.query_params.get("format", "json")
        if fmt not in checkpoints.FORMATS:
            raise ApplicationError(
                "Format inconnu : choisissez « json » ou « zip ».", extra={"status": 400}
            )
        return StreamingHttpResponse(checkpoints.chunks(fmt), content_type=checkpoints.FORMATS[fmt])
