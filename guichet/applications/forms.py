from django import forms

from guichet.accounts.models import Organisation
from guichet.applications import admissibility
from guichet.applications.models import Product, ProductModule
from guichet.applications.services import DESCRIPTION_MAX_LENGTH
from guichet.common.lengths import column_length
from guichet.referentials.forms import QuestionnaireForm

YES_NO = [("", "—"), ("true", "Oui"), ("false", "Non")]
COMPONENT_ROWS = 3
GROUP_ROWS = 5
MODULE_ROWS = 8


def _too_long(limit: int) -> dict:
    return {"max_length": f"Saisissez au plus {limit} caractères."}


def _text(label: str, limit: int, **kwargs) -> forms.CharField:
    """An optional text input as long as its column at most (the service says what is
    missing)."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=limit,
        error_messages=_too_long(limit),
        **kwargs,
    )


class ProductForm(forms.Form):
    name = _text("Nom commercial du produit", column_length(Product, "name"))
    description = _text(
        "Description", DESCRIPTION_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, product=None, **kwargs):
        super().__init__(*args, **kwargs)
        modules = list(product.modules.all()) if product else []
        for i in range(max(MODULE_ROWS, len(modules) + 2)):
            module = modules[i] if i < len(modules) else None
            self.fields[f"module_{i}_name"] = _text(
                f"Module {i + 1} — nom",
                column_length(ProductModule, "name"),
                initial=module.name if module else "",
            )
            self.fields[f"module_{i}_version"] = _text(
                f"Module {i + 1} — version",
                column_length(ProductModule, "version"),
                initial=module.version if module else "",
            )
        if product:
            self.initial.update({"name": product.name, "description": product.description})

    def module_rows(self):
        count = len([n for n in self.fields if n.endswith("_name") and n.startswith("module_")])
        return [(self[f"module_{i}_name"], self[f"module_{i}_version"]) for i in range(count)]

    def modules(self) -> list[dict]:
        rows = []
        for name_field, version_field in self.module_rows():
            name = (self.cleaned_data.get(name_field.name) or "").strip()
            version = (self.cleaned_data.get(version_field.name) or "").strip()
            if name or version:
                rows.append({"name": name, "version": version})
        return rows


class AdmissibilityForm(forms.Form):
    """The admissibility form of the application's referential; every field optional here, since
    drafts are incomplete; the service checks each value and, at submission, completeness."""

    def __init__(self, *args, application, fixable: set[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        self.fixable = fixable
        self.code = application.referential_version.process_settings.admissibility_form
        data = application.form or {}
        self.groups: dict[str, list[str]] = {}
        # A fact the profiles' questionnaire asks is asked there only (R-REF-8).
        self.facts = admissibility.facts_of(application)
        asked_by_questionnaire = {fact.field.key for fact in self.facts}
        self.specs = [
            spec
            for spec in admissibility.offered_fields(application)
            if spec.key not in asked_by_questionnaire
        ]
        for spec in self.specs:
            self.fields[spec.key] = self._field(spec)
            value = data.get(spec.key)
            self.initial[spec.key] = (
                ("true" if value else "false") if isinstance(value, bool) else value
            )
            self.groups.setdefault(spec.group, []).append(spec.key)
        components = data.get("components") or []
        for i in range(max(COMPONENT_ROWS, len(components) + 1)):
            component = components[i] if i < len(components) else {}
            for key, label, _required in admissibility.COMPONENT_FIELDS[self.code]:
                name = f"component_{i}_{key}"
                self.fields[name] = forms.CharField(
                    label=f"Composant {i + 1} — {label}",
                    required=False,
                    widget=forms.TextInput(
                        attrs={"maxlength": admissibility.COMPONENT_LIMITS[key]}
                    ),
                )
                self.initial[name] = component.get(key, "")
        self.fields["is_group"] = forms.BooleanField(
            label="Candidature d'un groupement sans personnalité morale (vous êtes le chef de file)",
            required=False,
            initial=application.is_group,
        )
        members = application.group_members or []
        for i in range(max(GROUP_ROWS, len(members) + 1)):
            member = members[i] if i < len(members) else {}
            self.fields[f"member_{i}_name"] = forms.CharField(
                label=f"Membre {i + 1} — raison sociale",
                required=False,
                initial=member.get("name", ""),
                widget=forms.TextInput(attrs={"maxlength": column_length(Organisation, "name")}),
            )
            self.fields[f"member_{i}_company_id"] = forms.CharField(
                label=f"Membre {i + 1} — SIREN ou TVA",
                required=False,
                initial=member.get("company_id", ""),
            )
        if fixable is not None:  # after submission, only the flagged items (R-APP-8)
            for name, field in self.fields.items():
                field.disabled = self._item_of(name) not in fixable

    @staticmethod
    def _item_of(name: str) -> str:
        if name.startswith("component_"):
            return "components"
        if name.startswith("member_") or name == "is_group":
            return "group_members"
        return name

    @staticmethod
    def _field(spec):
        # The browser is told each limit (maxlength); the service refuses a longer value field
        # by field, so that the autosave keeps every other value (R-APP-7).
        common = {"label": spec.label, "required": False, "help_text": spec.help_text}
        limit = {"maxlength": spec.limit}
        if spec.type == "bool":
            return forms.ChoiceField(choices=YES_NO, **common)
        if spec.type == "choice":
            return forms.ChoiceField(choices=[("", "—"), *spec.choices], **common)
        if spec.type == "date":
            return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        if spec.type == "email":
            return forms.CharField(widget=forms.EmailInput(attrs=limit), **common)
        if spec.type == "phone":
            return forms.CharField(
                widget=forms.TextInput(attrs={"inputmode": "tel", **limit}), **common
            )
        if spec.type == "textarea":
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 3, **limit}), **common)
        return forms.CharField(widget=forms.TextInput(attrs=limit), **common)

    def field_groups(self):
        return [(title, [self[key] for key in keys]) for title, keys in self.groups.items()]

    def component_rows(self):
        keys = [key for key, _, _ in admissibility.COMPONENT_FIELDS[self.code]]
        count = len([n for n in self.fields if n.startswith("component_") and n.endswith("_name")])
        return [[self[f"component_{i}_{key}"] for key in keys] for i in range(count)]

    def member_rows(self):
        count = len([n for n in self.fields if n.startswith("member_") and n.endswith("_name")])
        return [(self[f"member_{i}_name"], self[f"member_{i}_company_id"]) for i in range(count)]

    def payload(self) -> dict:
        """What the service saves: the form fields, components, group; after submission only
        the flagged items."""
        payload = self._payload()
        if self.fixable is not None:
            payload["form"] = {k: v for k, v in payload["form"].items() if k in self.fixable}
            if "group_members" not in self.fixable:
                payload.pop("group_members")
            payload.pop("is_group")
        return payload

    def _payload(self) -> dict:
        data = self.cleaned_data
        form = {spec.key: data.get(spec.key) for spec in self.specs}
        keys = [key for key, _, _ in admissibility.COMPONENT_FIELDS[self.code]]
        components = []
        for row in self.component_rows():
            values = {
                key: (data.get(field.name) or "").strip()
                for key, field in zip(keys, row, strict=True)
            }
            if any(values.values()):
                components.append(values)
        form["components"] = components
        members = []
        for name_field, id_field in self.member_rows():
            name = (data.get(name_field.name) or "").strip()
            company_id = (data.get(id_field.name) or "").strip()
            if name or company_id:
                members.append({"name": name, "company_id": company_id})
        return {"form": form, "is_group": data.get("is_group", False), "group_members": members}


class ProfilesForm(QuestionnaireForm):
    """The referential's questionnaire; the profiles are those the answers make mandatory,
    plus the optional ones ticked (R-REF-4, R-REF-6)."""

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, version=application.referential_version, prefix="q", **kwargs)
        if application.profiles_final:  # R-REF-6
            for field in self.fields.values():
                field.disabled = True
        # The form's facts answer their questions until the questionnaire does (R-REF-8).
        for key, value in admissibility.rule_answers(application).items():
            if key in self.fields:
                self.initial[key] = (
                    ("true" if value else "false") if isinstance(value, bool) else value
                )
        self.initial["extra"] = list(application.profiles or [])
