"""The daily sweep of the legal clocks, run by the task worker (issue 11 §4)."""

import datetime as dt

from django_tasks import task

from guichet.common.periodic import periodic


@periodic(
    every=dt.timedelta(days=1),
    label="Balayage des délais : relances, abandons, acceptations tacites, dossiers inactifs",
)
@task()
def sweep_deadlines() -> dict:
    """R-CLK-4 … R-CLK-7 on every open dossier (see guichet.instruction.clockstate)."""
    from guichet.instruction.clockstate import sweep

    report = sweep()
    if report.problems:
        # The worker records the failure; the dossiers without problem are swept.
        raise RuntimeError(report.summary() + " Problèmes : " + " ; ".join(report.problems))
    return report.as_dict()
