"""API of public verification (R-CRT-9): `GET certificates/{number}` and
`GET certificates/{number}.pdf`, no account needed, rate-limited per client IP (429)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.certificates import verification as selectors
from guichet.certificates.models import Kind, RevisionKind, Status, WithdrawalGround
from guichet.certificates.ratelimits import LookupThrottle
from guichet.certificates.standing import STATES
from guichet.common.api import FileResponseNegotiation, problem_response
from guichet.common.schema import problems
from guichet.files.api import download_response


def unknown_detail(number: str) -> str:
    return (
        f"Aucun certificat de conformité ne porte le numéro « {number[:64]} » : vérifiez le "
        "numéro (il s'écrit comme CC-DMN-2027-0001) ou cherchez le produit dans le registre "
        "public (GET /api/v1/register/)."
    )


class VerificationModuleSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()


class VerificationProfileSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField(help_text="Nom du profil dans le guide.")


class VerificationRevisionSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="Numéro de révision (1 : la délivrance).")
    kind = serializers.ChoiceField(choices=RevisionKind.choices)
    kind_label = serializers.CharField()
    date = serializers.DateField(help_text="Date du changement.")
    reason = serializers.CharField(help_text="Motif du changement (vide à la délivrance).")
    status = serializers.ChoiceField(choices=Status.choices, help_text="État après ce changement.")
    status_label = serializers.CharField()
    pdf_sha256 = serializers.CharField(
        allow_null=True, help_text="Empreinte SHA-256 du PDF scellé de cette révision."
    )


class VerificationReservationSerializer(serializers.Serializer):
    text = serializers.CharField()
    deadline = serializers.DateField()
    status = serializers.ChoiceField(choices=["pending", "lifted", "failed"])
    status_label = serializers.CharField()
    lifted_on = serializers.DateField(allow_null=True)
    failed_on = serializers.DateField(allow_null=True)


class CertificateVerificationSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    kind_label = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField(help_text="Valide, Suspendu, Retiré ou Expiré.")
    status_since = serializers.DateField(allow_null=True, help_text="Date de l'état actuel.")
    status_reason = serializers.CharField(help_text="Motif de l'état (suspension, retrait…).")
    status_summary = serializers.CharField(
        help_text="L'état en une phrase, avec ses dates : « Valide jusqu'au 3 mars 2032. », "
        "« Suspendu depuis le 1er juin 2027. », « Retiré le 1er juillet 2027, avec effet "
        "immédiat — <fondement>. », « Expiré le 4 mars 2032. »…"
    )
    state = serializers.ChoiceField(
        choices=STATES,
        help_text="L'état affiché : celui de `status`, ou « withdrawal_notified » (retrait "
        "notifié) avant la date d'effet d'un retrait notifié.",
    )
    state_label = serializers.CharField(help_text="Son libellé (« Retrait notifié »…).")
    withdrawal_ground = serializers.ChoiceField(
        choices=[("", ""), *WithdrawalGround.choices], help_text="Fondement d'un retrait."
    )
    withdrawal_ground_label = serializers.CharField()
    withdrawal_notified_on = serializers.DateField(
        allow_null=True, help_text="Retrait : la date où il a été décidé et notifié."
    )
    withdrawal_effective_on = serializers.DateField(
        allow_null=True,
        help_text="Retrait : la date où il a pris effet, ou, notifié à effet différé, celle où "
        "il prendra effet.",
    )
    product = serializers.CharField()
    product_version = serializers.CharField()
    modules = VerificationModuleSerializer(many=True)
    referential = serializers.CharField(help_text="Code du référentiel (DMN, TLC).")
    referential_name = serializers.CharField()
    referential_version = serializers.CharField()
    profiles = VerificationProfileSerializer(many=True)
    pathway = serializers.CharField(help_text="Démarche de la candidature.")
    company = serializers.CharField(help_text="Titulaire du certificat.")
    company_id = serializers.CharField(help_text="SIREN ou numéro de TVA du titulaire.")
    issued_on = serializers.DateField()
    term_start = serializers.DateField(help_text="Début de la période de validité en cours.")
    valid_until = serializers.DateField(
        help_text="Dernier jour de validité : la fin de la période de validité en cours ; la "
        "veille de la prise d'effet d'un retrait notifié ; pour un certificat retiré ou expiré, "
        "le dernier jour où il était valable (jamais une date à venir)."
    )
    next_check = serializers.DateField(
        allow_null=True, help_text="Prochain contrôle, s'il y a (aucun, retiré ou expiré)."
    )
    reservations = serializers.ListField(child=serializers.CharField())
    reservation_details = VerificationReservationSerializer(
        many=True,
        help_text="Les réserves d'une attribution sous réserve (R-DEC-2), chacune avec son "
        "échéance et son état (à lever, levée, non levée).",
    )
    revision = serializers.IntegerField(help_text="Révision en vigueur.")
    pdf_ready = serializers.BooleanField(
        help_text="Faux tant que le PDF de la révision en vigueur est en préparation."
    )
    pdf_sha256 = serializers.CharField(
        allow_null=True, help_text="Empreinte SHA-256 du PDF de la révision en vigueur."
    )
    pdf_url = serializers.URLField(allow_null=True)
    verification_url = serializers.URLField(help_text="Page publique de vérification.")
    register_url = serializers.URLField()
    revisions = VerificationRevisionSerializer(
        many=True, help_text="Historique complet, de la délivrance."
    )


PUBLIC = (
    " Public, sans compte. Les consultations sont limitées par adresse IP (429, en-tête "
    "Retry-After)."
)


class CertificateApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LookupThrottle]

    @extend_schema(
        operation_id="certificate_verify",
        summary="Vérifier un certificat de conformité",
        description="L'état du certificat (valide, suspendu, retiré, expiré) avec sa date et "
        "son motif, ce qu'il atteste, son historique de révisions et l'empreinte SHA-256 du "
        "PDF scellé de chaque révision, pour vérifier une copie (R-CRT-9). Numéro inconnu : "
        "404. Chaque réponse porte un ETag : avec If-None-Match, 304 tant que le certificat n'a "
        "pas changé." + PUBLIC,
        responses={
            200: CertificateVerificationSerializer,
            304: OpenApiResponse(description="Inchangé depuis la réponse de cet ETag."),
            **problems(404, 429),
        },
    )
    def get(self, request, number):
        certificate = selectors.find_certificate(number)
        if certificate is None:
            return problem_response(404, unknown_detail(number))
        # Kept per revision, with its ETag (issue 24 §1): see verification.answer_etag.
        etag = selectors.answer_etag(certificate, "api")
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if selectors.etag_matches(request, etag):
            return Response(status=304, headers=headers)
        return Response(selectors.kept_public_data(certificate, etag), headers=headers)


class CertificatePdfApi(FileResponseNegotiation, APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LookupThrottle]

    @extend_schema(
        operation_id="certificate_pdf",
        summary="Le PDF scellé d'un certificat",
        description="Le PDF de la révision en vigueur, scellé par l'agence (signature PAdES) ; "
        "son empreinte SHA-256 est dans l'en-tête X-Content-SHA256 et dans la vérification du "
        "certificat. Numéro inconnu, ou PDF encore en préparation : 404. Fichier qui ne "
        "correspond plus à son dépôt : 409." + PUBLIC,
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="Le PDF scellé du certificat."
            ),
            **problems(404, 409, 429),
        },
    )
    def get(self, request, number):
        certificate = selectors.find_certificate(number)
        if certificate is None:
            return problem_response(404, unknown_detail(number))
        if certificate.pdf_id is None:
            return problem_response(
                404,
                f"Le PDF du certificat {certificate.number} (révision {certificate.revision}) "
                "est en préparation : réessayez dans quelques instants.",
            )
        response = download_response(certificate.pdf)
        response["Content-Disposition"] = f'attachment; filename="{certificate.number}.pdf"'
        return response
