"""The INS test day (R-CLK-8; DMN and TLC guides §5.2): the applicant proposes it within 4 weeks
of depositing every proof (the dossier complete), and may move it until the day; from the day
on, the application's instructor records each INS scenario's outcome, visible to the applicant.

Dates are exact and relative to the completion date, fixed at noon in Paris three days ago."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guichet.applications.models import Application
from guichet.applications.workflow import transition
from guichet.common.errors import ApplicationError
from guichet.deadlines import french_date
from guichet.instruction import ins
from guichet.instruction.models import InsScenarioResult, InsTestDay
from guichet.journal.models import JournalEntry
from guichet.referentials.selectors import applicable_requirements
from tests.conftest import make_staff
from tests.instruction.instruction_world import small_version
from tests.workflow import ApplicationFactory, record_ins_outcomes

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def completed_on(application, day: dt.date) -> dt.date:
    """The dossier complete on `day` at noon in Paris (only the status is protected)."""
    Application.objects.filter(pk=application.pk).update(
        evidence_complete_at=dt.datetime.combine(day, dt.time(12), tzinfo=PARIS)
    )
    application.refresh_from_db()
    return day


@pytest.fixture
def complete(applicant, instructor, catalogue):
    """A complete dossier on a small DMN-like version with an INS section (three INS
    scenarios: INS 1.1, INS 1.2, INS 2.1), completed 3 days ago."""
    version = small_version("DMN", process={"ins_section": "INS"}, ins=True)
    application = ApplicationFactory(
        applicant=applicant, instructor=instructor, referential=version, state="complete"
    )
    completed_on(application, timezone.localdate() - dt.timedelta(days=3))
    return application


def assign(application, instructor):
    """The agency assigns the dossier (the assignment part's effect records the instructors;
    the membership is ensured here as well, so that this test does not depend on it)."""
    transition(application, "assign", by=instructor, lead=instructor)
    application.instructors.add(instructor)
    application.refresh_from_db()
    return application


def record_all(application, by, *, failed=()):
    record_ins_outcomes(application, by, failed=failed)


# --- which applications have a test day ---------------------------------------------------------


@pytest.mark.parametrize("referential", ["dmn", "tlc"])
def test_r_clk_8_the_test_day_reviews_the_applicable_scenarios_of_the_ins_section(
    request, applicant, instructor, referential
):
    version = request.getfixturevalue(referential)
    application = ApplicationFactory(
        applicant=applicant, instructor=instructor, referential=version, state="submitted"
    )
    expected = [
        scenario.code
        for requirement in applicable_requirements(version, application.profiles)
        if requirement.section.code == "INS"
        for scenario in requirement.scenarios
    ]
    assert expected and all(code.startswith("INS ") for code in expected)
    assert [s.code for s in ins.ins_scenarios(application)] == expected
    # The section is data of the version: a version without one has no test day.
    application.referential_version.process = {
        **application.referential_version.process,
        "ins_section": "",
    }
    assert ins.ins_scenarios(application) == []


def test_r_clk_8_the_catalogue_names_the_ins_section(dmn, tlc):
    from guichet.referentials.process import ProcessSettings, check_process

    assert dmn.process_settings.ins_section == tlc.process_settings.ins_section == "INS"
    assert dmn.process_settings.ins_test_day_weeks == tlc.process_settings.ins_test_day_weeks == 4
    # A version stored before the setting existed has the guides' section.
    assert ProcessSettings.from_data({"deadline_policy": "TLC"}).ins_section == "INS"
    assert check_process({"ins_test_day_weeks": 0}) == [
        "Le délai de la journée de tests INS compte au moins une semaine."
    ]
    assert check_process({"ins_section": ["INS"]}) == [
        "La section INS est un code de section (texte), vide s'il n'y en a pas."
    ]


# --- the applicant proposes the day -------------------------------------------------------------


def test_r_clk_8_a_day_exactly_four_weeks_after_completion_is_accepted(
    complete, applicant, django_capture_on_commit_callbacks
):
    start = ins.complete_on(complete)
    assert ins.last_test_day(complete) == start + dt.timedelta(days=28)
    with django_capture_on_commit_callbacks(execute=True):
        test_day = ins.propose_test_day(
            by=applicant,
            application=complete,
            day=start + dt.timedelta(days=28),
            note=" Visioconférence 9 h – 17 h ",
        )
    assert test_day.day == start + dt.timedelta(days=28)
    assert test_day.note == "Visioconférence 9 h – 17 h"
    entry = JournalEntry.objects.get(action="instruction.ins_test_day.propose")
    assert entry.application_id == str(complete.pk)
    assert entry.after == {
        "day": (start + dt.timedelta(days=28)).isoformat(),
        "note": "Visioconférence 9 h – 17 h",
    }
    # Not yet assigned: every instructor learns of it.
    [sent] = [m for m in mail.outbox if "journée de tests INS" in m.subject]
    assert "instructeur@agence.test" in sent.to
    assert french_date(start + dt.timedelta(days=28)) in sent.body


def test_r_clk_8_one_day_later_is_refused_with_the_last_allowed_date(complete, applicant):
    start = ins.complete_on(complete)
    last = start + dt.timedelta(days=28)
    with pytest.raises(ApplicationError) as refused:
        ins.propose_test_day(by=applicant, application=complete, day=last + dt.timedelta(days=1))
    assert refused.value.extra["status"] == 400 and refused.value.field == "day"
    message = refused.value.message
    assert "dans les 4 semaines suivant le dépôt de l'ensemble des preuves" in message
    assert f"(le {french_date(start)})" in message
    assert f"au plus tard le {french_date(last)}" in message
    assert not InsTestDay.objects.exists()
    assert not JournalEntry.objects.filter(action__startswith="instruction.ins").exists()


def test_r_clk_8_a_past_day_or_one_before_completion_is_refused(complete, applicant):
    today = timezone.localdate()
    start = ins.complete_on(complete)  # three days ago
    with pytest.raises(ApplicationError) as past:
        ins.propose_test_day(by=applicant, application=complete, day=today - dt.timedelta(days=1))
    assert past.value.message.startswith(
        f"Le {french_date(today - dt.timedelta(days=1))} est passé : choisissez une date du "
        f"{french_date(today)} au {french_date(start + dt.timedelta(days=28))}"
    )
    with pytest.raises(ApplicationError) as early:
        ins.propose_test_day(by=applicant, application=complete, day=start - dt.timedelta(days=1))
    assert (
        f"précède le dépôt de l'ensemble des preuves (dossier complet le {french_date(start)})"
        in (early.value.message)
    )
    assert not InsTestDay.objects.exists()


def test_r_clk_8_today_is_accepted(complete, member):
    """Any member of the applying organisation may propose it, for today."""
    today = timezone.localdate()
    assert ins.propose_test_day(by=member, application=complete, day=today).day == today


def test_r_clk_8_no_day_before_the_dossier_is_complete(dmn_admissible, applicant):
    with pytest.raises(ApplicationError) as refused:
        ins.propose_test_day(by=applicant, application=dmn_admissible, day=timezone.localdate())
    assert refused.value.extra["status"] == 409
    assert "une fois le dossier complet" in refused.value.message


def test_r_clk_8_the_window_closed_is_said(complete, applicant):
    start = completed_on(complete, timezone.localdate() - dt.timedelta(days=29))
    with pytest.raises(ApplicationError) as refused:
        ins.propose_test_day(by=applicant, application=complete, day=timezone.localdate())
    assert refused.value.extra["status"] == 409
    assert f"au plus tard le {french_date(start + dt.timedelta(days=28))}" in refused.value.message
    assert "ce délai est passé" in refused.value.message


def test_r_clk_8_the_agency_does_not_propose_the_day(complete, instructor):
    with pytest.raises(ApplicationError) as refused:
        ins.propose_test_day(by=instructor, application=complete, day=timezone.localdate())
    assert refused.value.extra["status"] == 403


def test_r_clk_8_the_day_moves_until_then_journaled_and_the_assigned_instructors_emailed(
    complete, applicant, instructor, django_capture_on_commit_callbacks
):
    other = make_staff("autre-instructeur@agence.test", "instructor")
    assign(complete, instructor)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        ins.propose_test_day(by=applicant, application=complete, day=today + dt.timedelta(days=10))
        ins.propose_test_day(by=applicant, application=complete, day=today + dt.timedelta(days=12))
        # The same day and note again: nothing changes, nobody is written to.
        ins.propose_test_day(by=applicant, application=complete, day=today + dt.timedelta(days=12))
    assert InsTestDay.objects.get(application=complete).day == today + dt.timedelta(days=12)
    actions = list(
        JournalEntry.objects.filter(action__startswith="instruction.ins_test_day")
        .order_by("id")
        .values_list("action", "before", "after")
    )
    assert actions == [
        (
            "instruction.ins_test_day.propose",
            None,
            {"day": (today + dt.timedelta(days=10)).isoformat(), "note": ""},
        ),
        (
            "instruction.ins_test_day.change",
            {"day": (today + dt.timedelta(days=10)).isoformat(), "note": ""},
            {"day": (today + dt.timedelta(days=12)).isoformat(), "note": ""},
        ),
    ]
    sent = [m for m in mail.outbox if "journée de tests INS" in m.subject]
    assert [m.to for m in sent] == [[instructor.email], [instructor.email]]
    assert other.email not in sent[1].to
    assert f"au lieu du {french_date(today + dt.timedelta(days=10))}" in sent[1].body


def test_r_clk_8_the_day_does_not_move_once_past_or_once_results_are_recorded(
    complete, applicant, instructor
):
    assign(complete, instructor)
    today = timezone.localdate()
    test_day = ins.propose_test_day(by=applicant, application=complete, day=today)
    scenario = ins.ins_scenarios(complete)[0]
    ins.record_scenario_result(
        by=instructor, application=complete, scenario=scenario.id, outcome="passed"
    )
    with pytest.raises(ApplicationError) as refused:
        ins.propose_test_day(by=applicant, application=complete, day=today + dt.timedelta(days=1))
    assert refused.value.extra["status"] == 409
    assert "a déjà enregistré des résultats" in refused.value.message
    InsScenarioResult.objects.all().delete()
    InsTestDay.objects.filter(pk=test_day.pk).update(day=today - dt.timedelta(days=1))
    with pytest.raises(ApplicationError) as past:
        ins.propose_test_day(by=applicant, application=complete, day=today + dt.timedelta(days=1))
    assert past.value.message == (
        f"La journée de tests a eu lieu le {french_date(today - dt.timedelta(days=1))} : sa date "
        "ne change plus."
    )


# --- the instructor records each scenario's outcome ---------------------------------------------


def test_r_clk_8_the_instructor_records_each_ins_scenario_outcome(
    complete, applicant, instructor, django_capture_on_commit_callbacks
):
    assign(complete, instructor)
    ins.propose_test_day(by=applicant, application=complete, day=timezone.localdate())
    scenarios = ins.ins_scenarios(complete)
    first = scenarios[0]
    with pytest.raises(ApplicationError) as no_comment:
        ins.record_scenario_result(
            by=instructor, application=complete, scenario=first.code, outcome="failed"
        )
    assert no_comment.value.field == "comment" and no_comment.value.extra["status"] == 400
    assert not InsScenarioResult.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        record_all(complete, instructor, failed={first.code})
    overview = ins.ins_overview(complete)
    assert overview.finished and overview.recorded == len(scenarios) and overview.failed == 1
    assert [row.result.outcome for row in overview.rows] == ["failed"] + ["passed"] * (
        len(scenarios) - 1
    )
    entries = JournalEntry.objects.filter(action="instruction.ins_result").order_by("id")
    assert entries.count() == len(scenarios)
    assert entries.first().after == {
        "scenario": first.code,
        "outcome": "failed",
        "comment": "Le matricule INS est tronqué.",
    }
    assert entries.last().after["finished"] is True
    [told] = [m for m in mail.outbox if "journée de tests INS terminée" in m.subject]
    assert "resp@telesante.fr" in told.to
    assert f"{len(scenarios) - 1} scénarios atteints, 1 non atteint." in told.body
    # A correction is journaled with the former outcome; the day stays finished.
    ins.record_scenario_result(
        by=instructor, application=complete, scenario=str(first.id), outcome="passed"
    )
    correction = JournalEntry.objects.filter(action="instruction.ins_result").last()
    assert correction.before == {"outcome": "failed", "comment": "Le matricule INS est tronqué."}
    assert "finished" not in correction.after
    assert ins.ins_overview(complete).failed == 0


def test_r_clk_8_results_are_recorded_from_the_day_on(complete, applicant, agency_admin):
    day = timezone.localdate() + dt.timedelta(days=2)
    with pytest.raises(ApplicationError) as no_day:
        ins.record_scenario_result(
            by=agency_admin, application=complete, scenario="INS 1.1", outcome="passed"
        )
    assert "pas encore proposé la date" in no_day.value.message
    ins.propose_test_day(by=applicant, application=complete, day=day)
    with pytest.raises(ApplicationError) as early:
        ins.record_scenario_result(
            by=agency_admin, application=complete, scenario="INS 1.1", outcome="passed"
        )
    assert early.value.extra["status"] == 409
    assert f"a lieu le {french_date(day)}" in early.value.message
    assert not InsScenarioResult.objects.exists()


def test_r_clk_8_only_the_application_instructors_or_the_admin_record_results(
    complete, applicant, instructor, committee_member, agency_admin
):
    ins.propose_test_day(by=applicant, application=complete, day=timezone.localdate())
    # Not assigned yet: no instructor of this application; the committee never instructs.
    for who in (instructor, committee_member, applicant):
        with pytest.raises(ApplicationError) as refused:
            ins.record_scenario_result(
                by=who, application=complete, scenario="INS 1.1", outcome="passed"
            )
        assert refused.value.extra["status"] == 403
    ins.record_scenario_result(
        by=agency_admin, application=complete, scenario="ins  1.1", outcome="passed"
    )
    with pytest.raises(ApplicationError) as unknown:
        ins.record_scenario_result(
            by=agency_admin, application=complete, scenario="PSC 1.1", outcome="passed"
        )
    assert unknown.value.field == "scenario" and "INS 1.1" in unknown.value.message


# --- API -----------------------------------------------------------------------------------------


def test_r_clk_8_api_propose_then_record_by_code_and_read_results(
    api, complete, applicant, instructor
):
    assign(complete, instructor)
    url = f"/api/v1/applications/{complete.pk}/ins-test-day"
    start = ins.complete_on(complete)
    api.force_authenticate(applicant)
    before = api.get(url).json()
    assert before["applicable"] and before["day"] is None and before["change_refusal"] is None
    assert before["last_day"] == (start + dt.timedelta(days=28)).isoformat()
    assert before["complete_on"] == start.isoformat() and before["weeks"] == 4
    late = api.post(url, {"day": (start + dt.timedelta(days=29)).isoformat()}, format="json")
    assert late.status_code == 400 and late["Content-Type"] == "application/problem+json"
    assert f"au plus tard le {french_date(start + dt.timedelta(days=28))}" in late.json()["detail"]
    assert late.json()["errors"] == {"day": [late.json()["detail"]]}
    garbled = api.post(url, {"day": "10/02/2026"}, format="json")
    assert garbled.status_code == 400 and "AAAA-MM-JJ" in garbled.json()["detail"]
    today = timezone.localdate()
    proposed = api.post(url, {"day": today.isoformat(), "note": "Matin"}, format="json")
    assert proposed.status_code == 200, proposed.content
    assert proposed.json()["day"] == today.isoformat() and proposed.json()["note"] == "Matin"
    refused = api.post(
        f"{url}/results", {"scenario": "INS 1.1", "outcome": "passed"}, format="json"
    )
    assert refused.status_code == 403  # the applicant does not record results
    api.force_authenticate(instructor)
    recorded = api.post(
        f"{url}/results",
        {"scenario": "INS 1.1", "outcome": "failed", "comment": "Troncature du prénom."},
        format="json",
    )
    assert recorded.status_code == 200, recorded.content
    scenario_id = recorded.json()["scenarios"][1]["id"]
    by_id = api.post(
        f"{url}/results", {"scenario": scenario_id, "outcome": "passed"}, format="json"
    )
    assert by_id.json()["recorded"] == 2
    bad = api.post(f"{url}/results", {"scenario": True, "outcome": "perhaps"}, format="json")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"scenario", "outcome"}
    # The applicant reads the results and why the day no longer moves.
    api.force_authenticate(applicant)
    seen = api.get(url).json()
    assert seen["scenarios"][0]["code"] == "INS 1.1"
    assert seen["scenarios"][0]["result"]["outcome"] == "failed"
    assert seen["scenarios"][0]["result"]["comment"] == "Troncature du prénom."
    assert "déjà enregistré des résultats" in seen["change_refusal"]
    assert not seen["finished"]


def test_r_clk_8_api_another_organisation_gets_404_and_changes_nothing(
    api, complete, applicant, stranger
):
    ins.propose_test_day(by=applicant, application=complete, day=timezone.localdate())
    url = f"/api/v1/applications/{complete.pk}/ins-test-day"
    api.force_authenticate(stranger)
    assert api.get(url).status_code == 404
    moved = api.post(url, {"day": timezone.localdate().isoformat(), "note": "x"}, format="json")
    assert moved.status_code == 404
    result = api.post(f"{url}/results", {"scenario": "INS 1.1", "outcome": "passed"}, format="json")
    assert result.status_code == 404
    assert InsTestDay.objects.get().note == "" and not InsScenarioResult.objects.exists()


def test_r_clk_8_api_a_committee_member_gets_403(api, complete, applicant, committee_member):
    ins.propose_test_day(by=applicant, application=complete, day=timezone.localdate())
    url = f"/api/v1/applications/{complete.pk}/ins-test-day"
    api.force_authenticate(committee_member)
    assert api.get(url).status_code == 200  # the agency reads every dossier (R-ACT-1)
    response = api.post(
        f"{url}/results", {"scenario": "INS 1.1", "outcome": "passed"}, format="json"
    )
    assert response.status_code == 403
    assert "instructeur de la candidature" in response.json()["detail"]
    assert not InsScenarioResult.objects.exists()


# --- pages ---------------------------------------------------------------------------------------


def test_r_clk_8_the_page_tells_the_applicant_what_will_be_asked_before_completion(
    client, dmn_admissible, applicant
):
    client.force_login(applicant)
    page = client.get(reverse("applications:detail", args=[dmn_admissible.pk])).content.decode()
    assert "Journée de tests INS" in page
    assert "dans les 4 semaines qui suivent" in page and "INS 1.1" in page
    assert reverse("instruction:ins-propose", args=[dmn_admissible.pk]) not in page


def test_r_clk_8_pages_propose_the_day_then_record_results_visible_to_the_applicant(
    client, complete, applicant, instructor
):
    assign(complete, instructor)
    detail = reverse("applications:detail", args=[complete.pk])
    propose = reverse("instruction:ins-propose", args=[complete.pk])
    last = ins.complete_on(complete) + dt.timedelta(days=28)
    client.force_login(applicant)
    page = client.get(detail).content.decode()
    assert f'action="{propose}"' in page
    assert f"au plus tard le <strong>{french_date(last)}</strong>" in page
    late = client.post(propose, {"day": (last + dt.timedelta(days=1)).isoformat()}, follow=True)
    assert f"au plus tard le {french_date(last)}" in late.content.decode()
    assert not InsTestDay.objects.exists()
    empty = client.post(propose, {"day": ""}, follow=True)
    assert "Indiquez la date de la journée de tests." in empty.content.decode()
    today = timezone.localdate()
    done = client.post(propose, {"day": today.strftime("%d/%m/%Y"), "note": "Visio"}, follow=True)
    assert f"Journée de tests INS proposée le {french_date(today)}" in done.content.decode()
    assert InsTestDay.objects.get().day == today

    client.force_login(instructor)
    result_url = reverse("instruction:ins-result", args=[complete.pk])
    page = client.get(detail).content.decode()
    assert f'action="{result_url}"' in page and "Enregistrer le résultat" in page
    first = ins.ins_scenarios(complete)[0]
    missing = client.post(result_url, {"scenario": first.id, "outcome": "failed"}, follow=True)
    assert "indiquez dans le commentaire ce qui n&#x27;a pas été atteint" in (
        missing.content.decode()
    )
    saved = client.post(
        result_url,
        {"scenario": first.id, "outcome": "failed", "comment": "Prénoms tronqués."},
        follow=True,
    )
    assert f"Scénario {first.code} : « Résultat non atteint » enregistré." in saved.content.decode()
    for scenario in ins.ins_scenarios(complete)[1:]:
        response = client.post(result_url, {"scenario": scenario.id, "outcome": "passed"})
    assert "Journée de tests terminée" in client.get(response.url).content.decode()

    client.force_login(applicant)
    page = client.get(detail).content.decode()
    assert "Journée de tests terminée" in page and "Prénoms tronqués." in page
    assert f'action="{result_url}"' not in page and f'action="{propose}"' not in page
    passed = len(ins.ins_scenarios(complete)) - 1
    assert f"{passed} résultats atteints, 1 non atteint." in page
    assert client.post(result_url, {"scenario": first.id, "outcome": "passed"}).status_code == 403


def test_r_clk_8_pages_refuse_the_committee_and_another_organisation(
    client, complete, applicant, committee_member, stranger
):
    ins.propose_test_day(by=applicant, application=complete, day=timezone.localdate())
    result_url = reverse("instruction:ins-result", args=[complete.pk])
    client.force_login(committee_member)
    assert client.post(result_url, {"scenario": "INS 1.1", "outcome": "passed"}).status_code == 403
    client.force_login(stranger)
    propose = reverse("instruction:ins-propose", args=[complete.pk])
    assert client.post(propose, {"day": timezone.localdate().isoformat()}).status_code == 404
    assert client.post(result_url, {"scenario": "INS 1.1", "outcome": "passed"}).status_code == 404
    assert not InsScenarioResult.objects.exists()


def test_r_clk_8_the_application_page_queries_do_not_grow_with_the_results(
    client, complete, applicant, instructor
):
    assign(complete, instructor)
    ins.propose_test_day(by=applicant, application=complete, day=timezone.localdate())
    client.force_login(instructor)
    url = reverse("applications:detail", args=[complete.pk])

    def queries() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    first = ins.ins_scenarios(complete)[0]
    ins.record_scenario_result(
        by=instructor, application=complete, scenario=first.id, outcome="passed"
    )
    before = queries()
    record_all(complete, instructor)
    assert queries() == before
