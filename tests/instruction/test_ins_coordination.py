"""The INS test day is coordinated with the agency (R-CLK-8; DMN and TLC guides §5.2): the
agency confirms the applicant's date or proposes another, records who attended and the test
environment, and each scenario's outcome is the verdict on that scenario's INS proofs.

« L'organisation de cette journée de test dans les 4 semaines suivant le dépôt de l'ensemble des
preuves … incombe à l'Exploitant (identification de l'utilisateur à mobiliser, planification de
la journée en coordination avec l'ANS, …). »"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from guichet.applications.models import Application
from guichet.applications.workflow import transition
from guichet.common.errors import ApplicationError
from guichet.deadlines import french_date
from guichet.instruction import ins
from guichet.instruction.models import DayAgreement, InsTestDay
from guichet.instruction.proofs import applicable_proofs
from guichet.instruction.verdicts import latest_proof_verdicts, set_proof_verdicts
from guichet.journal.models import JournalEntry
from tests.instruction.instruction_world import small_version
from tests.workflow import ApplicationFactory, record_ins_outcomes

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def complete(applicant, instructor, catalogue):
    """A complete dossier (three INS scenarios, one proof each), completed 3 days ago and
    assigned to `instructor`."""
    version = small_version("DMN", process={"ins_section": "INS"}, ins=True)
    application = ApplicationFactory(
        applicant=applicant, instructor=instructor, referential=version, state="complete"
    )
    day = timezone.localdate() - dt.timedelta(days=3)
    Application.objects.filter(pk=application.pk).update(
        evidence_complete_at=dt.datetime.combine(day, dt.time(12), tzinfo=PARIS)
    )
    transition(application, "assign", by=instructor, lead=instructor)
    application.instructors.add(instructor)
    application.refresh_from_db()
    return application


def detail(application) -> str:
    return reverse("applications:detail", args=[application.pk])


def sent(subject: str):
    return [m for m in mail.outbox if subject in m.subject]


PEOPLE = [
    {"side": "agency", "name": "Claire Martin", "role": "Cheffe de projet INS"},
    {"side": "expert", "name": "Paul Durand", "role": "Expert en identitovigilance (GRADeS)"},
    {"side": "applicant", "name": "Léa Petit", "role": "Utilisatrice mobilisée"},
]


# --- the date, « en coordination avec l'ANS » ----------------------------------------------------


def test_r_clk_8_the_agency_confirms_the_day_the_applicant_proposed(
    client, complete, applicant, instructor, committee_member, django_capture_on_commit_callbacks
):
    """« planification de la journée en coordination avec l'ANS » (guides §5.2): the applicant
    proposes, the agency confirms; the applicant is told and sees it."""
    day = timezone.localdate() + dt.timedelta(days=7)
    ins.propose_test_day(by=applicant, application=complete, day=day)
    client.force_login(applicant)
    page = client.get(detail(complete)).content.decode()
    assert "proposée par vous, à confirmer par l&#x27;agence" in page
    # Neither the applicant nor the committee confirms it.
    for who in (applicant, committee_member):
        with pytest.raises(ApplicationError) as refused:
            ins.confirm_test_day(by=who, application=complete)
        assert refused.value.extra["status"] == 403
    client.force_login(instructor)
    page = client.get(detail(complete)).content.decode()
    confirm = reverse("instruction:ins-confirm", args=[complete.pk])
    assert f'action="{confirm}"' in page and "proposée par le candidat, à confirmer" in page
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(confirm, follow=True).content.decode()
    assert f"Journée de tests INS confirmée le {french_date(day)}" in done
    test_day = InsTestDay.objects.get(application=complete)
    assert test_day.agreement == DayAgreement.CONFIRMED and test_day.confirmed_by == instructor
    [told] = sent("journée de tests INS confirmée")
    assert "resp@telesante.fr" in told.to and french_date(day) in told.body
    entry = JournalEntry.objects.get(action="instruction.ins_test_day.confirm")
    assert entry.after == {"day": day.isoformat()} and entry.application_id == str(complete.pk)
    again = client.post(confirm, follow=True).content.decode()
    assert "est déjà confirmée" in again
    client.force_login(applicant)
    page = client.get(detail(complete)).content.decode()
    assert "confirmée</span>" in page and f'action="{confirm}"' not in page
    # The applicant moves it: the agency confirms the new date again.
    ins.propose_test_day(by=applicant, application=complete, day=day + dt.timedelta(days=1))
    test_day.refresh_from_db()
    assert test_day.agreement == DayAgreement.PROPOSED and test_day.confirmed_at is None


def test_r_clk_8_the_agency_proposes_another_date_within_the_same_bounds(
    client, complete, applicant, instructor, django_capture_on_commit_callbacks
):
    """« en coordination avec l'ANS »: the agency may propose another date, bounded as the
    applicant's (« dans les 4 semaines suivant le dépôt de l'ensemble des preuves »); the
    applicant accepts it."""
    today = timezone.localdate()
    start = ins.complete_on(complete)
    last = start + dt.timedelta(days=28)
    with pytest.raises(ApplicationError) as nothing:
        ins.propose_other_day(by=instructor, application=complete, day=today)
    assert nothing.value.extra["status"] == 409 and "pas encore proposé" in nothing.value.message
    ins.propose_test_day(by=applicant, application=complete, day=today + dt.timedelta(days=5))
    with pytest.raises(ApplicationError) as late:
        ins.propose_other_day(by=instructor, application=complete, day=last + dt.timedelta(1))
    assert late.value.field == "day" and late.value.extra["status"] == 400
    assert f"au plus tard le {french_date(last)}" in late.value.message
    with pytest.raises(ApplicationError) as past:
        ins.propose_other_day(by=instructor, application=complete, day=today - dt.timedelta(1))
    assert f"est passé : choisissez une date du {french_date(today)}" in past.value.message
    with pytest.raises(ApplicationError) as same:
        ins.propose_other_day(by=instructor, application=complete, day=today + dt.timedelta(days=5))
    assert "confirmez-la plutôt" in same.value.message
    with pytest.raises(ApplicationError) as outsider:
        ins.propose_other_day(by=applicant, application=complete, day=today)
    assert outsider.value.extra["status"] == 403
    assert not JournalEntry.objects.filter(action__contains="agency_propose").exists()

    client.force_login(instructor)
    other = today + dt.timedelta(days=9)
    url = reverse("instruction:ins-agency-propose", args=[complete.pk])
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"day": other.isoformat(), "note": "Salle 4"}, follow=True)
    assert f"Le {french_date(other)} est proposé au candidat" in done.content.decode()
    test_day = InsTestDay.objects.get()
    assert (test_day.day, test_day.agreement) == (other, DayAgreement.AGENCY_PROPOSED)
    [told] = sent("autre date proposée")
    assert f"le {french_date(other)} (au lieu du {french_date(today + dt.timedelta(5))})" in (
        told.body
    )
    assert f"au plus tard le {french_date(last)}" in told.body
    entry = JournalEntry.objects.get(action="instruction.ins_test_day.agency_propose")
    assert entry.before == {"day": (today + dt.timedelta(5)).isoformat(), "agreement": "proposed"}
    # The agency does not confirm its own date: the applicant does.
    with pytest.raises(ApplicationError) as own:
        ins.confirm_test_day(by=instructor, application=complete)
    assert "c'est au candidat de l'accepter" in own.value.message

    client.force_login(applicant)
    page = client.get(detail(complete)).content.decode()
    accept = reverse("instruction:ins-accept", args=[complete.pk])
    assert f"l&#x27;agence propose le {french_date(other)}" in page
    assert f'action="{accept}"' in page and "Précisions de l'agence : Salle 4" in page
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(accept, follow=True).content.decode()
    assert f"Journée de tests INS confirmée le {french_date(other)}" in accepted
    test_day.refresh_from_db()
    assert test_day.agreement == DayAgreement.CONFIRMED and test_day.confirmed_by == applicant
    [instructors_told] = sent("journée de tests INS confirmée")
    assert instructor.email in instructors_told.to
    assert JournalEntry.objects.filter(action="instruction.ins_test_day.accept").count() == 1
    refused = client.post(accept, follow=True).content.decode()
    assert "Aucune date proposée par l&#x27;agence n&#x27;attend votre réponse" in refused


def test_r_clk_8_the_applicant_may_move_the_agency_date_again(complete, applicant, instructor):
    """The applicant, who organises the day, answers the agency's date with another one: the
    agency confirms it then."""
    today = timezone.localdate()
    ins.propose_test_day(by=applicant, application=complete, day=today + dt.timedelta(days=2))
    ins.propose_other_day(by=instructor, application=complete, day=today + dt.timedelta(days=4))
    ins.propose_test_day(by=applicant, application=complete, day=today + dt.timedelta(days=6))
    overview = ins.ins_overview(complete)
    assert overview.awaits_agency
    assert overview.agreement_text(for_applicant=True) == (
        "proposée par vous, à confirmer par l'agence"
    )
    with pytest.raises(ApplicationError) as nothing:
        ins.accept_agency_day(by=applicant, application=complete)
    assert nothing.value.extra["status"] == 409
    ins.confirm_test_day(by=instructor, application=complete)
    assert ins.ins_overview(complete).is_confirmed
    # Proposing back the agency's very date is accepting it.
    ins.propose_other_day(by=instructor, application=complete, day=today + dt.timedelta(days=8))
    ins.propose_test_day(by=applicant, application=complete, day=today + dt.timedelta(days=8))
    assert InsTestDay.objects.get().agreement == DayAgreement.CONFIRMED


# --- who attended, the environment ---------------------------------------------------------------


def test_r_clk_8_the_instructor_records_attendees_and_environment_from_the_day_on(
    client, complete, applicant, instructor
):
    """« en présence d'un représentant de l'ANS (et éventuellement, en présence d'un expert
    extérieur mandaté par l'ANS …) » ; « L'Exploitant déroule les scénarios de conformité en
    environnement de recette usine qu'il met à disposition »."""
    today = timezone.localdate()
    ins.propose_test_day(by=applicant, application=complete, day=today + dt.timedelta(days=1))
    with pytest.raises(ApplicationError) as early:
        ins.record_attendance(
            by=instructor, application=complete, attendees=PEOPLE, environment="Recette"
        )
    assert early.value.extra["status"] == 409 and "ce jour-là ou après" in early.value.message
    InsTestDay.objects.update(day=today)  # the day has come
    bad = [
        ([PEOPLE[2]], "Recette", "au moins un représentant de l'agence"),
        ([PEOPLE[0]], "Recette", "au moins un participant du candidat"),
        ([{**PEOPLE[0], "name": " "}, PEOPLE[2]], "Recette", "Participant 1 : indiquez son nom."),
        ([PEOPLE[0], {**PEOPLE[2], "role": ""}], "Recette", "Participant 2 : indiquez son rôle."),
        ([{**PEOPLE[0], "side": "ministre"}, PEOPLE[2]], "Recette", "Participant 1 : indiquez"),
        ([], "Recette", "Indiquez les participants"),
        (PEOPLE, "  ", "Décrivez l'environnement de test"),
    ]
    for attendees, environment, message in bad:
        with pytest.raises(ApplicationError) as refused:
            ins.record_attendance(
                by=instructor, application=complete, attendees=attendees, environment=environment
            )
        assert refused.value.extra["status"] == 400 and message in refused.value.message
    with pytest.raises(ApplicationError) as applicant_refused:
        ins.record_attendance(
            by=applicant, application=complete, attendees=PEOPLE, environment="Recette"
        )
    assert applicant_refused.value.extra["status"] == 403
    assert not JournalEntry.objects.filter(action__endswith="attendance").exists()

    client.force_login(instructor)
    url = reverse("instruction:ins-attendance", args=[complete.pk])
    assert f'action="{url}"' in client.get(detail(complete)).content.decode()
    form = {"environment": "Recette usine, version 2.3.1, compte de test"}
    for number, person in enumerate(PEOPLE):
        form |= {f"attendee-{number}-{key}": value for key, value in person.items()}
    form |= {"attendee-7-side": "applicant", "attendee-7-name": "", "attendee-7-role": ""}
    done = client.post(url, form, follow=True).content.decode()
    assert "Participants de la journée de tests INS enregistrés (3 personnes)" in done
    test_day = InsTestDay.objects.get()
    assert test_day.attendees == PEOPLE and test_day.attendance_by == instructor
    entry = JournalEntry.objects.get(action="instruction.ins_test_day.attendance")
    assert entry.before is None and entry.after["environment"].startswith("Recette usine")
    # A correction is journaled with what it replaces.
    ins.record_attendance(
        by=instructor, application=complete, attendees=PEOPLE[::2], environment="Recette usine"
    )
    correction = JournalEntry.objects.filter(action="instruction.ins_test_day.attendance").last()
    assert correction.before["attendees"] == PEOPLE
    client.force_login(applicant)
    page = client.get(detail(complete)).content.decode()
    assert "Représentant de l&#x27;agence : Claire Martin (Cheffe de projet INS)" in page
    assert "Participant du candidat : Léa Petit (Utilisatrice mobilisée)" in page
    assert "Environnement de test : Recette usine" in page and "Paul Durand" not in page
    assert f'action="{url}"' not in page


# --- the outcomes are the INS proofs' verdicts ---------------------------------------------------


def test_r_clk_8_a_scenario_outcome_is_the_verdict_on_its_ins_proofs(
    client, complete, applicant, instructor
):
    """« L'ANS supervise le bon déroulé des scénarios de tests et documente l'atteinte ou non
    des résultats »: reached, the scenario's INS proofs are conformes; not reached, non
    conformes; recorded again, the verdict follows."""
    ins.propose_test_day(by=applicant, application=complete, day=timezone.localdate())
    first = ins.ins_scenarios(complete)[0]
    [proof] = first.proofs
    ins.record_scenario_result(
        by=instructor,
        application=complete,
        scenario=first.code,
        outcome="failed",
        comment="Le prénom est tronqué.",
    )
    verdict = latest_proof_verdicts(complete)[proof.id]
    assert verdict.verdict == "non_conforme" and verdict.by == instructor
    said = f"Journée de tests INS du {french_date(timezone.localdate())}, scénario INS 1.1"
    assert verdict.comment == f"{said} : résultat non atteint. Le prénom est tronqué."
    client.force_login(instructor)
    page = client.get(reverse("instruction:page", args=[complete.pk])).content.decode()
    assert "Le prénom est tronqué." in page and "scénario INS 1.1" in page
    # The same outcome again adds no verdict; the corrected outcome changes it.
    ins.record_scenario_result(
        by=instructor,
        application=complete,
        scenario=first.code,
        outcome="failed",
        comment="Le prénom est tronqué.",
    )
    assert complete.proof_verdicts.filter(proof_id=proof.id).count() == 1
    ins.record_scenario_result(
        by=instructor, application=complete, scenario=first.code, outcome="passed"
    )
    assert latest_proof_verdicts(complete)[proof.id].verdict == "conforme"
    # The guard keeps working: every other proof judged, two scenarios still have no outcome.
    ins_proofs = {p.id for scenario in ins.ins_scenarios(complete) for p in scenario.proofs}
    set_proof_verdicts(
        complete,
        by=instructor,
        opinions={
            pk: ("conforme", "") for pk in applicable_proofs(complete) if pk not in ins_proofs
        },
    )
    with pytest.raises(ApplicationError) as unjudged:
        transition(complete, "finish_instruction", by=instructor)
    assert "2 preuves sans avis" in unjudged.value.message  # those of INS 1.2 and INS 2.1
    # Judged by hand, they still wait for the day's outcomes.
    set_proof_verdicts(
        complete,
        by=instructor,
        opinions={pk: ("conforme", "") for pk in ins_proofs if pk != proof.id},
    )
    with pytest.raises(ApplicationError) as guarded:
        transition(complete, "finish_instruction", by=instructor)
    assert "2 scénarios INS n'ont pas de résultat enregistré (INS 1.2, INS 2.1)" in (
        guarded.value.message
    )
    record_ins_outcomes(complete, instructor, failed={"INS 2.1"})
    verdicts = latest_proof_verdicts(complete)
    [ins_21] = ins.ins_scenarios(complete)[2].proofs
    assert verdicts[ins_21.id].verdict == "non_conforme"
    transition(complete, "finish_instruction", by=instructor)
    complete.refresh_from_db()
    assert complete.status == "instruction_finished"
    # Once the instruction is finished, the verdicts — hence the outcomes — no longer change.
    with pytest.raises(ApplicationError) as frozen:
        ins.record_scenario_result(
            by=instructor, application=complete, scenario="INS 2.1", outcome="passed"
        )
    assert frozen.value.extra["status"] == 409 and "ne changent plus" in frozen.value.message
    assert latest_proof_verdicts(complete)[ins_21.id].verdict == "non_conforme"


# --- API -----------------------------------------------------------------------------------------


def test_r_clk_8_api_confirm_propose_accept_and_attendance(api, complete, applicant, instructor):
    """The same acts through the API, beside the existing INS endpoints."""
    url = f"/api/v1/applications/{complete.pk}/ins-test-day"
    today = timezone.localdate()
    api.force_authenticate(applicant)
    api.post(url, {"day": (today + dt.timedelta(days=3)).isoformat()}, format="json")
    seen = api.get(url).json()
    assert seen["agreement"] == "proposed"
    assert seen["agreement_label"] == "proposée par vous, à confirmer par l'agence"
    assert api.post(f"{url}/confirm").status_code == 403
    api.force_authenticate(instructor)
    confirmed = api.post(f"{url}/confirm")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["agreement"] == "confirmed" and confirmed.json()["confirmed_at"]
    assert api.post(f"{url}/confirm").status_code == 409
    garbled = api.post(f"{url}/agency-proposal", {"day": "demain"}, format="json")
    assert garbled.status_code == 400 and "AAAA-MM-JJ" in garbled.json()["detail"]
    other = (today + dt.timedelta(days=5)).isoformat()
    proposed = api.post(f"{url}/agency-proposal", {"day": other, "note": "Matin"}, format="json")
    assert proposed.status_code == 200, proposed.content
    body = proposed.json()
    assert (body["agreement"], body["day"], body["agency_note"]) == (
        "agency_proposed",
        other,
        "Matin",
    )
    api.force_authenticate(applicant)
    accepted = api.post(f"{url}/accept")
    assert accepted.status_code == 200 and accepted.json()["agreement_label"] == "confirmée"
    InsTestDay.objects.update(day=today)
    api.force_authenticate(instructor)
    bad = api.post(
        f"{url}/attendance",
        {"attendees": [{"side": "ministre", "name": "", "role": "x"}], "environment": ""},
        format="json",
    )
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    lacking = api.post(
        f"{url}/attendance", {"attendees": [PEOPLE[2]], "environment": "Recette"}, format="json"
    )
    assert lacking.status_code == 400 and "représentant de l'agence" in lacking.json()["detail"]
    recorded = api.post(
        f"{url}/attendance", {"attendees": PEOPLE, "environment": "Recette"}, format="json"
    )
    assert recorded.status_code == 200, recorded.content
    assert recorded.json()["attendees"] == PEOPLE and recorded.json()["environment"] == "Recette"
    api.force_authenticate(applicant)
    refused = api.post(
        f"{url}/attendance", {"attendees": PEOPLE, "environment": "x"}, format="json"
    )
    assert refused.status_code == 403
    assert api.get(url).json()["attendees"] == PEOPLE


def test_r_clk_8_api_another_organisation_gets_404_on_the_coordination(
    api, complete, applicant, stranger
):
    ins.propose_test_day(by=applicant, application=complete, day=timezone.localdate())
    url = f"/api/v1/applications/{complete.pk}/ins-test-day"
    api.force_authenticate(stranger)
    for path in ("confirm", "accept"):
        assert api.post(f"{url}/{path}").status_code == 404
    answer = api.post(f"{url}/attendance", {"attendees": PEOPLE, "environment": "x"}, format="json")
    assert answer.status_code == 404
    assert InsTestDay.objects.get().agreement == DayAgreement.PROPOSED
