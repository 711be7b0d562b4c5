"""The decision letter is produced by the task worker after the sign-off, never in the request
that signs it off (R-DEC-3)."""

from django_tasks import task


@task()
def produce_decision_letter(decision_id: int) -> None:
    from guichet.committee.services import produce_letter

    produce_letter(decision_id)
