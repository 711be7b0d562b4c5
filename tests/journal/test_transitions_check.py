"""`verify_journal --transitions` (issue 23 §3): « every state change has its transition log row
and journal entry ». The workflow's executor writes the state, the log row and the journal entry
in one transaction, so a crash leaves all three or none; the operator checks it after a restart
with the command the crash loop also runs."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from guichet.applications.models import ApplicationTransition
from guichet.journal.models import JournalEntry
from tests.journal.attacker import delete
from tests.workflow import walk

pytestmark = pytest.mark.django_db


def test_crash_verify_journal_transitions_passes_when_state_log_and_journal_agree(
    dmn_application, applicant, instructor
):
    """Submitted, then sent back for fixes: two transitions, each logged and journaled."""
    walk(dmn_application, "to_fix", applicant=applicant, instructor=instructor)
    out = StringIO()
    call_command("verify_journal", "--transitions", stdout=out)
    assert "États et transitions cohérents" in out.getvalue()
    assert "2 transitions journalisées" in out.getvalue()


def test_crash_verify_journal_transitions_names_a_state_without_its_log_row(
    dmn_application, applicant, instructor
):
    """A log row written alone (as a half-done act would leave it): the application's state is
    no longer its last transition's target, and the move has no journal entry."""
    application = walk(dmn_application, "submitted", applicant=applicant, instructor=instructor)
    ApplicationTransition.objects.create(
        application=application,
        name="request_fixes",
        source="submitted",
        target="to_fix",
        at=timezone.now(),
    )
    with pytest.raises(CommandError) as refused:
        call_command("verify_journal", "--transitions", stdout=StringIO())
    message = str(refused.value)
    assert f"La candidature n° {application.pk} est « submitted »" in message
    assert "mène à « to_fix »" in message
    assert "1 transition « submitted » → « to_fix » sans son entrée du journal" in message


def test_crash_verify_journal_transitions_names_a_transition_whose_entry_is_gone(
    dmn_application, applicant, instructor
):
    """The journal entry of a submission removed (by the database's owner, with the
    append-only triggers off): the submission is named."""
    application = walk(dmn_application, "submitted", applicant=applicant, instructor=instructor)
    entry = JournalEntry.objects.get(
        object_type="applications.application",
        object_id=str(application.pk),
        action="application.submit",
    )
    delete(entry.pk)
    with pytest.raises(CommandError) as refused:
        call_command("verify_journal", "--transitions", stdout=StringIO())
    assert "« draft » → « submitted » sans son entrée du journal" in str(refused.value)
