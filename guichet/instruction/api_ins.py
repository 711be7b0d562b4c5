"""API of the INS test day (R-CLK-8): `GET/POST applications/{id}/ins-test-day` (the applicant
proposes or moves the day), `POST …/ins-test-day/results` (the instructor records a scenario's
outcome, which is the verdict on its INS proofs), `POST …/confirm` and `…/agency-proposal` (the
agency confirms the date or proposes another), `POST …/accept` (the applicant accepts the
agency's date), `POST …/attendance` (who attended and the test environment). Thin views over
instruction.ins; the serializers check the shape, the services the rules."""

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
from guichet.instruction.models import AttendeeSide, DayAgreement, ScenarioOutcome

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


class AttendeeSerializer(serializers.Serializer):
    side = serializers.ChoiceField(
        choices=AttendeeSide.choices,
        error_messages={
            "invalid_choice": "Indiquez la qualité du participant : « agency » (représentant de "
            "l'agence), « expert » (expert externe) ou « applicant » (participant du candidat)."
        },
        help_text="agency : représentant de l'agence ; expert : expert externe ; applicant : "
        "participant du candidat.",
    )
    name = StrictCharField(max_length=ins.ATTENDEE_TEXT_MAX_LENGTH, help_text="Nom.")
    role = StrictCharField(max_length=ins.ATTENDEE_TEXT_MAX_LENGTH, help_text="Rôle.")


class AttendanceInputSerializer(serializers.Serializer):
    attendees = AttendeeSerializer(
        many=True,
        max_length=ins.ATTENDEES_MAX,
        help_text="Au moins un représentant de l'agence et un participant du candidat.",
    )
    environment = StrictCharField(
        max_length=ins.TEXT_MAX_LENGTH,
        help_text="L'environnement de test : recette, version du logiciel, accès utilisé…",
    )


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
    agreement = serializers.ChoiceField(
        choices=DayAgreement.choices,
        allow_null=True,
        help_text="proposed : proposée par le candidat, à confirmer par l'agence ; "
        "agency_proposed : l'agence propose une autre date, que le candidat accepte ou change ; "
        "confirmed : confirmée. null avant toute proposition.",
    )
    agreement_label = serializers.CharField(
        allow_blank=True, help_text="Où en est la date, dans les mots du lecteur."
    )
    agency_note = serializers.CharField(
        allow_blank=True, help_text="Précisions de l'agence avec la date qu'elle propose."
    )
    confirmed_at = serializers.DateTimeField(allow_null=True, help_text="Confirmée le.")
    attendees = AttendeeSerializer(
        many=True, help_text="Participants enregistrés (vide avant la journée)."
    )
    environment = serializers.CharField(allow_blank=True, help_text="Environnement de test.")
    attendance_at = serializers.DateTimeField(
        allow_null=True, help_text="Participants et environnement enregistrés le."
    )
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


def overview_data(application, user) -> dict:
    overview = ins.ins_overview(application)
    test_day = overview.test_day
    for_applicant = not user.is_agency
    return {
        "applicable": overview.applicable,
        "complete_on": overview.complete_on,
        "last_day": overview.last_day,
        "weeks": overview.weeks,
        "day": test_day.day if test_day else None,
        "note": test_day.note if test_day else "",
        "proposed_at": test_day.proposed_at if test_day else None,
        "agreement": test_day.agreement if test_day else None,
        "agreement_label": overview.agreement_text(for_applicant=for_applicant),
        "agency_note": test_day.agency_note if test_day else "",
        "confirmed_at": test_day.confirmed_at if test_day else None,
        "attendees": test_day.attendees if test_day else [],
        "environment": test_day.environment if test_day else "",
        "attendance_at": test_day.attendance_at if test_day else None,
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
        return Response(InsTestDaySerializer(overview_data(application, request.user)).data)

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
        return Response(InsTestDaySerializer(overview_data(application, request.user)).data)


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
        return Response(InsTestDaySerializer(overview_data(application, request.user)).data)


class InsConfirmApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Confirmer la date de la journée de tests INS",
        description="Un instructeur de la candidature (ou l'administrateur de l'agence) confirme "
        "la date proposée par le candidat ; celui-ci est prévenu par courriel (R-CLK-8).",
        request=None,
        responses={200: InsTestDaySerializer, **problems(403, 409)},
    )
    def post(self, request, pk):
        application = get_application(request.user, pk)
        ins.confirm_test_day(by=request.user, application=application)
        return Response(InsTestDaySerializer(overview_data(application, request.user)).data)


class InsAgencyProposalApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Proposer une autre date de journée de tests INS",
        description="L'agence propose une autre date que celle du candidat, dans les mêmes "
        "bornes (du dossier complet et d'aujourd'hui à N semaines après le dépôt de l'ensemble "
        "des preuves) ; le candidat, prévenu par courriel, l'accepte ou en propose une autre "
        "(R-CLK-8).",
        request=InsTestDayInputSerializer,
        responses={200: InsTestDaySerializer, **problems(403, 409)},
    )
    def post(self, request, pk):
        application = get_application(request.user, pk)
        data = InsTestDayInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ins.propose_other_day(by=request.user, application=application, **data.validated_data)
        return Response(InsTestDaySerializer(overview_data(application, request.user)).data)


class InsAcceptApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Accepter la date proposée par l'agence",
        description="Le candidat accepte la date de journée de tests INS proposée par l'agence : "
        "elle est confirmée et les instructeurs en sont prévenus (R-CLK-8).",
        request=None,
        responses={200: InsTestDaySerializer, **problems(403, 409)},
    )
    def post(self, request, pk):
        application = get_application(request.user, pk)
        ins.accept_agency_day(by=request.user, application=application)
        return Response(InsTestDaySerializer(overview_data(application, request.user)).data)


class InsAttendanceApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Enregistrer les participants et l'environnement de la journée de tests INS",
        description="Le jour de la journée de tests ou après, un instructeur de la candidature "
        "enregistre qui y a participé (au moins un représentant de l'agence, un expert externe "
        "le cas échéant, au moins un participant du candidat) et l'environnement de test ; un "
        "nouvel envoi les corrige (R-CLK-8).",
        request=AttendanceInputSerializer,
        responses={200: InsTestDaySerializer, **problems(403, 409)},
    )
    def post(self, request, pk):
        application = get_application(request.user, pk)
        data = AttendanceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ins.record_attendance(by=request.user, application=application, **data.validated_data)
        return Response(InsTestDaySerializer(overview_data(application, request.user)).data)


urlpatterns = [
    path("applications/<int:pk>/ins-test-day", InsTestDayApi.as_view(), name="ins-test-day"),
    path(
        "applications/<int:pk>/ins-test-day/results",
        InsResultApi.as_view(),
        name="ins-test-day-results",
    ),
    path(
        "applications/<int:pk>/ins-test-day/confirm",
        InsConfirmApi.as_view(),
        name="ins-test-day-confirm",
    ),
    path(
        "applications/<int:pk>/ins-test-day/agency-proposal",
        InsAgencyProposalApi.as_view(),
        name="ins-test-day-agency-proposal",
    ),
    path(
        "applications/<int:pk>/ins-test-day/accept",
        InsAcceptApi.as_view(),
        name="ins-test-day-accept",
    ),
    path(
        "applications/<int:pk>/ins-test-day/attendance",
        InsAttendanceApi.as_view(),
        name="ins-test-day-attendance",
    ),
]
