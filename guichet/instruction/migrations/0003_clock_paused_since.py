from django.db import migrations, models
from django.utils import timezone

# The open states of guichet.instruction.clockstate (as they stand at this migration).
OPEN_STATES = (
    "complete",
    "in_instruction",
    "information_requested",
    "missing_items",
    "instruction_finished",
)


def mark_stopped_clocks(apps, schema_editor):
    """The daily sweep looks only at the clocks due that day: those stopped now are due today,
    so that the next sweep writes the day their stop began."""
    ClockState = apps.get_model("instruction", "ClockState")
    ClockState.objects.filter(application__status__in=OPEN_STATES, running=False).exclude(
        paused_reason=""
    ).update(next_check=timezone.localdate())


class Migration(migrations.Migration):
    dependencies = [
        ("instruction", "0002_clock_next_check"),
    ]

    operations = [
        migrations.AddField(
            model_name="clockstate",
            name="paused_since",
            field=models.DateField(
                blank=True, db_index=True, null=True, verbose_name="suspendu depuis le"
            ),
        ),
        migrations.RunPython(mark_stopped_clocks, migrations.RunPython.noop),
    ]
