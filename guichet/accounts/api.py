import datetime as dt

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.accounts import members as members_service
from guichet.accounts import security, services
from guichet.accounts.gate import GatedTokenAuthentication
from guichet.accounts.models import RegistrationRequest, User
from guichet.common.api import StrictCharField, problem_response
from guichet.common.lengths import column_length, serializer_field, too_long_message
from guichet.common.schema import problems


class IsSupport(BasePermission):
    """Account requests are validated by agency support (and agency admins)."""

    message = "Réservé au support de l'agence."

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.manages_accounts)


class RegistrationInputSerializer(serializers.Serializer):
    """As the schema says it: every field required and not blank (issue 20 §1). The view
    reads the request through AnyRegistrationSerializer, so that the service checks every
    field at once, each with its own message (R-ACC-1)."""

    company_name = serializer_field(RegistrationRequest, "company_name")
    company_id = serializer_field(RegistrationRequest, "company_id")
    responsible_first_name = serializer_field(RegistrationRequest, "responsible_first_name")
    responsible_last_name = serializer_field(RegistrationRequest, "responsible_last_name")
    responsible_email = serializer_field(RegistrationRequest, "responsible_email")
    responsible_phone = serializer_field(RegistrationRequest, "responsible_phone")
    legal_rep_first_name = serializer_field(RegistrationRequest, "legal_rep_first_name")
    legal_rep_last_name = serializer_field(RegistrationRequest, "legal_rep_last_name")
    legal_rep_email = serializer_field(RegistrationRequest, "legal_rep_email")
    legal_rep_phone = serializer_field(RegistrationRequest, "legal_rep_phone")


class AnyRegistrationSerializer(RegistrationInputSerializer):
    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required, field.allow_blank = False, True
        return fields


class RegistrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = RegistrationRequest
        fields = [
            "id",
            "status",
            "company_name",
            "company_id_kind",
            "company_id",
            "siren",
            "created_at",
            "decided_at",
            "rejection_reason",
        ]


class RegistrationReceivedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class RejectSerializer(serializers.Serializer):
    reason = StrictCharField(allow_blank=True)


class RegistrationCreateApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Demander un compte d'entreprise",
        description="Public : la même réponse à toute demande bien formée ; la suite est "
        "envoyée par courriel (R-ACC-1, R-ACT-2). Limitée par adresse IP et par adresse du "
        "responsable (429).",
        request=RegistrationInputSerializer,
        responses={202: RegistrationReceivedSerializer, **problems(429)},
    )
    def post(self, request):
        """The same answer to every well-formed request; the outcome comes by email."""
        data = AnyRegistrationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.submit_registration(request, data=data.validated_data)
        except services.RegistrationThrottled as exc:
            response = problem_response(status.HTTP_429_TOO_MANY_REQUESTS, exc.message)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return Response({"detail": services.REGISTRATION_RECEIVED}, status=status.HTTP_202_ACCEPTED)


class RegistrationApproveApi(APIView):
    permission_classes = [IsSupport]

    @extend_schema(
        summary="Valider une demande de compte",
        description="Support de l'agence : crée l'organisation et le compte du responsable.",
        request=None,
        responses=RegistrationSerializer,
    )
    def post(self, request, pk):
        registration = get_object_or_404(RegistrationRequest, pk=pk)
        services.approve_registration(registration, by=request.user)
        registration.refresh_from_db()
        return Response(RegistrationSerializer(registration).data)


class RegistrationRejectApi(APIView):
    permission_classes = [IsSupport]

    @extend_schema(
        summary="Refuser une demande de compte",
        description="Support de l'agence : le motif est envoyé au demandeur.",
        request=RejectSerializer,
        responses=RegistrationSerializer,
    )
    def post(self, request, pk):
        registration = get_object_or_404(RegistrationRequest, pk=pk)
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reject_registration(
            registration, by=request.user, reason=data.validated_data["reason"]
        )
        registration.refresh_from_db()
        return Response(RegistrationSerializer(registration).data)


