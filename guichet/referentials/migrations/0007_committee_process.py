from pathlib import Path

import yaml
from django.db import migrations

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue"
KEYS = ("committee_partners", "appeal_routes_in_letter")


def shipped_committee_settings(apps, schema_editor):
    """Versions loaded before the collège's settings existed (issue 12) take their
    referential's shipped ones: the partners who sit, the appeal routes in the letter."""
    by_referential = {}
    for path in CATALOGUE.glob("*-*.yaml"):
        if path.name.endswith("-exigences.yaml"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        process = data.get("process") or {}
        by_referential.setdefault(data["referential"], {k: process[k] for k in KEYS if k in process})
    ReferentialVersion = apps.get_model("referentials", "ReferentialVersion")
    for version in ReferentialVersion.objects.select_related("referential"):
        shipped = by_referential.get(version.referential.code, {})
        missing = {k: v for k, v in shipped.items() if k not in (version.process or {})}
        if missing:
            version.process = {**(version.process or {}), **missing}
            version.save(update_fields=["process"])


class Migration(migrations.Migration):
    dependencies = [
        ("referentials", "0006_version_process"),
    ]

    operations = [
        migrations.RunPython(shipped_committee_settings, migrations.RunPython.noop),
    ]
