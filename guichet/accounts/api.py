from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.accounts import services
from guichet.accounts.models import RegistrationRequest


class IsSupport(BasePermission):
    """Account requests are validated by agency support (and agency admins)."""

    message = "Réservé au support de l'agence."

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.manages_accounts)


class RegistrationInputSerializer(serializers.Serializer):
    company_name = serializers.CharField(required=False, allow_blank=True)
    company_id = serializers.CharField(required=False, allow_blank=True)
    responsible_first_name = serializers.CharField(required=False, allow_blank=True)
    responsible_last_name = serializers.CharField(required=False, allow_blank=True)
    responsible_email = serializers.CharField(required=False, allow_blank=True)
    responsible_phone = serializers.CharField(required=False, allow_blank=True)
    legal_rep_first_name = serializers.CharField(required=False, allow_blank=True)
    legal_rep_last_name = serializers.CharField(required=False, allow_blank=True)
    legal_rep_email = serializers.CharField(required=False, allow_blank=True)
    legal_rep_phone = serializers.CharField(required=False, allow_blank=True)


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


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class RegistrationCreateApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegistrationInputSerializer, responses=RegistrationSerializer)
    def post(self, request):
        data = RegistrationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.submit_registration(data=data.validated_data)
        return Response(RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)


class RegistrationApproveApi(APIView):
    permission_classes = [IsSupport]

    @extend_schema(request=None, responses=RegistrationSerializer)
    def post(self, request, pk):
        registration = get_object_or_404(RegistrationRequest, pk=pk)
        services.approve_registration(registration, by=request.user)
        registration.refresh_from_db()
        return Response(RegistrationSerializer(registration).data)


class RegistrationRejectApi(APIView):
    permission_classes = [IsSupport]

    @extend_schema(request=RejectSerializer, responses=RegistrationSerializer)
    def post(self, request, pk):
        registration = get_object_or_404(RegistrationRequest, pk=pk)
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reject_registration(
            registration, by=request.user, reason=data.validated_data["reason"]
        )
        registration.refresh_from_db()
        return Response(RegistrationSerializer(registration).data)