# --- API tokens (R-ACC-3) -------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    email = StrictCharField()
    password = StrictCharField(trim_whitespace=False)
    otp = StrictCharField(required=False, allow_blank=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        source="key", help_text="À envoyer dans « Authorization: Token … »."
    )
    token_type = serializers.SerializerMethodField(help_text="Toujours « Token ».")
    expires_after_idle_days = serializers.SerializerMethodField(
        help_text="Le jeton expire s'il ne sert pas pendant ce nombre de jours (réglage de "
        "l'agence) ; chaque appel le prolonge."
    )
    expires_at = serializers.SerializerMethodField(
        help_text="Date d'expiration si le jeton ne sert plus d'ici là (heure de Paris, à une "
        "heure près : l'utilisation est notée au plus une fois par heure)."
    )

    def get_token_type(self, token) -> str:
        return "Token"

    def get_expires_after_idle_days(self, token) -> int:
        return settings.GUICHET_API_TOKEN_IDLE_DAYS

    def get_expires_at(self, token) -> dt.datetime:
        return serializers.DateTimeField().to_representation(security.token_expires_at(token))


class TokenApi(APIView):
    """`POST` exchanges email + password (+ TOTP code for agency staff) for a token;
    `DELETE` revokes the token the request is authenticated with."""

    authentication_classes = [GatedTokenAuthentication]
    account_gate_exempt = True

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        summary="Obtenir un jeton d'API",
        description="Adresse et mot de passe, plus le code TOTP (`otp`) pour les agents de "
        "l'agence (R-ACC-3). Les échecs comptent pour les mêmes limites que la page de "
        "connexion : par compte, par compte depuis une même adresse IP et par adresse IP ; les "
        "codes TOTP erronés, par compte. Un compte retiré reçoit la réponse d'un mauvais mot de "
        "passe. Le jeton expire après `expires_after_idle_days` jours sans servir (réponse 401 "
        "« expiré ») ; un changement ou une réinitialisation du mot de passe et le retrait du "
        "membre le révoquent.",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **problems(429)},
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = security.issue_token(request, **data.validated_data)
        return Response(TokenSerializer(token).data)

    @extend_schema(
        summary="Révoquer son jeton d'API",
        description="Le jeton avec lequel la requête est authentifiée.",
        request=None,
        responses={204: None},
    )
    def delete(self, request):
        security.revoke_token(request.user, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Members of the organisation (R-ACT-1) --------------------------------------------------


class IsApplicantAdmin(BasePermission):
    message = "Réservé au Responsable habilité de l'organisation."

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.is_applicant_admin)


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "role", "is_active", "date_joined"]
        read_only_fields = fields


class InviteSerializer(serializers.Serializer):
    # Required and not blank, as the service says (issue 20 §1); as long as the username
    # column at most, which holds the address too (PostgreSQL refused a longer one: a 500).
    email = serializers.EmailField(
        max_length=column_length(User, "username"),
        error_messages={
            **dict.fromkeys(
                ("required", "blank", "invalid"),
                "Saisissez une adresse électronique valide, par exemple nom@entreprise.fr.",
            ),
            "max_length": too_long_message(column_length(User, "username")),
        },
    )
    first_name = serializer_field(
        User,
        "first_name",
        error_messages=dict.fromkeys(("required", "blank"), "Indiquez le prénom."),
    )
    last_name = serializer_field(
        User, "last_name", error_messages=dict.fromkeys(("required", "blank"), "Indiquez le nom.")
    )


class MemberListApi(APIView):
    permission_classes = [IsApplicantAdmin]

    @extend_schema(
        summary="Les membres de l'organisation",
        description="Responsable habilité : les comptes de son organisation.",
        responses=MemberSerializer(many=True),
    )
    def get(self, request):
        members = members_service.members_of(request.user.organisation)
        return Response(MemberSerializer(members, many=True).data)

    @extend_schema(
        summary="Inviter un membre",
        description="Responsable habilité : un courriel d'invitation est envoyé.",
        request=InviteSerializer,
        responses={201: MemberSerializer},
    )
    def post(self, request):
        data = InviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = members_service.invite_member(by=request.user, **data.validated_data)
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    permission_classes = [IsApplicantAdmin]

    @extend_schema(
        summary="Retirer un membre",
        description="Responsable habilité : le compte est désactivé.",
        request=None,
        responses={204: None},
    )
    def delete(self, request, pk):
        member = get_object_or_404(request.user.organisation.members, pk=pk)
        members_service.remove_member(by=request.user, member=member)
        return Response(status=status.HTTP_204_NO_CONTENT)
