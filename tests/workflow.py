"""Applications at each step, reached the way users reach them: through the services and the
workflow's transitions, never by writing a status column (the model refuses it anyway).

`walk(application, to=…)` takes an application forward; `ApplicationFactory(state=…)` makes one
(factory_boy) and walks it. The steps, in order: draft → submitted → (to_fix) → admissible →
evidence (DMN: the convention signed; TLC: as admissible) → complete.
"""

from __future__ import annotations

import io

import factory

from guichet.accounts.models import Role
from guichet.applications import review
from guichet.applications.models import Application
from guichet.applications.services import create_application, save_draft, save_product, submit
from tests.conftest import PASSWORD, committed
from tests.factories import StaffFactory, UserFactory
from tests.fixtures import (
    DMN_ANSWERS,
    DMN_PROFILES,
    PDF,
    TLC_PROFILES,
    complete_dmn_form,
    complete_tlc_form,
    deposit_required_documents,
)

STEPS = ["draft", "submitted", "to_fix", "admissible", "evidence", "complete"]


def _code(application) -> str:
    return application.referential_version.referential.code


def fill(application, applicant, *, profiles=None):
    """The admissibility form complete, the documents deposited (R-APP-5, R-APP-6). On a small
    test version (no questionnaire, the « general » profile only), its one profile."""
    version = application.referential_version
    known = set(version.profiles.values_list("code", flat=True))
    if _code(application) == "TLC":
        data = {"form": complete_tlc_form(), "profiles": profiles or TLC_PROFILES}
    else:
        data = {"form": complete_dmn_form(), "profiles": profiles or DMN_PROFILES}
        if version.questions.exists():
            data["answers"] = DMN_ANSWERS
    data["profiles"] = [code for code in data["profiles"] if code in known] or ["general"]
    save_draft(by=applicant, application=application, data=data)
    deposit_required_documents(application, applicant)


def every_item(application, verdict="conforme", comment=""):
    return {entry["item"]: (verdict, comment) for entry in review.reviewable_items(application)}


def deposit_every_proof(application, applicant, *, submit_sections=True):
    """A file for every applicable proof (encrypted for sensitive ones), then every section
    submitted (R-EVD-1, R-EVD-4)."""
    from guichet.evidence import services as evidence
    from guichet.evidence.selectors import tree
    from guichet.files.uploads import upload_from_stream

    for node in tree(application):
        for requirement in node.requirements:
            for scenario in requirement["scenarios"]:
                for item in scenario["proofs"]:
                    proof = item["proof"]
                    if item["current"]:
                        continue
                    upload = upload_from_stream(
                        io.BytesIO(PDF), f"preuve-{proof.pk}.pdf", encrypt=proof.sensitive
                    )
                    evidence.add_evidence(
                        by=applicant, application=application, proof_id=proof.pk, upload=upload
                    )
        if submit_sections and not node.submitted:
            evidence.submit_section(
                by=applicant, application=application, section_code=node.section.code
            )


def hold_ins_test_day(application, applicant, instructor, *, failed=()):
    """The INS test day held today (R-CLK-8): the applicant proposes it, the instructor records
    each applicable INS scenario's outcome (« passed » but for the codes in `failed`). Nothing
    when the application has no INS scenario."""
    from django.utils import timezone

    from guichet.instruction import ins

    if not ins.ins_scenarios(application):
        return
    ins.propose_test_day(by=applicant, application=application, day=timezone.localdate())
    record_ins_outcomes(application, instructor, failed=failed)


def record_ins_outcomes(application, instructor, *, failed=()):
    """Each applicable INS scenario's outcome, recorded by `instructor`: « passed » but for the
    codes in `failed` (with the comment a failed outcome needs)."""
    from guichet.instruction import ins

    for scenario in ins.ins_scenarios(application):
        outcome = "failed" if scenario.code in failed else "passed"
        ins.record_scenario_result(
            by=instructor,
            application=application,
            scenario=scenario.id,
            outcome=outcome,
            comment="Le matricule INS est tronqué." if outcome == "failed" else "",
        )


def walk(application, to: str, *, applicant, instructor, profiles=None):
    """Takes `application` from where it is to the step `to` (see STEPS)."""
    from guichet.conventions.services import sign_convention

    application.refresh_from_db()
    target = STEPS.index(to)
    status = application.status
    if status == "draft" and target >= STEPS.index("submitted"):
        fill(application, applicant, profiles=profiles)
        submit(by=applicant, application=application)
    if to == "to_fix":
        review.set_verdicts(
            by=instructor,
            application=application,
            opinions={"contact_phone": ("to_fix", "Ce numéro ne répond pas.")},
        )
        review.decide(by=instructor, application=application, decision="request_fixes")
        application.refresh_from_db()
        return application
    if target >= STEPS.index("admissible") and application.status in ("draft", "submitted"):
        application.refresh_from_db()
        review.set_verdicts(
            by=instructor, application=application, opinions=every_item(application)
        )
        with committed():  # the task worker prepares the convention (DMN)
            review.decide(by=instructor, application=application, decision="admissible")
    application.refresh_from_db()
    settings = application.referential_version.process_settings
    if target >= STEPS.index("evidence") and settings.convention_before_evidence:
        if not application.convention.is_signed:
            with committed():  # the task worker seals it
                sign_convention(by=applicant, application=application, password=PASSWORD)
    if target >= STEPS.index("complete") and application.status == "admissible":
        with committed():  # the acknowledgment, by the task worker
            deposit_every_proof(application, applicant)
    application.refresh_from_db()
    return application


class ApplicationFactory(factory.Factory):
    """An application of a new product, walked to `state` by its applicant and an instructor:
    `ApplicationFactory(referential=dmn, state="complete")`."""

    class Meta:
        model = Application

    state = "draft"
    profiles = None
    pathway = None
    applicant = factory.SubFactory(UserFactory)
    instructor = factory.LazyFunction(lambda: StaffFactory(role=Role.INSTRUCTOR))
    referential = None  # a ReferentialVersion (the `dmn` or `tlc` fixture)
    product_version = "1.0"

    @classmethod
    def _create(
        cls,
        model_class,
        *,
        applicant,
        instructor,
        referential,
        product_version,
        state,
        profiles,
        pathway,
    ):
        code = referential.referential.code
        product = save_product(
            by=applicant,
            name=f"Produit {Application.objects.count() + 1}",
            modules=[{"name": "Web", "version": product_version}],
        )
        application = create_application(
            by=applicant,
            product=product,
            product_version=product_version,
            referential_version=referential,
            pathway_code=pathway or ("teleconsultation" if code == "TLC" else "nom_de_marque"),
        )
        return walk(
            application, state, applicant=applicant, instructor=instructor, profiles=profiles
        )

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("An application is created through its services.")
