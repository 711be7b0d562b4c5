from django.db import DatabaseError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from guichet.common.api import NulFreeDictField, StrictCharField
from guichet.common.links import absolute_url
from guichet.referentials.models import (
    ExpectedProof,
    Pathology,
    Pathway,
    Profile,
    ProfileRule,
    Question,
    QuestionType,
    Referential,
    ReferentialVersion,
    Requirement,
    RuleAudience,
    Scenario,
    Section,
    TechnicalSpecification,
)


class VersionSummarySerializer(serializers.ModelSerializer):
    version = serializers.CharField(source="number")
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReferentialVersion
        fields = ["version", "state", "entry_into_force", "url"]

    def get_url(self, obj) -> str:
        return absolute_url(f"/api/v1/referentials/{obj.referential.code}/{obj.number}/")


class PathologySerializer(serializers.ModelSerializer):
    technical_specification = serializers.CharField(source="specification_code")

    class Meta:
        model = Pathology
        fields = ["code", "label", "technical_specification", "is_available"]


class PathwaySerializer(serializers.ModelSerializer):
    pathologies = PathologySerializer(many=True)

    class Meta:
        model = Pathway
        fields = ["code", "label", "description", "is_open", "pathologies"]


class ReferentialSerializer(serializers.ModelSerializer):
    versions = VersionSummarySerializer(many=True)
    pathways = PathwaySerializer(many=True)

    class Meta:
        model = Referential
        fields = ["code", "name", "description", "versions", "pathways"]


class ProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = Profile
        fields = ["code", "label", "description"]


class SectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Section
        fields = ["code", "label"]


class RuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProfileRule
        fields = ["code", "kind", "condition", "profiles", "message", "audience"]


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["key", "type", "label", "help_text", "choices", "asked_when"]


class SpecificationSerializer(serializers.ModelSerializer):
    version = serializers.CharField(source="spec_version")

    class Meta:
        model = TechnicalSpecification
        fields = ["code", "title", "version", "link"]


class VersionDetailSerializer(serializers.ModelSerializer):
    referential = serializers.CharField(source="referential.code")
    referential_name = serializers.CharField(source="referential.name")
    version = serializers.CharField(source="number")
    sections = SectionSerializer(many=True)
    profiles = ProfileSerializer(many=True)
    rules = RuleSerializer(many=True, source="profile_rules")
    questionnaire = QuestionSerializer(many=True, source="questions")
    technical_specifications = SpecificationSerializer(many=True, source="specifications")
    pathways = PathwaySerializer(many=True, source="referential.pathways")

    class Meta:
        model = ReferentialVersion
        fields = [
            "referential",
            "referential_name",
            "version",
            "state",
            "entry_into_force",
            "sections",
            "profiles",
            "rules",
            "questionnaire",
            "technical_specifications",
            "pathways",
        ]


class ProofSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExpectedProof
        fields = ["position", "description"]


class ScenarioSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="code")
    proofs = ProofSerializer(many=True)

    class Meta:
        model = Scenario
        fields = ["id", "text", "proofs"]


class RequirementSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="code")
    section = serializers.CharField(source="section.code")
    fonction = serializers.CharField(source="function")
    profiles = serializers.SerializerMethodField()
    specification = serializers.CharField(
        source="specification.code",
        allow_null=True,
        read_only=True,
        help_text="Spécification technique de ligne générique (HAS1…) dont relève l'exigence : "
        "elle ne s'applique qu'aux candidatures qui visent cette pathologie.",
    )
    scenarios = ScenarioSerializer(many=True)

    class Meta:
        model = Requirement
        fields = [
            "id",
            "section",
            "bloc",
            "fonction",
            "nature",
            "statement",
            "is_example",
            "profiles",
            "specification",
            "scenarios",
        ]

    def get_profiles(self, obj) -> list[str]:
        return [p.code for p in obj.profiles.all()]


class AnswersField(NulFreeDictField):
    """The questionnaire's answers, each key a question of the version (R-REF-4): any other
    key is refused (rules.validate_answers), which its schema says (AnswersFieldSchema)."""


class AnswersFieldSchema(OpenApiSerializerFieldExtension):
    """The questions of every version in the catalogue, typed: one schema for every version,
    which OpenAPI cannot tie to the version in the path (issue 20 §1)."""

    target_class = AnswersField

    def map_serializer_field(self, auto_schema, direction):
        properties: dict[str, dict] = {}
        try:
            questions = list(
                Question.objects.order_by("key", "pk").values_list("key", "type", "choices")
            )
        except DatabaseError:  # no catalogue yet: Django's checks build the schema before
            questions = []  # the migrations have run
        for key, kind, choices in questions:
            if kind == QuestionType.BOOLEAN:
                schema = {"type": "boolean", "nullable": True}
            else:  # null among the values too, as OpenAPI 3.0.3 asks of a nullable enum
                values = [choice["value"] for choice in choices]
                schema = {"type": "string", "enum": [*values, None], "nullable": True}
            known = properties.setdefault(key, schema)
            if known != schema:  # the same key, asked otherwise by another version
                if "enum" in known and "enum" in schema:
                    known["enum"] = list(dict.fromkeys([*known["enum"], *schema["enum"]]))
                else:
                    properties[key] = {"nullable": True}
        return {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
            "description": "Les réponses au questionnaire de la version : une clé par question "
            "(GET referentials/{code}/{version}/ les liste), une réponse vide par null. Une clé "
            "que la version ne pose pas est refusée (400).",
        }


class ProfileCheckInputSerializer(serializers.Serializer):
    profiles = serializers.ListField(child=StrictCharField(max_length=200), required=False)
    answers = AnswersField(required=False)

    def validate(self, attrs):
        if "profiles" not in attrs and "answers" not in attrs:
            raise serializers.ValidationError(
                "Indiquez « profiles » (liste de profils) ou « answers » (réponses au questionnaire)."
            )
        return attrs


class ViolationSerializer(serializers.Serializer):
    rule = serializers.CharField()
    detail = serializers.CharField()


class WarningSerializer(ViolationSerializer):
    audience = serializers.ChoiceField(
        choices=RuleAudience.choices,
        help_text="« agency » : une note pour l'agence, lue de ses seuls agents (R-REF-5).",
    )


class ProfileCheckOutputSerializer(serializers.Serializer):
    profiles = serializers.ListField(child=serializers.CharField())
    violations = ViolationSerializer(many=True)
    warnings = WarningSerializer(many=True)
    mandatory = serializers.DictField()
    optional = serializers.DictField()
