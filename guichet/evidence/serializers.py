from rest_framework import serializers

from guichet.applications.serializers import StoredFileSerializer, UploadSerializer


class EvidenceFileSerializer(StoredFileSerializer):
    replaced_at = serializers.DateTimeField(allow_null=True, help_text="Remplacé le.")


# The opinions of the instruction (instruction.models.ProofOpinion), and the state of a proof
# deposited again since its verdict (R-EVD-2): what the evidence tree says of a proof.
PROOF_OPINIONS = [
    ("conforme", "Conforme"),
    ("non_conforme", "Non conforme"),
    ("a_preciser", "À préciser"),
]
PROOF_VERDICT_STATES = [*PROOF_OPINIONS, ("nouveau_depot", "Nouveau dépôt à examiner")]


class PreviousVerdictSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=PROOF_OPINIONS)
    label = serializers.CharField(help_text="L'avis, en français.")
    comment = serializers.CharField(allow_blank=True, help_text="Commentaire de l'instructeur.")
    by = serializers.CharField(help_text="Adresse électronique de l'instructeur.")
    at = serializers.DateTimeField()
    files = serializers.ListField(
        child=serializers.CharField(), help_text="Les fichiers de la preuve que l'avis a examinés."
    )


class ProofVerdictNodeSerializer(PreviousVerdictSerializer):
    verdict = serializers.ChoiceField(
        choices=PROOF_VERDICT_STATES,
        help_text="« nouveau_depot » : un fichier de la preuve a été ajouté ou remplacé depuis "
        "son dernier avis, qui ne compte plus ; l'instructeur en donne un nouveau (R-EVD-2).",
    )
    by = serializers.CharField(allow_null=True, help_text="Adresse électronique de l'instructeur.")
    at = serializers.DateTimeField(allow_null=True)
    files = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Les fichiers de la preuve que l'avis a examinés.",
    )
    previous = PreviousVerdictSerializer(
        allow_null=True,
        required=False,
        help_text="Nouveau dépôt : l'avis précédent et les fichiers qu'il a examinés (pour le "
        "candidat, quand il n'était pas « conforme »).",
    )


class ProofNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    description = serializers.CharField()
    sensitive = serializers.BooleanField(help_text="Chiffrée au repos, lue de peu (R-EVD-3).")
    files = EvidenceFileSerializer(many=True)
    verdict = ProofVerdictNodeSerializer(
        allow_null=True,
        help_text="Le dernier avis de l'instruction (R-EVD-2) : pour l'agence, toujours ; pour "
        "le candidat, quand il n'est pas « conforme » (ce qu'il doit reprendre).",
    )


class ScenarioNodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    proofs = ProofNodeSerializer(many=True)


class RequirementNodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    statement = serializers.CharField()
    scenarios = ScenarioNodeSerializer(many=True)


class SectionProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class SectionNodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    state = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    return_comment = serializers.CharField(allow_blank=True)
    progress = SectionProgressSerializer()
    requirements = RequirementNodeSerializer(many=True)


class EvidenceProgressSerializer(serializers.Serializer):
    proofs_total = serializers.IntegerField()
    proofs_done = serializers.IntegerField()
    percent = serializers.IntegerField()
    sections_total = serializers.IntegerField()
    sections_submitted = serializers.IntegerField()


class EvidenceSerializer(serializers.Serializer):
    open = serializers.BooleanField(help_text="Le dépôt des preuves est ouvert.")
    reopened = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Dossier en instruction : les preuves (identifiants) qu'une demande "
        "d'information ou de pièces manquantes en cours rouvre au dépôt ; les autres restent en "
        "lecture seule.",
    )
    complete_at = serializers.DateTimeField(allow_null=True)
    progress = EvidenceProgressSerializer()
    sections = SectionNodeSerializer(many=True)


class SectionSubmittedSerializer(serializers.Serializer):
    section = serializers.CharField()
    state = serializers.CharField()
    application_status = serializers.CharField()
    complete_at = serializers.DateTimeField(allow_null=True)


class EvidenceUploadSerializer(UploadSerializer):
    replaces = serializers.UUIDField(
        required=False,
        error_messages={
            "invalid": "Le fichier à remplacer est mal désigné (« {value} » n'est pas un "
            "identifiant de fichier) : choisissez-le dans la liste des fichiers déposés."
        },
        help_text="Identifiant du fichier remplacé (gardé dans l'historique).",
    )
