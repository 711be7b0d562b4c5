from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.common.api import refuse_empty_filters
from guichet.referentials import selectors
from guichet.referentials.models import Nature, Pathology, Pathway
from guichet.referentials.serializers import (
    ProfileCheckInputSerializer,
    ProfileCheckOutputSerializer,
    ReferentialSerializer,
    RequirementSerializer,
    VersionDetailSerializer,
)

PATHWAYS = Prefetch(
    "pathways",
    queryset=Pathway.objects.order_by("position").prefetch_related(
        Prefetch("pathologies", queryset=Pathology.objects.order_by("position"))
    ),
)


class ReferentialListApi(generics.ListAPIView):
    """Referentials with their versions and pathways (public)."""

    permission_classes = [AllowAny]
    serializer_class = ReferentialSerializer

    @extend_schema(
        summary="Les référentiels",
        description="Public : chaque référentiel, ses versions et ses démarches (liste paginée).",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.referentials_with_versions(self.request.user).prefetch_related(PATHWAYS)


class VersionDetailApi(APIView):
    """Sections, profiles, rules, questionnaire, technical specifications and pathways."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Une version de référentiel",
        description="Public : sections, profils, règles de profils, questionnaire, "
        "spécifications techniques et démarches.",
        responses=VersionDetailSerializer,
    )
    def get(self, request, code, version):
        obj = selectors.get_version(code, version, request.user)
        obj = (
            type(obj)
            .objects.select_related("referential")
            .prefetch_related(
                "sections",
                "profiles",
                Prefetch("profile_rules", queryset=selectors.readable_rules(request.user)),
                "questions",
                "specifications",
                Prefetch(
                    "referential__pathways",
                    queryset=PATHWAYS.queryset,
                ),
            )
            .get(pk=obj.pk)
        )
        return Response(VersionDetailSerializer(obj, context={"request": request}).data)


class RequirementListApi(generics.ListAPIView):
    """Requirements of a version; with ``profiles`` and/or ``pathology``, only the applicable
    ones (R-REF-3, R-REF-7)."""

    permission_classes = [AllowAny]
    serializer_class = RequirementSerializer

    @extend_schema(
        summary="Les exigences applicables",
        description="Public : exigences → scénarios → preuves attendues ; avec `profiles`, "
        "seulement celles qui s'appliquent à ces profils (R-REF-3). Liste paginée.",
        parameters=[
            OpenApiParameter(
                "profiles",
                str,
                description="Codes ou libellés des profils, séparés par des virgules : seules "
                "les exigences applicables à ces profils sont listées.",
            ),
            OpenApiParameter(
                "pathology",
                str,
                description="Candidature en ligne générique : pathologie visée, par le code de "
                "sa spécification technique (« HAS1 ») ou le sien (« diabete »). Les exigences de "
                "cette spécification s'ajoutent aux exigences applicables aux profils ; les "
                "exigences d'une spécification technique ne sont listées qu'avec elle.",
            ),
            OpenApiParameter("nature", str, enum=Nature.values, description="DOIT ou DEVRAIT"),
            OpenApiParameter("section", str, description="Code de section"),
            OpenApiParameter("q", str, description="Recherche dans le texte"),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        version = selectors.get_version(
            self.kwargs["code"], self.kwargs["version"], self.request.user
        )
        params = self.request.query_params
        refuse_empty_filters(params, ("nature", "section", "pathology"))
        nature = params.get("nature") or None
        if nature is not None and nature not in Nature.values:
            raise ValidationError(
                {"nature": [f"Nature inconnue : choisissez {' ou '.join(Nature.values)}."]}
            )
        profiles = pathology = None
        if "profiles" in params:
            profiles = selectors.resolve_profiles(version, params["profiles"].split(","))
        if params.get("pathology"):
            pathology = selectors.resolve_pathology(version, params["pathology"])
        return selectors.requirements_queryset(
            version,
            profiles=profiles,
            pathology=pathology,
            nature=nature,
            section=params.get("section") or None,
            search=params.get("q") or None,
        )


class ProfileCheckApi(APIView):
    """Check a profile choice, or derive the mandatory profiles from the questionnaire."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Vérifier un choix de profils",
        description="Public : `profiles` (un choix à vérifier) ou `answers` (les réponses au "
        "questionnaire, dont se déduisent les profils obligatoires) (R-REF-4).",
        request=ProfileCheckInputSerializer,
        responses=ProfileCheckOutputSerializer,
    )
    def post(self, request, code, version):
        obj = selectors.get_version(code, version, request.user)
        data = ProfileCheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation = selectors.evaluate_profiles(
            obj,
            answers=data.validated_data.get("answers"),
            profiles=data.validated_data.get("profiles"),
        )
        return Response(
            {
                "profiles": evaluation.profiles,
                "violations": evaluation.violations,
                "warnings": selectors.readable_warnings(evaluation.warnings, request.user),
                "mandatory": evaluation.mandatory,
                "optional": evaluation.optional,
            }
        )
