from django.db import migrations, models
from django.db.models import Q


def record_judged_files(apps, schema_editor):
    """The verdicts given before this field judged the files their proof had at that instant:
    those deposited by then and not yet replaced (R-EVD-2)."""
    ProofVerdict = apps.get_model("instruction", "ProofVerdict")
    EvidenceFile = apps.get_model("evidence", "EvidenceFile")
    for verdict in ProofVerdict.objects.iterator(chunk_size=500):
        files = (
            EvidenceFile.objects.filter(
                application_id=verdict.application_id,
                proof_id=verdict.proof_id,
                created_at__lte=verdict.at,
            )
            .filter(Q(replaced_at__isnull=True) | Q(replaced_at__gt=verdict.at))
            .select_related("file")
            .order_by("created_at", "id")
        )
        verdict.judged_files = [
            {
                "evidence_file": f.pk,
                "file": str(f.file_id),
                "name": f.file.original_name,
                "sha256": f.file.sha256,
            }
            for f in files
        ]
        verdict.save(update_fields=["judged_files"])


class Migration(migrations.Migration):
    dependencies = [
        ("instruction", "0003_clock_paused_since"),
        ("evidence", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="proofverdict",
            name="judged_files",
            field=models.JSONField(blank=True, default=list, verbose_name="fichiers examinés"),
        ),
        migrations.RunPython(record_judged_files, migrations.RunPython.noop),
    ]
