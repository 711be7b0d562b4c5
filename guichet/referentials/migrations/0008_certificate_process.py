from pathlib import Path

import yaml
from django.db import migrations

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue"
KEYS = (
    "exceptional_certificate",
    "new_certificate_days",
    "new_certificate_scope",
    "periodic_check_months",
    "strike_off_request",
    "approval_steps",
)


def shipped_certificate_settings(apps, schema_editor):
    """Versions loaded before the certificate's life had settings (issue 13 §3) take their
    referential's shipped ones: the exceptional certificate (TLC), the delay to ask for a new
    certificate after a new version, periodic checks, strike-off requests (DMN), approval and
    FINESS steps (TLC)."""
    by_referential = {}
    for path in sorted(CATALOGUE.glob("*-*.yaml")):
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
        ("referentials", "0007_committee_process"),
    ]

    operations = [
        migrations.RunPython(shipped_certificate_settings, migrations.RunPython.noop),
    ]
