"""The convention's PDFs are produced by the task worker, never in the request that asks."""

from django_tasks import task


@task()
def prepare_convention(convention_id: int, by_id: int) -> None:
    from guichet.conventions.services import prepare_convention as prepare

    prepare(convention_id, by_id=by_id)


@task()
def seal_convention(convention_id: int) -> None:
    from guichet.conventions.services import seal_convention as seal

    seal(convention_id)
