"""A small world for the instruction's tests: referential versions of a few proofs (so that a
dossier reaches « complete » in a fraction of a second, the way users get there) and dossiers
walked to the queue through the services and the workflow."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import time_machine

from guichet.applications import review
from guichet.applications.models import Application
from guichet.applications.services import create_application, save_draft, save_product, submit
from guichet.applications.workflow import transition
from guichet.referentials.models import Referential
from guichet.referentials.services import write_version
from guichet.referentials.spreadsheet import RequirementRow, ScenarioRow
from tests.fixtures import complete_dmn_form, complete_tlc_form, deposit_required_documents
from tests.workflow import deposit_every_proof, every_item

_numbers = itertools.count(1)
PARIS = ZoneInfo("Europe/Paris")


def on(day: dt.date, hour: int = 10):
    """Acts happen on `day` (Paris time), the clock standing still (tests of legal dates)."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS), tick=False)


def requirement_row(code: str, section: str, scenarios: list[ScenarioRow]) -> RequirementRow:
    """A DOIT requirement of the « general » profile, as a small test version declares it."""
    return RequirementRow(
        code=code,
        section=section,
        bloc="",
        function="",
        nature="DOIT",
        statement=f"Énoncé {code}",
        is_example=False,
        profiles=["general"],
        scenarios=scenarios,
    )


def small_version(
    code: str, *, policy: str | None = None, process: dict | None = None, ins: bool = False
):
    """A published version of referential `code` with two sections: S1 (scenario S1.1 with two
    proofs) and S2 (scenario S2.1 with one proof); the convention is sent before the committee
    (so that no convention stands before the evidence) and the deadline policy is `code`'s;
    `process` adds or overrides process settings (e.g. the decision outcomes). With `ins`, an
    INS section too (R-CLK-8): INS 1 (scenarios INS 1.1 and INS 1.2) and INS 2 (INS 2.1), one
    proof each, which the INS test day reviews."""
    referential = Referential.objects.get(code=code)
    requirements = [
        requirement_row(
            f"{section} 1",
            section,
            [ScenarioRow(code=f"{section} 1.1", text="Scénario", proofs=proofs, row=0)],
        )
        for section, proofs in (("S1", ["Capture", "Procédure"]), ("S2", ["Rapport"]))
    ]
    sections = [{"code": "S1", "label": "Première"}, {"code": "S2", "label": "Seconde"}]
    if ins:
        sections.append({"code": "INS", "label": "Identité nationale de santé"})
        requirements += [
            requirement_row(
                "INS 1",
                "INS",
                [
                    ScenarioRow(
                        code="INS 1.1", text="Qualifier l'identité", proofs=["Capture"], row=0
                    ),
                    ScenarioRow(code="INS 1.2", text="Afficher l'INS", proofs=["Capture"], row=0),
                ],
            ),
            requirement_row(
                "INS 2",
                "INS",
                [ScenarioRow(code="INS 2.1", text="Transmettre l'INS", proofs=["Trace"], row=0)],
            ),
        ]
    return write_version(
        referential=referential,
        number=f"9{next(_numbers)}.0",
        state="published",
        entry_into_force=None,
        source="",
        profiles=[{"code": "general", "label": "Général"}],
        sections=sections,
        requirements=requirements,
        rules=[],
        questions=[],
        specifications=[],
        process={
            "deadline_policy": policy or code,
            "convention": "before_committee",
            "admissibility_form": code,
            **(process or {}),
        },
    )


def complete_dossier(version, *, applicant, instructor) -> Application:
    """A new product's application on `version`, filled, admissible, every proof deposited and
    every section submitted: complete (R-EVD-4)."""
    code = version.referential.code
    product = save_product(
        by=applicant,
        name=f"Produit {Application.objects.count() + 1}",
        modules=[{"name": "Web", "version": "1.0"}],
    )
    application = create_application(
        by=applicant,
        product=product,
        product_version="1.0",
        referential_version=version,
        pathway_code="teleconsultation" if code == "TLC" else "nom_de_marque",
    )
    form = complete_tlc_form() if code == "TLC" else complete_dmn_form()
    save_draft(by=applicant, application=application, data={"form": form, "profiles": ["general"]})
    deposit_required_documents(application, applicant)
    submit(by=applicant, application=application)
    application.refresh_from_db()
    review.set_verdicts(by=instructor, application=application, opinions=every_item(application))
    review.decide(by=instructor, application=application, decision="admissible")
    application.refresh_from_db()
    deposit_every_proof(application, applicant)
    application.refresh_from_db()
    assert application.status == "complete", application.status
    return application


def in_instruction(version, *, applicant, instructor, lead=None) -> Application:
    application = complete_dossier(version, applicant=applicant, instructor=instructor)
    return transition(application, "assign", by=instructor, lead=lead or instructor)


def proof_ids(application) -> list[int]:
    from guichet.instruction.verdicts import applicable_proofs

    return list(applicable_proofs(application))


def small_shipped(code: str):
    """A small version (three proofs) with the shipped version's process settings: for tests of
    the clock, the requests, the queue, which do not read the catalogue's content."""
    from guichet.referentials.selectors import get_version

    shipped = get_version(code, {"DMN": "1.2.2", "TLC": "1.4.2"}[code])
    return small_version(code, process=shipped.process_settings.as_data())
