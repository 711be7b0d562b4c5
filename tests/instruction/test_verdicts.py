"""Verdicts on proofs (R-EVD-2): conforme, non conforme or à préciser with a comment, the latest
counts and the history stays; the instruction finishes when every applicable proof has one and
none is pending. TLC: every proof conforme sends the convention (R-CONV-2)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from guichet.applications.workflow import WORKFLOW, transition
from guichet.common.errors import ApplicationError
from guichet.conventions.models import Convention
from guichet.instruction.models import InformationRequest, ProofVerdict
from guichet.instruction.verdicts import (
    latest_proof_verdicts,
    set_proof_verdicts,
    verdict_summary,
)
from guichet.journal.models import JournalEntry
from tests.conftest import make_staff
from tests.instruction.instruction_world import (
    complete_dossier,
    in_instruction,
    proof_ids,
    small_version,
)
from tests.workflow import ApplicationFactory, hold_ins_test_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(catalogue):
    return small_version("DMN")


@pytest.fixture
def instructed(version, applicant, instructor):
    """In instruction, `instructor` its lead: three proofs, S1 (two) and S2 (one)."""
    return in_instruction(version, applicant=applicant, instructor=instructor)


def verdict_url(application, proof) -> str:
    return f"/api/v1/applications/{application.pk}/evidence/{proof}/verdict"


def test_r_evd_2_the_latest_verdict_counts_and_the_history_stays(
    instructed, instructor, django_assert_num_queries
):
    first, second, third = proof_ids(instructed)
    set_proof_verdicts(
        instructed,
        by=instructor,
        opinions={first: ("a_preciser", "Quelle version de l'écran ?"), second: ("conforme", "")},
    )
    added = set_proof_verdicts(
        instructed,
        by=instructor,
        opinions={
            first: ("conforme", ""),
            second: ("conforme", ""),  # the same as its latest: not repeated
            third: ("non_conforme", "Le rapport ne couvre pas l'exigence S2 1."),
        },
    )
    assert sorted(v.proof_id for v in added) == [first, third]
    with django_assert_num_queries(2):  # the verdicts, the proofs' current files
        latest = latest_proof_verdicts(instructed)
    assert {pk: v.verdict for pk, v in latest.items()} == {
        first: "conforme",
        second: "conforme",
        third: "non_conforme",
    }
    assert latest[third].comment == "Le rapport ne couvre pas l'exigence S2 1."
    assert list(ProofVerdict.objects.filter(proof_id=first).values_list("verdict", flat=True)) == [
        "a_preciser",
        "conforme",
    ]
    summary = verdict_summary(instructed)
    assert (summary.total, summary.conforme, summary.non_conforme, summary.missing) == (3, 2, 1, 0)
    entries = JournalEntry.objects.filter(action="instruction.verdicts").order_by("id")
    assert [len(e.after["verdicts"]) for e in entries] == [2, 2]
    assert entries.last().after["verdicts"][1] == {
        "proof": "S2 1.1 — preuve 1",
        "proof_id": third,
        "verdict": "non_conforme",
        "comment": "Le rapport ne couvre pas l'exigence S2 1.",
        "files": [
            {"name": f"preuve-{third}.pdf", "sha256": latest[third].judged_files[0]["sha256"]}
        ],
    }


def test_r_evd_2_a_wrong_opinion_keeps_none_of_the_batch(instructed, instructor):
    first, second, third = proof_ids(instructed)
    with pytest.raises(ApplicationError) as refused:
        set_proof_verdicts(
            instructed,
            by=instructor,
            opinions={
                first: ("conforme", ""),
                second: ("non_conforme", "  "),
                third: ("valide", ""),
                "9999999": ("conforme", ""),
            },
        )
    assert refused.value.extra["status"] == 400
    assert refused.value.extra["errors"] == {
        f"{second}.comment": [
            "S1 1.1 — preuve 2 : dites au candidat ce qui ne va pas ou ce qu'il doit préciser "
            "(un commentaire est obligatoire quand l'avis n'est pas « conforme »)."
        ],
        f"{third}.verdict": [
            "S2 1.1 — preuve 1 : avis inconnu « valide » : « conforme », « non_conforme » ou "
            "« a_preciser »."
        ],
        "9999999": ["Preuve inconnue de cette candidature."],
    }
    assert refused.value.message.startswith("Aucun avis n'a été enregistré : S1 1.1 — preuve 2")
    assert not ProofVerdict.objects.exists()


def test_r_evd_2_verdicts_are_given_during_the_instruction_only(
    version, applicant, instructor, agency_admin
):
    complete = complete_dossier(version, applicant=applicant, instructor=instructor)
    proof = proof_ids(complete)[0]
    with pytest.raises(ApplicationError) as not_assigned:
        set_proof_verdicts(complete, by=instructor, opinions={proof: ("conforme", "")})
    assert not_assigned.value.extra["status"] == 403
    with pytest.raises(ApplicationError) as too_early:
        set_proof_verdicts(complete, by=agency_admin, opinions={proof: ("conforme", "")})
    assert too_early.value.extra["status"] == 409
    assert "pendant l'instruction" in too_early.value.message
    assert not ProofVerdict.objects.exists()


def test_r_evd_2_a_proof_asked_about_waits_for_the_applicants_answer(instructed, instructor):
    first, second, _ = proof_ids(instructed)
    transition(
        instructed,
        "request_information",
        by=instructor,
        text="Précisez la capture d'écran.",
        proofs=[first],
    )
    if not InformationRequest.objects.filter(application=instructed).exists():
        # Stands for the information-requests part's effect, which writes the request and
        # the proofs it names (guichet.instruction.requests).
        request = InformationRequest.objects.create(
            application=instructed,
            number=1,
            text="Précisez la capture d'écran.",
            created_by=instructor,
            created_at=instructed.updated_at,
        )
        request.proofs.set([first])
    with pytest.raises(ApplicationError, match="le candidat doit encore répondre"):
        set_proof_verdicts(instructed, by=instructor, opinions={first: ("conforme", "")})
    set_proof_verdicts(instructed, by=instructor, opinions={second: ("conforme", "")})
    assert list(latest_proof_verdicts(instructed)) == [second]


def test_r_evd_2_the_instruction_finishes_once_every_proof_has_a_verdict_none_pending(
    api, instructed, instructor
):
    first, second, third = proof_ids(instructed)
    set_proof_verdicts(
        instructed,
        by=instructor,
        opinions={first: ("conforme", ""), second: ("a_preciser", "Quelle version ?")},
    )
    finish = WORKFLOW.get("finish_instruction")
    assert WORKFLOW.refusal(instructed, finish, instructor).message == (
        "L'instruction se termine quand chaque preuve applicable a un avis et qu'aucune n'est "
        "« à préciser » : 1 preuve sans avis ; 1 « à préciser »."
    )
    api.force_authenticate(instructor)
    url = f"/api/v1/applications/{instructed.pk}/transitions/finish_instruction"
    refused = api.post(url, {}, format="json")
    assert refused.status_code == 409
    assert "1 preuve sans avis ; 1 « à préciser »" in refused.json()["detail"]
    # A « non conforme » does not hold the instruction: the committee decides on it.
    set_proof_verdicts(
        instructed,
        by=instructor,
        opinions={second: ("conforme", ""), third: ("non_conforme", "Rapport incomplet.")},
    )
    assert api.post(url, {}, format="json").status_code == 200
    instructed.refresh_from_db()
    assert instructed.status == "instruction_finished"


def test_r_evd_2_verdict_api_records_and_refuses_in_french(api, instructed, instructor):
    first = proof_ids(instructed)[0]
    api.force_authenticate(instructor)
    created = api.post(
        verdict_url(instructed, first),
        {"verdict": "a_preciser", "comment": "Quelle version ?"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json() | {"at": None} == {
        "proof": first,
        "verdict": "a_preciser",
        "label": "À préciser",
        "comment": "Quelle version ?",
        "by": instructor.email,
        "at": None,
        "files": [f"preuve-{first}.pdf"],
    }
    again = api.post(
        verdict_url(instructed, first),
        {"verdict": "a_preciser", "comment": "Quelle version ?"},
        format="json",
    )
    assert again.status_code == 200 and ProofVerdict.objects.count() == 1
    no_comment = api.post(
        verdict_url(instructed, first), {"verdict": "non_conforme"}, format="json"
    )
    assert no_comment.status_code == 400
    assert no_comment["Content-Type"] == "application/problem+json"
    assert "un commentaire est obligatoire" in no_comment.json()["detail"]
    unknown = api.post(verdict_url(instructed, first), {"verdict": "valide"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["errors"]["verdict"] == [
        "Avis inconnu « valide » : « conforme », « non_conforme » ou « a_preciser »."
    ]
    not_applicable = api.post(
        verdict_url(instructed, 9999999), {"verdict": "conforme"}, format="json"
    )
    assert not_applicable.status_code == 400
    assert ProofVerdict.objects.count() == 1


def test_r_act_1_a_committee_member_cannot_instruct_and_another_organisation_finds_nothing(
    client, api, instructed, committee_member, stranger
):
    first = proof_ids(instructed)[0]
    api.force_authenticate(committee_member)
    refused = api.post(verdict_url(instructed, first), {"verdict": "conforme"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Un membre du collège technique n'instruit pas")
    client.force_login(committee_member)
    page = client.get(reverse("instruction:page", args=[instructed.pk]))
    assert page.status_code == 200 and "Lecture seule" in page.content.decode()
    assert (
        client.post(
            reverse("instruction:verdicts", args=[instructed.pk]), {f"verdict-{first}": "conforme"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("instruction:section-conforme", args=[instructed.pk, "S1"]), {"confirm": "on"}
        ).status_code
        == 403
    )
    api.force_authenticate(stranger)
    assert (
        api.post(verdict_url(instructed, first), {"verdict": "conforme"}, format="json").status_code
        == 404
    )
    client.force_login(stranger)
    for url in (
        reverse("instruction:page", args=[instructed.pk]),
        reverse("instruction:verdicts", args=[instructed.pk]),
        reverse("instruction:section-conforme", args=[instructed.pk, "S1"]),
    ):
        assert client.post(url, {f"verdict-{first}": "conforme", "confirm": "on"}).status_code in (
            404,
            405,
        )
    assert client.get(reverse("instruction:page", args=[instructed.pk])).status_code == 404
    assert not ProofVerdict.objects.exists()


def test_r_evd_2_the_page_saves_a_section_keeps_what_was_typed_and_confirms_tout_conforme(
    client, instructed, instructor
):
    first, second, third = proof_ids(instructed)
    client.force_login(instructor)
    url = reverse("instruction:verdicts", args=[instructed.pk])
    # A « non conforme » without its comment: nothing kept, the page shown again as typed.
    refused = client.post(
        url,
        {
            "section": "S1",
            f"verdict-{first}": "a_preciser",
            f"comment-{first}": "Quelle version de l'écran ?",
            f"verdict-{second}": "non_conforme",
        },
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert escape("Quelle version de l'écran ?") in body
    assert escape("S1 1.1 — preuve 2 : dites au candidat ce qui ne va pas") in body
    assert not ProofVerdict.objects.exists()
    saved = client.post(
        url,
        {
            "section": "S1",
            f"verdict-{first}": "a_preciser",
            f"comment-{first}": "Quelle version de l'écran ?",
        },
        follow=True,
    )
    assert "1 avis enregistré." in saved.content.decode()
    # « Tout conforme » asks for a confirmation, then covers the proofs without a verdict only.
    all_s1 = reverse("instruction:section-conforme", args=[instructed.pk, "S1"])
    unconfirmed = client.post(all_s1, follow=True)
    assert "cochez la case pour confirmer" in unconfirmed.content.decode()
    done = client.post(all_s1, {"confirm": "on"}, follow=True).content.decode()
    assert "1 avis enregistré." in done
    assert "reste 1 preuve sans avis ; 1 « à préciser »" in done
    latest = latest_proof_verdicts(instructed)
    assert (latest[first].verdict, latest[second].verdict) == ("a_preciser", "conforme")
    assert third not in latest


def test_r_evd_2_the_instruction_page_queries_do_not_grow_with_the_verdicts(
    client, instructed, instructor
):
    client.force_login(instructor)
    url = reverse("instruction:page", args=[instructed.pk])

    def queries() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = queries()
    set_proof_verdicts(
        instructed,
        by=instructor,
        opinions={pk: ("non_conforme", "À reprendre.") for pk in proof_ids(instructed)},
    )
    set_proof_verdicts(
        instructed, by=instructor, opinions={pk: ("conforme", "") for pk in proof_ids(instructed)}
    )
    assert queries() == before


def test_r_evd_2_the_applicant_sees_the_verdicts_to_fix_the_agency_all(
    client, api, instructed, instructor, applicant
):
    first, second, _ = proof_ids(instructed)
    set_proof_verdicts(
        instructed,
        by=instructor,
        opinions={first: ("conforme", ""), second: ("non_conforme", "Procédure absente.")},
    )

    def verdicts_seen(user) -> dict:
        api.force_authenticate(user)
        payload = api.get(f"/api/v1/applications/{instructed.pk}/evidence/").json()
        return {
            proof["id"]: proof["verdict"] and proof["verdict"]["verdict"]
            for section in payload["sections"]
            for requirement in section["requirements"]
            for scenario in requirement["scenarios"]
            for proof in scenario["proofs"]
        }

    assert set(verdicts_seen(instructor).values()) == {"conforme", "non_conforme", None}
    assert verdicts_seen(instructor)[first] == "conforme"
    seen = verdicts_seen(applicant)
    assert seen[second] == "non_conforme" and seen[first] is None
    client.force_login(applicant)
    evidence_page = client.get(reverse("evidence:page", args=[instructed.pk])).content.decode()
    assert "Avis de l'instruction : Non conforme — Procédure absente." in evidence_page
    detail = client.get(reverse("applications:detail", args=[instructed.pk])).content.decode()
    assert "Procédure absente." in detail and "preuve à reprendre" in detail


def _all_conforme(application, by):
    return set_proof_verdicts(
        application, by=by, opinions={pk: ("conforme", "") for pk in proof_ids(application)}
    )


def test_r_conv_2_tlc_every_proof_conforme_sends_the_convention_before_the_committee(
    client, applicant, instructor, tlc, mailoutbox, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(
        applicant=applicant, instructor=instructor, referential=tlc, state="complete"
    )
    transition(application, "assign", by=instructor, lead=instructor)
    last, *others = proof_ids(application)
    set_proof_verdicts(application, by=instructor, opinions={pk: ("conforme", "") for pk in others})
    assert not Convention.objects.filter(application=application).exists()
    with django_capture_on_commit_callbacks(execute=True):  # the task worker prepares it
        set_proof_verdicts(application, by=instructor, opinions={last: ("conforme", "")})
    convention = Convention.objects.get(application=application)
    assert convention.is_ready and not convention.is_signed
    (mail,) = [m for m in mailoutbox if "convention à signer" in m.subject]
    assert applicant.email in mail.to
    client.force_login(applicant)
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Convention à signer" in page
    assert "une fois l'instruction terminée" in page
    hold_ins_test_day(application, applicant, instructor)
    transition(application, "finish_instruction", by=instructor)
    names = [t.name for t in WORKFLOW.available(application, applicant)]
    assert "sign_convention" in names
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Signer la convention" in page


def test_r_conv_2_dmn_every_proof_conforme_sends_no_second_convention(
    applicant, instructor, dmn, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(
        applicant=applicant, instructor=instructor, referential=dmn, state="complete"
    )
    transition(application, "assign", by=instructor, lead=instructor)
    sent = JournalEntry.objects.filter(action="convention.send").count()
    with django_capture_on_commit_callbacks(execute=True):
        _all_conforme(application, instructor)
    assert Convention.objects.filter(application=application).count() == 1
    assert JournalEntry.objects.filter(action="convention.send").count() == sent


def test_r_act_1_an_instructor_not_assigned_cannot_instruct(instructed, catalogue):
    other = make_staff("autre@agence.test", "instructor")
    with pytest.raises(ApplicationError) as refused:
        _all_conforme(instructed, other)
    assert refused.value.extra["status"] == 403
    assert refused.value.message == (
        "Les avis sur les preuves reviennent aux instructeurs attribués à la candidature."
    )
