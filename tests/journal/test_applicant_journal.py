"""The application's journal shows each reader what the rest of the platform shows that reader
(R-AUD-1, issue 20 §2): the applicant does not read there the « conforme » opinions that the
evidence and admissibility pages and API keep from them (R-EVD-2, R-APP-8)."""

import csv
import io
import json

import pytest

from guichet.applications import review
from guichet.instruction.verdicts import set_proof_verdicts
from tests.instruction.instruction_world import in_instruction, proof_ids, small_version
from tests.workflow import walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructed(catalogue, applicant, instructor):
    return in_instruction(small_version("DMN"), applicant=applicant, instructor=instructor)


def journal(api, application, user, fmt="json") -> list[dict]:
    """The journal's rows as `user` downloads them, before and after decoded."""
    api.force_authenticate(user)
    response = api.get(f"/api/v1/applications/{application.pk}/journal", {"format": fmt})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    if fmt == "json":
        return json.loads(text)
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    for row in rows:
        row["before"], row["after"] = json.loads(row["before"]), json.loads(row["after"])
    return rows


def opinions(rows, action="instruction.verdicts") -> list:
    return [
        [(verdict["proof_id"], verdict["verdict"]) for verdict in row["after"]["verdicts"]]
        for row in rows
        if row["action"] == action
    ]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_r_aud_1_the_applicant_journal_hides_the_conforme_proof_verdicts_as_the_evidence_api(
    api, instructed, instructor, applicant, fmt
):
    first, second, third = proof_ids(instructed)
    set_proof_verdicts(
        instructed,
        by=instructor,
        opinions={first: ("conforme", ""), second: ("non_conforme", "Procédure absente.")},
    )
    set_proof_verdicts(instructed, by=instructor, opinions={third: ("conforme", "")})

    assert opinions(journal(api, instructed, instructor, fmt)) == [
        [(first, "conforme"), (second, "non_conforme")],
        [(third, "conforme")],
    ]
    # The applicant: the opinion to fix, as its evidence page says it; nothing of the others,
    # not even an entry whose every opinion is « conforme ».
    seen = journal(api, instructed, applicant, fmt)
    assert opinions(seen) == [[(second, "non_conforme")]]
    (row,) = [row for row in seen if row["action"] == "instruction.verdicts"]
    assert row["after"]["verdicts"][0]["comment"] == "Procédure absente."
    api.force_authenticate(applicant)
    evidence = api.get(f"/api/v1/applications/{instructed.pk}/evidence/").json()
    shown = {
        proof["id"]
        for section in evidence["sections"]
        for requirement in section["requirements"]
        for scenario in requirement["scenarios"]
        for proof in scenario["proofs"]
        if proof["verdict"]
    }
    assert shown == {second}


def test_r_aud_1_the_applicant_journal_hides_the_conforme_admissibility_opinions(
    api, instructor, applicant, dmn_application
):
    application = walk(dmn_application, "submitted", applicant=applicant, instructor=instructor)
    review.set_verdicts(
        by=instructor,
        application=application,
        opinions={
            "contact_phone": ("to_fix", "Numéro injoignable : donnez une ligne directe."),
            "legal_rep_name": ("conforme", ""),
        },
    )

    def items(rows):
        return [
            (row["after"]["item"], row["after"]["verdict"])
            for row in rows
            if row["action"] == "admissibility.verdict"
        ]

    assert items(journal(api, application, instructor)) == [
        ("contact_phone", "to_fix"),
        ("legal_rep_name", "conforme"),
    ]
    assert items(journal(api, application, applicant)) == [("contact_phone", "to_fix")]
    api.force_authenticate(applicant)
    admissibility = api.get(f"/api/v1/applications/{application.pk}/admissibility/").json()
    assert [item["item"] for item in admissibility["items"]] == ["contact_phone"]
