"""The acknowledgment of receipt is produced by the task worker, after the last submission."""

from django_tasks import task


@task()
def issue_acknowledgment(application_id: int, by_id: int) -> None:
    from guichet.evidence.acknowledgment import issue_acknowledgment as issue

    issue(application_id, by_id=by_id)
