"""The acknowledgment of receipt is produced by the task worker, after the last submission."""

from django_tasks import task

from guichet.common.tasks import makes_document, retried_when_transient


@task()
@retried_when_transient
def issue_acknowledgment(application_id: int, by_id: int) -> None:
    from guichet.evidence.acknowledgment import issue_acknowledgment as issue

    issue(application_id, by_id=by_id)


@makes_document(issue_acknowledgment, label="Accusé de réception du dossier complet")
def _complete_dossiers_without_acknowledgment():
    """Filed, as at first, on behalf of the one whose act completed the dossier (its
    transition); a dossier complete on the exceptional certificate's sections only waits."""
    from guichet.applications.models import Application, ApplicationTransition
    from guichet.evidence.services import completed_partially

    waiting = Application.objects.filter(
        evidence_complete_at__isnull=False, acknowledgment__isnull=True
    )
    found = []
    for application in waiting:
        if completed_partially(application):
            continue
        completion = (
            ApplicationTransition.objects.filter(
                application=application, name__in=["complete", "complete_every_section"]
            )
            .exclude(by=None)
            .order_by("-at", "-id")
            .first()
        )
        if completion is not None:
            found.append((application.pk, completion.by_id))
    return found
