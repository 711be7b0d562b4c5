"""Tasks of the deposited files, run by the task worker (django-tasks)."""

import datetime as dt

from django_tasks import task

from guichet.common.periodic import periodic


@periodic(every=dt.timedelta(weeks=1), label="Revérification des fichiers déposés (SHA-256)")
@task()
def verify_stored_files() -> dict:
    """R-EVD-2: every stored file is still what was deposited; the agency is told if not."""
    from guichet.files.verification import verify_all_files

    return verify_all_files().as_dict()


@periodic(
    every=dt.timedelta(hours=1),
    label="Purge des restes de dépôts interrompus (fichiers temporaires, objets sans ligne)",
)
@task()
def purge_upload_leftovers() -> dict:
    """Issue 23 §3: what a killed process left among the files, once past the grace period."""
    from guichet.files.maintenance import purge_upload_leftovers as purge

    return purge().as_dict()
