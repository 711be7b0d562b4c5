from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guichet.referentials.models import Nature, Pathology, Referential, VersionState


class BrowseFilterForm(forms.Form):
    profile = forms.ChoiceField(label=_("Profil"), required=False)
    nature = forms.ChoiceField(
        label=_("Nature"), required=False, choices=[("", _("Toutes"))] + list(Nature.choices)
    )
    section = forms.ChoiceField(label=_("Section"), required=False)
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=200)

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [("", _("Tous"))] + [
            (p.code, p.label) for p in version.profiles.all()
        ]
        self.fields["section"].choices = [("", _("Toutes"))] + [
            (s.code, f"{s.code} — {s.label}") for s in version.sections.all()
        ]


class QuestionnaireForm(forms.Form):
    """Built from the version's questionnaire (data, not code)."""

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(version.questions.all())
        for question in self.questions:
            if question.type == "boolean":
                field = forms.TypedChoiceField(
                    choices=[("true", _("Oui")), ("false", _("Non"))],
                    coerce=lambda value: value == "true",
                    widget=forms.RadioSelect,
                    required=False,
                    empty_value=None,
                )
            else:
                field = forms.ChoiceField(
                    choices=[(c["value"], c["label"]) for c in question.choices],
                    widget=forms.RadioSelect,
                    required=False,
                )
            field.label = question.label
            field.help_text = " ".join(
                part for part in (question.help_text, self._asked_when_hint(question)) if part
            )
            self.fields[question.key] = field
        self.fields["extra"] = forms.MultipleChoiceField(
            label=_("Profils optionnels ajoutés"),
            required=False,
            choices=[(p.code, p.label) for p in version.profiles.all()],
            widget=forms.CheckboxSelectMultiple,
        )

    def _asked_when_hint(self, question) -> str:
        condition = question.asked_when or {}
        parent = next((q for q in self.questions if q.key == condition.get("answer")), None)
        if parent is None or "equals" not in condition:
            return ""
        value = condition["equals"]
        if parent.type == "boolean":
            shown = "Oui" if value else "Non"
        else:
            shown = next((c["label"] for c in parent.choices if c["value"] == value), value)
        return f"À renseigner si la réponse à « {parent.label} » est « {shown} »."

    def answers(self) -> dict:
        return {
            q.key: self.cleaned_data[q.key]
            for q in self.questions
            if self.cleaned_data.get(q.key) not in (None, "")
        }


class SimulatorForm(QuestionnaireForm):
    """The questionnaire, and on the generic line the pathology whose technical specification
    adds its requirements (R-REF-7); those « à venir » are not offered."""

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, version=version, **kwargs)
        self.pathologies = {
            p.code: p
            for p in Pathology.objects.filter(
                pathway__referential_id=version.referential_id, is_available=True
            ).order_by("pathway__position", "position")
        }
        if self.pathologies:
            self.fields["pathology"] = forms.ChoiceField(
                label=_("Candidature en ligne générique : quelle pathologie ?"),
                help_text=_(
                    "Les spécifications techniques de la pathologie (cahiers des charges de la "
                    "HAS) s'ajoutent aux exigences des profils."
                ),
                choices=[("", _("Aucune (nom de marque ou autre démarche)"))]
                + [
                    (p.code, f"{p.label} ({p.specification_code})")
                    for p in self.pathologies.values()
                ],
                widget=forms.RadioSelect,
                required=False,
            )

    def pathology(self) -> Pathology | None:
        return self.pathologies.get(self.cleaned_data.get("pathology") or "")


class ImportForm(forms.Form):
    referential = forms.ModelChoiceField(
        label=_("Référentiel"),
        queryset=Referential.objects.all(),
        to_field_name="code",
        empty_label=None,
    )
    number = forms.CharField(
        label=_("Numéro de la nouvelle version"), max_length=32, help_text=_("Par exemple 1.2.3")
    )
    file = forms.FileField(
        label=_("Tableur des exigences (.xlsx)"),
        help_text=_("Feuille « Exigences », une ligne par scénario de conformité."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.REFERENTIAL_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("Le fichier dépasse la taille maximale de %(max)s Mo.")
                % {"max": settings.REFERENTIAL_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Déposez un classeur Excel au format .xlsx."))
        return upload


class ConfirmImportForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    publish = forms.BooleanField(
        label=_("Publier immédiatement la nouvelle version"), required=False, initial=True
    )
    entry_into_force = forms.DateField(
        label=_("Date d'entrée en vigueur"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class VersionStateForm(forms.Form):
    state = forms.ChoiceField(choices=VersionState.choices)


class PathwayOpenForm(forms.Form):
    is_open = forms.TypedChoiceField(
        choices=[("1", "ouverte"), ("0", "fermée")], coerce=lambda v: v == "1"
    )
