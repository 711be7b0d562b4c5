"""Steps of instruction for the clock's tests, through the services and the workflow's
transitions (the transition log row is what the clock reads)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from guichet.applications.workflow import transition
from guichet.instruction import requests


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    """`n` days from today (the transition log is dated now in tests)."""
    return today() + dt.timedelta(days=n)


def assign(application, instructor):
    transition(application, "assign", by=instructor, lead=instructor)
    application.refresh_from_db()
    return application


def request_information(application, instructor, text="Précisez la politique de sauvegarde."):
    return requests.request_information(by=instructor, application=application, text=text)


def answer_information(application, applicant, request, text="Voici la politique."):
    return requests.answer_information(
        by=applicant, application=application, request_id=request.pk, text=text
    )


def request_missing_items(application, instructor, *, due: dt.date):
    """DMN: the date given (at least 10 days ahead); TLC: the platform sets it (60 days)."""
    settings = application.referential_version.process_settings
    return requests.request_missing_items(
        by=instructor,
        application=application,
        items=["Le rapport de test d'intrusion"],
        due=None if settings.missing_items_fixed else due,
    )
