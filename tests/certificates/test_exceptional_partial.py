# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""The exceptional TLC certificate on partial evidence (R-CRT-4, issue 21). TLC guide §5.4:
« Cas exceptionnels d'obtention du certificat sans obtention de toutes les preuves » — « un
certificat de conformité peut être fourni par l'ANS à compter du 1er juillet 2024 » when
« l'éditeur de SI de téléconsultation est conforme aux exigences relevant des domaines
fonctionnels suivants : identité nationale de santé, Pro Santé Connect, annuaire de santé,
politique générale de sécurité des systèmes d'information en santé, administration » and
« s'engage à se mettre en conformité à l'ensemble des exigences … au plus tard le 31 décembre
2024 ». TLC guide §4.2: the candidacy holds, « dans le cas où le candidat ne peut pas fournir
l'ensemble des preuves du référentiel », that commitment."""

import datetime as dt
import html
import io

import pytest
from django.urls import reverse

from guichet.applications import review
from guichet.applications.clock import clock_of
from guichet.applications.services import create_application, save_draft, save_product, submit
from guichet.applications.workflow import transition
from guichet.certificates import exceptional
from guichet.certificates.models import Certificate, Kind
from guichet.common.errors import ApplicationError
from guichet.evidence import services as evidence
from guichet.evidence.selectors import evidence_open, reopened_proofs, tree
from guichet.files.uploads import upload_from_stream
from guichet.instruction.proofs import applicable_proofs
from guichet.instruction.verdicts import set_proof_verdicts
from tests.certificates.life_world import EXCEPTIONAL_SECTIONS, exceptional_tlc
from tests.certificates.world import on
from tests.committee.committee_world import decide, session_on
from tests.conftest import committed
from tests.fixtures import PDF, complete_tlc_form, deposit_required_documents
from tests.workflow import every_item

pytestmark = pytest.mark.django_db


def admissible(version, applicant, instructor, **form):
    product = save_product(
        by=applicant, name="VisioTest", modules=[{"name": "Web", "version": "1"}]
    )
    application = create_application(
        by=applicant,
        product=product,
        product_version="1",
        referential_version=version,
        pathway_code="teleconsultation",
    )
    save_draft(
        by=applicant,
        application=application,
        data={"form": complete_tlc_form(**form), "profiles": ["general"]},
    )
    deposit_required_documents(application, applicant)
    submit(by=applicant, application=application)
    application.refresh_from_db()
    review.set_verdicts(by=instructor, application=application, opinions=every_item(application))
    review.decide(by=instructor, application=application, decision="admissible")
    application.refresh_from_db()
    assert application.status == "admissible"
    return application


def deposit(application, applicant, sections):
    """A file on every proof of `sections`, each section then submitted."""
    for node in tree(application):
        if node.section.code not in sections:
            continue
        for requirement in node.requirements:
            for scenario in requirement["scenarios"]:
                for item in scenario["proofs"]:
                    upload = upload_from_stream(io.BytesIO(PDF), "preuve.pdf", encrypt=False)
                    evidence.add_evidence(
                        by=applicant,
                        application=application,
                        proof_id=item["proof"].pk,
                        upload=upload,
                    )
        evidence.submit_section(
            by=applicant, application=application, section_code=node.section.code
        )
    application.refresh_from_db()


@pytest.fixture
def partial(catalogue, applicant, instructor):
    """A TLC dossier admissible in June 2024, the five domains deposited and submitted, SEC
    not deposited."""
    version = exceptional_tlc()
    with on(dt.date(2024, 6, 10)):
        application = admissible(version, applicant, instructor)
        deposit(application, applicant, EXCEPTIONAL_SECTIONS)
    return application


def test_r_crt_4_without_the_commitment_the_dossier_needs_every_section(partial, applicant, client):
    assert partial.status == "admissible"
    with on(dt.date(2024, 6, 11)):
        client.force_login(applicant)
        page = client.get(reverse("applications:detail", args=[partial.pk])).content.decode()
    # The page offers the commitment while the evidence is deposited.
    assert "Prendre l'engagement" in page and "sans toutes les preuves" in page
    with on(dt.date(2024, 6, 11)), pytest.raises(ApplicationError, match="section non soumise"):
        transition(partial, "complete", by=applicant)
    partial.refresh_from_db()
    assert partial.status == "admissible" and partial.evidence_complete_at is None


def test_r_crt_4_the_commitment_completes_the_dossier_on_the_listed_sections(
    partial, applicant, instructor, committee_member, client
):
    """« sans obtention de toutes les preuves »: the dossier reaches the collège on the listed
    sections; the other sections are deposited while the instruction goes on."""
    with on(dt.date(2024, 6, 12)):
        # Only the Responsable habilité commits, never the agency.
        with pytest.raises(ApplicationError, match="Responsable habilité"):
            exceptional.record_commitment(partial, by=instructor)
        with committed():
            exceptional.record_commitment(partial, by=applicant)
    partial.refresh_from_db()
    assert partial.status == "complete"  # without SEC
    assert partial.transitions.filter(name="complete_partially").exists()
    with on(dt.date(2024, 6, 28)):
        session = session_on(
            dt.date(2024, 7, 4),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Mme Martin", "body": "cnam"}],
        )
    with on(dt.date(2024, 7, 1)):
        transition(partial, "assign", by=instructor, lead=instructor)
        proofs = applicable_proofs(partial)
        listed = {pk for pk, p in proofs.items() if p.section.code in EXCEPTIONAL_SECTIONS}
        with committed():
            set_proof_verdicts(
                partial, by=instructor, opinions={pk: ("conforme", "") for pk in listed}
            )
        # The instruction finishes on the listed sections' proofs: SEC is not even deposited.
        with committed():
            transition(partial, "finish_instruction", by=instructor)
    with on(dt.date(2024, 7, 4)):
        decide(session, partial, by=committee_member, outcome="exceptional")
    certificate = Certificate.objects.get(application=partial)
    assert certificate.kind == Kind.EXCEPTIONAL
    assert certificate.valid_until == dt.date(2024, 12, 31)

    # The rest is deposited while the instruction goes on, for the standard certificate.
    partial.refresh_from_db()
    assert partial.status == "in_instruction"
    sec = {pk for pk, p in proofs.items() if p.section.code == "SEC"}
    assert reopened_proofs(partial) == sec and evidence_open(partial)
    client.force_login(applicant)
    body = client.get(reverse("evidence:page", args=[partial.pk])).content.decode()
    assert "complet sur les sections du certificat exceptionnel" in body
    assert "la section SEC" in body and "Soumettre la section SEC" in body
    with on(dt.date(2024, 9, 2)):
        deposit(partial, applicant, ("SEC",))
    assert partial.status == "in_instruction"
    assert reopened_proofs(partial) == frozenset()
    # The instruction now finishes only on every proof judged (the standard certificate).
    with on(dt.date(2024, 9, 3)), pytest.raises(ApplicationError, match="1 preuve sans avis"):
        transition(partial, "finish_instruction", by=instructor)


