"""API of the instruction's assignment, queue and verdicts (R-CLK-1, R-CLK-9, R-EVD-2)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.applications.selectors import get_application
from guichet.common.api import (
    Pagination,
    StrictCharField,
    StrictIntegerField,
    refuse_empty_filters,
)
from guichet.common.schema import problems
from guichet.instruction import assignment, queue, verdicts
from guichet.instruction.models import ProofOpinion

# --- shapes ----------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.CharField()
    name = serializers.CharField(help_text="Prénom et nom, ou l'adresse s'ils manquent.")


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "email": user.email, "name": user.get_full_name() or user.email}


class QueueRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    product = serializers.CharField(help_text="Produit et version certifiée.")
    company = serializers.CharField(help_text="Raison sociale de l'organisation candidate.")
    referential = serializers.CharField(help_text="Référentiel et version, ex. « DMN V1.2.2 ».")
    pathway = serializers.CharField(help_text="Code de la démarche.")
    state = serializers.CharField(
        help_text="État de la candidature : "
        + ", ".join(s.value for s in queue.QUEUE_STATES)
        + " ; filtrée sur « inactive », aussi "
        + ", ".join(s.value for s in queue.BEFORE_COMPLETE_STATES)
        + " (R-CLK-6 : sans évolution depuis 6 mois avant le dossier complet)."
    )
    state_label = serializers.CharField()
    lead_instructor = PersonSerializer(allow_null=True)
    complete_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Date où le dossier est devenu complet ; null pour un dossier pas encore "
        "complet (filtre « inactive »).",
    )
    deadline = serializers.DateField(
        allow_null=True, help_text="Échéance légale de décision (AAAA-MM-JJ)."
    )
    days_left = serializers.IntegerField(
        allow_null=True, help_text="Jours restants jusqu'à l'échéance ; négatif une fois dépassée."
    )
    running = serializers.BooleanField(help_text="Le délai court (faux s'il est suspendu).")
    paused_reason = serializers.CharField(
        allow_null=True, help_text="Pourquoi le délai est suspendu, depuis quand."
    )
    flags = serializers.ListField(
        child=serializers.CharField(),
        help_text="Signaux du délai : overdue, no_answer_10, no_answer_20, no_answer_30, "
        "abandoned, silent_acceptance, inactive, decided.",
    )


def queue_row_data(row: queue.QueueRow) -> dict:
    a, clock = row.application, row.clock
    return {
        "id": a.pk,
        "reference": a.reference,
        "product": f"{a.product.name} {a.product_version}",
        "company": a.organisation.name,
        "referential": a.referential_version.label,
        "pathway": a.pathway.code,
        "state": a.status,
        "state_label": a.get_status_display(),
        "lead_instructor": _person(a.lead_instructor),
        "complete_at": a.evidence_complete_at,
        "deadline": clock.deadline,
        "days_left": clock.days_left,
        "running": clock.running,
        "paused_reason": clock.paused_reason,
        "flags": row.flags,
    }


class AssignmentInputSerializer(serializers.Serializer):
    lead = StrictIntegerField(help_text="Identifiant de l'instructeur référent.")
    others = serializers.ListField(
        child=StrictIntegerField(),
        required=False,
        default=list,
        max_length=50,
        help_text="Identifiants des autres instructeurs (facultatif).",
    )
    reason = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=verdicts.COMMENT_MAX_LENGTH,
        help_text="Motif ; obligatoire pour une réattribution.",
    )


class AssignmentSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="L'état de la candidature après l'attribution.")
    lead_instructor = PersonSerializer()
    instructors = PersonSerializer(many=True, help_text="L'équipe, référent compris.")


class ProofVerdictInputSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=ProofOpinion.choices,
        help_text="conforme | non_conforme | a_preciser",
        error_messages={
            "invalid_choice": "Avis inconnu « {input} » : « conforme », « non_conforme » ou "
            "« a_preciser »."
        },
    )
    comment = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=verdicts.COMMENT_MAX_LENGTH,
        help_text="Commentaire au candidat ; obligatoire sauf pour « conforme ».",
    )


class ProofVerdictSerializer(serializers.Serializer):
    proof = serializers.IntegerField()
    verdict = serializers.ChoiceField(choices=ProofOpinion.choices)
    label = serializers.CharField()
    comment = serializers.CharField(allow_blank=True)
    by = serializers.CharField(help_text="Adresse électronique de l'instructeur.")
    at = serializers.DateTimeField()
    files = serializers.ListField(
        child=serializers.CharField(), help_text="Les fichiers de la preuve que l'avis examine."
    )


# --- views -----------------------------------------------------------------------------------


class IsAgency(BasePermission):
    message = "Réservé à l'agence."

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.is_agency)


QUEUE_PARAMETERS = [
    OpenApiParameter(
        "referential", OpenApiTypes.STR, description="Code du référentiel, ex. DMN ou TLC."
    ),
    OpenApiParameter(
        "pathway", OpenApiTypes.STR, description="Code de la démarche, ex. nom_de_marque."
    ),
    OpenApiParameter(
        "state",
        OpenApiTypes.STR,
        enum=[s.value for s in queue.QUEUE_STATES],
        description="État de la candidature.",
    ),
    OpenApiParameter(
        "assignee",
        OpenApiTypes.STR,
        description="« none » : non attribuée ; « me » : les miennes ; sinon l'identifiant "
        "d'un instructeur.",
    ),
    OpenApiParameter(
        "flag", OpenApiTypes.STR, enum=list(queue.FLAGS), description="Signal du délai."
    ),
]


class QueueApi(APIView):
    permission_classes = [IsAgency]
    pagination_class = Pagination

    @extend_schema(
        summary="La file d'instruction",
        description="Les dossiers complets et en instruction, dans l'ordre où leur dossier est "
        "devenu complet (R-CLK-1), chacun avec son échéance, ses jours restants et le motif "
        "quand le délai est suspendu (R-CLK-9). Filtres facultatifs ; une valeur inconnue est "
        "refusée (400).",
        parameters=QUEUE_PARAMETERS,
        responses=QueueRowSerializer(many=True),
    )
    def get(self, request):
        refuse_empty_filters(request.query_params, [p.name for p in QUEUE_PARAMETERS])
        filters, errors = queue.clean_filters(
            request.query_params, queue.filter_choices(request.user)
        )
        if errors:
            raise serializers.ValidationError(errors)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            queue.instruction_queue(request.user, **filters), request, view=self
        )
        return paginator.get_paginated_response(
            [queue_row_data(row) for row in queue.queue_rows(page)]
        )


class AssignmentApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Attribuer ou réattribuer l'instruction",
        description="Dossier complet : l'attribue et le fait passer en instruction ; dossier en "
        "instruction : change l'équipe, avec un motif (journalisé). Seuls des instructeurs "
        "actifs sont attribués ; l'instructeur référent est prévenu par courriel (R-CLK-1).",
        request=AssignmentInputSerializer,
        responses={200: AssignmentSerializer, **problems(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        application = get_application(request.user, pk)
        data = AssignmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = assignment.assign(application, by=request.user, **data.validated_data)
        return Response(
            {
                "status": application.status,
                "lead_instructor": _person(application.lead_instructor),
                "instructors": [
                    _person(u) for u in application.instructors.order_by("last_name", "email")
                ],
            }
        )


class ProofVerdictApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Donner un avis sur une preuve",
        description="Instructeur attribué à la candidature en instruction : « conforme », "
        "« non_conforme » ou « a_preciser » (commentaire obligatoire sauf pour « conforme »). "
        "Le dernier avis compte, les précédents restent dans l'historique (R-EVD-2) ; 201 quand "
        "l'avis est enregistré, 200 quand il est celui déjà donné.",
        request=ProofVerdictInputSerializer,
        responses={
            201: ProofVerdictSerializer,
            200: ProofVerdictSerializer,
            **problems(400, 403, 404, 409),
        },
    )
    def post(self, request, pk, proof):
        application = get_application(request.user, pk)
        data = ProofVerdictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        added = verdicts.set_proof_verdicts(
            application,
            by=request.user,
            opinions={proof: (data.validated_data["verdict"], data.validated_data["comment"])},
        )
        latest = verdicts.latest_proof_verdicts(application)[proof]
        # 200: the same verdict as the latest, not repeated.
        return Response(
            {"proof": proof, **verdicts.verdict_data(latest)},
            status=status.HTTP_201_CREATED if added else status.HTTP_200_OK,
        )
