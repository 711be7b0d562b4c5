"""A verdict judges the files its proof had when it was given (R-EVD-2): a file added or
replaced since — in answer to an information request — makes the proof « nouveau dépôt à
examiner », without an opinion in every counter, until an instructor gives a new one. And the
INS test day is part of the instruction (R-CLK-8): it cannot finish while an applicable INS
scenario has no recorded outcome."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone

from guichet.applications.workflow import WORKFLOW, transition
from guichet.common.errors import ApplicationError
from guichet.evidence import services as evidence
from guichet.evidence.models import EvidenceFile
from guichet.files.uploads import upload_from_stream
from guichet.instruction import ins, requests
from guichet.instruction.models import ProofVerdict
from guichet.instruction.verdicts import (
    latest_proof_verdicts,
    proof_verdicts,
    set_proof_verdicts,
    set_section_conforme,
    verdict_summary,
)
from tests.instruction.instruction_world import in_instruction, proof_ids, small_version
from tests.workflow import PDF, ApplicationFactory, hold_ins_test_day

pytestmark = pytest.mark.django_db

FINISH = WORKFLOW.get("finish_instruction")


@pytest.fixture
def judged(catalogue, applicant, instructor):
    """In instruction on a small version (S1: two proofs, S2: one), every proof conforme."""
    application = in_instruction(small_version("DMN"), applicant=applicant, instructor=instructor)
    set_proof_verdicts(
        application,
        by=instructor,
        opinions={pk: ("conforme", "") for pk in proof_ids(application)},
    )
    return application


def deposit(application, applicant, proof_id, name, *, replaces=None):
    upload = upload_from_stream(io.BytesIO(PDF), name)
    return evidence.add_evidence(
        by=applicant, application=application, proof_id=proof_id, upload=upload, replaces=replaces
    )


def ask_and_answer(application, applicant, instructor, proof_id, *, new_file: str | None):
    """The instructor asks about one proof; the applicant deposits `new_file` on it (or
    nothing) and answers."""
    asked = requests.request_information(
        by=instructor, application=application, text="Précisez ce rapport.", proofs=[proof_id]
    )
    if new_file:
        deposit(application, applicant, proof_id, new_file)
    requests.answer_information(
        by=applicant, application=application, request_id=asked.pk, text="Voici la précision."
    )
    application.refresh_from_db()
    return asked


def test_r_evd_2_a_file_added_after_the_verdict_makes_the_proof_judged_again(
    judged, applicant, instructor
):
    first, second, third = proof_ids(judged)
    before = latest_proof_verdicts(judged)[first]
    assert [entry["name"] for entry in before.judged_files] == [f"preuve-{first}.pdf"]
    assert verdict_summary(judged).all_conforme
    assert WORKFLOW.refusal(judged, FINISH, instructor) is None

    ask_and_answer(judged, applicant, instructor, first, new_file="rapport-complete.pdf")

    both = proof_verdicts(judged)
    assert first not in both.current and both.redeposited[first].pk == before.pk
    assert set(both.current) == {second, third}
    summary = verdict_summary(judged)
    assert (summary.conforme, summary.missing, summary.redeposited) == (2, 1, 1)
    assert not summary.all_conforme
    refusal = WORKFLOW.refusal(judged, FINISH, instructor)
    assert refusal is not None and refusal.message == (
        "L'instruction se termine quand chaque preuve applicable a un avis et qu'aucune n'est "
        "« à préciser » : 1 preuve sans avis, dont 1 nouveau dépôt à examiner ; "
        "0 « à préciser »."
    )
    with pytest.raises(ApplicationError):
        transition(judged, "finish_instruction", by=instructor)

    # The same opinion again is a new verdict on the files as they are now.
    added = set_proof_verdicts(judged, by=instructor, opinions={first: ("conforme", "")})
    assert [verdict.proof_id for verdict in added] == [first]
    assert [entry["name"] for entry in added[0].judged_files] == [
        f"preuve-{first}.pdf",
        "rapport-complete.pdf",
    ]
    # The history keeps the former opinion and the files it judged.
    history = list(ProofVerdict.objects.filter(application=judged, proof_id=first).order_by("id"))
    assert [len(verdict.judged_files) for verdict in history] == [1, 2]
    assert verdict_summary(judged).all_conforme
    transition(judged, "finish_instruction", by=instructor)
    assert judged.status == "instruction_finished"


def test_r_evd_2_a_replaced_file_counts_as_a_new_deposit_and_an_untouched_proof_keeps_its_verdict(
    judged, applicant, instructor
):
    first, second, _ = proof_ids(judged)
    set_proof_verdicts(
        judged, by=instructor, opinions={second: ("non_conforme", "Le rapport est illisible.")}
    )
    # An answer without a file on the proof: the files judged are the same, the verdict stays.
    ask_and_answer(judged, applicant, instructor, first, new_file=None)
    assert latest_proof_verdicts(judged)[first].verdict == "conforme"

    asked = requests.request_information(
        by=instructor, application=judged, text="Redéposez un rapport lisible.", proofs=[second]
    )
    old = EvidenceFile.objects.get(application=judged, proof_id=second)
    deposit(judged, applicant, second, "rapport-lisible.pdf", replaces=old.file_id)
    requests.answer_information(
        by=applicant, application=judged, request_id=asked.pk, text="Rapport remplacé."
    )
    both = proof_verdicts(judged)
    assert second in both.redeposited and both.redeposited[second].verdict == "non_conforme"
    # « Tout conforme » does not sweep a new deposit along: it is read and judged on its own.
    with pytest.raises(ApplicationError) as refused:
        set_section_conforme(judged, by=instructor, section_code="S1")
    assert "s'examine seule" in refused.value.message
    assert second in proof_verdicts(judged).redeposited


def test_r_evd_2_the_pages_and_the_api_say_nouveau_depot_a_examiner(
    client, api, judged, applicant, instructor
):
    first = proof_ids(judged)[0]
    set_proof_verdicts(
        judged, by=instructor, opinions={first: ("non_conforme", "Le rapport est incomplet.")}
    )
    ask_and_answer(judged, applicant, instructor, first, new_file="rapport-complete.pdf")

    client.force_login(instructor)
    page = client.get(reverse("instruction:page", args=[judged.pk])).content.decode()
    assert "nouveau dépôt à examiner" in page
    assert "dont 1 nouveau dépôt à examiner" in page
    assert "Avis précédent, à donner de nouveau" in page and "Le rapport est incomplet." in page
    assert f"fichiers examinés alors : preuve-{first}.pdf" in page
    detail = client.get(reverse("applications:detail", args=[judged.pk])).content.decode()
    assert "(dont 1 nouveau dépôt à examiner)" in detail

    client.force_login(applicant)
    own = client.get(reverse("evidence:page", args=[judged.pk])).content.decode()
    assert "Nouveau dépôt à examiner" in own
    detail = client.get(reverse("applications:detail", args=[judged.pk])).content.decode()
    assert "Votre nouveau dépôt est à examiner par l'instructeur" in detail
    assert "preuve à reprendre" not in detail

    api.force_authenticate(applicant)
    payload = api.get(f"/api/v1/applications/{judged.pk}/evidence/").json()
    proofs = {
        proof["id"]: proof
        for section in payload["sections"]
        for requirement in section["requirements"]
        for scenario in requirement["scenarios"]
        for proof in scenario["proofs"]
    }
    verdict = proofs[first]["verdict"]
    assert verdict["verdict"] == "nouveau_depot"
    assert verdict["label"] == "Nouveau dépôt à examiner"
    assert verdict["previous"]["verdict"] == "non_conforme"
    assert verdict["previous"]["files"] == [f"preuve-{first}.pdf"]


# --- the INS test day (R-CLK-8) ------------------------------------------------------------------


@pytest.fixture
def dmn_conforme(applicant, instructor, catalogue):
    """A DMN-like dossier whose version has an INS section (three INS scenarios apply), every
    proof conforme."""
    version = small_version("DMN", process={"ins_section": "INS"}, ins=True)
    application = ApplicationFactory(
        applicant=applicant, instructor=instructor, referential=version, state="complete"
    )
    transition(application, "assign", by=instructor, lead=instructor)
    set_proof_verdicts(
        application,
        by=instructor,
        opinions={pk: ("conforme", "") for pk in proof_ids(application)},
    )
    return application


def test_r_clk_8_the_instruction_does_not_finish_while_an_ins_scenario_has_no_outcome(
    dmn_conforme, applicant, instructor
):
    application = dmn_conforme
    scenarios = ins.ins_scenarios(application)
    assert len(scenarios) > 1
    refusal = WORKFLOW.refusal(application, FINISH, instructor)
    assert refusal.message.startswith(
        f"La journée de tests INS fait partie de l'instruction : {len(scenarios)} scénarios INS "
        "n'ont pas de résultat enregistré (INS 1.1"
    )
    assert "le candidat n'a pas encore proposé la date de la journée de tests" in refusal.message
    assert ins.last_test_day(application).year >= timezone.localdate().year

    ins.propose_test_day(by=applicant, application=application, day=timezone.localdate())
    for scenario in scenarios[:-1]:
        ins.record_scenario_result(
            by=instructor, application=application, scenario=scenario.id, outcome="passed"
        )
    refusal = WORKFLOW.refusal(application, FINISH, instructor)
    assert f"1 scénario INS n'a pas de résultat enregistré ({scenarios[-1].code})" in (
        refusal.message
    )
    with pytest.raises(ApplicationError):
        transition(application, "finish_instruction", by=instructor)
    application.refresh_from_db()
    assert application.status == "in_instruction"

    # A failed outcome is an outcome: the collège decides on it.
    ins.record_scenario_result(
        by=instructor,
        application=application,
        scenario=scenarios[-1].id,
        outcome="failed",
        comment="Le matricule INS est tronqué.",
    )
    transition(application, "finish_instruction", by=instructor)
    assert application.status == "instruction_finished"


def test_r_clk_8_the_pages_say_who_acts_the_applicant_proposes_the_day_and_by_when(
    client, dmn_conforme, applicant, instructor
):
    application = dmn_conforme
    last = ins.ins_overview(application).last_day_text
    client.force_login(applicant)
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert f"Proposez la date de la journée de tests INS, à tenir au plus tard le {last}." in page
    assert "Aucune action de votre part n'est attendue" not in page

    client.force_login(instructor)
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    # The instructor's « Terminer l'instruction » is shown disabled, with the reason.
    assert "La journée de tests INS fait partie de l&#x27;instruction" in page

    hold_ins_test_day(application, applicant, instructor)
    client.force_login(applicant)
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Proposez la date de la journée de tests INS" not in page


def test_r_clk_8_an_application_without_ins_scenario_finishes_without_a_test_day(
    judged, instructor
):
    assert ins.ins_scenarios(judged) == []
    transition(judged, "finish_instruction", by=instructor)
    assert judged.status == "instruction_finished"


def test_r_clk_8_the_verdicts_message_says_the_test_day_still_holds_the_instruction(
    client, applicant, instructor, catalogue
):
    """Every proof judged while INS outcomes are missing: the message after the last verdict
    says why the instruction cannot finish yet, not « vous pouvez terminer l'instruction »."""
    version = small_version("DMN", process={"ins_section": "INS"}, ins=True)
    application = ApplicationFactory(
        applicant=applicant, instructor=instructor, referential=version, state="complete"
    )
    transition(application, "assign", by=instructor, lead=instructor)
    last, *others = proof_ids(application)
    set_proof_verdicts(application, by=instructor, opinions={pk: ("conforme", "") for pk in others})
    client.force_login(instructor)
    done = client.post(
        reverse("instruction:verdicts", args=[application.pk]),
        {f"verdict-{last}": "conforme"},
        follow=True,
    ).content.decode()
    assert "1 avis enregistré." in done
    assert "vous pouvez terminer l&#x27;instruction" not in done
    assert "La journée de tests INS fait partie de l&#x27;instruction" in done

    hold_ins_test_day(application, applicant, instructor)
    set_proof_verdicts(application, by=instructor, opinions={last: ("a_preciser", "Laquelle ?")})
    again = client.post(
        reverse("instruction:verdicts", args=[application.pk]),
        {f"verdict-{last}": "conforme"},
        follow=True,
    ).content.decode()
    assert "vous pouvez terminer l&#x27;instruction" in again


def test_r_evd_2_the_migration_records_the_files_each_earlier_verdict_judged(
    judged, applicant, instructor
):
    """The verdicts given before the verdicts kept their files judged the files their proof
    had at that instant (instruction migration 0004): a file deposited since makes the proof
    to be judged again, as it would have had the field existed."""
    import importlib

    from django.apps import apps

    first, second, _ = proof_ids(judged)
    ask_and_answer(judged, applicant, instructor, first, new_file="rapport-complete.pdf")
    ProofVerdict.objects.filter(application=judged).update(judged_files=[])
    migration = importlib.import_module(
        "guichet.instruction.migrations.0004_proofverdict_judged_files"
    )
    migration.record_judged_files(apps, None)

    verdict = ProofVerdict.objects.get(application=judged, proof_id=first)
    assert [entry["name"] for entry in verdict.judged_files] == [f"preuve-{first}.pdf"]
    both = proof_verdicts(judged)
    assert first in both.redeposited and second in both.current
