"""Steps of instruction for the clock's tests, through the workflow's transitions.

The assignment and the requests parts of issue 11 add effects to `assign`,
`request_information` and `answer_information` (the assigned instructors, the request's row);
until they are there, these steps do what the effects would (the M2M of assigned
instructors, the InformationRequest row) when the transition did not. The transition log row,
which the clock reads, is the transition's own."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from guichet.applications.workflow import transition
from guichet.instruction.models import InformationRequest


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    """`n` days from today (the transition log is dated now in tests)."""
    return today() + dt.timedelta(days=n)


def assign(application, instructor):
    transition(application, "assign", by=instructor, lead=instructor)
    if not application.instructors.filter(pk=instructor.pk).exists():
        application.instructors.add(instructor)
    return application


def request_information(application, instructor, text="Précisez la politique de sauvegarde."):
    before = InformationRequest.objects.filter(application=application).count()
    transition(application, "request_information", by=instructor, text=text, proofs=[])
    request = InformationRequest.objects.filter(application=application).order_by("-number")
    if request.count() == before:  # the requests part's effect is not there
        return InformationRequest.objects.create(
            application=application,
            number=before + 1,
            text=text,
            created_by=instructor,
            created_at=timezone.now(),
        )
    return request.first()


def answer_information(application, applicant, request, text="Voici la politique."):
    transition(application, "answer_information", by=applicant, request=request, answer=text)
    request.refresh_from_db()
    if request.answered_at is None:
        request.answer, request.answered_by, request.answered_at = text, applicant, timezone.now()
        request.save()
    return request


def request_missing_items(application, instructor, *, due: dt.date):
    return transition(
        application,
        "request_missing_items",
        by=instructor,
        due=due,
        items=["Le rapport de test d'intrusion"],
        proofs=[],
    )
