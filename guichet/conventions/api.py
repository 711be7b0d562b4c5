from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.applications.selectors import get_application
from guichet.common.api import FileResponseNegotiation
from guichet.common.schema import problems
from guichet.conventions.selectors import convention_document
from guichet.conventions.serializers import SignedConventionSerializer, SignInputSerializer
from guichet.conventions.services import sign_convention
from guichet.files.api import download_response


class ConventionPdfApi(FileResponseNegotiation, APIView):
    """The signed convention once signed, else the version to sign."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="La convention (PDF)",
        description="La convention signée une fois signée, sinon la version à signer (R-CONV-1).",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="Le PDF de la convention."
            ),
            **problems(404, 409),
        },
    )
    def get(self, request, pk):
        application = get_application(request.user, pk)
        return download_response(
            convention_document(application), by=request.user, application=application
        )


class ConventionSignApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Signer la convention",
        description="Le Responsable habilité confirme par son mot de passe (et son code TOTP "
        "s'il en a un) ; le PDF est scellé (PAdES) (R-CONV-3).",
        request=SignInputSerializer,
        responses=SignedConventionSerializer,
    )
    def post(self, request, pk):
        application = get_application(request.user, pk)
        data = SignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        convention = sign_convention(
            by=request.user, application=application, **data.validated_data
        )
        return Response(
            {
                "number": convention.number,
                "signed_at": convention.signed_at,
                "signer": convention.signer_name,
                # The task worker seals the signed PDF right after: null until then.
                "sealed": convention.is_sealed,
                "sha256": convention.signed.sha256 if convention.is_sealed else None,
            }
        )
