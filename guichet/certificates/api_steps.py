"""API: the steps after the certificate that its referential version lists (R-CRT-7), declared
by the holder or the agency with their day, as on the certificate's pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.certificates.api_agency import CertificateStateSerializer, certificate_for, state_data
from guichet.certificates.steps import record_step
from guichet.common.schema import problems


class StepInputSerializer(serializers.Serializer):
    done_on = serializers.DateField(
        help_text="Le jour de la démarche, de la délivrance du certificat à aujourd'hui."
    )


class CertificateStepApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Déclarer une étape après le certificat",
        description="Déclare l'étape `code` (voir `after_certificate_steps` de l'état du "
        "certificat ; DMN : `listing_request`, `cnedimts_dossier`) avec sa date `done_on`, une "
        "fois, pendant la validité du certificat. 409 avec la raison quand elle n'est pas "
        "possible, 400 pour une date hors de la vie du certificat.",
        request=StepInputSerializer,
        responses={200: CertificateStateSerializer, **problems(400, 404, 409)},
    )
    def post(self, request, number, code):
        certificate = certificate_for(request.user, number)
        data = StepInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record_step(certificate, code=code, done_on=data.validated_data["done_on"], by=request.user)
        certificate.refresh_from_db()
        return Response(state_data(certificate))
