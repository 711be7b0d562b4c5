"""Work the task worker does for applications: the sealed PDFs (convention, acknowledgment)
are produced there, never in the request that asks for them."""

from django_tasks import task


@task()
def prepare_convention(convention_id: int, by_id: int) -> None:
    from guichet.applications.conventions import prepare_convention as prepare

    prepare(convention_id, by_id=by_id)


@task()
def seal_convention(convention_id: int) -> None:
    from guichet.applications.conventions import seal_convention as seal

    seal(convention_id)


@task()
def issue_acknowledgment(application_id: int, by_id: int) -> None:
    from guichet.applications.evidence import issue_acknowledgment as issue

    issue(application_id, by_id=by_id)
