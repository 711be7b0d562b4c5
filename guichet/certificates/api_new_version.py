"""API: the evidence a holder's new application is asked on a new version of the referential
(R-CRT-3, CSP R. 1470-11), chosen by the agency."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.applications.selectors import get_application
from guichet.certificates import new_version
from guichet.common.api import StrictCharField
from guichet.common.schema import problems


class EvidenceScopeInputSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=[
            ("changes", "Exigences nouvelles ou modifiées depuis le certificat"),
            ("all", "Dossier complet"),
        ],
        help_text="« changes » : seules les exigences nouvelles ou modifiées depuis le certificat "
        "du produit sur une version antérieure (si la version le prévoit) ; « all » : tout.",
    )
    reason = StrictCharField(max_length=500, help_text="Motif, inscrit au journal.")


class EvidenceScopeSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["changes", "all"])
    certified_version = serializers.CharField(
        allow_null=True,
        help_text="Version du certificat dont les exigences inchangées ne sont "
        "pas redemandées ; null pour le dossier complet.",
    )


class EvidenceScopeApi(APIView):
    """R-CRT-3: the agency records which evidence the new application is asked."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Preuves demandées à la nouvelle candidature d'un titulaire",
        description="Sur une nouvelle version du référentiel, l'agence ne demande que les "
        "exigences nouvelles ou modifiées depuis le certificat du produit (CSP R. 1470-11, si "
        "la version le prévoit) ou le dossier complet ; le choix est inscrit au journal avec "
        "son motif et le candidat est prévenu (R-CRT-3).",
        request=EvidenceScopeInputSerializer,
        responses={200: EvidenceScopeSerializer, **problems(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        application = get_application(request.user, pk)
        data = EvidenceScopeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = new_version.set_evidence_scope(
            by=request.user,
            application=application,
            changes_only=data.validated_data["scope"] == "changes",
            reason=data.validated_data["reason"],
        )
        basis = application.evidence_basis
        return Response(
            {
                "scope": "changes" if basis else "all",
                "certified_version": basis.referential_version.label if basis else None,
            }
        )
