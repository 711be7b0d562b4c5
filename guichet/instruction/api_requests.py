"""The API of information requests and missing items (R-CLK-3, R-CLK-5).

A request or a notice is created in JSON; its files, the agency's or the applicant's, are
added by a separate multipart call while it is open (`…/{rid}/files`, `…/{nid}/files`): the
applicant joins its files first, then answers in JSON. Files on the proofs concerned are
evidence: they go through `…/evidence/{proof}/files`, open for those proofs while the request
waits."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.applications.selectors import get_application
from guichet.applications.serializers import UploadSerializer
from guichet.common.api import Pagination
from guichet.common.schema import problems
from guichet.files.api import StreamedUploadMixin
from guichet.files.services import describe
from guichet.instruction import requests as services
from guichet.instruction.models import InformationRequest
from guichet.instruction.serializers_requests import (
    AnswerInputSerializer,
    ExchangeFileSerializer,
    InformationRequestInputSerializer,
    InformationRequestSerializer,
    MissingItemsInputSerializer,
    MissingItemsNoticeSerializer,
)


def _files(row) -> list[dict]:
    return [describe(f.file, side=f.side) for f in row.files.all()]


def _proofs(row, refs) -> list[dict]:
    return [
        {
            "id": ref.id,
            "section": ref.section.code,
            "label": ref.full_label,
            "description": ref.description,
        }
        for ref in (refs[p.pk] for p in row.proofs.all() if p.pk in refs)
    ]


def request_payload(row: InformationRequest, refs) -> dict:
    return {
        "id": row.pk,
        "number": row.number,
        "text": row.text,
        "section": row.section.code if row.section_id else None,
        "proofs": _proofs(row, refs),
        "created_by": row.created_by.email,
        "created_at": row.created_at,
        "open": row.is_open,
        "answer": row.answer,
        "answered_by": row.answered_by.email if row.answered_by_id else None,
        "answered_at": row.answered_at,
        "files": _files(row),
    }


def notice_payload(row, refs, today) -> dict:
    return {
        "id": row.pk,
        "items": row.items,
        "proofs": _proofs(row, refs),
        "due": row.due,
        "days_left": (row.due - today).days,
        "created_by": row.created_by.email,
        "created_at": row.created_at,
        "open": row.is_open,
        "answer": row.answer,
        "received_by": row.received_by.email if row.received_by_id else None,
        "received_at": row.received_at,
        "files": _files(row),
    }


def _one_request(application, pk) -> dict:
    row = services.information_requests_of(application).get(pk=pk)
    return request_payload(row, services.applicable_proofs(application))


def _one_notice(application, pk) -> dict:
    row = services.missing_items_notices_of(application).get(pk=pk)
    return notice_payload(row, services.applicable_proofs(application), timezone.localdate())


class InformationRequestListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    @extend_schema(
        summary="Les demandes d'information de la candidature",
        description="Liste paginée, dans l'ordre de leur numéro : le texte, les preuves "
        "concernées, les fichiers de chaque partie et la réponse (R-CLK-3).",
        responses=InformationRequestSerializer(many=True),
    )
    def get(self, request, pk):
        application = get_application(request.user, pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            services.information_requests_of(application).order_by("number"), request, view=self
        )
        refs = services.applicable_proofs(application)
        return paginator.get_paginated_response([request_payload(row, refs) for row in page])

    @extend_schema(
        summary="Demander des informations au candidat",
        description="Par un instructeur de la candidature, en instruction (R-CLK-3). JSON : "
        "`text` (obligatoire), `proofs` (identifiants des preuves concernées, qui rouvrent au "
        "dépôt jusqu'à la réponse), `section` (code d'une section renvoyée : toutes ses "
        "preuves). Le candidat est notifié par courriel ; DMN : le délai est suspendu jusqu'à "
        "la réponse. Les pièces jointes s'ajoutent ensuite par POST …/{rid}/files.",
        request=InformationRequestInputSerializer,
        responses={201: InformationRequestSerializer, **problems(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        application = get_application(request.user, pk)
        data = InformationRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.request_information(
            by=request.user,
            application=application,
            text=data.validated_data["text"],
            proofs=data.validated_data["proofs"],
            section=data.validated_data["section"] or None,
        )
        return Response(_one_request(application, created.pk), status=status.HTTP_201_CREATED)


class InformationRequestAnswerApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Répondre à une demande d'information",
        description="Par un membre de l'organisation candidate, tant que la demande est ouverte "
        "(R-CLK-3). JSON : `text` (obligatoire). Déposez avant les fichiers des preuves "
        "concernées (POST …/evidence/{proof}/files) et les pièces jointes (POST …/{rid}/files). "
        "La candidature repasse en instruction si rien d'autre n'est attendu.",
        request=AnswerInputSerializer,
        responses={200: InformationRequestSerializer, **problems(400, 403, 404, 409)},
    )
    def post(self, request, pk, rid):
        application = get_application(request.user, pk)
        data = AnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.answer_information(
            by=request.user,
            application=application,
            request_id=rid,
            text=data.validated_data["text"],
        )
        return Response(_one_request(application, rid))


class MissingItemsListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    @extend_schema(
        summary="Les notifications de pièces manquantes",
        description="Liste paginée, dans l'ordre de notification : les pièces, la date limite "
        "et les jours restants, la réponse (R-CLK-5).",
        responses=MissingItemsNoticeSerializer(many=True),
    )
    def get(self, request, pk):
        application = get_application(request.user, pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            services.missing_items_notices_of(application).order_by("created_at", "id"),
            request,
            view=self,
        )
        refs, today = services.applicable_proofs(application), timezone.localdate()
        return paginator.get_paginated_response([notice_payload(row, refs, today) for row in page])

    @extend_schema(
        summary="Notifier des pièces manquantes",
        description="Par un instructeur de la candidature (R-CLK-5). JSON : `items` (les pièces, "
        "au moins une), `proofs` (preuves concernées, rouvertes au dépôt), `due` (date limite : "
        "DMN au moins 10 jours après aujourd'hui, CSS R. 165-5-2 ; TLC fixée à 60 jours par la "
        "plateforme, CSP R. 1470-2 : à omettre). Notification légale envoyée par courriel ; "
        "passé la date sans les pièces, la candidature est réputée abandonnée.",
        request=MissingItemsInputSerializer,
        responses={201: MissingItemsNoticeSerializer, **problems(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        application = get_application(request.user, pk)
        data = MissingItemsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notice = services.request_missing_items(
            by=request.user,
            application=application,
            items=data.validated_data["items"],
            proofs=data.validated_data["proofs"],
            due=data.validated_data["due"],
        )
        return Response(_one_notice(application, notice.pk), status=status.HTTP_201_CREATED)


class MissingItemsAnswerApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Envoyer les pièces manquantes",
        description="Par un membre de l'organisation candidate, avant la date limite (R-CLK-5). "
        "JSON : `text` (obligatoire : ce qui est envoyé). Déposez avant les fichiers des preuves "
        "concernées et les pièces jointes (POST …/{nid}/files). DMN : le délai reprend ; TLC : "
        "le délai de décision repart de ce jour.",
        request=AnswerInputSerializer,
        responses={200: MissingItemsNoticeSerializer, **problems(400, 403, 404, 409)},
    )
    def post(self, request, pk, nid):
        application = get_application(request.user, pk)
        data = AnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.provide_missing_items(
            by=request.user,
            application=application,
            notice_id=nid,
            text=data.validated_data["text"],
        )
        return Response(_one_notice(application, nid))


class _ExchangeFilesApi(StreamedUploadMixin, APIView):
    permission_classes = [IsAuthenticated]
    key = ""

    def upload_access(self, request, pk, **kwargs) -> bool:
        self.application = get_application(request.user, pk)
        services.exchange_upload_access(
            by=request.user, application=self.application, **{self.key: kwargs[self.url_arg]}
        )
        return False  # exchanged files are not sensitive proofs

    def post(self, request, pk, **kwargs):
        kept = services.add_exchange_files(
            by=request.user,
            application=self.application,
            uploads=self.streamed_uploads(request),
            **{self.key: kwargs[self.url_arg]},
        )
        return Response(
            [describe(f.file, side=f.side) for f in kept], status=status.HTTP_201_CREATED
        )


class InformationRequestFilesApi(_ExchangeFilesApi):
    """`multipart/form-data`: `file` (one or several)."""

    key, url_arg = "request_id", "rid"

    @extend_schema(
        summary="Joindre des fichiers à une demande d'information",
        description="Envoi multipart/form-data : `file` (un ou plusieurs), tant que la demande "
        "est ouverte ; par un instructeur de la candidature (pièces de l'agence) ou un membre "
        "de l'organisation candidate (pièces du candidat, avant sa réponse). Les fichiers des "
        "preuves concernées se déposent sur …/evidence/{proof}/files.",
        request={"multipart/form-data": UploadSerializer},
        responses={201: ExchangeFileSerializer(many=True), **problems(400, 403, 404, 409, 413)},
    )
    def post(self, request, pk, rid):
        return super().post(request, pk, rid=rid)


class MissingItemsFilesApi(_ExchangeFilesApi):
    """`multipart/form-data`: `file` (one or several)."""

    key, url_arg = "notice_id", "nid"

    @extend_schema(
        summary="Joindre des fichiers à une notification de pièces manquantes",
        description="Envoi multipart/form-data : `file` (un ou plusieurs), tant que les pièces "
        "sont attendues ; par un instructeur de la candidature ou un membre de l'organisation "
        "candidate (avant l'envoi des pièces).",
        request={"multipart/form-data": UploadSerializer},
        responses={201: ExchangeFileSerializer(many=True), **problems(400, 403, 404, 409, 413)},
    )
    def post(self, request, pk, nid):
        return super().post(request, pk, nid=nid)
