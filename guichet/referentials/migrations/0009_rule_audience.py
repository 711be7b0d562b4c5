from pathlib import Path

import yaml
from django.db import migrations, models

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue"


def shipped_audiences(apps, schema_editor):
    """Versions loaded before rules had an audience take the catalogue's: the TLC guide's
    ambiguities are notes for the agency (R-REF-5), which applicants no longer read."""
    ReferentialVersion = apps.get_model("referentials", "ReferentialVersion")
    ProfileRule = apps.get_model("referentials", "ProfileRule")
    for path in sorted(CATALOGUE.glob("*-*.yaml")):
        if path.name.endswith("-exigences.yaml"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        codes = [
            rule["code"]
            for rule in data.get("rules") or ()
            if rule.get("audience") == "agency" and rule.get("kind") == "warning"
        ]
        versions = ReferentialVersion.objects.filter(
            referential__code=data["referential"], number=str(data["version"])
        )
        ProfileRule.objects.filter(version__in=versions, code__in=codes, kind="warning").update(
            audience="agency"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("referentials", "0008_certificate_process"),
    ]

    operations = [
        migrations.AddField(
            model_name="profilerule",
            name="audience",
            field=models.CharField(
                choices=[("all", "Le candidat et l'agence"), ("agency", "L'agence seulement")],
                default="all",
                max_length=16,
                verbose_name="destinataires du message",
            ),
        ),
        migrations.AlterField(
            model_name="profilerule",
            name="kind",
            field=models.CharField(
                choices=[
                    ("always", "Toujours sélectionné"),
                    ("mandatory_when", "Obligatoire selon une réponse"),
                    ("requires", "Un profil en exige un autre"),
                    ("at_least_one_of", "Au moins un profil parmi"),
                    ("exactly_one_of", "Exactement un profil parmi"),
                    ("optional", "Optionnel"),
                    ("warning", "Avertissement"),
                ],
                max_length=32,
                verbose_name="type",
            ),
        ),
        migrations.AddConstraint(
            model_name="profilerule",
            constraint=models.CheckConstraint(
                condition=models.Q(("audience", "all"))
                | models.Q(("audience", "agency"), ("kind", "warning")),
                name="rule_agency_audience_only_for_warnings",
                violation_error_message="Seul un avertissement peut être réservé à l'agence.",
            ),
        ),
        migrations.RunPython(shipped_audiences, migrations.RunPython.noop),
    ]
