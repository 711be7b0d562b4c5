"""The application's workflow as data (issue 11 §0): one executor changes the state, guarded,
logged and journaled; pages and the API ask it what a person may do."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from guichet.applications.models import Application, ApplicationTransition, Status
from guichet.applications.workflow import WORKFLOW, available, transition
from guichet.common.errors import ApplicationError
from guichet.common.workflow import StateProtected
from guichet.journal.models import JournalEntry
from tests.workflow import every_item, fill, walk

pytestmark = pytest.mark.django_db


def test_the_state_is_written_by_the_workflow_only(dmn_application):
    dmn_application.status = Status.COMPLETE
    with pytest.raises(StateProtected):
        dmn_application.save()
    with pytest.raises(StateProtected):
        Application.objects.filter(pk=dmn_application.pk).update(status=Status.COMPLETE)
    dmn_application.refresh_from_db()
    assert dmn_application.status == Status.DRAFT


def test_the_database_keeps_the_state_within_the_known_values(dmn_application):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE applications_application SET status = %s WHERE id = %s",
            ["decidee-a-la-main", dmn_application.pk],
        )


def test_r_aud_1_a_transition_is_logged_and_journaled_with_who_and_why(
    applicant, instructor, dmn_application
):
    walk(dmn_application, "submitted", applicant=applicant, instructor=instructor)
    transition(dmn_application, "declare_not_admissible", by=instructor, reason="Hors champ.")
    log = list(ApplicationTransition.objects.filter(application=dmn_application))
    assert [(row.name, row.source, row.target) for row in log] == [
        ("submit", Status.DRAFT, Status.SUBMITTED),
        ("declare_not_admissible", Status.SUBMITTED, Status.NOT_ADMISSIBLE),
    ]
    assert log[1].by == instructor and log[1].reason == "Hors champ." and log[1].at
    entry = JournalEntry.objects.filter(application_id=str(dmn_application.pk)).last()
    assert entry.action == "admissibility.not_admissible"
    assert entry.before == {"status": "submitted"}
    assert entry.after["status"] == "not_admissible" and entry.after["reason"] == "Hors champ."
    with pytest.raises(StateProtected):
        ApplicationTransition.objects.filter(application=dmn_application).delete()


def test_a_refused_transition_changes_nothing_and_says_why_in_french(
    applicant, instructor, dmn_application
):
    with pytest.raises(ApplicationError) as refused:
        transition(dmn_application, "submit", by=applicant)
    assert refused.value.extra["status"] == 409 and "points à traiter" in refused.value.message
    with pytest.raises(ApplicationError) as not_his:
        transition(dmn_application, "declare_admissible", by=applicant)
    assert not_his.value.extra["status"] == 403 and "réservée à un instructeur" in str(
        not_his.value
    )
    with pytest.raises(ApplicationError) as wrong_state:
        transition(dmn_application, "declare_admissible", by=instructor)
    assert "n'est pas possible quand la candidature est « Brouillon »" in str(wrong_state.value)
    assert not ApplicationTransition.objects.exists()
    dmn_application.refresh_from_db()
    assert dmn_application.status == Status.DRAFT


def test_the_workflow_says_who_may_do_what_now(applicant, instructor, dmn_application):
    assert available(dmn_application, applicant) == []  # incomplete: nothing to submit yet
    fill(dmn_application, applicant)
    assert [t.name for t in available(dmn_application, applicant)] == ["submit"]
    assert available(dmn_application, instructor) == []
    walk(dmn_application, "submitted", applicant=applicant, instructor=instructor)
    from guichet.applications import review

    review.set_verdicts(
        by=instructor, application=dmn_application, opinions=every_item(dmn_application)
    )
    names = [t.name for t in available(dmn_application, instructor)]
    assert "declare_admissible" in names and "declare_not_admissible" in names
    assert "request_fixes" not in names  # nothing flagged
    assert available(dmn_application, applicant) == []


def test_the_api_lists_and_fires_transitions(api, applicant, instructor, dmn_application):
    fill(dmn_application, applicant)
    api.force_authenticate(applicant)
    url = f"/api/v1/applications/{dmn_application.pk}"
    listed = api.get(url + "/").json()["transitions"]
    assert [(t["name"], t["label"]) for t in listed] == [("submit", "Soumettre la candidature")]
    assert api.post(url + "/transitions/submit", {}, format="json").status_code == 200
    api.force_authenticate(instructor)
    refused = api.post(url + "/transitions/declare_admissible", {}, format="json")
    assert refused.status_code == 409 and refused["Content-Type"] == "application/problem+json"
    assert "chaque élément est conforme" in refused.json()["detail"]
    no_reason = api.post(url + "/transitions/declare_not_admissible", {}, format="json")
    assert no_reason.status_code == 400 and "motif" in no_reason.json()["detail"]
    unknown = api.post(url + "/transitions/accorder", {}, format="json")
    assert unknown.status_code == 404
    by_form = api.post(url + "/transitions/sign_convention", {}, format="json")
    assert by_form.status_code == 409 and "son propre formulaire" in by_form.json()["detail"]
    done = api.post(
        url + "/transitions/declare_not_admissible",
        {"reason": "Produit hors champ."},
        format="json",
    )
    assert done.status_code == 200 and done.json()["status"] == Status.NOT_ADMISSIBLE
    assert done.json()["transitions"] == []


def test_every_transition_names_known_states_and_a_french_label():
    for spec in WORKFLOW.all():
        assert spec.label and spec.who
        assert spec.sources <= set(Status.values)


def test_pages_show_the_workflow_actions_and_fire_them_confirmed(
    client, applicant, instructor, dmn_application
):
    from django.urls import reverse

    client.force_login(applicant)
    detail = reverse("applications:detail", args=[dmn_application.pk])
    page = client.get(detail).content.decode()
    assert "Soumettre la candidature</button>" in page and "disabled" in page
    assert "points à traiter" in page  # why not yet
    fill(dmn_application, applicant)
    page = client.get(detail).content.decode()
    url = reverse("applications:transition", args=[dmn_application.pk, "submit"])
    assert f'action="{url}"' in page and "Je confirme" in page
    response = client.post(url, {}, follow=True)
    assert "cochez la case pour confirmer" in response.content.decode()
    dmn_application.refresh_from_db()
    assert dmn_application.status == Status.DRAFT
    response = client.post(url, {"confirm": "on"}, follow=True)
    assert "« Soumettre la candidature » : fait" in response.content.decode()
    dmn_application.refresh_from_db()
    assert dmn_application.status == Status.SUBMITTED
    client.force_login(instructor)
    page = client.get(reverse("applications:review", args=[dmn_application.pk])).content.decode()
    assert "Déclarer non recevable" in page and "chaque élément est conforme" in page


def test_the_state_diagram_in_docs_is_generated_from_the_declaration():
    from django.core.management import call_command

    call_command("workflow_diagram", "--check")  # exits non-zero when docs/ drifted


def test_an_archived_application_leaves_the_agencys_lists_and_keeps_its_data(
    client, applicant, instructor, dmn_application
):
    from django.urls import reverse

    from guichet.applications.clock import as_of

    walk(dmn_application, "submitted", applicant=applicant, instructor=instructor)
    with pytest.raises(ApplicationError, match="6 mois sans évolution"):  # not yet (R-CLK-6)
        transition(dmn_application, "archive", by=instructor, reason="Trop tôt.")
    with as_of(timezone_today() + dt.timedelta(days=200)):  # 6 months without change (R-CLK-6)
        transition(dmn_application, "archive", by=instructor, reason="Sans nouvelles du candidat.")
    client.force_login(instructor)
    listed = client.get(reverse("applications:list")).content.decode()
    assert dmn_application.reference not in listed
    archived = client.get(reverse("applications:list") + "?archivees=1").content.decode()
    assert dmn_application.reference in archived
    assert client.get(reverse("applications:detail", args=[dmn_application.pk])).status_code == 200
    assert JournalEntry.objects.filter(
        application_id=str(dmn_application.pk), action="instruction.archive"
    ).exists()


def timezone_today():
    from django.utils import timezone

    return timezone.localdate()
