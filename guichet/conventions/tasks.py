"""The convention's PDFs are produced by the task worker, never in the request that asks."""

from django_tasks import task

from guichet.common.tasks import makes_document, retried_when_transient


@task()
@retried_when_transient
def prepare_convention(convention_id: int, by_id: int) -> None:
    from guichet.conventions.services import prepare_convention as prepare

    prepare(convention_id, by_id=by_id)


@task()
@retried_when_transient
def seal_convention(convention_id: int) -> None:
    from guichet.conventions.services import seal_convention as seal

    seal(convention_id)


@makes_document(prepare_convention, label="Convention à signer")
def _conventions_without_draft():
    """Prepared, as at first, on behalf of the one who sent it (its journal entry)."""
    from guichet.conventions.models import Convention
    from guichet.journal.models import JournalEntry

    ids = list(Convention.objects.filter(draft__isnull=True).values_list("pk", flat=True))
    senders = dict(
        JournalEntry.objects.filter(
            action="convention.send",
            object_type="conventions.convention",
            object_id__in=[str(pk) for pk in ids],
            actor__isnull=False,
        ).values_list("object_id", "actor_id")
    )
    return [(pk, senders[str(pk)]) for pk in ids if str(pk) in senders]


@makes_document(seal_convention, label="Convention signée et scellée")
def _signed_conventions_not_sealed():
    from guichet.conventions.models import Convention

    signed = Convention.objects.filter(signed_at__isnull=False, signed__isnull=True)
    return [(pk,) for pk in signed.values_list("pk", flat=True)]
