"""API of the collège technique (R-DEC-1 … R-DEC-3): its sessions and decisions for the agency
(an applicant finds nothing there: 404), and an application's decision and letter for its
applicant and the agency."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.applications.selectors import get_application
from guichet.committee import selectors, services
from guichet.committee.serializers import (
    CommitteeDecisionInputSerializer,
    CommitteeDecisionSerializer,
    SessionDetailSerializer,
    SessionInputSerializer,
    SessionSerializer,
    decision_data,
)
from guichet.common.api import FileResponseNegotiation, Pagination
from guichet.common.errors import ApplicationError
from guichet.common.links import absolute_reverse
from guichet.common.schema import problems
from guichet.files.api import download_response

AGENCY_ONLY = (
    " Réservé à l'agence : un candidat n'y trouve rien (404) ; créer une séance ou décider revient "
    "aux membres du collège et à l'administrateur de l'agence (403 pour les autres agents)."
)


class AgencyArea(BasePermission):
    """Agents only: anyone else signed in finds nothing (404). A method that no operation
    takes is a 405 for everyone, as the schema says (issue 20 §1)."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False  # 401
        if not hasattr(view, request.method.lower()):
            return True  # DRF's 405
        if not selectors.may_view(request.user):
            raise NotFound
        return True


def _manager(request) -> None:
    refusal = selectors.manage_refusal(request.user)
    if refusal:
        raise ApplicationError(refusal, extra={"status": 403})


def _members(session) -> list[dict]:
    return [
        {"id": m.pk, "name": m.name, "body": m.body, "user": m.user_id, "present": m.present}
        for m in session.members.all()
    ]


def _session_data(session) -> dict:
    return {
        "id": session.pk,
        "date": session.date,
        "status": session.status,
        "notes": session.notes,
        "members": _members(session),
        "agenda_count": session.agenda_count,
        "decision_count": session.decision_count,
    }


def _agenda_row(row: selectors.AgendaRow) -> dict:
    a = row.application
    return {
        "application": a.pk,
        "reference": a.reference,
        "product": f"{a.product.name} {a.product_version}",
        "company": a.organisation.name,
        "referential": a.referential_version.label,
        "state": a.status,
        "state_label": "Acceptée tacitement" if row.silent else a.get_status_display(),
        "position": row.item.position,
        "complete_at": a.evidence_complete_at,
        "moved_to": row.item.moved_to.date if row.item.moved_to_id else None,
        "moved_reason": row.item.moved_reason,
        "verdicts": {
            "total": row.summary.total,
            "conforme": row.summary.conforme,
            "non_conforme": row.summary.non_conforme,
            "a_preciser": row.summary.a_preciser,
            "missing": row.summary.missing,
        },
        "deadline": row.clock.deadline,
        "days_left": row.clock.days_left,
        "convention_signed": row.convention.is_signed if row.convention else None,
        "decision": decision_data(row.decision, agency=True) if row.decision else None,
        "outcomes": {value: why for value, _, why in row.outcomes},
    }


