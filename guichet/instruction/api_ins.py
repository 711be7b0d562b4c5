"""API of the INS test day (R-CLK-8): `GET/POST applications/{id}/ins-test-day` (the applicant
proposes or moves the day), `POST …/ins-test-day/results` (the instructor records a scenario's
outcome). Thin views over instruction.ins; the serializers check the shape, the services the
rules."""

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.applications.selectors import get_application
from guichet.common.api import StrictCharField
from guichet.common.schema import problems
from guichet.instruction import ins
from guichet.instruction.models import ScenarioOutcome

DATE_FORMAT_MESSAGE = "Indiquez une date au format AAAA-MM-JJ (par exemple 2026-02-10)."


# --- shapes --------------------------------------------------------------------------------------


class InsTestDayInputSerializer(serializers.Serializer):
    day = serializers.DateField(
        input_formats=["iso-8601"],
        error_messages={"invalid": DATE_FORMAT_MESSAGE, "datetime": DATE_FORMAT_MESSAGE},
        help_text="La date proposée (AAAA-MM-JJ), au plus tard N semaines (4) après le dépôt de "
        "l'ensemble des preuves (`last_day`).",
    )
    note = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=ins.TEXT_MAX_LENGTH,
        help_text="Précisions : horaires, visioconférence, utilisateur mobilisé…",
    )


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
class ScenarioReferenceField(serializers.Field):
    """A scenario by its code (« INS 1.1 ») or its id."""

    default_error_messages = {
        "invalid": "Indiquez le scénario par son code (« INS 1.1 ») ou son identifiant (entier)."
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        if isinstance(data, str) and not data.strip():
            self.fail("invalid")
        if isinstance(data, str) and len(data) > 64:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class InsResultInputSerializer(serializers.Serializer):
    scenario = ScenarioReferenceField(help_text="Code (« INS 1.1 ») ou identifiant du scénario.")
    outcome = serializers.ChoiceField(
        choices=ScenarioOutcome.choices,
        error_messages={
            "invalid_choice": "Indiquez le résultat : « passed » (résultat atteint) ou "
            "« failed » (résultat non atteint)."
        },
        help_text="passed : résultat atteint ; failed : résultat non atteint.",
    )
    comment = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=ins.TEXT_MAX_LENGTH,
        help_text="Obligatoire pour un résultat non atteint ; le candidat le lit.",
    )


class InsResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ScenarioOutcome.choices)
    comment = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField(help_text="Enregistré (ou corrigé) le.")


class InsScenarioSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="« INS 1.1 »")
    text = serializers.CharField()
    result = InsResultSerializer(allow_null=True, help_text="null tant qu'il n'est pas enregistré.")


class InsTestDaySerializer(serializers.Serializer):
    applicable = serializers.BooleanField(
        help_text="La candidature a des scénarios INS, donc une journée de tests."
    )
    complete_on = serializers.DateField(
        allow_null=True, help_text="Dépôt de l'ensemble des preuves (dossier complet)."
    )
    last_day = serializers.DateField(
        allow_null=True, help_text="Dernière date possible de la journée de tests."
    )
    weeks = serializers.IntegerField(help_text="Délai, en semaines après le dossier complet.")
    day = serializers.DateField(allow_null=True, help_text="Date proposée ; null avant.")
    note = serializers.CharField(allow_blank=True)
    proposed_at = serializers.DateTimeField(allow_null=True)
    change_refusal = serializers.CharField(
        allow_null=True,
        help_text="Pourquoi la date ne peut pas être proposée ou changée maintenant (null : elle "
        "le peut).",
    )
    recorded = serializers.IntegerField(help_text="Nombre de scénarios dont le résultat est saisi.")
    finished = serializers.BooleanField(
        help_text="Journée de tests terminée : chaque scénario a son résultat."
    )
    scenarios = InsScenarioSerializer(many=True)


def overview_data(application) -> dict:
    overview = ins.ins_overview(application)
    test_day = overview.test_day
    return {
        "applicable": overview.applicable,
        "complete_on": overview.complete_on,
        "last_day": overview.last_day,
        "weeks": overview.weeks,
        "day": test_day.day if test_day else None,
        "note": test_day.note if test_day else "",
        "proposed_at": test_day.proposed_at if test_day else None,
        "change_refusal": (overview.day_change_refusal() or None) if overview.applicable else None,
        "recorded": overview.recorded,
        "finished": overview.finished,
        "scenarios": [
            {
                "id": row.scenario.id,
                "code": row.scenario.code,
                "text": row.scenario.text,
                "result": (
                    {
                        "outcome": row.result.outcome,
                        "comment": row.result.comment,
                        "at": row.result.at,
                    }
                    if row.result
                    else None
                ),
            }
            for row in overview.rows
        ],
    }


# --- views ---------------------------------------------------------------------------------------


class InsTestDayApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="La journée de tests INS",
        description="La date proposée, la dernière date possible (N semaines après le dépôt de "
        "l'ensemble des preuves) et le résultat de chaque scénario INS (R-CLK-8).",
        responses=InsTestDaySerializer,
    )
    def get(self, request, pk):
        application = get_application(request.user, pk)
        return Response(InsTestDaySerializer(overview_data(application)).data)

    @extend_schema(
        summary="Proposer ou déplacer la journée de tests INS",
        description="Le candidat propose la date, une fois le dossier complet, au plus tard N "
        "semaines (4) après le dépôt de l'ensemble des preuves ; il peut la déplacer jusqu'au "
        "jour même tant qu'aucun résultat n'est enregistré. Les instructeurs de la candidature "
        "sont prévenus par courriel (R-CLK-8).",
        request=InsTestDayInputSerializer,
        responses={200: InsTestDaySerializer, **problems(403, 409)},
    )
    def post(self, request, pk):
        application = get_application(request.user, pk)
        data = InsTestDayInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ins.propose_test_day(by=request.user, application=application, **data.validated_data)
        return Response(InsTestDaySerializer(overview_data(application)).data)


class InsResultApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Enregistrer le résultat d'un scénario INS",
        description="Un instructeur de la candidature (ou l'administrateur de l'agence), à partir "
        "du jour de la journée de tests : `passed` (résultat atteint) ou `failed` (non atteint, "
        "commentaire obligatoire). Un nouvel envoi corrige le résultat (R-CLK-8).",
        request=InsResultInputSerializer,
        responses={200: InsTestDaySerializer, **problems(403, 409)},
    )
    def post(self, request, pk):
        application = get_application(request.user, pk)
        data = InsResultInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ins.record_scenario_result(by=request.user, application=application, **data.validated_data)
        return Response(InsTestDaySerializer(overview_data(application)).data)


urlpatterns = [
    path("applications/<int:pk>/ins-test-day", InsTestDayApi.as_view(), name="ins-test-day"),
    path(
        "applications/<int:pk>/ins-test-day/results",
        InsResultApi.as_view(),
        name="ins-test-day-results",
    ),
]
