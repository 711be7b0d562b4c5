from rest_framework import serializers

from guichet.applications.models import Application, Product


class ModuleSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    version = serializers.CharField(allow_blank=True)


class ProductSerializer(serializers.ModelSerializer):
    modules = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "name", "description", "modules", "created_at"]

    def get_modules(self, product) -> list[dict]:
        return [{"name": m.name, "version": m.version} for m in product.modules.all()]


class ProductInputSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    modules = ModuleSerializer(many=True, required=False)


class ApplicationSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    product = serializers.SerializerMethodField()
    referential = serializers.SerializerMethodField()
    pathway = serializers.CharField(source="pathway.code", read_only=True)
    pathology = serializers.SerializerMethodField()
    profiles_final = serializers.BooleanField(read_only=True)

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

    def get_product(self, app) -> dict:
        return {"id": app.product_id, "name": app.product.name}

    def get_referential(self, app) -> dict:
        version = app.referential_version
        return {"code": version.referential.code, "version": version.number}

    def get_pathology(self, app) -> dict | None:
        if app.pathology is None:
            return None
        return {"code": app.pathology.code, "specification": app.pathology.specification_code}


class ApplicationCreateSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    product_version = serializers.CharField(allow_blank=True)
    referential = serializers.CharField(required=False, help_text="code du référentiel, ex. DMN")
    version = serializers.CharField(required=False, help_text="version du référentiel, ex. 1.2.2")
    referential_version = serializers.CharField(
        required=False,
        help_text="au choix : l'identifiant de la version, « DMN/1.2.2 », ou « 1.2.2 » avec `referential`",
    )
    pathway = serializers.CharField()
    pathology = serializers.CharField(required=False, allow_blank=True)
    is_group = serializers.BooleanField(required=False, default=False)

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
    form = serializers.DictField(required=False)
    answers = serializers.DictField(required=False)
    profiles = serializers.ListField(child=serializers.CharField(), required=False)
    extra_profiles = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="avec `answers` : les profils optionnels ajoutés aux profils obligatoires",
    )
    product_version = serializers.CharField(required=False, allow_blank=True)
    is_group = serializers.BooleanField(required=False)
    group_members = serializers.ListField(child=serializers.DictField(), required=False)
