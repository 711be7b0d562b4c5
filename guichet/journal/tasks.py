"""The journal's daily checkpoint, run by the task worker (R-AUD-1, issue 10 §2)."""

import datetime as dt

from django_tasks import task

from guichet.common.periodic import periodic
from guichet.journal.services import create_checkpoint

DAILY_TASK = "tâche quotidienne"


@periodic(every=dt.timedelta(days=1), label="Point de contrôle scellé du journal d'audit")
@task()
def checkpoint_journal() -> str | None:
    """Seals the journal's head; the name of the checkpoint file, or None if the journal is
    empty."""
    checkpoint = create_checkpoint(by=DAILY_TASK)
    return checkpoint.name if checkpoint else None
