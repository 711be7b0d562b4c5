"""Shapes of the messaging API (R-MSG-1)."""

from rest_framework import serializers

from guichet.applications.serializers import StoredFileSerializer
from guichet.common.api import FormBooleanField, StrictBooleanField, StrictCharField
from guichet.messaging.services import BODY_LIMIT

# Required and not blank, as the service says (and now the schema).
BODY_MISSING = {
    "required": "Écrivez votre message : le texte est vide.",
    "blank": "Écrivez votre message : le texte est vide.",
}


class MessageFileSerializer(StoredFileSerializer):
    url = serializers.CharField(help_text="Adresse de téléchargement (page de la candidature).")


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(help_text="Adresse électronique de l'auteur.")
    author_name = serializers.CharField(help_text="Nom de l'auteur.")
    from_agency = serializers.BooleanField(help_text="Écrit par un agent de l'agence.")
    internal = serializers.BooleanField(
        help_text="Note interne de l'agence (n'apparaît qu'aux agents de l'agence)."
    )
    body = serializers.CharField(help_text="Le texte du message.")
    created_at = serializers.DateTimeField(help_text="Envoyé le.")
    unread = serializers.BooleanField(help_text="Pas encore lu par vous (ni écrit par vous).")
    files = MessageFileSerializer(many=True, help_text="Les pièces jointes.")


class MessageInputSerializer(serializers.Serializer):
    body = StrictCharField(
        max_length=BODY_LIMIT, error_messages=BODY_MISSING, help_text="Le texte du message."
    )
    internal = StrictBooleanField(
        required=False,
        default=False,
        help_text="Une note interne, visible des seuls agents de l'agence (agence seulement ; "
        "refusé avec 403 pour un candidat).",
    )


class MessageUploadSerializer(serializers.Serializer):
    # Described for the schema only: the view reads the multipart body itself.
    body = StrictCharField(
        max_length=BODY_LIMIT, error_messages=BODY_MISSING, help_text="Le texte du message."
    )
    internal = FormBooleanField(
        required=False, help_text="« true » : une note interne (agence seulement)."
    )
    file = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Pièces jointes : un ou plusieurs fichiers (facultatif).",
    )


class ReadMarkSerializer(serializers.Serializer):
    last_read_id = serializers.IntegerField(help_text="Le fil est lu jusqu'à ce message inclus.")
    unread = serializers.IntegerField(help_text="Messages encore non lus dans ce fil.")


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="Type de notification (message, decision…).")
    title = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True, help_text="Page concernée sur le site.")
    application = serializers.IntegerField(
        allow_null=True, help_text="Identifiant de la candidature concernée."
    )
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True, help_text="Lue le ; null : non lue.")


class NotificationsReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="Nombre de notifications marquées comme lues.")
