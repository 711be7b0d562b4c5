"""The legal clock of an application, for its applicant and the agency (issue 11 §5)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.applications.selectors import get_application
from guichet.deadlines import FLAGS
from guichet.instruction.clockstate import shown_clock


class ClockSerializer(serializers.Serializer):
    deadline = serializers.DateField(
        allow_null=True,
        help_text="Date limite de la décision (AAAA-MM-JJ) ; null tant que le dossier n'est pas "
        "complet, ou (TLC) tant que des pièces manquantes sont attendues.",
    )
    days_left = serializers.IntegerField(
        allow_null=True,
        help_text="Jours jusqu'à l'échéance (négatif une fois dépassée) ; figé pendant une "
        "suspension ; null sans échéance.",
    )
    running = serializers.BooleanField(help_text="Le délai court-il aujourd'hui ?")
    paused_reason = serializers.CharField(
        allow_null=True,
        help_text="Pourquoi le délai ne court pas, avec la date depuis laquelle ; null s'il court.",
    )
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(FLAGS)),
        help_text="Signaux du délai (noms du moteur de délais) : overdue, silent_acceptance, "
        "abandoned, inactive, no_answer_10, no_answer_20, no_answer_30, decided.",
    )


class ApplicationClockApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Le délai légal de la candidature",
        description="L'échéance de la décision, les jours restants, si le délai court et sinon "
        "pourquoi, et ses signaux (R-CLK-2 … R-CLK-9), calculés ce jour depuis le journal des "
        "transitions. Pour le candidat et l'agence.",
        responses=ClockSerializer,
    )
    def get(self, request, pk):
        clock = shown_clock(get_application(request.user, pk))
        return Response(
            ClockSerializer(
                {
                    "deadline": clock.deadline,
                    "days_left": clock.days_left,
                    "running": clock.running,
                    "paused_reason": clock.paused_reason,
                    "flags": sorted(clock.flags),
                }
            ).data
        )
