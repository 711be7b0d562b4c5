"""The pathologies an application claims on the DMN generic line (R-REF-7): « Pour une
candidature en ligne générique [ou plusieurs], des spécifications techniques relatives à 5 pathologies
sont exigées » (DMN guide §5.1). A product may claim one or more; each claimed pathology's
technical specification adds its requirements to the applicable evidence."""

from __future__ import annotations

from django.db import transaction

from guichet.applications.models import Application, Status
from guichet.common.errors import ApplicationError
from guichet.journal.services import record


def _refused(message: str) -> ApplicationError:
    return ApplicationError(
        "Les pathologies n'ont pas été enregistrées.",
        field="pathologies",
        extra={"status": 400, "errors": {"pathologies": message}},
    )


@transaction.atomic
def claim_pathologies(*, by, application: Application, codes: list[str]) -> Application:
    """Sets the pathologies the draft claims, by their code (« diabete ») or their technical
    specification's (« HAS1 »); the first is the application's `pathology`. Refused off the
    generic line, for an unknown or « à venir » pathology, or once the draft is submitted (the
    applicable evidence depends on them)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not by.is_active or by.is_agency or by.organisation_id != application.organisation_id:
        raise ApplicationError(
            "Seul le candidat choisit les pathologies de sa candidature.", extra={"status": 403}
        )
    if application.status != Status.DRAFT:
        raise ApplicationError(
            "Les pathologies se choisissent avant la soumission : la candidature est soumise.",
            extra={"status": 409},
        )
    known = list(application.pathway.pathologies.order_by("position", "pk"))
    if not known:
        raise _refused(f"La démarche « {application.pathway.label} » ne vise pas de pathologie.")
    by_key = {}
    for pathology in known:
        by_key[pathology.code.lower()] = pathology
        by_key[pathology.specification_code.lower()] = pathology
    if not isinstance(codes, list | tuple) or not codes:
        raise _refused("Choisissez au moins une pathologie de la ligne générique.")
    chosen, problems = [], []
    for code in codes:
        pathology = by_key.get(str(code).strip().lower())
        if pathology is None:
            choices = ", ".join(f"{p.specification_code} ({p.code})" for p in known)
            problems.append(f"Pathologie inconnue « {code} ». Pathologies possibles : {choices}.")
        elif not pathology.is_available:
            problems.append(
                f"La spécification technique {pathology.specification_code} ({pathology.label}) "
                "est à venir : cette pathologie ne peut pas encore être choisie."
            )
        elif pathology not in chosen:
            chosen.append(pathology)
    if problems:
        raise _refused(" ".join(problems))
    before = [p.code for p in application.claimed_pathologies]
    application.pathology = chosen[0]
    application.save(update_fields=["pathology", "updated_at"])
    application.pathologies.set(chosen)
    record(
        action="application.pathologies",
        obj=application,
        by=by,
        application_id=application.pk,
        before={"pathologies": before},
        after={"pathologies": [p.code for p in chosen]},
    )
    return application
