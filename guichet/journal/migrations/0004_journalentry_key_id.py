"""Each entry names the key whose HMAC is its hash (R-AUD-1, issue 20 §3); the entries
already written keep an empty key id and their plain SHA-256 (guichet/journal/keys.py).

On SQLite, adding the column remakes the table, and dropping the old table drops its
triggers: they are installed again after, and before undoing it."""

import importlib

from django.db import migrations, models

_TRIGGERS = importlib.import_module("guichet.journal.migrations.0003_refuse_replace")


class Migration(migrations.Migration):
    dependencies = [("journal", "0003_refuse_replace")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, _TRIGGERS.forward),
        migrations.AddField(
            model_name="journalentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16, verbose_name="clé"),
        ),
        migrations.RunPython(_TRIGGERS.forward, migrations.RunPython.noop),
    ]