def test_r_crt_4_the_legal_clock_starts_when_every_section_is_in(
    partial, applicant, instructor, client
):
    """TLC guide §5.2: « Ce délai est à compter de la réception d'un dossier complet, c'est à
    dire lorsque l'ensemble des preuves de toutes les sections applicables a été déposé »: a
    dossier complete on the exceptional certificate's sections alone has no legal clock and no
    acknowledgment of receipt yet; the last other section starts both."""
    with on(dt.date(2024, 6, 12)), committed():
        exceptional.record_commitment(partial, by=applicant)
    partial.refresh_from_db()
    assert partial.status == "complete"
    with on(dt.date(2024, 8, 1)):
        clock = clock_of(partial)
    assert clock.deadline is None and not clock.running
    assert partial.acknowledgment_id is None
    client.force_login(instructor)
    with on(dt.date(2024, 8, 1)):
        page = client.get(reverse("instruction:page", args=[partial.pk])).content.decode()
    assert "court à compter du dépôt de toutes les autres sections" in page
    client.force_login(applicant)
    with on(dt.date(2024, 8, 1)):
        page = html.unescape(
            client.get(reverse("applications:detail", args=[partial.pk])).content.decode()
        )
    assert "Le délai n'a pas commencé : le dossier est complet sur les seules sections" in page
    with pytest.raises(ApplicationError, match="section non soumise : SEC"):
        transition(partial, "complete_every_section", by=applicant)

    with on(dt.date(2024, 9, 2)), committed():
        deposit(partial, applicant, ("SEC",))
    partial.refresh_from_db()
    assert partial.status == "complete"  # the state stays; the clock starts
    assert partial.transitions.filter(name="complete_every_section").count() == 1
    with on(dt.date(2024, 9, 10)):
        clock = clock_of(partial)
    assert clock.running and clock.deadline == dt.date(2025, 3, 2)  # six months
    assert partial.evidence_complete_at.date() == dt.date(2024, 9, 2)
    assert partial.acknowledgment_id is not None  # dated the day every section was in
    with pytest.raises(ApplicationError, match="pas été complété sur les sections"):
        transition(partial, "complete_every_section", by=applicant)


def test_r_crt_4_sections_submitted_before_the_commitment_wait_for_it(
    catalogue, applicant, instructor
):
    """The commitment first, then the listed sections: the last one completes the dossier."""
    version = exceptional_tlc()
    with on(dt.date(2024, 6, 10)):
        application = admissible(version, applicant, instructor)
        exceptional.record_commitment(application, by=applicant)
        application.refresh_from_db()
        assert application.status == "admissible"
        deposit(application, applicant, EXCEPTIONAL_SECTIONS[:-1])
        assert application.status == "admissible"
        deposit(application, applicant, EXCEPTIONAL_SECTIONS[-1:])
    assert application.status == "complete"


def test_r_crt_4_after_the_window_every_section_is_needed_again(partial, applicant):
    """« Ce certificat expire en tout état de cause le 31 décembre 2024 »: past the window,
    the commitment no longer stands in for the other sections."""
    with on(dt.date(2025, 1, 2)):
        with pytest.raises(ApplicationError, match="a pris fin le 31 décembre 2024"):
            exceptional.record_commitment(partial, by=applicant)
        assert exceptional.exceptional_scope(partial) is None
    partial.refresh_from_db()
    assert partial.status == "admissible"
    assert not Certificate.objects.exists()


def test_r_crt_4_the_admissibility_form_s_commitment_opts_for_the_partial_dossier(
    catalogue, applicant, instructor, client
):
    """TLC guide §4.2: « Dans le cas où le candidat ne peut pas fournir l'ensemble des preuves
    … un engagement à obtenir le certificat de conformité … au plus tard au 31 décembre
    2024 »: the form's answer, with its commitment document, is the commitment."""
    version = exceptional_tlc()
    with on(dt.date(2024, 6, 10)):
        application = admissible(version, applicant, instructor, all_proofs_available=False)
        deposit(application, applicant, EXCEPTIONAL_SECTIONS)
    assert application.status == "complete"
    with on(dt.date(2024, 6, 11)):
        with pytest.raises(ApplicationError, match="déjà pris"):
            exceptional.record_commitment(application, by=applicant)
        transition(application, "assign", by=instructor, lead=instructor)
        client.force_login(applicant)
        body = client.get(reverse("applications:detail", args=[application.pk])).content
        assert "Engagement pris dans le formulaire de recevabilité" in body.decode()