class SessionListApi(APIView):
    permission_classes = [AgencyArea]
    pagination_class = Pagination

    @extend_schema(
        operation_id="committee_sessions_list",
        summary="Les séances du collège technique",
        description="Les séances, de la plus récente à la plus ancienne, avec leurs membres "
        "(R-DEC-1)." + AGENCY_ONLY,
        responses={200: SessionSerializer(many=True), **problems(404)},
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.sessions().prefetch_related("members").order_by("-date"),
            request,
            view=self,
        )
        return paginator.get_paginated_response([_session_data(s) for s in page])

    @extend_schema(
        operation_id="committee_sessions_create",
        summary="Prévoir une séance du collège",
        description="Une séance à une date à venir (unique), avec ses membres : des agents "
        "(`user`) et des partenaires (`name`, `body` : cnda, sesam_vitale, cnam, has). Une "
        "date qui a déjà sa séance : 409, dont le problème porte `session` (son identifiant) et "
        "`session_url` (son adresse)." + AGENCY_ONLY,
        request=SessionInputSerializer,
        responses={201: SessionSerializer, **problems(400, 403, 404, 409)},
    )
    def post(self, request):
        _manager(request)
        data = SessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            session = services.create_session(by=request.user, **data.validated_data)
        except ApplicationError as exc:
            if "session" in exc.extra:  # one session a day: where the existing one is
                exc.extra["session_url"] = absolute_reverse(
                    "api:committee-session", exc.extra["session"]
                )
            raise
        session = selectors.sessions().prefetch_related("members").get(pk=session.pk)
        return Response(_session_data(session), status=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    permission_classes = [AgencyArea]

    @extend_schema(
        operation_id="committee_session_retrieve",
        summary="Une séance du collège et son ordre du jour",
        description="Ses membres et son ordre du jour : pour chaque dossier, les avis sur ses "
        "preuves, son délai, sa convention, sa décision et les décisions possibles avec pourquoi "
        "pas encore (R-DEC-1, R-DEC-2) ; les dossiers acceptés tacitement (R-CLK-7) sont "
        "signalés." + AGENCY_ONLY,
        responses={200: SessionDetailSerializer, **problems(404)},
    )
    def get(self, request, pk):
        session = selectors.get_session(request.user, pk)
        session = selectors.sessions().prefetch_related("members").get(pk=session.pk)
        rows = selectors.agenda_rows(session, timezone.localdate())
        members = list(session.members.all())
        return Response(
            {
                **_session_data(session),
                "agenda": [_agenda_row(row) for row in rows],
                "warnings": selectors.session_warnings(
                    members, [r.application for r in rows if r.item.moved_to_id is None]
                ),
            }
        )


class SessionDecisionApi(APIView):
    permission_classes = [AgencyArea]

    @extend_schema(
        summary="Enregistrer (et arrêter) une décision",
        description="La décision du collège sur un dossier de l'ordre du jour : « granted » "
        "seulement si chaque preuve applicable est conforme (R-DEC-2) et, en TLC, la convention "
        "signée ; « granted_with_reservations » si la version le prévoit (TLC), avec ses "
        "réserves ; « refused » avec ses motifs. Un dossier accepté tacitement reçoit une "
        "attribution datée du terme du délai (R-CLK-7). Enregistrée, elle se corrige ; "
        "`sign_off` l'arrête : définitive, la lettre est alors scellée et envoyée (R-DEC-3). "
        "409 avec la raison d'un refus." + AGENCY_ONLY,
        request=CommitteeDecisionInputSerializer,
        responses={
            201: CommitteeDecisionSerializer,
            200: CommitteeDecisionSerializer,
            **problems(400, 403, 404, 409),
        },
    )
    def post(self, request, pk):
        session = selectors.get_session(request.user, pk)
        _manager(request)
        data = CommitteeDecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        sign = values.pop("sign_off")
        application = get_application(request.user, values.pop("application"))
        existing = selectors.open_decision(application)
        decision = services.record_decision(
            by=request.user, session=session, application=application, **values
        )
        if sign:
            decision = services.sign_off(decision, by=request.user)
        return Response(
            decision_data(decision, agency=True),
            status=status.HTTP_200_OK if existing else status.HTTP_201_CREATED,
        )


class ApplicationDecisionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="La décision sur la candidature",
        description="La dernière décision arrêtée du collège (une décision sur recours suit "
        "celle qu'elle nomme) ; 404 tant qu'aucune ne l'est. Le candidat ne voit ni le vote ni "
        "les membres présents (R-DEC-3).",
        responses={200: CommitteeDecisionSerializer, **problems(404)},
    )
    def get(self, request, pk):
        application = get_application(request.user, pk)
        decision = selectors.latest_decision(application)
        decision.application = application
        return Response(decision_data(decision, agency=request.user.is_agency))


class ApplicationDecisionLetterApi(FileResponseNegotiation, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="La lettre de décision (PDF)",
        description="La lettre de la dernière décision arrêtée, scellée par l'agence (PAdES) "
        "(R-DEC-3) ; 404 tant qu'aucune décision n'est arrêtée, 409 tant que la lettre est en "
        "préparation.",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="Le PDF scellé de la lettre."
            ),
            **problems(404, 409),
        },
    )
    def get(self, request, pk):
        application = get_application(request.user, pk)
        decision = selectors.latest_decision(application)
        if decision.letter is None:
            raise ApplicationError(
                "La lettre de décision est en préparation : elle est disponible dans quelques "
                "instants.",
                extra={"status": 409},
            )
        return download_response(decision.letter, by=request.user, application=application)
