"""The applications API's shapes: input serializers check types and lengths (each length is
its column's), output serializers describe in the schema exactly what the views return."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guichet.applications.models import Application, Product, ProductModule
from guichet.applications.services import DESCRIPTION_MAX_LENGTH
from guichet.common.api import (
    NulFreeDictField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)
from guichet.common.lengths import column_length

# Free texts without a column limit (text columns) still have a sane one.
TEXT_MAX_LENGTH = DESCRIPTION_MAX_LENGTH


# --- Products -------------------------------------------------------------------------------


class ModuleSerializer(serializers.Serializer):
    name = StrictCharField(
        max_length=column_length(ProductModule, "name"), help_text="Nom du module."
    )
    version = StrictCharField(
        max_length=column_length(ProductModule, "version"), help_text="Version du module."
    )


class ProductSerializer(serializers.ModelSerializer):
    modules = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "name", "description", "modules", "created_at"]

    @extend_schema_field(ModuleSerializer(many=True))
    def get_modules(self, product) -> list[dict]:
        return [{"name": m.name, "version": m.version} for m in product.modules.all()]


class ProductInputSerializer(serializers.Serializer):
    # Required to create a product (a PATCH gives only what changes), never blank.
    name = StrictCharField(
        max_length=column_length(Product, "name"),
        error_messages={
            "required": "Indiquez le nom commercial du produit.",
            "blank": "Indiquez le nom commercial du produit.",
        },
        help_text="Nom commercial, unique dans l'organisation.",
    )
    description = StrictCharField(
        max_length=TEXT_MAX_LENGTH, allow_blank=True, required=False, help_text="Description."
    )
    modules = ModuleSerializer(
        many=True,
        required=False,
        help_text="Les modules et leurs versions ; donnés, ils remplacent les précédents.",
    )


# --- Applications ---------------------------------------------------------------------------


class GroupMemberSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Raison sociale.")
    company_id = serializers.CharField(help_text="SIREN, SIRET ou numéro de TVA.")


class ProductReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReferentialReferenceSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Code du référentiel, ex. DMN.")
    version = serializers.CharField(help_text="Numéro de version, ex. 1.2.2.")


class PathologyReferenceSerializer(serializers.Serializer):
    code = serializers.CharField()
    specification = serializers.CharField(help_text="Spécification technique visée.")


class ApplicationSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    product = serializers.SerializerMethodField()
    referential = serializers.SerializerMethodField()
    pathway = serializers.CharField(source="pathway.code", read_only=True)
    pathology = serializers.SerializerMethodField()
    pathologies = serializers.SerializerMethodField()
    profiles_final = serializers.BooleanField(read_only=True)
    form = serializers.DictField(help_text="Le formulaire de recevabilité, tel qu'enregistré.")
    answers = serializers.DictField(help_text="Les réponses au questionnaire des profils.")
    profiles = serializers.ListField(child=serializers.CharField(), help_text="Codes des profils.")
    group_members = GroupMemberSerializer(many=True, help_text="Membres du groupement.")

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "status",
            "status_label",
            "product",
            "product_version",
            "referential",
            "pathway",
            "pathology",
            "pathologies",
            "is_group",
            "group_members",
            "form",
            "answers",
            "profiles",
            "profiles_final",
            "created_at",
            "updated_at",
            "submitted_at",
        ]

    @extend_schema_field(ProductReferenceSerializer)
    def get_product(self, app) -> dict:
        return {"id": app.product_id, "name": app.product.name}

    @extend_schema_field(ReferentialReferenceSerializer)
    def get_referential(self, app) -> dict:
        version = app.referential_version
        return {"code": version.referential.code, "version": version.number}

    @extend_schema_field(PathologyReferenceSerializer(allow_null=True))
    def get_pathology(self, app) -> dict | None:
        if app.pathology is None:
            return None
        return {"code": app.pathology.code, "specification": app.pathology.specification_code}

    @extend_schema_field(PathologyReferenceSerializer(many=True))
    def get_pathologies(self, app) -> list[dict]:
        """R-REF-7: every pathology claimed on the generic line, the first one first."""
        return [
            {"code": p.code, "specification": p.specification_code} for p in app.claimed_pathologies
        ]


class TransitionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="À passer à POST …/transitions/{name}.")
    label = serializers.CharField(help_text="Libellé de l'action.")
    reason_required = serializers.BooleanField(help_text="Un motif (`reason`) est exigé.")
    confirm = serializers.CharField(help_text="Question de confirmation, vide s'il n'y en a pas.")
    form = serializers.CharField(
        help_text="Vide : l'action se déclenche par POST …/transitions/{name} ; sinon elle a son "
        "propre formulaire (signature, fichiers, liste), à l'adresse dédiée."
    )


def transitions_payload(application, user) -> list[dict]:
    """What `user` may do on `application` now, as the workflow says (issue 11 §0)."""
    from guichet.applications.workflow import available

    return [
        {
            "name": t.name,
            "label": t.label,
            "reason_required": t.reason_required,
            "confirm": t.confirm,
            "form": t.form,
        }
        for t in available(application, user)
    ]


class LinkedApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()


class ApplicationDetailSerializer(ApplicationSerializer):
    """One application, with what the caller may do on it now."""

    transitions = serializers.SerializerMethodField()
    previous = serializers.SerializerMethodField()
    next_application = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "transitions", "previous", "next_application"]

    @extend_schema_field(
        LinkedApplicationSerializer(
            allow_null=True,
            help_text="R-APP-9 : la candidature close dont celle-ci a été déposée de nouveau.",
        )
    )
    def get_previous(self, app) -> dict | None:
        return _linked(app.previous)

    @extend_schema_field(
        LinkedApplicationSerializer(
            allow_null=True,
            help_text="R-APP-9 : la nouvelle candidature déposée à partir de celle-ci.",
        )
    )
    def get_next_application(self, app) -> dict | None:
        from guichet.applications.selectors import next_application

        return _linked(next_application(app))

    @extend_schema_field(TransitionSerializer(many=True))
    def get_transitions(self, app) -> list[dict]:
        return transitions_payload(app, self.context["request"].user)


def _linked(app) -> dict | None:
    if app is None:
        return None
    return {"id": app.pk, "reference": app.reference, "status": app.status}


class TransitionInputSerializer(serializers.Serializer):
    reason = StrictCharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 80}]})
class ReferentialVersionField(serializers.Field):
    default_error_messages = {
        "invalid": "Indiquez l'identifiant de la version (entier) ou « code/version » (texte).",
        "max_length": "Saisissez au plus 80 caractères.",
    }

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool):
            return str(data)
        if not isinstance(data, str):
            self.fail("invalid")
        if len(data) > 80:
            self.fail("max_length")
        return data.strip()

    def to_representation(self, value):
        return value


class ApplicationCreateSerializer(serializers.Serializer):
    product = StrictIntegerField(help_text="Identifiant d'un produit de l'organisation.")
    product_version = StrictCharField(
        max_length=column_length(Application, "product_version"),
        allow_blank=True,
        help_text="Version du produit à certifier.",
    )
    referential = StrictCharField(
        required=False, max_length=64, help_text="Code du référentiel, ex. DMN."
    )
    version = StrictCharField(
        required=False, max_length=64, help_text="Version du référentiel, ex. 1.2.2."
    )
    referential_version = ReferentialVersionField(
        required=False,
        help_text="Au choix : l'identifiant de la version (entier), « DMN/1.2.2 », ou « 1.2.2 » "
        "avec `referential`.",
    )
    pathway = StrictCharField(max_length=64, help_text="Code de la démarche.")
    pathology = StrictCharField(
        required=False, allow_blank=True, max_length=64, help_text="Pathologie (ligne générique)."
    )
    is_group = StrictBooleanField(
        required=False, default=False, help_text="Candidature d'un groupement."
    )
    from_application = StrictIntegerField(
        required=False,
        help_text="R-APP-9 : identifiant d'une candidature close sans certificat (non recevable, "
        "réputée abandonnée, archivée ou refusée) du même produit. La nouvelle candidature en "
        "part : formulaire, réponses, profils et documents (copiés, en nouveaux fichiers) ; "
        "chacune nomme l'autre. Une seule nouvelle candidature par candidature close.",
    )

    def validate(self, data):
        from guichet.referentials.models import ReferentialVersion

        given = str(data.get("referential_version") or "").strip()
        if given.isdigit() and not data.get("version"):
            found = (
                ReferentialVersion.objects.select_related("referential")
                .filter(pk=int(given))
                .first()
            )
            if found is None:
                raise serializers.ValidationError(
                    {"referential_version": "Version de référentiel inconnue."}
                )
            data["referential"], data["version"] = found.referential.code, found.number
        elif "/" in given and not data.get("version"):
            data["referential"], data["version"] = (part.strip() for part in given.split("/", 1))
        elif given and not data.get("version"):
            data["version"] = given
        if not data.get("referential") or not data.get("version"):
            raise serializers.ValidationError(
                {
                    "referential": "Indiquez le référentiel et sa version, par exemple « DMN » et « 1.2.2 »."
                }
            )
        return data


class ApplicationPatchSerializer(serializers.Serializer):
    form = NulFreeDictField(
        required=False, help_text="Les champs du formulaire de recevabilité à enregistrer."
    )
    answers = NulFreeDictField(
        required=False, help_text="Les réponses au questionnaire des profils."
    )
    profiles = serializers.ListField(
        child=StrictCharField(max_length=64), required=False, help_text="Codes des profils."
    )
    extra_profiles = serializers.ListField(
        child=StrictCharField(max_length=64),
        required=False,
        help_text="Avec `answers` : les profils optionnels ajoutés aux profils obligatoires que "
        "les réponses imposent. Absent, les profils optionnels déjà choisis restent ; `answers` "
        "seul suffit donc à calculer les profils, comme sur la page du formulaire.",
    )
    product_version = StrictCharField(
        required=False,
        max_length=column_length(Application, "product_version"),
        error_messages={"blank": "Indiquez la version du produit à certifier."},
        help_text="Version du produit à certifier.",
    )
    is_group = StrictBooleanField(required=False, help_text="Candidature d'un groupement.")
    group_members = serializers.ListField(
        child=NulFreeDictField(),
        required=False,
        help_text="Membres du groupement : `name` (raison sociale) et `company_id`.",
    )


class PathologiesInputSerializer(serializers.Serializer):
    pathologies = serializers.ListField(
        child=StrictCharField(max_length=64),
        min_length=1,
        max_length=20,
        help_text="Codes des pathologies (« diabete ») ou de leurs spécifications (« HAS1 »).",
    )


class VersionInputSerializer(serializers.Serializer):
    product_version = StrictCharField(
        max_length=column_length(Application, "product_version"),
        error_messages=dict.fromkeys(("required", "blank"), "Indiquez la version."),
        help_text="La nouvelle version certifiée.",
    )


class VersionOutputSerializer(serializers.Serializer):
    product_version = serializers.CharField()
    version_mismatches = serializers.ListField(
        child=serializers.CharField(),
        help_text="Chaque endroit qui nomme une autre version que celle certifiée (R-APP-4).",
    )


# --- Files ----------------------------------------------------------------------------------


class StoredFileSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(help_text="Nom du fichier déposé.")
    size = serializers.IntegerField(help_text="Taille en octets.")
    sha256 = serializers.CharField(help_text="Empreinte SHA-256 du contenu déposé.")
    content_type = serializers.CharField()
    encrypted = serializers.BooleanField(help_text="Chiffré au repos (preuve sensible).")
    uploaded_at = serializers.DateTimeField()
    uploaded_by = serializers.CharField(help_text="Adresse électronique de qui l'a déposé.")
    produced_on = serializers.DateField(allow_null=True, help_text="Date de production déclarée.")


class DocumentFileSerializer(StoredFileSerializer):
    withdrawn_at = serializers.DateTimeField(allow_null=True, help_text="Retiré le.")


class DocumentSerializer(serializers.Serializer):
    item = serializers.CharField(help_text="Clé du document dans le formulaire.")
    label = serializers.CharField()
    required = serializers.BooleanField(help_text="Exigé en l'état du formulaire.")
    files = DocumentFileSerializer(many=True)


# --- Admissibility review -------------------------------------------------------------------


class VerdictInputSerializer(serializers.Serializer):
    verdict = StrictCharField(max_length=32, help_text="conforme | to_fix")
    comment = StrictCharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )


class DecisionInputSerializer(serializers.Serializer):
    decision = StrictCharField(
        max_length=32, help_text="admissible | request_fixes | not_admissible"
    )
    reasons = StrictCharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )


class VerdictSerializer(serializers.Serializer):
    verdict = serializers.CharField(help_text="conforme | to_fix")
    comment = serializers.CharField(allow_blank=True)
    round = serializers.IntegerField(help_text="Tour d'examen.")
    by = serializers.CharField(help_text="Adresse électronique de l'instructeur.")
    at = serializers.DateTimeField()


class ItemVerdictSerializer(VerdictSerializer):
    item = serializers.CharField()


class ReviewItemSerializer(serializers.Serializer):
    item = serializers.CharField(help_text="Champ, ou « documents.<clé> » pour un document.")
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=[("field", "champ"), ("document", "document")])
    value = serializers.JSONField(required=False, help_text="La valeur du champ.")
    verdict = VerdictSerializer(allow_null=True)


class AdmissibilitySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Application._meta.get_field("status").choices)
    round = serializers.IntegerField(help_text="Tour d'examen.")
    decided_at = serializers.DateTimeField(allow_null=True)
    reasons = serializers.CharField(allow_blank=True)
    items = ReviewItemSerializer(
        many=True, help_text="Pour le candidat, seulement les éléments à corriger."
    )


# --- Convention -----------------------------------------------------------------------------


# --- Evidence -------------------------------------------------------------------------------


class UploadSerializer(serializers.Serializer):
    # Described for the schema only: the upload views read the multipart body themselves.
    file = serializers.ListField(
        child=serializers.FileField(), min_length=1, help_text="Un ou plusieurs fichiers."
    )
    produced_on = serializers.DateField(
        required=False, help_text="Date de production (AAAA-MM-JJ)."
    )
    names_version = serializers.CharField(
        required=False, help_text="Version du produit que le document décrit."
    )
