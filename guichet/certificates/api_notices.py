"""API of the formal notices of a certificate and the holder's answers (R-CRT-5, issue 22 §2):
the agency and the holding organisation read each notice, what it asks, by when, and its
answers with their files; a member of the holding organisation answers an open notice with a
text and files (multipart/form-data, one request: every file is kept with the answer, or none).
Anyone else finds nothing (404)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.applications.clock import legal_today
from guichet.certificates import notice_answers
from guichet.certificates.api_agency import certificate_for
from guichet.certificates.models import NoticeKind
from guichet.common.schema import problems
from guichet.files.api import StreamedUploadMixin


class AnswerFileSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.CharField(help_text="Téléchargement (titulaire et agence).")


class FormalNoticeAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    answered_on = serializers.DateField()
    files = AnswerFileSerializer(many=True)


class FormalNoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=NoticeKind.choices)
    kind_label = serializers.CharField()
    text = serializers.CharField(help_text="Les non-conformités ou faits relevés par l'agence.")
    issued_on = serializers.DateField()
    deadline = serializers.DateField(help_text="Échéance (six mois au plus, CSP R. 1470-9).")
    suspends = serializers.BooleanField(help_text="Certificat suspendu jusqu'à correction.")
    open = serializers.BooleanField(help_text="En cours : l'agence n'a pas encore statué.")
    what_to_do = serializers.CharField(
        help_text="Ce que le titulaire doit faire, et avant quand (vide une fois close)."
    )
    closed_on = serializers.DateField(allow_null=True)
    fixed = serializers.BooleanField(
        allow_null=True,
        help_text="Close comme corrigée (true), non corrigée (false) ; null en cours.",
    )
    outcome = serializers.CharField(help_text="Suite donnée par l'agence.")
    answers = FormalNoticeAnswerSerializer(many=True, help_text="Les réponses du titulaire.")


def notice_data(certificate, notice, today) -> dict:
    return {
        "id": notice.pk,
        "kind": notice.kind,
        "kind_label": notice.get_kind_display(),
        "text": notice.text,
        "issued_on": notice.issued_on,
        "deadline": notice.deadline,
        "suspends": notice.suspends,
        "open": notice.closed_on is None,
        "what_to_do": notice_answers.what_to_do(notice, today=today),
        "closed_on": notice.closed_on,
        "fixed": notice.fixed,
        "outcome": notice.outcome,
        "answers": [
            {
                "id": answer.pk,
                "text": answer.text,
                "answered_on": answer.answered_on,
                "files": [
                    {
                        "id": str(f.file_id),
                        "name": f.file.original_name,
                        "size": f.file.size,
                        "sha256": f.file.sha256,
                        "url": reverse(
                            "applications:file", args=[certificate.application_id, f.file_id]
                        ),
                    }
                    for f in answer.files.all()
                ],
            }
            for answer in notice.answers.all()
        ],
    }


class FormalNoticeListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Les mises en demeure d'un certificat et les réponses du titulaire",
        description="Chaque mise en demeure (CSP R. 1470-9, convention art. 15), la plus récente "
        "d'abord : ce qu'elle demande et avant quand, les réponses du titulaire avec leurs "
        "pièces jointes, la suite donnée. L'agence voit tout certificat ; un membre de "
        "l'organisation titulaire, les siens ; 404 sinon.",
        responses={200: FormalNoticeSerializer(many=True), **problems(404)},
    )
    def get(self, request, number):
        certificate = certificate_for(request.user, number)
        today = legal_today()
        return Response(
            [notice_data(certificate, n, today) for n in notice_answers.notices_of(certificate)]
        )


class NoticeAnswerInputSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=notice_answers.TEXT_LIMIT,
        help_text="Les mesures correctrices prises, ou les observations du titulaire.",
    )
    files = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="Pièces jointes (0 ou plus)."
    )


class FormalNoticeAnswerApi(StreamedUploadMixin, APIView):
    permission_classes = [IsAuthenticated]

    def upload_access(self, request, **kwargs) -> bool:
        certificate = certificate_for(request.user, kwargs["number"])
        self.notice = notice_answers.answer_access(
            by=request.user, certificate=certificate, notice_id=kwargs["notice"]
        )
        self.certificate = certificate
        return False

    @extend_schema(
        summary="Répondre à une mise en demeure",
        description="Par un membre de l'organisation titulaire, tant que la mise en demeure est "
        "en cours (issue 22 §2) : multipart/form-data, `text` (obligatoire) et `files` (pièces "
        "jointes, facultatives). L'agence en est informée ; plusieurs réponses peuvent se "
        "suivre jusqu'à ce qu'elle close la mise en demeure ou retire le certificat. 403 pour "
        "l'agence, 409 une fois la mise en demeure close.",
        request={"multipart/form-data": NoticeAnswerInputSerializer},
        responses={201: FormalNoticeSerializer, **problems(400, 403, 404, 409, 413)},
    )
    def post(self, request, number, notice):
        uploads = self.streamed_uploads(request, "files", required=False)
        values = self.form_values(request, NoticeAnswerInputSerializer)
        notice_answers.answer_formal_notice(
            by=request.user,
            certificate=self.certificate,
            notice_id=self.notice.pk,
            text=values["text"],
            uploads=uploads,
        )
        found = next(n for n in notice_answers.notices_of(self.certificate) if n.pk == notice)
        return Response(notice_data(self.certificate, found, legal_today()), status=201)
