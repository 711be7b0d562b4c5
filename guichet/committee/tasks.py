"""The decision letter is produced by the task worker after the sign-off, never in the request
that signs it off (R-DEC-3)."""

from django_tasks import task

from guichet.common.tasks import makes_document, retried_when_transient


@task()
@retried_when_transient
def produce_decision_letter(decision_id: int) -> None:
    from guichet.committee.services import produce_letter

    produce_letter(decision_id)


@makes_document(produce_decision_letter, label="Lettre de décision scellée")
def _decisions_without_letter():
    from guichet.committee.models import Decision

    signed_off = Decision.objects.filter(signed_off_at__isnull=False, letter__isnull=True)
    return [(pk,) for pk in signed_off.values_list("pk", flat=True)]
