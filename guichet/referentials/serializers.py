from rest_framework import serializers

from guichet.common.api import StrictCharField
from guichet.referentials.models import (
    ExpectedProof,
    Pathology,
    Pathway,
    Profile,
    ProfileRule,
    Question,
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
        request = self.context.get("request")
        path = f"/api/v1/referentials/{obj.referential.code}/{obj.number}/"
        return request.build_absolute_uri(path) if request else path


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


class ProfileCheckInputSerializer(serializers.Serializer):
    profiles = serializers.ListField(child=StrictCharField(max_length=200), required=False)
    answers = serializers.DictField(required=False)

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
