from rest_framework import serializers

from guichet.common.api import StrictCharField


class SignInputSerializer(serializers.Serializer):
    password = StrictCharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, max_length=4096
    )
    otp = StrictCharField(required=False, allow_blank=True, default="", max_length=16)


class SignedConventionSerializer(serializers.Serializer):
    number = serializers.CharField()
    signed_at = serializers.DateTimeField()
    signer = serializers.CharField()
    sha256 = serializers.CharField(help_text="Empreinte SHA-256 du PDF signé.")
