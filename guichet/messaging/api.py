"""The messaging API (R-MSG-1): an application's thread, its read marks, a person's
notifications. A message is created in JSON, or with its files in one multipart request whose
writer is known before the body is read (issue 10 §1)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.applications.selectors import get_application
from guichet.common.api import JSONParser, Pagination, refuse_empty_filters
from guichet.common.errors import ApplicationError
from guichet.common.schema import problems
from guichet.files.api import StreamedUploadMixin
from guichet.files.services import describe
from guichet.messaging import selectors, services
from guichet.messaging.serializers import (
    MessageInputSerializer,
    MessageSerializer,
    MessageUploadSerializer,
    NotificationSerializer,
    NotificationsReadSerializer,
    ReadMarkSerializer,
)

TRUE, FALSE = {"true", "1", "on"}, {"false", "0", "off", ""}


def message_payload(message, *, user, read_upto: int) -> dict:
    author = message.author
    return {
        "id": message.pk,
        "author": author.email,
        "author_name": author.get_full_name() or author.email,
        "from_agency": author.is_agency,
        "internal": message.internal,
        "body": message.body,
        "created_at": message.created_at,
        "unread": message.pk > read_upto and message.author_id != user.pk,
        "files": [
            describe(
                f.file,
                url=reverse("applications:file", args=[message.application_id, f.file_id]),
            )
            for f in message.files.all()
        ],
    }


def _flag(value, *, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ApplicationError(
        f"« {text[:20]} » n'est pas un booléen : indiquez true ou false.",
        field=field,
        extra={"status": 400},
    )


class MessageListApi(StreamedUploadMixin, APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser]
    pagination_class = Pagination

    def upload_access(self, request, pk, **kwargs) -> bool:
        self.application = get_application(request.user, pk)
        if request.method == "POST":
            services.require_writer(request.user, self.application)
        return False  # the files of a message are not sensitive proofs

    @extend_schema(
        summary="Le fil de messages de la candidature",
        description="Liste paginée, du plus ancien au plus récent (R-MSG-1) : les messages "
        "entre le candidat et l'agence et, pour les agents de l'agence seulement, ses notes "
        "internes. `unread` : pas encore lu par vous ; marquez la lecture par POST "
        "…/messages/{mid}/read.",
        responses=MessageSerializer(many=True),
    )
    def get(self, request, pk):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.thread(request.user, self.application), request, view=self
        )
        read = selectors.last_read_id(request.user, self.application)
        return paginator.get_paginated_response(
            [message_payload(m, user=request.user, read_upto=read) for m in page]
        )

    @extend_schema(
        summary="Écrire un message",
        description="Par un membre de l'organisation candidate ou un agent de l'agence. JSON : "
        "`body` (obligatoire), `internal` (note interne, agence seulement : 403 sinon). Avec "
        "des pièces jointes : un envoi multipart/form-data avec `body`, `internal` et `file` "
        "(un ou plusieurs ; types reconnus d'après le contenu) — tous les fichiers sont "
        "joints, ou aucun. L'autre partie est prévenue (courriel envoyé après l'enregistrement) ; "
        "une note interne ne l'est jamais au candidat.",
        request={
            "application/json": MessageInputSerializer,
            "multipart/form-data": MessageUploadSerializer,
        },
        responses={201: MessageSerializer, **problems(400, 403, 404, 413)},
    )
    def post(self, request, pk):
        if request.content_type.startswith("multipart/form-data"):
            uploads = self.streamed_uploads(request, required=False)
            values = self.form_values(request, MessageUploadSerializer)
            body, internal = values["body"], values.get("internal", False)
        else:
            data = MessageInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            body, internal = data.validated_data["body"], data.validated_data["internal"]
            uploads = []
        message = services.post_message(
            by=request.user,
            application=self.application,
            body=body,
            internal=internal,
            uploads=uploads,
        )
        created = selectors.thread(request.user, self.application).get(pk=message.pk)
        return Response(
            message_payload(created, user=request.user, read_upto=message.pk),
            status=status.HTTP_201_CREATED,
        )


class MessageReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Marquer le fil comme lu",
        description="Le fil est lu jusqu'à ce message inclus (la marque n'avance que vers les "
        "messages plus récents). Un message que vous ne pouvez pas lire : 404.",
        request=None,
        responses={200: ReadMarkSerializer, **problems(404)},
    )
    def post(self, request, pk, mid):
        application = get_application(request.user, pk)
        services.mark_read(by=request.user, application=application, upto=mid)
        read = selectors.last_read_id(request.user, application)
        unread = (
            selectors.visible_messages(request.user, application.pk)
            .exclude(author_id=request.user.pk)
            .filter(pk__gt=read)
            .count()
        )
        return Response({"last_read_id": read, "unread": unread})


UNREAD_PARAMETER = OpenApiParameter(
    "unread",
    str,
    enum=["0", "1", "true", "false"],
    required=False,
    description="« 1 » : les notifications non lues seulement.",
)


class NotificationListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    @extend_schema(
        summary="Mes notifications",
        description="Les notifications de la personne connectée, les plus récentes d'abord, "
        "paginées ; `?unread=1` : les non lues seulement.",
        parameters=[UNREAD_PARAMETER],
        responses=NotificationSerializer(many=True),
    )
    def get(self, request):
        refuse_empty_filters(request.query_params, ("unread",))
        unread_only = _flag(request.query_params.get("unread", ""), field="unread")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.notifications_of(request.user, unread_only=unread_only), request, view=self
        )
        return paginator.get_paginated_response(
            [
                {
                    "id": n.pk,
                    "kind": n.kind,
                    "title": n.title,
                    "body": n.body,
                    "url": n.url,
                    "application": n.application_id,
                    "created_at": n.created_at,
                    "read_at": n.read_at,
                }
                for n in page
            ]
        )


class NotificationsReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Tout marquer comme lu",
        description="Marque comme lues toutes les notifications de la personne connectée.",
        request=None,
        responses={200: NotificationsReadSerializer},
    )
    def post(self, request):
        return Response({"marked": services.mark_all_notifications_read(by=request.user)})
