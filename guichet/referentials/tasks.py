"""Periodic work on referentials."""

import datetime as dt

from django_tasks import task

from guichet.common.periodic import periodic


@periodic(every=dt.timedelta(hours=1), label="Purge des aperçus d'import jamais confirmés")
@task()
def purge_pending_imports() -> int:
    from guichet.referentials.services import purge_pending_imports as purge

    return purge()
