"""Shapes of the information requests and missing-items API (R-CLK-3, R-CLK-5)."""

from rest_framework import serializers

from guichet.applications.serializers import StoredFileSerializer
from guichet.common.api import StrictCharField, StrictIntegerField
from guichet.instruction.requests import ITEM_LIMIT, ITEMS_MAX, TEXT_LIMIT

# Required and not blank, as the services say (and now the schema).
REQUEST_MISSING = "Écrivez la demande : ce que le candidat doit préciser."
ANSWER_MISSING = "Écrivez votre réponse : ce que vous avez précisé ou déposé."


class ExchangeFileSerializer(StoredFileSerializer):
    side = serializers.ChoiceField(
        choices=["agency", "applicant"], help_text="Qui l'a joint : l'agence ou le candidat."
    )


class ProofRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Identifiant de la preuve attendue.")
    section = serializers.CharField(help_text="Code de sa section.")
    label = serializers.CharField(help_text="Exigence, scénario et rang de la preuve.")
    description = serializers.CharField()


class InformationRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(help_text="Numéro de la demande dans la candidature.")
    text = serializers.CharField(help_text="La demande de l'instructeur.")
    section = serializers.CharField(
        allow_null=True, help_text="Code de la section renvoyée, le cas échéant."
    )
    proofs = ProofRefSerializer(many=True, help_text="Les preuves concernées, rouvertes au dépôt.")
    created_by = serializers.CharField(help_text="Adresse électronique de l'instructeur.")
    created_at = serializers.DateTimeField(help_text="Notifiée le.")
    open = serializers.BooleanField(help_text="En attente de réponse.")
    answer = serializers.CharField(allow_blank=True, help_text="La réponse du candidat.")
    answered_by = serializers.CharField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True, help_text="Répondue le.")
    files = ExchangeFileSerializer(many=True)


class MissingItemsNoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    items = serializers.ListField(child=serializers.CharField(), help_text="Pièces manquantes.")
    proofs = ProofRefSerializer(many=True, help_text="Les preuves concernées, rouvertes au dépôt.")
    due = serializers.DateField(help_text="Date limite (incluse) pour les fournir.")
    days_left = serializers.IntegerField(help_text="Jours restants jusqu'à la date limite.")
    created_by = serializers.CharField(help_text="Adresse électronique de l'instructeur.")
    created_at = serializers.DateTimeField(help_text="Notifiée le.")
    open = serializers.BooleanField(help_text="Pièces encore attendues.")
    answer = serializers.CharField(allow_blank=True, help_text="Ce que le candidat a envoyé.")
    received_by = serializers.CharField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True, help_text="Reçues le.")
    files = ExchangeFileSerializer(many=True)


class InformationRequestInputSerializer(serializers.Serializer):
    text = StrictCharField(
        max_length=TEXT_LIMIT,
        error_messages={"required": REQUEST_MISSING, "blank": REQUEST_MISSING},
        help_text="La demande.",
    )
    proofs = serializers.ListField(
        child=StrictIntegerField(),
        required=False,
        default=list,
        max_length=1000,
        help_text="Identifiants des preuves applicables concernées (GET …/evidence/) ; elles "
        "rouvrent au dépôt jusqu'à la réponse.",
    )
    section = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=32,
        help_text="Code d'une section à renvoyer : toutes ses preuves sont alors concernées.",
    )


class MissingItemsInputSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=StrictCharField(max_length=ITEM_LIMIT),
        min_length=1,
        max_length=ITEMS_MAX,
        help_text="Les pièces manquantes, une par entrée (au moins une).",
    )
    proofs = serializers.ListField(
        child=StrictIntegerField(),
        required=False,
        default=list,
        max_length=1000,
        help_text="Identifiants des preuves applicables concernées ; elles rouvrent au dépôt.",
    )
    due = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Date limite (AAAA-MM-JJ) : DMN au moins 10 jours après aujourd'hui ; TLC "
        "fixée par la plateforme à 60 jours (à omettre).",
    )


class AnswerInputSerializer(serializers.Serializer):
    text = StrictCharField(
        max_length=TEXT_LIMIT,
        error_messages={"required": ANSWER_MISSING, "blank": ANSWER_MISSING},
        help_text="La réponse : ce qui est précisé ou envoyé.",
    )
