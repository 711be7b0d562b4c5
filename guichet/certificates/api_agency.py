"""API of the certificate's life (issue 13 §3): what the caller may do on a certificate, and
firing an act — as `POST applications/{id}/transitions/{name}` does for applications. The
agency sees every certificate; a member of the holding organisation its own; anyone else finds
nothing (404). A refusal of the workflow answers 409 with its French reason, bad data 400."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.certificates import lifecycle
from guichet.certificates.models import (
    Certificate,
    NoticeKind,
    StrikeOffGround,
    WithdrawalGround,
)
from guichet.certificates.steps import steps_of
from guichet.certificates.verification import reservations_of
from guichet.certificates.workflow import WORKFLOW
from guichet.committee.models import ReservationStatus
from guichet.common.api import (
    FormBooleanField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)
from guichet.common.errors import ApplicationError
from guichet.common.schema import problems
from guichet.files.api import StreamedUploadMixin


def certificate_for(user, number: str) -> Certificate:
    """The certificate the caller may act on: any for the agency, its own for a member of the
    holding organisation, else 404 (R-ACT-1)."""
    rows = Certificate.objects.select_related("referential_version__referential")
    if not user.is_agency:
        if not user.organisation_id:
            raise Http404
        rows = rows.filter(organisation_id=user.organisation_id)
    certificate = rows.filter(number=number).first()
    if certificate is None:
        raise ApplicationError(
            f"Aucun certificat « {number[:40]} » ne vous est accessible : vérifiez son numéro.",
            extra={"status": 404},
        )
    return certificate


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Nom de l'action, pour `transitions/{name}`.")
    label = serializers.CharField(help_text="Libellé, en français.")
    possible = serializers.BooleanField(help_text="Possible maintenant.")
    refusal = serializers.CharField(help_text="Pourquoi pas encore (vide si possible).")
    reason_required = serializers.BooleanField()
    reason_label = serializers.CharField()
    confirm = serializers.CharField(help_text="Ce que la page fait confirmer.")


class CertificateReservationSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="Rang de la réserve (1 pour la première).")
    text = serializers.CharField()
    deadline = serializers.DateField(help_text="À lever au plus tard le.")
    status = serializers.ChoiceField(choices=ReservationStatus.choices)
    status_label = serializers.CharField()
    lifted_on = serializers.DateField(allow_null=True)
    failed_on = serializers.DateField(allow_null=True)
    settled_reason = serializers.CharField(
        allow_blank=True, help_text="Ce qui l'a levée, ou le constat qu'elle ne l'est pas."
    )


class CertificateStepSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    done_on = serializers.DateField(allow_null=True, help_text="Null tant qu'elle n'est pas faite.")


class CertificateStateSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    status_changed_on = serializers.DateField(allow_null=True)
    status_reason = serializers.CharField()
    valid_until = serializers.DateField()
    renewal_stopped_on = serializers.DateField(allow_null=True)
    withdrawal_ground = serializers.CharField()
    withdrawal_effective_on = serializers.DateField(allow_null=True)
    revision = serializers.IntegerField()
    next_check = serializers.DateField(allow_null=True)
    approval_filed_on = serializers.DateField(allow_null=True)
    finess = serializers.CharField()
    approval_withdrawn_on = serializers.DateField(
        allow_null=True,
        help_text="TLC guide §7.2 : agrément supprimé, faute de renouvellement du certificat.",
    )
    after_certificate_steps = CertificateStepSerializer(
        many=True,
        help_text="R-CRT-7 : les étapes après le certificat que prévoit la version du "
        "référentiel (DMN : demande d'inscription, dossier CNEDiMTS), avec leur date.",
    )
    strike_off_requested_on = serializers.DateField(allow_null=True)
    new_certificate_due = serializers.DateField(allow_null=True)
    reservation_items = CertificateReservationSerializer(
        many=True,
        help_text="Les réserves d'une attribution sous réserve (R-DEC-2), chacune avec son rang "
        "(`reservation` de lift_reservation et fail_reservation), son échéance et son état.",
    )


def state_data(certificate: Certificate) -> dict:
    return {
        "number": certificate.number,
        "status": certificate.status,
        "status_label": certificate.get_status_display(),
        "status_changed_on": certificate.status_changed_on,
        "status_reason": certificate.status_reason,
        "valid_until": certificate.valid_until,
        "renewal_stopped_on": certificate.renewal_stopped_on,
        "withdrawal_ground": certificate.withdrawal_ground,
        "withdrawal_effective_on": certificate.withdrawal_effective_on,
        "revision": certificate.revision,
        "next_check": certificate.next_check,
        "approval_filed_on": certificate.approval_filed_on,
        "finess": certificate.finess,
        "approval_withdrawn_on": certificate.approval_withdrawn_on,
        "after_certificate_steps": [
            {
                "code": row.code,
                "label": row.label,
                "done_on": row.record.done_on if row.record else None,
            }
            for row in steps_of(certificate)
        ],
        "strike_off_requested_on": certificate.strike_off_requested_on,
        "new_certificate_due": certificate.new_certificate_due,
        "reservation_items": [
            {
                "position": r.position,
                "text": r.text,
                "deadline": r.deadline,
                "status": r.status,
                "status_label": r.status_label,
                "lifted_on": r.lifted_on,
                "failed_on": r.failed_on,
                "settled_reason": r.settled_reason,
            }
            for r in reservations_of(certificate)
        ],
    }


class CertificateActionsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Les actions possibles sur un certificat",
        description="Ce que l'appelant peut faire sur le certificat dans son état, chacune avec "
        "la raison pour laquelle elle n'est pas encore possible (issue 13 §3). L'agence voit "
        "tout certificat ; un membre de l'organisation titulaire, les siens ; 404 sinon.",
        responses={200: ActionSerializer(many=True), **problems(404)},
    )
    def get(self, request, number):
        certificate = certificate_for(request.user, number)
        return Response(
            [
                {
                    "name": t.name,
                    "label": t.label,
                    "possible": refusal is None,
                    "refusal": refusal.message if refusal else "",
                    "reason_required": t.reason_required,
                    "reason_label": t.reason_label,
                    "confirm": t.confirm,
                }
                for t, refusal in WORKFLOW.options(certificate, request.user)
                if lifecycle.applicable(certificate, t.name)
            ]
        )


class CertifiedModuleSerializer(serializers.Serializer):
    name = StrictCharField(max_length=255)
    version = StrictCharField(max_length=64, allow_blank=True, required=False, default="")


class CertificateActInputSerializer(serializers.Serializer):
    """The data of every act; each act reads its own (see the API documentation)."""

    reason = StrictCharField(
        required=False, allow_blank=True, default="", max_length=lifecycle.TEXT_MAX_LENGTH
    )
    ground = serializers.ChoiceField(
        choices=[*WithdrawalGround.choices, *StrikeOffGround.choices],
        required=False,
        help_text="withdraw : fondement du retrait ; request_strike_off : motif de la radiation.",
    )
    effective_on = serializers.DateField(
        required=False, help_text="withdraw : date d'effet (au plus six mois après aujourd'hui)."
    )
    kind = serializers.ChoiceField(choices=NoticeKind.choices, required=False)
    deadline = serializers.DateField(
        required=False,
        help_text="give_formal_notice : échéance, après aujourd'hui et au plus six mois après.",
    )
    suspend = StrictBooleanField(required=False, help_text="give_formal_notice : suspendre.")
    notice = StrictIntegerField(
        required=False, help_text="close_formal_notice : la mise en demeure."
    )
    fixed = StrictBooleanField(required=False, help_text="close_formal_notice : corrigé ou non.")
    filed_on = serializers.DateField(
        required=False,
        help_text="record_approval_filing : date du dépôt, de la délivrance du certificat à "
        "aujourd'hui (aujourd'hui par défaut).",
    )
    finess = StrictCharField(
        required=False, max_length=20, help_text="record_finess, correct_finess."
    )
    product_version = StrictCharField(required=False, max_length=64, help_text="update_version.")
    modules = CertifiedModuleSerializer(many=True, required=False, help_text="update_version.")
    reservation = StrictIntegerField(
        required=False,
        min_value=1,
        help_text="lift_reservation, fail_reservation : le rang de la réserve (1 pour la "
        "première), voir `reservation_items`.",
    )


def _refuse_here(name: str) -> None:
    spec = WORKFLOW.get(name)
    if spec.automatic:
        raise ApplicationError(
            f"« {spec.label} » ne se déclenche pas ici : la plateforme s'en charge.",
            extra={"status": 409},
        )
    if name == "notify_new_version":
        raise ApplicationError(
            "« Nouvelle version du référentiel » se notifie depuis la page de la version "
            "(Certificats concernés par la version).",
            extra={"status": 409},
        )
    if name == "record_control":
        raise ApplicationError(
            "« Enregistrer un contrôle » reçoit son rapport en multipart/form-data à l'adresse "
            "certificates/{number}/controls.",
            extra={"status": 409},
        )


class CertificateTransitionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Déclencher une action sur un certificat",
        description="Déclenche l'action `name` (voir `actions`) avec son motif `reason` et ses "
        "données : `ground` et `effective_on` (withdraw), `kind`, `deadline`, `suspend` "
        "(give_formal_notice), `notice`, `fixed` (close_formal_notice), `ground` "
        "(request_strike_off), `filed_on` (record_approval_filing), `finess` (record_finess, "
        "correct_finess : le numéro corrigé, avec son motif `reason`), "
        "`product_version`, `modules` (update_version), `reservation` (lift_reservation, "
        "fail_reservation : le rang de la réserve). 409 avec la raison quand elle n'est pas "
        "possible maintenant, 403 quand elle revient à quelqu'un d'autre, 400 pour des données "
        "invalides.",
        request=CertificateActInputSerializer,
        responses={200: CertificateStateSerializer, **problems(400, 403, 404, 409)},
    )
    def post(self, request, number, name):
        certificate = certificate_for(request.user, number)
        _refuse_here(name)
        data = CertificateActInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        reason = values.pop("reason", "")
        certificate = lifecycle.act(certificate, name, by=request.user, reason=reason, **values)
        return Response(state_data(certificate))


class ControlInputSerializer(serializers.Serializer):
    report = serializers.FileField(help_text="Le rapport du contrôle (PDF).")
    held_on = serializers.DateField(
        help_text="Date du contrôle, de la délivrance du certificat à aujourd'hui."
    )
    conclusion = serializers.CharField(max_length=lifecycle.TEXT_MAX_LENGTH)
    conforme = FormBooleanField()
    periodic = FormBooleanField(required=False, default=False)
    next_check = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Date du prochain contrôle (AAAA-MM-JJ), après aujourd'hui et dans la validité "
        "du certificat ; vide pour un contrôle périodique : celle que fixe la période de "
        "l'arrêté, s'il en fixe une.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CertificateControlApi(StreamedUploadMixin, APIView):
    permission_classes = [IsAuthenticated]

    def upload_access(self, request, **kwargs) -> bool:
        certificate = certificate_for(request.user, kwargs["number"])
        refusal = WORKFLOW.refusal(certificate, WORKFLOW.get("record_control"), request.user)
        if refusal is not None:
            raise refusal
        self.certificate = certificate
        return False

    @extend_schema(
        summary="Enregistrer un contrôle et son rapport",
        description="Un contrôle du produit certifié (CSP R. 1470-7 périodique, R. 1470-8 à "
        "tout moment) : son rapport (multipart/form-data, champ `report`) est envoyé au "
        "titulaire et conservé avec le certificat ; `next_check` fixe la date du prochain "
        "contrôle (pour un contrôle périodique, la période de l'arrêté la donne à défaut) : le "
        "certificat est réémis (nouvelle révision) pour l'indiquer. Réservé à l'agence.",
        request={"multipart/form-data": ControlInputSerializer},
        responses={
            201: inline_serializer(
                "ControlRecorded",
                {
                    "control": serializers.IntegerField(),
                    "certificate": CertificateStateSerializer(),
                },
            ),
            **problems(400, 403, 404, 409, 413),
        },
    )
    def post(self, request, number):
        (upload,) = self.streamed_uploads(request, "report")[:1]
        self.form_values(request, ControlInputSerializer)
        fields = {
            k: request.data.get(k)
            for k in ("held_on", "conclusion", "conforme", "periodic", "next_check", "reason")
        }
        from guichet.certificates.forms import parse

        reason, values = parse("record_control", {k: v for k, v in fields.items() if v is not None})
        certificate = lifecycle.act(
            self.certificate,
            "record_control",
            by=request.user,
            reason=reason,
            report=upload,
            **values,
        )
        control = certificate.controls.order_by("-pk").first()
        return Response({"control": control.pk, "certificate": state_data(certificate)}, status=201)
